//! Reading through sorted runs, where Python builds its SQLite index (`build_index`, then
//! `indexed_groups`): files in any order, the same issues in the same order.
//!
//! Python's steps, each a stage of the issues' order: (1) the customers, each line
//! checked, a customer id given twice named with its first line; (2) the events, each
//! checked, the broadcasts kept aside; (3) the broadcasts' ids; (4) the events of no
//! customer, by customer and line; (5) each customer in id order with their events in
//! line order, checked and planned. Python hands the issues of steps 1 to 4 to `reject` at
//! once, those of step 5 with the others at the end.

use super::lines::{Lines, Read};
use super::pool::{self, Feed, Group, Item, Stages};
use super::spill::{Entry, Sorted, Sorter};
use super::{in_order, BatchError, Flow, Issue, IssueKind, Job, Line, Log, OnError, Outcome};
use super::{read_event, unknown_kinds, Place, Progress, Record, Which};
use crate::model::Event;
use crate::reading::customer_from_line;
use crate::triggers::history::same_event;
use std::collections::HashMap;
use std::io::{self, BufWriter};

/// Events without a customer, with their lines, in order.
type Broadcasts = Vec<(Line, Event)>;

/// Lines read between two calls to `progress`, which is how a long reading can be stopped.
const LINES_PER_TICK: u64 = 1 << 14;

/// Plan the files through sorted runs.
pub(crate) fn plan(
    job: &Job,
    place: &Place,
    progress: &mut Progress,
) -> Result<Outcome, BatchError> {
    // Nothing of the side-by-side reading is kept.
    job.open_output()?;
    let mut log = Log::new(job.on_error);
    let Some(customers) = read_customers(job, place, &mut log, progress)? else {
        return Ok(aborted());
    };
    // With `fail`, the customer given twice on the earliest line must be known before any
    // later step's issue; with `skip`, they are found while merging, in one pass less.
    let fail = job.on_error == OnError::Fail;
    if fail || log.stopped() {
        twice(&customers, &mut log)?;
    }
    if log.stopped() {
        return Ok(finished(job, log, customers, None));
    }
    let Some((events, broadcasts)) = read_events(job, place, &mut log, progress)? else {
        return Ok(aborted());
    };
    if log.stopped() {
        if !fail {
            twice(&customers, &mut log)?;
        }
        return Ok(finished(job, log, customers, Some(events)));
    }
    let shared = shared(broadcasts, &mut log);
    if log.stopped() {
        return Ok(finished(job, log, customers, Some(events)));
    }
    let mut out = BufWriter::new(job.open_output()?);
    let stages = Stages {
        reading: 4,
        planning: 5,
    };
    let pooled = pool::run(job, &shared, stages, &mut out, progress, |feed| {
        feed.log = log;
        merge(&customers, &events, feed, !fail)
    })?;
    pooled.read?;
    customers.remove();
    events.remove();
    Ok(Outcome {
        planned: pooled.planned,
        indexed: true,
        issues: in_order(pooled.issues, job.on_error),
        fallback: None,
        aborted: pooled.aborted,
        unknown_kinds: unknown_kinds(pooled.unknown_kinds),
    })
}

fn aborted() -> Outcome {
    Outcome {
        indexed: true,
        aborted: true,
        ..Outcome::default()
    }
}

fn finished(job: &Job, log: Log, customers: Sorted, events: Option<Sorted>) -> Outcome {
    customers.remove();
    if let Some(events) = events {
        events.remove();
    }
    Outcome {
        indexed: true,
        issues: in_order(log.entries, job.on_error),
        ..Outcome::default()
    }
}

fn early(line: Line, kind: IssueKind) -> Issue {
    Issue {
        early: true,
        line,
        kind,
    }
}

/// Calls `progress` every so many lines; false when it asks to stop.
struct Ticker<'a, 'p> {
    progress: &'a mut Progress<'p>,
    lines: u64,
}

impl Ticker<'_, '_> {
    fn tick(&mut self) -> bool {
        self.lines += 1;
        self.lines % LINES_PER_TICK != 0 || (self.progress)(0)
    }
}

/// Step 1: the customers, checked and sorted by id; None when the run was stopped.
fn read_customers(
    job: &Job,
    place: &Place,
    log: &mut Log,
    progress: &mut Progress,
) -> Result<Option<Sorted>, BatchError> {
    let file = Which::Customers;
    let mut lines = Lines::open(job.customers, place.of(file))?;
    let mut sorter = Sorter::new(job.workdir, "customers", job.budget);
    let mut ticker = Ticker { progress, lines: 0 };
    while let Some(read) = lines.next_line()? {
        let flow = match read {
            Read::NotUtf8(number, offset) => {
                let line = Line {
                    file,
                    number,
                    text: String::new(),
                };
                log.add(1, number, early(line, IssueKind::NotUtf8 { offset }))
            }
            Read::Text(number, text) => match customer_from_line(text.as_bytes(), job.reading) {
                Ok(customer) => {
                    sorter.push(&customer.id, number, text)?;
                    Flow::Go
                }
                Err(why) => {
                    let line = Line {
                        file,
                        number,
                        text: text.to_owned(),
                    };
                    let kind = IssueKind::Refused {
                        record: Record::Customer,
                        why,
                    };
                    log.add(1, number, early(line, kind))
                }
            },
        };
        if flow == Flow::Stop {
            break;
        }
        if !ticker.tick() {
            return Ok(None);
        }
    }
    // Kept in memory only when small: the events' runs need the budget next.
    Ok(Some(sorter.finish(job.budget / 4)?))
}

