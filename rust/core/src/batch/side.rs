//! Reading side by side, Python's `sorted_groups`: both files sorted by customer id
//! (broadcasts first in the events), each read once, in step. A line out of order means
//! they are not sorted, and the run starts again through the sorted runs.

use super::lines::{Lines, Read};
use super::pool::{self, Feed, Group, Item, Stages};
use super::{in_order, BatchError, Flow, IssueKind, Job, Line, Log, OnError, Outcome, Place};
use super::{read_event, unknown_kinds, Issue, Order, Progress, Record, Which};
use crate::model::{Customer, Event};
use crate::reading::customer_from_line;
use crate::triggers::history::same_event;
use std::collections::HashMap;
use std::io::{self, BufWriter};

/// Why reading stopped before the end.
enum Halt {
    /// A line out of order: the files are not sorted.
    NotSorted,
    /// An issue that stops the run, or no group wanted any more.
    Stop,
    Io(io::Error),
}

impl From<io::Error> for Halt {
    fn from(error: io::Error) -> Self {
        Halt::Io(error)
    }
}

type Step<T> = Result<T, Halt>;

/// A line read ahead: its number and text.
type Numbered = (u64, String);

fn check(flow: Flow) -> Step<()> {
    match flow {
        Flow::Go => Ok(()),
        Flow::Stop => Err(Halt::Stop),
    }
}

/// Plan the files read side by side; None when they turn out not to be sorted (and no
/// issue met before says otherwise).
pub(crate) fn plan(
    job: &Job,
    head: Option<u64>,
    place: &Place,
    progress: &mut Progress,
) -> Result<Option<Outcome>, BatchError> {
    let mut events = Lines::open(job.events, place.of(Which::Events))?;
    let mut log = Log::new(job.on_error);
    let (shared, first) = match broadcasts(job, &mut events, head, &mut log) {
        Ok(found) => found,
        Err(Halt::Io(error)) => return Err(error.into()),
        Err(_) => return Ok(Some(stopped(log, job.on_error))),
    };
    let mut customers = Lines::open(job.customers, place.of(Which::Customers))?;
    let mut out = BufWriter::new(job.open_output()?);
    let stages = Stages {
        reading: 0,
        planning: 0,
    };
    let pooled = pool::run(job, &shared, stages, &mut out, progress, |feed| {
        feed.log = log;
        let mut side = Side {
            job,
            feed,
            events,
            first,
            current: None,
            previous: None,
            strays: Vec::new(),
        };
        let halt = side.read(&mut customers);
        if matches!(halt, Err(Halt::NotSorted)) && job.on_error == OnError::Skip {
            // All is read again through the runs: what is planned now is not used.
            side.feed.cut();
        }
        (halt, side.feed.pushed())
    })?;
    let (halt, pushed) = pooled.read;
    match halt {
        Err(Halt::Io(error)) => return Err(error.into()),
        Err(Halt::NotSorted) if !issue_before(&pooled.issues, pushed, job.on_error) => {
            return Ok(None)
        }
        _ => {}
    }
    Ok(Some(Outcome {
        planned: pooled.planned,
        indexed: false,
        issues: in_order(pooled.issues, job.on_error),
        fallback: None,
        aborted: pooled.aborted,
        unknown_kinds: unknown_kinds(pooled.unknown_kinds),
    }))
}

/// Whether, with [`OnError::Fail`], an issue comes before the line out of order found
/// while `pushed` groups were handed out: Python raises it before it finds out.
fn issue_before(issues: &[super::Logged], pushed: u64, on_error: OnError) -> bool {
    let not_sorted = Order {
        stage: 0,
        group: pushed,
        phase: 0,
        seq: u64::MAX,
    };
    on_error == OnError::Fail && issues.iter().any(|entry| entry.order < not_sorted)
}

fn stopped(log: Log, on_error: OnError) -> Outcome {
    Outcome {
        issues: in_order(log.entries, on_error),
        ..Outcome::default()
    }
}

/// The broadcasts at the head of the events file, each id once (Python's `dedupe`), and
/// the first line after them, which names a customer.
fn broadcasts(
    job: &Job,
    events: &mut Lines,
    head: Option<u64>,
    log: &mut Log,
) -> Step<(Vec<Event>, Option<Numbered>)> {
    let mut kept: Vec<(Line, Event)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    while let Some(read) = events.next_line()? {
        let (number, text) = match read {
            Read::NotUtf8(number, offset) => {
                let line = no_text(Which::Events, number);
                check(log.add(0, 0, issue(line, IssueKind::NotUtf8 { offset })))?;
                continue;
            }
            Read::Text(number, text) if head == Some(number) => {
                let shared = kept.into_iter().map(|(_, event)| event).collect();
                return Ok((shared, Some((number, text.to_owned()))));
            }
            Read::Text(number, text) => (number, text),
        };
        let line = Line {
            file: Which::Events,
            number,
            text: text.to_owned(),
        };
        let event = match read_event(job, number, text, log) {
            Ok(event) => event,
            Err(why) => {
                let kind = IssueKind::Refused {
                    record: Record::Event,
                    why,
                };
                check(log.add(0, 0, issue(line, kind)))?;
                continue;
            }
        };
        if let Some(id) = &event.id {
            if let Some(&first) = seen.get(id) {
                if !same_event(&kept[first].1, &event) {
                    let other = kept[first].0.clone();
                    check(log.add(0, 0, issue(line, IssueKind::Reused { other })))?;
                }
                continue;
            }
            seen.insert(id.clone(), kept.len());
        }
        kept.push((line, event));
    }
    Ok((kept.into_iter().map(|(_, event)| event).collect(), None))
}

