//! Stage 2's guard rules: the policy's guard specs, and the consent, reachability and
//! outage guards every plan keeps.

pub mod channels;
pub mod specs;

pub use specs::Placing;

#[cfg(test)]
pub(crate) mod testing {
    //! Fixtures for the guards' tests: UTC only, no public holidays.

    use crate::error::{CoreError, Result};
    use crate::model::{Customer, Event, Instant};
    use crate::policy::Policy;
    use crate::time::zone::year_start;
    use crate::time::{Calendars, Sources, YearTable};
    use crate::triggers::propose::Proposal;
    use serde_json::{json, Value};
    use std::borrow::Cow;
    use std::sync::Arc;

    struct UtcSources;

    impl Sources for UtcSources {
        fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
            if zone != "UTC" {
                return Err(CoreError::time("is not a known time zone").field("timezone"));
            }
            let start = year_start(year).ok_or_else(|| CoreError::time("out of range"))?;
            Ok(YearTable {
                starts: vec![start],
                offsets: vec![0],
            })
        }

        fn holidays(&self, _: &str, _: Option<&str>, _: i32) -> Result<Vec<i64>> {
            Ok(Vec::new())
        }

        fn instant(&self, text: &str, field: &str) -> Result<Instant> {
            Err(CoreError::time("is not an instant")
                .field(field)
                .value(text))
        }
    }

    pub fn calendars() -> Calendars {
        Calendars::new(Arc::new(UtcSources))
    }

    /// A customer in UTC, reachable by email, with these consents and country.
    pub fn customer(country: &str, consents: Value) -> Customer {
        serde_json::from_value(json!({
            "id": "c1", "timezone": "UTC", "country": country, "since": 0,
            "channels": ["email"], "consents": consents,
        }))
        .expect("test customer")
    }

    pub fn events(json: Value) -> Vec<Event> {
        serde_json::from_value(json).expect("test events")
    }

    /// One marketing intent, `promo`, on email and sms, and these guard rules.
    pub fn policy(guards: Value) -> Policy {
        serde_json::from_value(json!({
            "name": "test",
            "intents": [{"name": "promo", "category": "marketing", "channels": ["email", "sms"],
                         "priority": 1, "personal": false}],
            "triggers": [],
            "guards": guards,
        }))
        .expect("test policy")
    }

    /// A proposal of `promo` about `reference`, anchored at `at`.
    pub fn proposal(reference: Option<&str>, at: Instant) -> Proposal<'_> {
        Proposal {
            trigger: 0,
            intent: "promo",
            reference: reference.map(Cow::Borrowed),
            anchor: None,
            anchor_at: at,
            basis: Cow::Borrowed("customer"),
            basis_at: Some(at),
            earliest: Some(at),
            expires: None,
            waiting_for: None,
        }
    }
}
