//! Time zones as tables of UTC offsets, year by year: `outreach_rules/timeline/zone.py`.
//! STUB: signatures only; the time helper fills the bodies.

use super::{Sources, YearTable};
use crate::error::Result;
use crate::model::Instant;
use std::sync::Arc;

pub const DAY: i64 = 86_400;

/// An IANA zone with its offsets tabulated year by year, on first use.
pub struct Zone {
    name: String,
    #[allow(dead_code)]
    sources: Arc<dyn Sources>,
}

impl Zone {
    /// Load `name`, checking that the source knows it.
    pub fn load(name: &str, sources: Arc<dyn Sources>) -> Result<Zone> {
        let _: YearTable = sources.zone_year(name, 1970)?;
        Ok(Zone { name: name.to_owned(), sources })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC offset in seconds in force at `instant`.
    pub fn offset_at(&self, _instant: Instant) -> Result<i64> {
        todo!()
    }

    /// The local date and time of `instant` as wall seconds.
    pub fn to_wall(&self, instant: Instant) -> Result<i64> {
        Ok(instant + self.offset_at(instant)?)
    }

    /// The offset at `instant` and the first instant after it where that may change.
    pub fn segment(&self, _instant: Instant) -> Result<(i64, Instant)> {
        todo!()
    }

    /// The earliest instant whose local time is `wall` or, in a gap, just after it.
    pub fn from_wall(&self, _wall: i64) -> Result<Instant> {
        todo!()
    }
}

/// The civil date (year, month, day) of wall seconds.
pub fn date_of_wall(_wall: i64) -> (i32, u32, u32) {
    todo!()
}

/// The wall seconds of midnight at the start of a civil date.
pub fn wall_of_date(_year: i32, _month: u32, _day: u32) -> i64 {
    todo!()
}

/// Monday is 0 and Sunday is 6.
pub fn weekday_of_wall(wall: i64) -> u32 {
    (wall.div_euclid(DAY) + 3).rem_euclid(7) as u32
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({:?})", self.name)
    }
}
