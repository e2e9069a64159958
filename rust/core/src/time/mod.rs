//! Time: zones as offset tables, instants and durations, local calendars, and the
//! next-allowed algebra of guards with its least fixpoint.

pub mod calendar;
pub mod instants;
pub mod operators;
pub mod zone;

use crate::error::Result;
use crate::model::Instant;
use std::collections::HashMap;
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
    /// Python's `repr` of a string, for error messages: which characters it escapes
    /// follows the Unicode version of the Python that plans, so the binding asks it.
    fn repr(&self, text: &str) -> String {
        operators::py_repr_str(text)
    }
}

/// The public holidays of one subdivision (or none) in one year, as sorted day numbers.
struct HolidayYear {
    subdivision: Option<String>,
    year: i32,
    days: Box<[i64]>,
}

/// Zones and holiday calendars, each loaded once from the [`Sources`] and shared
/// between threads.
pub struct Calendars {
    sources: Arc<dyn Sources>,
    zones: RwLock<HashMap<String, Arc<Zone>>>,
    /// By country: looked up with a borrowed name, so that a business-day guard asks
    /// without allocating; a country has few subdivisions and years in use.
    holidays: RwLock<HashMap<String, Vec<HolidayYear>>>,
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
        let of =
            |known: &HolidayYear| known.year == year && known.subdivision.as_deref() == subdivision;
        if let Some(years) = self
            .holidays
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(country)
        {
            if let Some(known) = years.iter().find(|known| of(known)) {
                return Ok(known.days.binary_search(&day).is_ok());
            }
        }
        let mut days = self.sources.holidays(country, subdivision, year)?;
        days.sort_unstable();
        let found = days.binary_search(&day).is_ok();
        let mut holidays = self.holidays.write().unwrap_or_else(|e| e.into_inner());
        let years = holidays.entry(country.to_owned()).or_default();
        // Another thread may have loaded the same year meanwhile: keep one.
        if !years.iter().any(of) {
            years.push(HolidayYear {
                subdivision: subdivision.map(str::to_owned),
                year,
                days: days.into_boxed_slice(),
            });
        }
        Ok(found)
    }

    /// An instant in a form the core does not parse itself.
    pub fn instant(&self, text: &str, field: &str) -> Result<Instant> {
        self.sources.instant(text, field)
    }

    /// Python's `repr` of a string, as [`Sources::repr`] gives it.
    pub fn repr(&self, text: &str) -> String {
        self.sources.repr(text)
    }
}
