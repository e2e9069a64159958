//! The next-allowed algebra and its least fixpoint: `outreach_rules/timeline/operators.py`
//! and `LocalTime` of `outreach_rules/timeline/calendar.py`.
//! STUB: signatures only; the time helper fills the bodies.

use super::calendar::WallRule;
use super::{Calendars, Zone};
use crate::error::Result;
use crate::model::Instant;
use std::sync::Arc;

/// No allowed instant: for good, or until the event named by `waiting_for` happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub reason: String,
    pub waiting_for: Option<String>,
}

/// What a guard operator does.
#[derive(Debug, Clone)]
pub enum Operator {
    /// Allows nothing.
    Never { waiting_for: Option<String> },
    /// Allows every instant from this one on.
    NotBefore(Instant),
    /// Allows every instant outside the half-open spans; an open span (no end) blocks
    /// from its start until `waiting_for` happens.
    Intervals {
        spans: Vec<(Instant, Option<Instant>)>,
        waiting_for: Option<String>,
    },
    /// At most `limit` of `times` (plus the candidate) in any window of `period` seconds.
    Cap {
        limit: i64,
        period: i64,
        times: Vec<Instant>,
    },
    /// A wall rule read in a zone.
    LocalTime { zone: Arc<Zone>, rule: WallRule },
}

/// A guard: the rule it enforces, why, and its operator.
#[derive(Debug, Clone)]
pub struct Guard {
    pub rule: String,
    pub why: String,
    pub op: Operator,
}

/// The answer of one operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    At(Instant),
    Blocked(Blocked),
}

impl Guard {
    /// The least allowed instant at or after `t`, or why there is none.
    pub fn next_allowed(&self, _t: Instant, _calendars: &Calendars) -> Result<Allowed> {
        todo!()
    }
}

/// One step of the fixpoint: `guards[guard]` moved the instant from `start` to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub guard: usize,
    pub start: Instant,
    pub end: Instant,
}

/// Where the fixpoint came to rest; see Python's `Settlement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub at: Option<Instant>,
    pub moves: Vec<Move>,
    /// The index of the guard that allows nothing more, and why.
    pub blocked: Option<(usize, Blocked)>,
    pub expired: bool,
}

/// Apply `guards` in turn from `start` until none moves the instant (Python's `settle`).
pub fn settle(
    _guards: &[&Guard],
    _start: Instant,
    _expires: Option<Instant>,
    _calendars: &Calendars,
) -> Result<Settlement> {
    todo!()
}