/// A customer id given again, on each line after the first (step 1, by line).
fn twice(customers: &Sorted, log: &mut Log) -> io::Result<()> {
    let mut merge = customers.merge()?;
    let mut first: Option<Entry> = None;
    while let Some(entry) = merge.next_entry()? {
        match &first {
            Some(earlier) if earlier.key == entry.key => {
                let issue = twice_issue(entry, earlier.line);
                log.add(1, issue.line.number, issue);
            }
            _ => first = Some(entry),
        }
    }
    Ok(())
}

fn twice_issue(entry: Entry, first: u64) -> Issue {
    let line = Line {
        file: Which::Customers,
        number: entry.line,
        text: entry.text,
    };
    early(line, IssueKind::Twice { first: Some(first) })
}

/// Step 2: the events, checked; customers' events sorted by customer, broadcasts kept
/// in order. None when the run was stopped.
fn read_events(
    job: &Job,
    place: &Place,
    log: &mut Log,
    progress: &mut Progress,
) -> Result<Option<(Sorted, Broadcasts)>, BatchError> {
    let file = Which::Events;
    let mut lines = Lines::open(job.events, place.of(file))?;
    let mut sorter = Sorter::new(job.workdir, "events", job.budget);
    let mut broadcasts = Vec::new();
    let mut ticker = Ticker { progress, lines: 0 };
    while let Some(read) = lines.next_line()? {
        let (number, text) = match read {
            Read::NotUtf8(number, offset) => {
                let line = Line {
                    file,
                    number,
                    text: String::new(),
                };
                log.add(2, number, early(line, IssueKind::NotUtf8 { offset }));
                break;
            }
            Read::Text(number, text) => (number, text),
        };
        let flow = match read_event(job, number, text, log) {
            Ok(event) => match &event.customer {
                Some(owner) => {
                    sorter.push(owner, number, text)?;
                    Flow::Go
                }
                None => {
                    let line = Line {
                        file,
                        number,
                        text: text.to_owned(),
                    };
                    broadcasts.push((line, event));
                    Flow::Go
                }
            },
            Err(why) => {
                let line = Line {
                    file,
                    number,
                    text: text.to_owned(),
                };
                let kind = IssueKind::Refused {
                    record: Record::Event,
                    why,
                };
                log.add(2, number, early(line, kind))
            }
        };
        if flow == Flow::Stop {
            break;
        }
        if !ticker.tick() {
            return Ok(None);
        }
    }
    Ok(Some((sorter.finish(0)?, broadcasts)))
}

/// Step 3: the broadcasts, each id once; an id on two different ones is an issue.
fn shared(broadcasts: Vec<(Line, Event)>, log: &mut Log) -> Vec<Event> {
    let mut kept: Vec<(Line, Event)> = Vec::with_capacity(broadcasts.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, event) in broadcasts {
        if let Some(id) = &event.id {
            if let Some(&first) = seen.get(id) {
                if !same_event(&kept[first].1, &event) {
                    let other = kept[first].0.clone();
                    let number = line.number;
                    if log.add(3, number, early(line, IssueKind::Reused { other })) == Flow::Stop {
                        break;
                    }
                }
                continue;
            }
            seen.insert(id.clone(), kept.len());
        }
        kept.push((line, event));
    }
    kept.into_iter().map(|(_, event)| event).collect()
}

/// Steps 4 and 5: customers and events merged by customer id; events of no customer
/// logged on the way, each customer handed out with their events.
fn merge(customers: &Sorted, events: &Sorted, feed: &mut Feed, note_twice: bool) -> io::Result<()> {
    let mut people = customers.merge()?;
    let mut pending = events.merge()?;
    let mut event = pending.next_entry()?;
    let mut first: Option<(String, u64)> = None;
    while let Some(person) = people.next_entry()? {
        if feed.aborted() {
            return Ok(());
        }
        if let Some((id, line)) = &first {
            if *id == person.key {
                if note_twice {
                    let issue = twice_issue(person, *line);
                    feed.note(1, issue.line.number, issue);
                }
                continue;
            }
        }
        while let Some(stray) = event.take_if(|e| e.key < person.key) {
            if unknown(feed, stray) == Flow::Stop {
                return Ok(());
            }
            event = pending.next_entry()?;
        }
        let mut own = Vec::new();
        while let Some(mine) = event.take_if(|e| e.key == person.key) {
            own.push(Item {
                line: event_line(mine),
                value: None,
            });
            event = pending.next_entry()?;
        }
        first = Some((person.key, person.line));
        let line = Line {
            file: Which::Customers,
            number: person.line,
            text: person.text,
        };
        feed.push(Group {
            customer: Item { line, value: None },
            events: own,
        });
    }
    while let Some(stray) = event.take() {
        if unknown(feed, stray) == Flow::Stop {
            return Ok(());
        }
        event = pending.next_entry()?;
    }
    Ok(())
}

fn event_line(entry: Entry) -> Line {
    Line {
        file: Which::Events,
        number: entry.line,
        text: entry.text,
    }
}

/// Step 4: an event of no customer. With `fail` it is the first issue of all (steps 1
/// to 3 had none), so nothing is planned any more.
fn unknown(feed: &mut Feed, entry: Entry) -> Flow {
    let flow = feed.issue(true, event_line(entry), IssueKind::Unknown);
    if flow == Flow::Stop {
        feed.cut();
    }
    flow
}
