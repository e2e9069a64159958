//! Planning groups in threads: a reader hands out chunks of groups through a bounded
//! channel, planning threads turn each into records, and the calling thread writes the
//! chunks in the order they were handed out, so that any number of threads writes the
//! same bytes.

use super::{panic_text, BatchError, Flow, Issue, IssueKind, Job, Line, Log, Logged, OnError};
use super::{Order, Progress};
use crate::arbitration;
use crate::error::{CoreError, ErrorKind};
use crate::model::{Customer, Event};
use crate::reading::{customer_from_line, event_from_line, LineError};
use crate::triggers::history::same_event;
use crate::triggers::python::repr;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Mutex;
use std::time::Duration;

/// A chunk is at most this many groups, or events: a customer takes some 10 to 50 µs to
/// plan, so a chunk is a few milliseconds of work, and handing it over costs little.
const CHUNK_GROUPS: usize = 256;
const CHUNK_EVENTS: usize = 4096;
/// Chunks handed out and not yet written, per planning thread: this bounds memory.
const CHUNKS_PER_THREAD: usize = 4;
/// How often the caller's progress hears from a run, when no chunk is done.
const TICK: Duration = Duration::from_millis(100);

/// A value read from a line already, or (None) to be read in the planning thread.
pub(crate) struct Item<T> {
    pub line: Line,
    pub value: Option<T>,
}

/// One customer and their own events; the broadcasts are shared.
pub(crate) struct Group {
    pub customer: Item<Customer>,
    pub events: Vec<Item<Event>>,
}

struct Task {
    chunk: u64,
    first: u64,
    groups: Vec<Group>,
}

struct Done {
    chunk: u64,
    count: u64,
    out: Vec<u8>,
    issues: Vec<Logged>,
}

/// What the reader and the planners share.
struct State {
    /// Groups from this one on need not be planned: an issue came before them.
    limit: AtomicU64,
    /// The run stops: the caller asked, or the output cannot be written.
    aborted: AtomicBool,
}

impl State {
    fn wants(&self, group: u64) -> bool {
        group < self.limit.load(Ordering::Relaxed) && !self.aborted.load(Ordering::Relaxed)
    }
}

/// Where the reader hands out groups and logs the issues it meets.
pub(crate) struct Feed<'s> {
    tasks: SyncSender<Task>,
    slots: SyncSender<()>,
    state: &'s State,
    stage: u8,
    chunk: Vec<Group>,
    events: usize,
    first: u64,
    pushed: u64,
    chunks: u64,
    pub log: Log,
}

impl Feed<'_> {
    /// How many groups were handed out so far.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Whether the planners still want groups: not after an issue that stops the run.
    pub fn wanted(&self) -> bool {
        self.state.wants(self.pushed)
    }

    /// Whether the run was stopped from outside.
    pub fn aborted(&self) -> bool {
        self.state.aborted.load(Ordering::Relaxed)
    }

    /// Hand a group to the planners; false (and the group dropped) when none is wanted.
    pub fn push(&mut self, group: Group) -> bool {
        if !self.wanted() {
            return false;
        }
        self.events += group.events.len() + 1;
        self.chunk.push(group);
        self.pushed += 1;
        if self.chunk.len() >= CHUNK_GROUPS || self.events >= CHUNK_EVENTS {
            return self.flush();
        }
        true
    }

    /// Log an issue the reader met; when it stops the run, no later group is planned.
    pub fn issue(&mut self, early: bool, line: Line, kind: IssueKind) -> Flow {
        let flow = self
            .log
            .add(self.stage, self.pushed, Issue { early, line, kind });
        if flow == Flow::Stop {
            self.state.limit.fetch_min(self.pushed, Ordering::Relaxed);
        }
        flow
    }

    /// Log an issue of an earlier stage met on the way (only where it cannot stop the run).
    pub fn note(&mut self, stage: u8, group: u64, issue: Issue) {
        self.log.add(stage, group, issue);
    }

    /// Plan no more groups, not even those handed out already.
    pub fn cut(&self) {
        self.state.limit.store(0, Ordering::Relaxed);
    }

    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        // A slot first: it is given back once the chunk is written.
        if self.slots.send(()).is_err() {
            return false;
        }
        let task = Task {
            chunk: self.chunks,
            first: self.first,
            groups: std::mem::take(&mut self.chunk),
        };
        self.chunks += 1;
        self.first = self.pushed;
        self.events = 0;
        self.tasks.send(task).is_ok()
    }
}