fn issue(line: Line, kind: IssueKind) -> Issue {
    Issue {
        early: false,
        line,
        kind,
    }
}

/// A line that is not text: Python's reader raises before it has any.
fn no_text(file: Which, number: u64) -> Line {
    Line {
        file,
        number,
        text: String::new(),
    }
}

/// Where the customer's events go.
enum Owner {
    Own,
    Stray,
}

/// The state of `sorted_groups` between two lines.
struct Side<'f, 's, 'p> {
    job: &'f Job<'f>,
    feed: &'f mut Feed<'s>,
    events: Lines<'p>,
    /// The first line after the broadcasts, read already.
    first: Option<Numbered>,
    /// The next event, read ahead.
    current: Option<(Line, Event)>,
    previous: Option<String>,
    /// Events of no customer read so far: only known to be so once the files proved sorted.
    strays: Vec<Line>,
}

impl Side<'_, '_, '_> {
    fn read(&mut self, customers: &mut Lines) -> Step<()> {
        self.current = self.next_event()?;
        while let Some(read) = customers.next_line()? {
            let (number, text) = match read {
                Read::NotUtf8(number, offset) => {
                    let line = no_text(Which::Customers, number);
                    check(self.feed.issue(false, line, IssueKind::NotUtf8 { offset }))?;
                    continue;
                }
                Read::Text(number, text) => (number, text.to_owned()),
            };
            let line = Line {
                file: Which::Customers,
                number,
                text,
            };
            match customer_from_line(line.text.as_bytes(), self.job.reading) {
                Ok(customer) => self.customer(line, customer)?,
                Err(why) => {
                    let kind = IssueKind::Refused {
                        record: Record::Customer,
                        why,
                    };
                    check(self.feed.issue(false, line, kind))?;
                }
            }
        }
        self.rest()
    }

    /// One customer: their events gathered, then handed out as a group.
    fn customer(&mut self, line: Line, customer: Customer) -> Step<()> {
        if let Some(previous) = &self.previous {
            if customer.id < *previous {
                return Err(Halt::NotSorted);
            }
            if customer.id == *previous {
                let kind = IssueKind::Twice { first: None };
                return check(self.feed.issue(false, line, kind));
            }
        }
        let mut own = Vec::new();
        while let Some(owner) = self.owner_up_to(&customer.id)? {
            let Some((event_line, event)) = self.current.take() else {
                break;
            };
            match owner {
                Owner::Own => own.push(Item {
                    line: event_line,
                    value: Some(event),
                }),
                Owner::Stray => self.strays.push(event_line),
            }
            self.current = self.next_event()?;
        }
        self.previous = Some(customer.id.clone());
        let customer = Item {
            line,
            value: Some(customer),
        };
        let group = Group {
            customer,
            events: own,
        };
        if self.feed.push(group) {
            Ok(())
        } else {
            Err(Halt::Stop)
        }
    }

    /// Where the next event goes, if its customer is `id` or comes before.
    fn owner_up_to(&self, id: &str) -> Step<Option<Owner>> {
        let Some((_, event)) = &self.current else {
            return Ok(None);
        };
        // A broadcast among customers' events: not sorted as reading side by side needs.
        let owner = event.customer.as_deref().ok_or(Halt::NotSorted)?;
        if owner > id {
            return Ok(None);
        }
        if owner == id {
            return Ok(Some(Owner::Own));
        }
        if self
            .previous
            .as_deref()
            .is_some_and(|previous| owner <= previous)
        {
            return Err(Halt::NotSorted);
        }
        Ok(Some(Owner::Stray))
    }

    /// The events after the last customer, then every event of no customer.
    fn rest(&mut self) -> Step<()> {
        while let Some((line, event)) = self.current.take() {
            let owner = event.customer.as_deref().ok_or(Halt::NotSorted)?;
            if self
                .previous
                .as_deref()
                .is_some_and(|previous| owner <= previous)
            {
                return Err(Halt::NotSorted);
            }
            self.strays.push(line);
            self.current = self.next_event()?;
        }
        for line in std::mem::take(&mut self.strays) {
            check(self.feed.issue(false, line, IssueKind::Unknown))?;
        }
        Ok(())
    }

    /// The next event that reads, the bad lines before it logged.
    fn next_event(&mut self) -> Step<Option<(Line, Event)>> {
        loop {
            let (number, text) = match self.first.take() {
                Some(first) => first,
                None => match self.events.next_line()? {
                    None => return Ok(None),
                    Some(Read::NotUtf8(number, offset)) => {
                        let line = no_text(Which::Events, number);
                        check(self.feed.issue(false, line, IssueKind::NotUtf8 { offset }))?;
                        continue;
                    }
                    Some(Read::Text(number, text)) => (number, text.to_owned()),
                },
            };
            let line = Line {
                file: Which::Events,
                number,
                text,
            };
            match read_event(self.job, number, &line.text, &mut self.feed.log) {
                Ok(event) => return Ok(Some((line, event))),
                Err(why) => {
                    let kind = IssueKind::Refused {
                        record: Record::Event,
                        why,
                    };
                    check(self.feed.issue(false, line, kind))?;
                }
            }
        }
    }
}
