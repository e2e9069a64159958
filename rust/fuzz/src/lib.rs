//! What the fuzz targets share: a small, deterministic [`Sources`] and the structured
//! input of the `plan` target, so that tests in `tests/` can replay what a target ran.

use arbitrary::Arbitrary;
use outreach_core::error::{CoreError, ErrorKind, Result};
use outreach_core::model::{Customer, Event, Instant};
use outreach_core::policy::Policy;
use outreach_core::time::zone::{wall_of_date, year_start, DAY};
use outreach_core::time::{Calendars, Sources, YearTable};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The compiled built-in playbook. To regenerate it, from the repository root:
///
/// ```sh
/// .venv/bin/python -c "from outreach_rules import Policy; from outreach_rules._compile import compile_policy; open('rust/fuzz/playbook.json','wb').write(compile_policy(Policy.default()))"
/// ```
pub const PLAYBOOK: &[u8] = include_bytes!("../playbook.json");

/// The playbook, read once.
pub fn playbook() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| serde_json::from_slice(PLAYBOOK).expect("playbook.json is a policy"))
}

/// A source with three zones and a few holidays; it parses no instant itself.
///
/// - `UTC`;
/// - `Asia/Kolkata`, fixed at +05:30;
/// - `Test/Dst`, -05:00 with -04:00 from day 70 (07:00 UTC) to day 305 (06:00 UTC)
///   of each year: a synthetic zone with gaps and folds.
///
/// Any other zone is a `TimeError`, as is a year outside the zone tables. GB and FR
/// keep 1 January and 25 December; country `XX` is an error of the source; the
/// others have none.
pub struct TestSources;

pub const ZONES: [&str; 3] = ["UTC", "Asia/Kolkata", "Test/Dst"];

impl Sources for TestSources {
    fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
        let start = year_start(year).ok_or_else(|| CoreError::time("is out of range"))?;
        let (starts, offsets) = match zone {
            "UTC" => (vec![start], vec![0]),
            "Asia/Kolkata" => (vec![start], vec![19_800]),
            "Test/Dst" => (
                vec![
                    start,
                    start + 70 * DAY + 7 * 3_600,
                    start + 305 * DAY + 6 * 3_600,
                ],
                vec![-18_000, -14_400, -18_000],
            ),
            _ => {
                let error = CoreError::time("is not a known time zone");
                return Err(error.field("timezone").value(zone));
            }
        };
        Ok(YearTable { starts, offsets })
    }

    fn holidays(&self, country: &str, _: Option<&str>, year: i32) -> Result<Vec<i64>> {
        match country {
            "GB" | "FR" => Ok(vec![
                wall_of_date(year, 1, 1) / DAY,
                wall_of_date(year, 12, 25) / DAY,
            ]),
            "XX" => Err(CoreError::new(ErrorKind::External, "no such country")),
            _ => Ok(Vec::new()),
        }
    }

    fn instant(&self, text: &str, field: &str) -> Result<Instant> {
        Err(CoreError::time("is not an ISO 8601 instant")
            .field(field)
            .value(text))
    }
}

pub fn calendars() -> Calendars {
    Calendars::new(Arc::new(TestSources))
}

// -- the structured input of the `plan` target -------------------------------------------

/// 2000-01-01T00:00:00Z.
pub const FIRST: Instant = 946_684_800;
/// 2100-01-01T00:00:00Z.
pub const LAST: Instant = 4_102_444_800;

/// The event kinds the playbook names, and two it does not.
pub const KINDS: [&str; 19] = [
    "order_placed",
    "order_delivered",
    "review_submitted",
    "concern_raised",
    "concern_answered",
    "complaint_opened",
    "complaint_resolved",
    "incident_caused",
    "incident_resolved",
    "request_declined",
    "milestone_reached",
    "invoice_scheduled",
    "payment_received",
    "info_volunteered",
    "channel_down",
    "channel_restored",
    "contact_sent",
    "page_viewed",
    "customer",
];

const COUNTRIES: [&str; 6] = ["GB", "FR", "US", "US-FL", "DE", "XX"];
const REFS: [&str; 4] = [
    "o1",
    "o2",
    "o3",
    // Over one BLAKE2b block (128 bytes) with the customer id and intent.
    "o-ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééxxxxxxxxxx",
];
const IDS: [&str; 3] = ["e1", "e2", "e3"];
const KEYS: [&str; 8] = [
    "due", "gift", "intent", "channel", "category", "total", "note", "items",
];
const WORDS: [&str; 12] = [
    "review_request",
    "loyalty_reward",
    "outage_notice",
    "nope",
    "email",
    "sms",
    "phone",
    "fax",
    "marketing",
    "service",
    "",
    "high",
];
const CONSENT_NAMES: [&str; 6] = [
    "marketing",
    "relationship",
    "service",
    "email",
    "sms",
    "phone",
];

fn pick<T: Copy>(items: &[T], index: u8) -> T {
    items[usize::from(index) % items.len()]
}

/// An instant in 2000-2100: anywhere, or within some months of the plan's `now`.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum When {
    Anywhere(u32),
    Near { days: i8, seconds: u32 },
}

impl When {
    pub fn at(self, now: Instant) -> Instant {
        let at = match self {
            When::Anywhere(n) => FIRST + i64::from(n) % (LAST - FIRST),
            When::Near { days, seconds } => {
                now + i64::from(days) * DAY + i64::from(seconds % 86_400)
            }
        };
        at.clamp(FIRST, LAST - 1)
    }
}