/// What a run of the pool gives: the reader's result, the customers planned, the issues
/// (the reader's and the planners'), and whether it was stopped from outside.
pub(crate) struct Pooled<R> {
    pub read: R,
    pub planned: u64,
    pub issues: Vec<Logged>,
    pub aborted: bool,
    /// The reader's events of a kind the policy does not know ([`Log::unknown_kinds`]).
    pub unknown_kinds: Vec<(u64, String)>,
}

/// The stages issues are logged at: the reader's, and the planners'.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stages {
    pub reading: u8,
    pub planning: u8,
}

/// Run `read` in a thread of its own, planning the groups it hands out in `job.threads`
/// threads, and write their records to `out` in order, from this thread.
pub(crate) fn run<R: Send>(
    job: &Job,
    shared: &[Event],
    stages: Stages,
    out: &mut dyn Write,
    progress: &mut Progress,
    read: impl FnOnce(&mut Feed) -> R + Send,
) -> Result<Pooled<R>, BatchError> {
    let threads = job.threads.max(1);
    let state = State {
        limit: AtomicU64::new(u64::MAX),
        aborted: AtomicBool::new(false),
    };
    let (task_tx, task_rx) = mpsc::sync_channel::<Task>(threads);
    let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(threads * CHUNKS_PER_THREAD);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let tasks = Mutex::new(task_rx);
    let planner = Planner {
        job,
        shared,
        state: &state,
        stage: stages.planning,
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (tasks, planner) = (&tasks, &planner);
            scope.spawn(move || planner.serve(tasks, &done_tx));
        }
        drop(done_tx);
        let reader = scope.spawn(|| {
            let mut feed = Feed {
                tasks: task_tx,
                slots: slot_tx,
                state: &state,
                stage: stages.reading,
                chunk: Vec::new(),
                events: 0,
                first: 0,
                pushed: 0,
                chunks: 0,
                log: Log::new(job.on_error),
            };
            let result = catch_unwind(AssertUnwindSafe(|| read(&mut feed)));
            feed.flush();
            (result, feed.log.entries, feed.log.unknown_kinds)
        });
        let written = collect(&done_rx, &slot_rx, out, progress, &state);
        // The reader may wait for a slot: the collector has stopped giving them back.
        drop(slot_rx);
        let (result, mut issues, unknown_kinds) = match reader.join() {
            Ok(joined) => joined,
            Err(panic) => (Err(panic), Vec::new(), Vec::new()),
        };
        let read = result.map_err(|panic| {
            BatchError::Engine(CoreError::new(
                ErrorKind::Engine,
                format!(
                    "the Rust core failed reading the input ({}); this is a bug, please report it",
                    panic_text(&panic)
                ),
            ))
        })?;
        let (planned, planned_issues) = written?;
        issues.extend(planned_issues);
        Ok(Pooled {
            read,
            planned,
            issues,
            aborted: state.aborted.load(Ordering::Relaxed),
            unknown_kinds,
        })
    })
}

