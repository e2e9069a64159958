//! Time: zones as offset tables, instants and durations, local calendars, and the
//! next-allowed algebra of guards with its least fixpoint.

pub mod calendar;
pub mod instants;
pub mod operators;
pub mod zone;

use crate::error::Result;
use crate::model::Instant;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

pub use zone::{Zone, DAY};

/// A zone's UTC offsets over one year, as Python's `Zone._probe(year)` finds them:
/// `starts[0]` is the year's first second (UTC); `offsets[i]` holds from `starts[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearTable {
    pub starts: Vec<Instant>,
    pub offsets: Vec<i64>,
}

/// Where calendars come from: zones, public holidays, and instants the core's own
/// parser does not take. The Python binding answers from `zoneinfo`, `holidays` and
/// `datetime.fromisoformat`, so that both planning cores read the same data.
pub trait Sources: Send + Sync {
    /// The offsets of `zone` in `year`; an unknown zone is a `TimeError` on `timezone`.
    fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable>;
    /// Public holidays of a country (and subdivision) in `year`, as day numbers
    /// (local midnight's wall seconds divided by 86,400).
    fn holidays(&self, country: &str, subdivision: Option<&str>, year: i32) -> Result<Vec<i64>>;
    /// An instant written in a form the core's fast parser does not take.
    fn instant(&self, text: &str, field: &str) -> Result<Instant>;
}

type HolidayKey = (String, Option<String>, i32);

/// Zones and holiday calendars, each loaded once from the [`Sources`] and shared
/// between threads.
pub struct Calendars {
    sources: Arc<dyn Sources>,
    zones: RwLock<HashMap<String, Arc<Zone>>>,
    holidays: RwLock<HashMap<HolidayKey, Arc<HashSet<i64>>>>,
}

impl Calendars {
    pub fn new(sources: Arc<dyn Sources>) -> Self {
        Calendars {
            sources,
            zones: RwLock::new(HashMap::new()),
            holidays: RwLock::new(HashMap::new()),
        }
    }

    pub fn sources(&self) -> &Arc<dyn Sources> {
        &self.sources
    }

    /// The shared zone called `name`; an unknown name is the source's error.
    pub fn zone(&self, name: &str) -> Result<Arc<Zone>> {
        if let Some(found) = self
            .zones
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Ok(found.clone());
        }
        let zone = Arc::new(Zone::load(name, self.sources.clone())?);
        let mut zones = self.zones.write().unwrap_or_else(|e| e.into_inner());
        Ok(zones.entry(name.to_owned()).or_insert(zone).clone())
    }

    /// Whether day number `day` (of `year`) is a public holiday of the country.
    pub fn is_holiday(
        &self,
        country: &str,
        subdivision: Option<&str>,
        year: i32,
        day: i64,
    ) -> Result<bool> {
        let key = (country.to_owned(), subdivision.map(str::to_owned), year);
        if let Some(days) = self
            .holidays
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(days.contains(&day));
        }
        let days: Arc<HashSet<i64>> = Arc::new(
            self.sources
                .holidays(country, subdivision, year)?
                .into_iter()
                .collect(),
        );
        let found = days.contains(&day);
        self.holidays
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, days);
        Ok(found)
    }

    /// An instant in a form the core does not parse itself.
    pub fn instant(&self, text: &str, field: &str) -> Result<Instant> {
        self.sources.instant(text, field)
    }
}
