//! Stage 1, triggers propose: the customer's history, the conditions triggers test, and
//! the proposals they make (`outreach_rules/rules/` and `outreach_rules/engines/native.py`).

pub mod conditions;
pub mod history;
pub mod propose;
pub mod python;

pub use conditions::{all_hold, first_holds, holds, Context};
pub use history::{ContactMade, History};
pub use propose::{propose, Proposal};

#[cfg(test)]
pub(crate) mod testing {
    //! Fixtures for the tests of stage 1: fixed-offset zones and no holidays.

    use crate::error::{CoreError, Result};
    use crate::model::{Customer, Event, Instant};
    use crate::policy::Policy;
    use crate::time::zone::year_start;
    use crate::time::{Calendars, Sources, YearTable};
    use serde_json::Value;
    use std::sync::Arc;

    /// `UTC` and `Etc/GMT-5` (five hours east of UTC, all year).
    pub struct FixedSources;

    impl Sources for FixedSources {
        fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
            let offset = match zone {
                "UTC" => 0,
                "Etc/GMT-5" => 5 * 3_600,
                _ => return Err(CoreError::time("is not a known time zone").field("timezone")),
            };
            let start = year_start(year).ok_or_else(|| CoreError::time("out of range"))?;
            Ok(YearTable {
                starts: vec![start],
                offsets: vec![offset],
            })
        }

        fn holidays(&self, _: &str, _: Option<&str>, _: i32) -> Result<Vec<i64>> {
            Ok(Vec::new())
        }

        fn instant(&self, text: &str, field: &str) -> Result<Instant> {
            Err(CoreError::time("is not an ISO 8601 instant")
                .field(field)
                .value(text))
        }
    }

    pub fn calendars() -> Calendars {
        Calendars::new(Arc::new(FixedSources))
    }

    pub fn customer(timezone: &str, since: Instant) -> Customer {
        Customer {
            id: "c1".to_owned(),
            timezone: timezone.to_owned(),
            country: "DE".to_owned(),
            since,
            channels: Vec::new(),
            consents: Default::default(),
            attributes: Default::default(),
        }
    }

    /// Events from a JSON array of Python's `Event` fields, `at` as epoch seconds.
    pub fn events(json: Value) -> Vec<Event> {
        serde_json::from_value(json).expect("test events")
    }

    /// A policy with these intents (all of the service category) and triggers.
    pub fn policy(intents: &[&str], triggers: Value) -> Policy {
        let intents: Vec<Value> = intents
            .iter()
            .map(|name| {
                serde_json::json!({
                    "name": name, "category": "service", "channels": ["email"],
                    "priority": 100, "personal": false,
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "name": "test", "intents": intents, "triggers": triggers, "guards": [],
        }))
        .expect("test policy")
    }
}