/// How an instant is written in event data.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Written {
    Utc,
    Offset(i16),
    Fraction,
    Naive,
    DateOnly,
    Epoch,
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Datum {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Word(u8),
    Instant(When, Written),
    List(Vec<Datum>),
    Object(Vec<(u8, Datum)>),
}

impl Datum {
    fn value(&self, now: Instant, depth: u8) -> Value {
        match self {
            Datum::Null => Value::Null,
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Int(n) => json!(n),
            Datum::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Datum::Word(w) => json!(pick(&WORDS, *w)),
            Datum::Instant(when, written) => written_instant(when.at(now), *written),
            Datum::List(items) if depth < 3 => Value::Array(
                items
                    .iter()
                    .take(4)
                    .map(|item| item.value(now, depth + 1))
                    .collect(),
            ),
            Datum::Object(members) if depth < 3 => Value::Object(data(members, now, depth + 1)),
            _ => Value::Null,
        }
    }
}

fn written_instant(at: Instant, written: Written) -> Value {
    let utc = outreach_core::time::instants::iso_utc(at);
    // `iso_utc` writes `YYYY-MM-DDTHH:MM:SS+00:00`.
    let naive = utc.get(..19).unwrap_or_default().to_owned();
    match written {
        Written::Utc => json!(utc),
        Written::Offset(minutes) => {
            let minutes = i64::from(minutes) % (24 * 60);
            let local = naive_of(at + minutes * 60);
            let sign = if minutes < 0 { '-' } else { '+' };
            let size = minutes.abs();
            json!(format!("{local}{sign}{:02}:{:02}", size / 60, size % 60))
        }
        Written::Fraction => json!(format!("{naive}.123456Z")),
        Written::Naive => json!(naive),
        Written::DateOnly => json!(naive.get(..10).unwrap_or_default()),
        Written::Epoch => json!(at),
    }
}

fn naive_of(at: Instant) -> String {
    let utc = outreach_core::time::instants::iso_utc(at);
    utc.get(..19).unwrap_or_default().to_owned()
}

fn data(members: &[(u8, Datum)], now: Instant, depth: u8) -> Map<String, Value> {
    members
        .iter()
        .take(5)
        .map(|(key, datum)| (pick(&KEYS, *key).to_owned(), datum.value(now, depth)))
        .collect()
}

#[derive(Debug, Clone, Arbitrary)]
pub struct EventSpec {
    pub kind: u8,
    pub at: When,
    /// Up to 63: a broadcast; 255: another customer's (an error); otherwise the customer's.
    pub owner: u8,
    pub reference: Option<u8>,
    pub id: Option<u8>,
    pub data: Vec<(u8, Datum)>,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct CustomerSpec {
    /// The customer's id; "c1" when absent or blank. Long ids take the decision ids'
    /// hash over more than one block.
    pub id: Option<String>,
    pub zone: u8,
    pub country: u8,
    pub since: When,
    pub channels: u8,
    pub consents: Vec<(u8, bool)>,
    pub tier: Option<Datum>,
}

/// One customer, their history and the plan's `now`.
#[derive(Debug, Clone, Arbitrary)]
pub struct PlanInput {
    pub now: u32,
    pub customer: CustomerSpec,
    pub events: Vec<EventSpec>,
}

/// At most this many events a plan.
pub const MAX_EVENTS: usize = 24;

impl PlanInput {
    pub fn now(&self) -> Instant {
        When::Anywhere(self.now).at(FIRST)
    }

    pub fn customer(&self) -> Customer {
        let now = self.now();
        let spec = &self.customer;
        let channels = outreach_core::model::Channel::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| spec.channels & (1 << i) != 0)
            .map(|(_, c)| c)
            .collect();
        let consents: BTreeMap<String, bool> = spec
            .consents
            .iter()
            .take(6)
            .map(|(name, flag)| (pick(&CONSENT_NAMES, *name).to_owned(), *flag))
            .collect();
        let mut attributes = Map::new();
        if let Some(tier) = &spec.tier {
            attributes.insert("value_tier".to_owned(), tier.value(now, 0));
        }
        Customer {
            id: self.customer_id(),
            timezone: pick(&ZONES, spec.zone).to_owned(),
            country: pick(&COUNTRIES, spec.country).to_owned(),
            since: spec.since.at(now),
            channels,
            consents,
            attributes,
        }
    }

    pub fn customer_id(&self) -> String {
        match &self.customer.id {
            Some(id) if !id.trim().is_empty() => id.chars().take(300).collect(),
            _ => "c1".to_owned(),
        }
    }

    pub fn events(&self) -> Vec<Event> {
        let now = self.now();
        let id = self.customer_id();
        let other = format!("{id}-other");
        self.events
            .iter()
            .take(MAX_EVENTS)
            .map(|spec| Event {
                kind: pick(&KINDS, spec.kind).to_owned(),
                at: spec.at.at(now),
                customer: match spec.owner {
                    0..=63 => None,
                    255 => Some(other.clone()),
                    _ => Some(id.clone()),
                },
                reference: spec.reference.map(|r| pick(&REFS, r).to_owned()),
                id: spec.id.map(|i| pick(&IDS, i).to_owned()),
                data: data(&spec.data, now, 0),
            })
            .collect()
    }
}
