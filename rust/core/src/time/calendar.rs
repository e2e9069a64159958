//! Rules on the local calendar: `outreach_rules/timeline/calendar.py`.
//! STUB: signatures only; the time helper fills the bodies.

use super::Calendars;
use crate::error::Result;
use crate::policy::HourSpan;

/// Which local dates and times are allowed, in wall seconds.
#[derive(Debug, Clone)]
pub enum WallRule {
    /// The union of the spans.
    Hours(Vec<HourSpan>),
    /// The weekdays (bit d for weekday d), less the public holidays of the country and
    /// subdivision when given.
    BusinessDays {
        weekdays: u8,
        country: Option<(String, Option<String>)>,
    },
    /// Month-day from `start` to `end`, both included, every year; `inside` allows only
    /// the window, otherwise the window is blocked.
    AnnualWindow {
        start: (u32, u32),
        end: (u32, u32),
        inside: bool,
    },
}

impl WallRule {
    pub fn allows(&self, _wall: i64, _calendars: &Calendars) -> Result<bool> {
        todo!()
    }

    /// The least allowed local time at or after `wall`, or None if there is none.
    pub fn next_wall(&self, _wall: i64, _calendars: &Calendars) -> Result<Option<i64>> {
        todo!()
    }
}
