//! The vocabulary: customers, events, channels, categories, and what a decision says.
//!
//! Instants are `i64` seconds since the epoch (UTC), as in the Python planner.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Seconds since the epoch, UTC.
pub type Instant = i64;

/// A way to reach a customer; ordered as Python's `Channel` enum declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Phone,
    Push,
    Post,
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Email,
        Channel::Sms,
        Channel::Phone,
        Channel::Push,
        Channel::Post,
        Channel::InApp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Push => "push",
            Channel::Post => "post",
            Channel::InApp => "in_app",
        }
    }

    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// What kind of message an intent is; it decides consent and contact pressure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Transactional,
    Service,
    Relationship,
    Marketing,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Transactional,
        Category::Service,
        Category::Relationship,
        Category::Marketing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Transactional => "transactional",
            Category::Service => "service",
            Category::Relationship => "relationship",
            Category::Marketing => "marketing",
        }
    }

    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Where a decision stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Scheduled,
    Waiting,
    Suppressed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Waiting => "waiting",
            Status::Suppressed => "suppressed",
        }
    }
}

/// What one rule did to a decision, in its trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Proposed,
    Waiting,
    Deferred,
    Allowed,
    Blocked,
    Expired,
    SkippedChannel,
    ChoseChannel,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Proposed => "proposed",
            Effect::Waiting => "waiting",
            Effect::Deferred => "deferred",
            Effect::Allowed => "allowed",
            Effect::Blocked => "blocked",
            Effect::Expired => "expired",
            Effect::SkippedChannel => "skipped_channel",
            Effect::ChoseChannel => "chose_channel",
        }
    }
}

/// A length of time: calendar months, calendar days (in the customer's zone) and exact
/// seconds; `text` is how Python's `str(Duration)` writes it ("3 days", "-1 year").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    pub months: i64,
    pub days: i64,
    pub seconds: i64,
    #[serde(default)]
    pub text: String,
}

/// A customer as the planner sees them (Python's `Customer`), already checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub timezone: String,
    /// ISO 3166-1, with a subdivision where given (`US-FL`).
    pub country: String,
    pub since: Instant,
    /// The channels the customer can be reached on.
    pub channels: Vec<Channel>,
    /// Consent given (true) or refused (false), by category or channel name.
    #[serde(default)]
    pub consents: BTreeMap<String, bool>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

impl Customer {
    /// The country without its subdivision.
    pub fn country_code(&self) -> &str {
        self.country.split('-').next().unwrap_or(&self.country)
    }

    /// The subdivision (`FL` of `US-FL`), if given.
    pub fn subdivision(&self) -> Option<&str> {
        self.country.split_once('-').map(|(_, sub)| sub)
    }

    pub fn reachable(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

/// Something that happened (Python's `Event`); without `customer` it is a broadcast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub kind: String,
    pub at: Instant,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub data: Map<String, Value>,
}

/// One rule consulted for a decision: what it did, from when to when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub rule: String,
    pub effect: Effect,
    pub why: String,
    pub before: Option<Instant>,
    pub after: Option<Instant>,
    /// The reason code and its parameters (`"code"` and `"params"` in JSON).
    #[serde(flatten)]
    pub reason: crate::records::Reason<String>,
}

/// A decision as the planner makes it (Python's `RawDecision`): instants as seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawDecision {
    pub id: String,
    pub intent: String,
    pub category: Category,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub status: Status,
    pub send_at: Option<Instant>,
    pub channel: Option<Channel>,
    pub expires: Option<Instant>,
    pub waiting_for: Option<String>,
    pub steps: Vec<Step>,
}
