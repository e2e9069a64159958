//! The compiled policy: what Python's `outreach_rules._compile` hands the core, once.
//!
//! Python loads, validates and lints a policy; it then writes it in this normalised form
//! (durations as months, days and seconds; weekdays as numbers; instants as epoch
//! seconds; texts that depend on the policy alone already rendered), so that the core
//! reads no policy file syntax and repeats no validation.

use crate::arbitration::described::Descriptions;
use crate::model::{Category, Channel, Duration, Instant};
use crate::records;
use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;

/// A policy compiled for the core.
#[derive(Debug, Clone, Deserialize)]
pub struct Policy {
    pub name: String,
    /// In declared order.
    pub intents: Vec<Intent>,
    /// In declared order: the order breaks ties between triggers.
    pub triggers: Vec<Trigger>,
    /// In declared order: the order of guards in a trace.
    pub guards: Vec<GuardRule>,
    /// What the guard rules say for the customers met so far, made once.
    #[serde(skip)]
    pub(crate) descriptions: Descriptions,
    /// The position of each trigger's intent among the intents, found once.
    #[serde(skip)]
    trigger_intents: OnceLock<Box<[Option<usize>]>>,
    /// Whether `plain_names` holds, found once.
    #[serde(skip)]
    names_plain: OnceLock<bool>,
}

impl Policy {
    pub fn intent(&self, name: &str) -> Option<&Intent> {
        self.intents.iter().find(|intent| intent.name == name)
    }

    /// The intent of the `trigger`th trigger and its position among the intents.
    pub fn trigger_intent(&self, trigger: usize) -> Option<(usize, &Intent)> {
        let positions = self.trigger_intents.get_or_init(|| {
            let position = |t: &Trigger| self.intents.iter().position(|i| i.name == t.intent);
            self.triggers.iter().map(position).collect()
        });
        let position = (*positions.get(trigger)?)?;
        Some((position, &self.intents[position]))
    }

    /// Whether no trigger id, guard rule id or intent name has a character JSON escapes:
    /// then records write them as they are.
    pub(crate) fn plain_names(&self) -> bool {
        *self.names_plain.get_or_init(|| {
            let triggers = self.triggers.iter().map(|t| t.id.as_str());
            let guards = self.guards.iter().map(|g| g.id.as_str());
            let intents = self.intents.iter().map(|i| i.name.as_str());
            triggers.chain(guards).chain(intents).all(records::is_plain)
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Intent {
    pub name: String,
    pub category: Category,
    pub channels: Vec<Channel>,
    pub priority: i64,
    pub personal: bool,
}

/// Python's `Trigger`; see `outreach_rules/rules/triggers.py`.
#[derive(Debug, Clone, Deserialize)]
pub struct Trigger {
    pub id: String,
    pub intent: String,
    /// An event kind, or `"customer"` for the customer's own start.
    pub on: String,
    pub when: Vec<Condition>,
    pub requires: Option<String>,
    pub unless: Vec<String>,
    pub correlate: bool,
    pub delay: Duration,
    pub expires: Option<Duration>,
    /// `data.<path>` in the anchor's data.
    pub measured_from: Option<String>,
    pub first_only: bool,
    pub every: Option<Duration>,
    /// The head of the proposal's trace line: the description, or `trigger <id>`.
    pub head: String,
    /// What `_timing_text(trigger)` gives: "; from 3 days later; lapses 60 days after".
    pub timing: String,
}

/// Python's conditions (`outreach_rules/rules/conditions.py`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// `field` is one of `ref`, `kind`, `customer.id`, `customer.country`,
    /// `customer.country_code`, `customer.timezone`, `data.<path>` or
    /// `customer.attributes.<path>`; `op` one of eq, ne, lt, le, gt, ge, in, not_in,
    /// exists, missing. `value` is plain JSON data (lists for Python's tuples).
    Match {
        field: String,
        op: String,
        value: Value,
    },
    Tenure {
        at_least: Option<Duration>,
        at_most: Option<Duration>,
    },
    Count {
        kind: String,
        at_least: Option<i64>,
        at_most: Option<i64>,
    },
    Sent {
        intent: String,
    },
    /// Month and day, both included; the window may cross New Year. `of` says whose
    /// local date is tested: the anchor's or the proposal's basis's.
    InWindow {
        start: (u32, u32),
        end: (u32, u32),
        #[serde(default)]
        of: Of,
    },
    AnyOf {
        conditions: Vec<Condition>,
    },
}

/// Whose instant an `in_window` condition tests (Python's `InWindow.of`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Of {
    /// The anchor the proposal grew from (the order placed).
    #[default]
    Anchor,
    /// The proposal's basis, that its times are measured from (the order delivered):
    /// known in a guard's context only, once the proposal no longer waits for it.
    Basis,
}

/// Python's `GuardRule`: a spec and the proposals it applies to.
#[derive(Debug, Clone, Deserialize)]
pub struct GuardRule {
    pub id: String,
    /// Empty means all.
    pub intents: Vec<String>,
    pub categories: Vec<Category>,
    pub channels: Vec<Channel>,
    pub when: Vec<Condition>,
    pub spec: GuardSpec,
    /// What `GuardRule.scope_text()` gives.
    pub scope_text: String,
    /// What `GuardRule.per_channel` gives.
    pub per_channel: bool,
    /// What `spec.describe()` gives where it does not depend on the customer, intent or
    /// channel (annual blackouts, after-event, not-on-day-of, not-within-after,
    /// while-open); None where the core renders it.
    pub text: Option<String>,
}

impl GuardRule {
    /// Whether the rule's scope takes in this intent, category and channel.
    pub fn covers(
        &self,
        intent: &str,
        category: Option<Category>,
        channel: Option<Channel>,
    ) -> bool {
        if !self.intents.is_empty() && !self.intents.iter().any(|name| name == intent) {
            return false;
        }
        if !self.categories.is_empty() && !category.is_some_and(|c| self.categories.contains(&c)) {
            return false;
        }
        self.channels.is_empty() || channel.is_none_or(|c| self.channels.contains(&c))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HourSpan {
    /// Weekdays, 0 (Monday) to 6 (Sunday).
    pub days: Vec<u8>,
    /// Seconds after local midnight, `start < end <= 86400`.
    pub start: i64,
    pub end: i64,
}

/// Which contacts a frequency cap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    All,
    Intent,
    Category,
    Channel,
}

/// Python's guard specs (`outreach_rules/rules/guards.py`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuardSpec {
    /// `hours_text`: "09:00-20:00 every day; 10:00-14:00 Sat, Sun".
    AllowedHours {
        spans: Vec<HourSpan>,
        hours_text: String,
    },
    /// `days_text`: "Mon-Fri".
    BusinessDays {
        weekdays: Vec<u8>,
        holidays: bool,
        days_text: String,
    },
    AnnualBlackout {
        start: (u32, u32),
        end: (u32, u32),
    },
    Blackout {
        start: Instant,
        end: Instant,
    },
    AfterEvent {
        kind: String,
        delay: Duration,
        correlate: bool,
    },
    NotOnDayOf {
        kind: String,
        correlate: bool,
    },
    NotWithinAfter {
        kind: String,
        period: Duration,
        correlate: bool,
    },
    /// `period` is exact seconds; `period_text` as Python writes the duration.
    FrequencyCap {
        limit: i64,
        period: i64,
        period_text: String,
        per: Per,
    },
    WhileOpen {
        opened: String,
        closed: String,
        correlate: bool,
    },
    RequiresConsent,
}