/// Write each chunk in turn as it is done, and give its slot back; the count of groups
/// and the planners' issues.
fn collect(
    done: &Receiver<Done>,
    slots: &Receiver<()>,
    out: &mut dyn Write,
    progress: &mut Progress,
    state: &State,
) -> Result<(u64, Vec<Logged>), BatchError> {
    let mut waiting = BTreeMap::new();
    let (mut next, mut planned, mut issues) = (0, 0, Vec::new());
    let mut failed: Option<io::Error> = None;
    loop {
        match done.recv_timeout(TICK) {
            Ok(chunk) => {
                waiting.insert(chunk.chunk, chunk);
            }
            Err(RecvTimeoutError::Timeout) => {
                if !progress(0) {
                    state.aborted.store(true, Ordering::Relaxed);
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Some(chunk) = waiting.remove(&next) {
            next += 1;
            let _ = slots.recv();
            planned += chunk.count;
            issues.extend(chunk.issues);
            if failed.is_none() {
                failed = out.write_all(&chunk.out).err();
            }
            if failed.is_some() || !progress(chunk.count) {
                state.aborted.store(true, Ordering::Relaxed);
            }
        }
    }
    if let Some(error) = failed {
        return Err(error.into());
    }
    out.flush()?;
    Ok((planned, issues))
}

/// What every planning thread shares.
struct Planner<'a> {
    job: &'a Job<'a>,
    shared: &'a [Event],
    state: &'a State,
    stage: u8,
}

impl Planner<'_> {
    fn serve(&self, tasks: &Mutex<Receiver<Task>>, done: &mpsc::Sender<Done>) {
        loop {
            let task = tasks.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok(task) = task else {
                return;
            };
            if done.send(self.plan_task(task)).is_err() {
                return;
            }
        }
    }

    fn plan_task(&self, task: Task) -> Done {
        let mut done = Done {
            chunk: task.chunk,
            count: task.groups.len() as u64,
            out: Vec::with_capacity(64 * 1024),
            issues: Vec::new(),
        };
        for (index, group) in (task.first..).zip(task.groups) {
            if self.state.wants(index) {
                self.plan_group(index, group, &mut done);
            }
        }
        done
    }

    /// Python's `dedupe` over the customer's own events, then `plan_records`, as
    /// `batch._each` does: a failure (a panic too) is the customer's, at their line.
    fn plan_group(&self, index: u64, group: Group, done: &mut Done) {
        let Group { customer, events } = group;
        let line = customer.line;
        let mut id = String::new();
        let mark = done.out.len();
        let worked = catch_unwind(AssertUnwindSafe(|| {
            self.plan_items(index, (&line, customer.value), events, &mut id, done)
        }));
        let error = match worked {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error,
            Err(panic) => CoreError::new(
                ErrorKind::Engine,
                format!(
                    "the Rust core failed on customer {} ({}); this is a bug, please report it",
                    repr(&Value::from(id.as_str())),
                    panic_text(&panic)
                ),
            ),
        };
        done.out.truncate(mark);
        self.failed(index, line, &id, error, done);
    }

    /// The customer read (their `id` set), their events checked, their records written.
    fn plan_items(
        &self,
        index: u64,
        (line, customer): (&Line, Option<Customer>),
        events: Vec<Item<Event>>,
        id: &mut String,
        done: &mut Done,
    ) -> Result<(), CoreError> {
        let customer = self.value(customer, line, customer_from_line)?;
        id.clone_from(&customer.id);
        match self.own_events(index, events, done)? {
            Some(own) => self.plan_customer(&customer, own, &mut done.out),
            None => Ok(()),
        }
    }

    fn plan_customer(
        &self,
        customer: &Customer,
        own: Vec<Event>,
        out: &mut Vec<u8>,
    ) -> Result<(), CoreError> {
        let job = self.job;
        let mut history = Vec::with_capacity(self.shared.len() + own.len());
        history.extend_from_slice(self.shared);
        history.extend(own);
        arbitration::plan_records(
            job.policy,
            job.calendars,
            customer,
            history,
            job.now,
            out,
            job.form,
            job.trace,
        )
    }

    /// The customer's events, each id once; an id on two different events is an issue
    /// at the later one. None when that issue stops the run.
    fn own_events(
        &self,
        index: u64,
        items: Vec<Item<Event>>,
        done: &mut Done,
    ) -> Result<Option<Vec<Event>>, CoreError> {
        let mut kept: Vec<(Line, Event)> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut stop = false;
        for item in items {
            let event = self.value(item.value, &item.line, event_from_line)?;
            if let Some(id) = &event.id {
                if let Some(&first) = seen.get(id) {
                    if !same_event(&kept[first].1, &event) {
                        let other = kept[first].0.clone();
                        stop |= self.issue(index, 1, item.line, IssueKind::Reused { other }, done);
                    }
                    continue;
                }
                seen.insert(id.clone(), kept.len());
            }
            kept.push((item.line, event));
        }
        Ok((!stop).then(|| kept.into_iter().map(|(_, event)| event).collect()))
    }

    /// A value read already, or read now from its line (which read before, when the
    /// lines were sorted: a failure here is the core's).
    fn value<T>(
        &self,
        value: Option<T>,
        line: &Line,
        read: impl Fn(&[u8], &crate::time::Calendars) -> Result<T, LineError>,
    ) -> Result<T, CoreError> {
        match value {
            Some(value) => Ok(value),
            None => read(line.text.as_bytes(), self.job.reading).map_err(|why| {
                CoreError::new(
                    ErrorKind::Engine,
                    format!("the Rust core read this line differently the second time ({why}); this is a bug, please report it"),
                )
            }),
        }
    }

    fn failed(&self, index: u64, line: Line, customer: &str, error: CoreError, done: &mut Done) {
        let kind = IssueKind::Failed {
            customer: customer.to_owned(),
            error,
        };
        self.issue(index, 2, line, kind, done);
    }

    /// Log a planner's issue; true when it stops the run (no later group is wanted).
    fn issue(&self, index: u64, phase: u8, line: Line, kind: IssueKind, done: &mut Done) -> bool {
        let order = Order {
            stage: self.stage,
            group: index,
            phase,
            seq: done.issues.len() as u64,
        };
        let issue = Issue {
            early: false,
            line,
            kind,
        };
        done.issues.push(Logged { order, issue });
        let stops = self.job.on_error == OnError::Fail;
        if stops {
            self.state.limit.fetch_min(index + 1, Ordering::Relaxed);
        }
        stops
    }
}
