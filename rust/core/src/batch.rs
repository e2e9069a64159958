//! Planning whole files: customers and events read and checked, grouped by customer in
//! bounded memory, planned in threads, and written in customer order, as Python's
//! `outreach_rules._parts.plan_files` does with one worker, to the byte.
//!
//! Python reads side by side when both files are sorted by customer id (broadcasts first)
//! and otherwise through an on-disk index; it finds out which by trying the first and
//! starting again when a line is out of order. This module does the same, in the same
//! order, so that the bad lines come in Python's order: `side` reads side by side;
//! `indexed` sorts the lines into runs on disk and merges them (`spill`) where Python
//! builds its SQLite index. Either hands groups to `pool`, which plans them in threads
//! and writes them in order.
//!
//! Bad lines are not worded here: each is an [`Issue`] that names the line and what is
//! wrong, and the caller words it with the library's own reader, which raises the exact
//! error (or, for a form the core does not take, accepts the line: then the caller plans
//! the files without the core). Issues come back in the order Python meets them.

mod indexed;
mod lines;
mod pool;
mod side;
mod skim;
mod spill;
#[cfg(test)]
mod tests;

use crate::error::CoreError;
use crate::model::Event;
use crate::model::Instant;
use crate::policy::Policy;
use crate::reading::{event_from_line, Kinds, LineError};
use crate::records::{Form, TraceLevel};
use crate::time::Calendars;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which input file a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    Customers,
    Events,
}

/// One line of an input file (Python's `contract.Line`): its text is without the line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub file: Which,
    pub number: u64,
    pub text: String,
}

/// What a bad line does: stop the run, or go on without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Fail,
    Skip,
}

/// What to plan, and how.
pub struct Job<'a> {
    pub policy: &'a Policy,
    /// The calendars customers are planned in.
    pub calendars: &'a Calendars,
    /// The calendars lines are read with: may be `calendars`; the Python binding gives one
    /// that does not keep the exceptions of refused lines, which Python words anyway.
    pub reading: &'a Calendars,
    pub customers: &'a Path,
    pub events: &'a Path,
    /// Where the records go: after its first `keep` bytes (created, or cut to them first).
    pub output: &'a Path,
    /// How much of `output` is not the core's, and stays: a header written before, say.
    pub keep: u64,
    /// Where sorted runs are spilled.
    pub workdir: &'a Path,
    pub now: Instant,
    pub form: Form,
    pub trace: TraceLevel,
    pub on_error: OnError,
    /// Planning threads, besides the one that reads and the caller's, which writes.
    pub threads: usize,
    /// Bytes of lines sorted in memory before they are spilled to a run on disk.
    pub budget: usize,
    /// The event kinds the policy knows, where an event of another kind is reported
    /// ([`Outcome::unknown_kinds`]) or refused; None to take every kind without a word.
    pub kinds: Option<&'a Kinds>,
}

/// Which reader refused a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Customer,
    Event,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueKind {
    /// The core's reader refused it: Python's reader words why, or accepts it.
    Refused { record: Record, why: LineError },
    /// Not UTF-8 text: this stops the run whatever the on-error policy, as in Python.
    /// `offset` is where the line begins, so that Python's reader can read it there.
    NotUtf8 { offset: u64 },
    /// A customer id given again; `first` is the line of the first, where Python says it.
    Twice { first: Option<u64> },
    /// An event id used by another, different event (`other`, the first with that id).
    Reused { other: Line },
    /// An event of a customer who is not in the customers file.
    Unknown,
    /// The customer on this line could not be planned.
    Failed { customer: String, error: CoreError },
}

/// A bad line, as Python's `Errors` meets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Python hands it to `reject` at once (its index building) rather than with the
    /// others, sorted by file, line and reason, at the end.
    pub early: bool,
    pub line: Line,
    pub kind: IssueKind,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Customers planned (or rejected while planning), as Python counts them.
    pub planned: u64,
    /// Whether the files were read through the sorted runs rather than side by side.
    pub indexed: bool,
    /// In the order Python meets them; with [`OnError::Fail`], the first one only.
    pub issues: Vec<Issue>,
    /// Set when the input holds something only Python's reader can follow (a line nested
    /// deeper than the core reads, say): the output is then not to be used.
    pub fallback: Option<String>,
    /// Set when `progress` asked to stop.
    pub aborted: bool,
    /// The events of a kind the policy does not know (when [`Job::kinds`] reports them):
    /// their line in the events file and their kind, in line order, each line once.
    pub unknown_kinds: Vec<(u64, String)>,
}

/// Why a run could not finish.
#[derive(Debug)]
pub enum BatchError {
    Io(io::Error),
    /// A failure of the core itself (a panic outside any one customer).
    Engine(CoreError),
}

impl From<io::Error> for BatchError {
    fn from(error: io::Error) -> Self {
        BatchError::Io(error)
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Io(error) => write!(f, "{error}"),
            BatchError::Engine(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for BatchError {}

/// Told how many more customers are done (0 to say the run is still alive); returns false
/// to stop the run. Called from the calling thread only.
pub type Progress<'p> = dyn FnMut(u64) -> bool + 'p;

impl Job<'_> {
    /// `output`, cut to its first `keep` bytes, to write after them: a pass that starts
    /// over leaves nothing of an earlier one.
    fn open_output(&self) -> io::Result<File> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.output)?;
        file.set_len(self.keep)?;
        file.seek(SeekFrom::End(0))?;
        Ok(file)
    }
}

