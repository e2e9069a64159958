//! Instants and durations: `outreach_rules/timeline/instants.py` and the instant
//! formatting of `outreach_rules/explain.py`.
//! STUB: signatures only; the time helper fills the bodies.

use super::Zone;
use crate::error::Result;
use crate::model::{Duration, Instant};

impl Duration {
    /// `instant` moved by this duration `times` over, calendar parts counted in `zone`.
    pub fn add_to(&self, _instant: Instant, _zone: &Zone, _times: i64) -> Result<Instant> {
        todo!()
    }

    pub fn is_zero(&self) -> bool {
        self.months == 0 && self.days == 0 && self.seconds == 0
    }
}

/// ISO 8601 in UTC as Python writes it: `2026-12-27T09:00:00+00:00`.
pub fn iso_utc(_seconds: Instant) -> String {
    todo!()
}

/// ISO 8601 with the zone's offset then: `2026-12-27T04:00:00-05:00`.
pub fn iso_local(_seconds: Instant, _zone: &Zone) -> Result<String> {
    todo!()
}

/// As the customer's wall clock shows it: `Sun 27 Dec 2026 09:00`.
pub fn format_local(_seconds: Instant, _zone: &Zone) -> Result<String> {
    todo!()
}

/// The usual forms of an ISO 8601 instant with an offset; None for anything else (the
/// caller then asks [`super::Calendars::instant`]).
pub fn parse_instant(_text: &str) -> Option<Instant> {
    todo!()
}