/// Plan every customer of `job`'s files into `job.output`, in customer id order.
pub fn plan_files(job: &Job, progress: &mut Progress) -> Result<Outcome, BatchError> {
    let place = Place::default();
    let result = catch_unwind(AssertUnwindSafe(|| run(job, &place, progress)));
    result.unwrap_or_else(|panic| Err(BatchError::Engine(place.panicked(&panic))))
}

fn run(job: &Job, place: &Place, progress: &mut Progress) -> Result<Outcome, BatchError> {
    let head = match skim::broadcasts_end(job.events, place)? {
        Ok(head) => head,
        Err(reason) => {
            return Ok(Outcome {
                fallback: Some(reason),
                ..Outcome::default()
            })
        }
    };
    match side::plan(job, head, place, progress)? {
        Some(outcome) => Ok(outcome),
        None => indexed::plan(job, place, progress),
    }
}

/// Where the readers are, so that a failure of the core can name the line.
#[derive(Default)]
pub(crate) struct Place {
    customers: AtomicU64,
    events: AtomicU64,
}

impl Place {
    fn of(&self, file: Which) -> &AtomicU64 {
        match file {
            Which::Customers => &self.customers,
            Which::Events => &self.events,
        }
    }

    fn panicked(&self, panic: &Box<dyn std::any::Any + Send>) -> CoreError {
        let customers = self.customers.load(Ordering::Relaxed);
        let events = self.events.load(Ordering::Relaxed);
        CoreError::new(
            crate::ErrorKind::Engine,
            format!(
                "the Rust core failed reading the input near line {customers} of the customers \
                 and line {events} of the events ({}); this is a bug, please report it",
                panic_text(panic)
            ),
        )
    }
}

/// What a panic says.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_owned()
    }
}

/// Where an issue stands in the order Python meets it.
///
/// `stage` is 0 for the whole side-by-side reading; 1 to 5 for the index's steps
/// (customers, events, broadcasts, events of no customer, then the groups). Within a
/// stage, `group` is the number of groups handed out before the issue (or, for stages 1
/// to 3, the line), and `phase` what the group was doing: 0 being read, 1 its events
/// checked, 2 planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Order {
    pub stage: u8,
    pub group: u64,
    pub phase: u8,
    pub seq: u64,
}

/// An issue with its place in the order.
#[derive(Debug)]
pub(crate) struct Logged {
    pub order: Order,
    pub issue: Issue,
}

/// The issues of a run, and whether to go on after each, by the on-error policy.
pub(crate) struct Log {
    on_error: OnError,
    pub entries: Vec<Logged>,
    seq: u64,
    stopped: bool,
    /// The events of a kind the policy does not know, as they were read.
    pub unknown_kinds: Vec<(u64, String)>,
}

/// Whether reading goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Go,
    Stop,
}

impl Log {
    pub fn new(on_error: OnError) -> Self {
        Log {
            on_error,
            entries: Vec::new(),
            seq: 0,
            stopped: false,
            unknown_kinds: Vec::new(),
        }
    }

    /// Whether an issue logged stops the run.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Log an issue at `stage`, `group` (phase 0); reading stops on failure or bad text.
    pub fn add(&mut self, stage: u8, group: u64, issue: Issue) -> Flow {
        let fatal = matches!(issue.kind, IssueKind::NotUtf8 { .. });
        self.seq += 1;
        let order = Order {
            stage,
            group,
            phase: 0,
            seq: self.seq,
        };
        self.entries.push(Logged { order, issue });
        self.stopped |= fatal || self.on_error == OnError::Fail;
        if self.stopped {
            Flow::Stop
        } else {
            Flow::Go
        }
    }
}

/// The event on line `number` of the events file, its kind checked against the policy's
/// ([`Job::kinds`]): an unknown kind is refused, or logged to be reported.
pub(crate) fn read_event(
    job: &Job,
    number: u64,
    text: &str,
    log: &mut Log,
) -> Result<Event, LineError> {
    let event = event_from_line(text.as_bytes(), job.reading)?;
    if let Some(kinds) = job.kinds {
        if !kinds.check(&event)? {
            log.unknown_kinds.push((number, event.kind.clone()));
        }
    }
    Ok(event)
}

/// The unknown kinds of a run in line order (a line is read once per reading).
pub(crate) fn unknown_kinds(mut found: Vec<(u64, String)>) -> Vec<(u64, String)> {
    found.sort();
    found.dedup();
    found
}

/// The issues in order, up to the first that stops Python's run: with [`OnError::Fail`]
/// the first of all, and in any case a line that is not UTF-8.
pub(crate) fn in_order(mut logged: Vec<Logged>, on_error: OnError) -> Vec<Issue> {
    logged.sort_by_key(|entry| entry.order);
    let fatal = logged
        .iter()
        .position(|entry| matches!(entry.issue.kind, IssueKind::NotUtf8 { .. }));
    let kept = match on_error {
        OnError::Fail => 1,
        OnError::Skip => fatal.map_or(logged.len(), |at| at + 1),
    };
    logged.truncate(kept);
    logged.into_iter().map(|entry| entry.issue).collect()
}
