//! One customer's history, checked, put in time order and indexed once for the planner:
//! `outreach_rules/rules/history.py`.

use super::python::{self, Py, Side};
use crate::error::{CoreError, Result};
use crate::model::{Category, Channel, Customer, Event, Instant};
use crate::policy::Policy;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

/// The kind of event that records a contact already made.
pub const CONTACT_SENT: &str = "contact_sent";
/// The kinds of event that give and refuse consent.
pub const OPTED_IN: &str = "opted_in";
pub const OPTED_OUT: &str = "opted_out";

/// A contact that counts for caps and spacing: sent already (its texts owned), or
/// placed in this plan (its texts borrowed from the plan's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMade<'a> {
    pub at: Instant,
    pub intent: Cow<'a, str>,
    pub category: Option<Category>,
    pub channel: Option<Channel>,
    pub reference: Option<Cow<'a, str>>,
}

/// The events of one kind: where their positions lie in `History::positions`, in time
/// order, and the same sorted by ref.
#[derive(Debug, Clone)]
struct KindIndex {
    name: KindName,
    all: Range<usize>,
    /// Stably sorted by ref, so each ref's positions stay in time order; None where
    /// `all` is in that order already (no event of the kind has a ref, say).
    by_ref: Option<Range<usize>>,
}

/// A kind's name, with its length and first bytes ahead of it: most look-ups are for
/// kinds the history does not have, and those are told apart without comparing text.
#[derive(Debug, Clone)]
struct KindName {
    head: u64,
    len: usize,
    /// The position of the kind's first event, which holds the name.
    first: usize,
}

impl KindName {
    /// The length and first eight bytes (zero-padded) of `kind`.
    fn key(kind: &str) -> (u64, usize) {
        let bytes = kind.as_bytes();
        let mut head = [0u8; 8];
        let take = bytes.len().min(8);
        head[..take].copy_from_slice(&bytes[..take]);
        (u64::from_le_bytes(head), bytes.len())
    }
}

/// A customer's events in time order (ties in an order of their own), indexed by kind
/// and ref.
#[derive(Debug, Clone)]
pub struct History<'a> {
    pub customer: &'a Customer,
    pub since: Instant,
    pub events: Vec<Event>,
    pub times: Vec<Instant>,
    pub contacts: Vec<ContactMade<'static>>,
    /// In the order the kinds first occur.
    kinds: Vec<KindIndex>,
    /// The positions of the events, kind by kind (see `KindIndex`).
    positions: Vec<usize>,
    /// Whether the customer opted in or out of anything (most never do).
    opted: bool,
}

impl<'a> History<'a> {
    /// Check, order and index `events`, as Python's `History(customer, events, intents)`.
    pub fn new(customer: &'a Customer, events: Vec<Event>, policy: &Policy) -> Result<History<'a>> {
        let events = sorted(checked(customer, events)?);
        let times: Vec<Instant> = events.iter().map(|event| event.at).collect();
        let (kinds, positions) = index(&events);
        let mut history = History {
            customer,
            since: customer.since,
            events,
            times,
            contacts: Vec::new(),
            kinds,
            positions,
            opted: false,
        };
        history.opted = history.has(OPTED_IN) || history.has(OPTED_OUT);
        history.contacts = history
            .indexes_of(CONTACT_SENT)
            .iter()
            .map(|&i| contact(history.times[i], &history.events[i], policy))
            .collect::<Result<_>>()?;
        Ok(history)
    }

    fn kind_index(&self, kind: &str) -> Option<&KindIndex> {
        find_kind(&self.kinds, &self.events, kind)
    }

    /// Whether any `opted_in` or `opted_out` event happened.
    pub fn opted(&self) -> bool {
        self.opted
    }

    /// The positions in `events` of the events of `kind`, in time order.
    pub fn indexes_of(&self, kind: &str) -> &[usize] {
        self.kind_index(kind)
            .map_or(&[], |entry| &self.positions[entry.all.clone()])
    }

    /// The positions of the events of `kind` with `reference`, in time order.
    pub fn indexes_with_ref(&self, kind: &str, reference: Option<&str>) -> &[usize] {
        let Some(entry) = self.kind_index(kind) else {
            return &[];
        };
        let by_ref = &self.positions[entry.by_ref.clone().unwrap_or(entry.all.clone())];
        let of = |i: &usize| self.events[*i].reference.as_deref();
        let start = by_ref.partition_point(|i| of(i) < reference);
        let end = start + by_ref[start..].partition_point(|i| of(i) == reference);
        &by_ref[start..end]
    }

    /// The positions of the events of `kind` (with `reference` when correlated).
    pub fn matching_indexes(
        &self,
        kind: &str,
        reference: Option<&str>,
        correlate: bool,
    ) -> &[usize] {
        if correlate {
            self.indexes_with_ref(kind, reference)
        } else {
            self.indexes_of(kind)
        }
    }

    fn timed(&self, indexes: &[usize]) -> Vec<(Instant, &Event)> {
        indexes
            .iter()
            .map(|&i| (self.times[i], &self.events[i]))
            .collect()
    }

    /// Whether any event of `kind` happened.
    pub fn has(&self, kind: &str) -> bool {
        self.kind_index(kind).is_some()
    }

    /// The events of `kind`, with their instants, in time order.
    pub fn of_kind(&self, kind: &str) -> Vec<(Instant, &Event)> {
        self.timed(self.indexes_of(kind))
    }

    /// The instants of the events of `kind`, in order.
    pub fn times_of(&self, kind: &str) -> Vec<Instant> {
        self.indexes_of(kind)
            .iter()
            .map(|&i| self.times[i])
            .collect()
    }

    /// How many events of `kind` happened at or before `until`.
    pub fn count(&self, kind: &str, until: Instant) -> usize {
        self.indexes_of(kind)
            .partition_point(|&i| self.times[i] <= until)
    }

    /// The first event of one of `kinds` at or after `at`, with `reference` if
    /// correlated; between kinds at the same instant, the one named first.
    pub fn first_after(
        &self,
        kinds: &[String],
        at: Instant,
        reference: Option<&str>,
        correlate: bool,
    ) -> Option<(Instant, &Event)> {
        let mut best: Option<usize> = None;
        for kind in kinds {
            let indexes = self.matching_indexes(kind, reference, correlate);
            let first = indexes.partition_point(|&i| self.times[i] < at);
            if let Some(&i) = indexes.get(first) {
                if best.is_none_or(|b| self.times[i] < self.times[b]) {
                    best = Some(i);
                }
            }
        }
        best.map(|i| (self.times[i], &self.events[i]))
    }

    /// The contact already made for `intent` and `reference` at or after `since`, if any.
    pub fn sent(
        &self,
        intent: &str,
        reference: Option<&str>,
        since: Instant,
    ) -> Option<&ContactMade<'static>> {
        self.contacts.iter().find(|contact| {
            contact.intent == intent
                && contact.reference.as_deref() == reference
                && contact.at >= since
        })
    }

    /// The events of `kind` (with `reference` when correlated), with their instants.
    pub fn matching(
        &self,
        kind: &str,
        reference: Option<&str>,
        correlate: bool,
    ) -> Vec<(Instant, &Event)> {
        self.timed(self.matching_indexes(kind, reference, correlate))
    }
}

/// Python's `Event.__eq__`: data compares as Python compares frozen values.
pub fn same_event(a: &Event, b: &Event) -> bool {
    a.kind == b.kind
        && a.at == b.at
        && a.customer == b.customer
        && a.reference == b.reference
        && a.id == b.id
        && same_data(&a.data, &b.data)
}

fn same_data(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(key, value)| {
            b.get(key).is_some_and(|other| {
                python::eq(Py::of(value, Side::Data), Py::of(other, Side::Data))
            })
        })
}

/// The customer's own events and the broadcasts; an id repeated for the same event is
/// dropped, for a different one refused.
fn checked(customer: &Customer, events: Vec<Event>) -> Result<Vec<Event>> {
    let repeated = repeats(customer, &events)?;
    if repeated.is_empty() {
        return Ok(events);
    }
    let mut dropped = repeated.into_iter().peekable();
    let mut kept = Vec::with_capacity(events.len());
    for (position, event) in events.into_iter().enumerate() {
        if dropped.next_if_eq(&position).is_none() {
            kept.push(event);
        }
    }
    Ok(kept)
}

/// The positions, in order, of the events that repeat an earlier one with their id.
fn repeats(customer: &Customer, events: &[Event]) -> Result<Vec<usize>> {
    // A history is short: the first ids seen are scanned, not hashed.
    const SCAN: usize = 24;
    let mut scanned: [(&str, usize); SCAN] = [("", 0); SCAN];
    let mut count = 0;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut repeated = Vec::new();
    for (position, event) in events.iter().enumerate() {
        check_owner(customer, event, position)?;
        let Some(id) = event.id.as_deref() else {
            continue;
        };
        let scan = &scanned[..count];
        let earlier = match scan.iter().find(|(known, _)| *known == id) {
            Some(&(_, at)) => Some(at),
            None => seen.get(id).copied(),
        };
        match earlier {
            Some(earlier) if same_event(&events[earlier], event) => repeated.push(position),
            Some(_) => return Err(reused_id(id, position)),
            None if count < SCAN => {
                scanned[count] = (id, position);
                count += 1;
            }
            None => {
                seen.insert(id, position);
            }
        }
    }
    Ok(repeated)
}

fn check_owner(customer: &Customer, event: &Event, position: usize) -> Result<()> {
    match event.customer.as_deref() {
        Some(owner) if owner != customer.id => Err(CoreError::input(format!(
            "belongs to customer {}, not {}",
            python::repr(&Value::from(owner)),
            python::repr(&Value::from(customer.id.as_str()))
        ))
        .field(format!("history[{position}].customer"))
        .hint("pass each customer only their own events and the broadcasts")),
        _ => Ok(()),
    }
}

fn reused_id(id: &str, position: usize) -> CoreError {
    CoreError::input("is used by two different events")
        .field(format!("history[{position}].id"))
        .value(id)
        .hint("an event id may repeat only for the same event delivered twice")
}

/// Events in time order; those at one instant by kind, ref, id and content, so that
/// the plan does not depend on the order the host gave them in.
fn sorted(mut events: Vec<Event>) -> Vec<Event> {
    let key = |a: &Event, b: &Event| {
        a.at.cmp(&b.at)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| text(&a.reference).cmp(text(&b.reference)))
            .then_with(|| text(&a.id).cmp(text(&b.id)))
    };
    // Events usually come in order, and their content rarely decides: it is written out
    // only for the runs of events that tie on everything else.
    if events
        .windows(2)
        .all(|pair| key(&pair[0], &pair[1]).is_lt())
    {
        return events;
    }
    events.sort_by(key);
    let mut start = 0;
    while start < events.len() {
        let end = start
            + events[start..]
                .iter()
                .take_while(|event| key(&events[start], event).is_eq())
                .count();
        if end - start > 1 {
            let mut run: Vec<(String, Event)> = events
                .drain(start..end)
                .map(|event| (content(&event), event))
                .collect();
            run.sort_by(|(a, _), (b, _)| a.cmp(b));
            events.splice(start..start, run.into_iter().map(|(_, event)| event));
        }
        start = end;
    }
    events
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Ids are unique within a history, so only events without one need their content.
fn content(event: &Event) -> String {
    if event.data.is_empty() || event.id.is_some() {
        return String::new();
    }
    let mut out = String::new();
    python::write_json_map(&mut out, &event.data);
    out
}

/// The kind of `kind` among `kinds`, if the history has it.
fn find_kind<'k>(kinds: &'k [KindIndex], events: &[Event], kind: &str) -> Option<&'k KindIndex> {
    kind_position(kinds, events, kind).map(|at| &kinds[at])
}

/// Where `kind` is among `kinds`, if there.
fn kind_position(kinds: &[KindIndex], events: &[Event], kind: &str) -> Option<usize> {
    let (head, len) = KindName::key(kind);
    kinds.iter().position(|entry| {
        let name = &entry.name;
        name.head == head && name.len == len && events[name.first].kind == kind
    })
}

/// The kinds in the order they first occur, each with its positions; and the positions.
fn index(events: &[Event]) -> (Vec<KindIndex>, Vec<usize>) {
    // First each event's kind, counting the events of each (in `all.end`).
    let mut kinds: Vec<KindIndex> = Vec::new();
    let mut kind_of = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let at = kind_position(&kinds, events, &event.kind).unwrap_or_else(|| {
            let (head, len) = KindName::key(&event.kind);
            kinds.push(KindIndex {
                name: KindName {
                    head,
                    len,
                    first: i,
                },
                all: 0..0,
                by_ref: None,
            });
            kinds.len() - 1
        });
        kinds[at].all.end += 1;
        kind_of.push(at);
    }
    // Then the positions, kind by kind, in time order.
    let mut next = 0;
    for entry in &mut kinds {
        let count = entry.all.end;
        entry.all = next..next + count;
        next += count;
    }
    let mut positions = vec![0; events.len()];
    let mut filled: Vec<usize> = kinds.iter().map(|entry| entry.all.start).collect();
    for (i, &at) in kind_of.iter().enumerate() {
        positions[filled[at]] = i;
        filled[at] += 1;
    }
    // And, after them, the positions sorted by ref of the kinds not in that order.
    let of = |i: usize| events[i].reference.as_deref();
    for entry in &mut kinds {
        let all = &positions[entry.all.clone()];
        if all.windows(2).any(|pair| of(pair[0]) > of(pair[1])) {
            let mut by_ref = all.to_vec();
            by_ref.sort_by(|&a, &b| of(a).cmp(&of(b)));
            let start = positions.len();
            positions.extend(by_ref);
            entry.by_ref = Some(start..positions.len());
        }
    }
    (kinds, positions)
}

/// The contact a `contact_sent` event records.
fn contact(at: Instant, event: &Event, policy: &Policy) -> Result<ContactMade<'static>> {
    let intent = event.data.get("intent").and_then(Value::as_str);
    let known = intent.and_then(|name| policy.intent(name));
    let bad = |message: String| {
        CoreError::input(format!(
            "has a contact_sent event with a bad channel or category ({message})"
        ))
        .field("data")
        .value(Value::Object(event.data.clone()))
    };
    let category = match event.data.get("category").filter(|v| python::truthy(v)) {
        Some(value) => Some(vocabulary(value, Category::parse, "Category").map_err(bad)?),
        None => known.map(|intent| intent.category),
    };
    let channel = match event.data.get("channel").filter(|v| python::truthy(v)) {
        Some(value) => Some(vocabulary(value, Channel::parse, "Channel").map_err(bad)?),
        None => None,
    };
    Ok(ContactMade {
        at,
        intent: Cow::Owned(intent.unwrap_or("").to_owned()),
        category,
        channel,
        reference: event.reference.clone().map(Cow::Owned),
    })
}

/// A member of a Python enum by value, or the message of the `ValueError` it raises.
fn vocabulary<T>(value: &Value, parse: fn(&str) -> Option<T>, name: &str) -> Result<T, String> {
    value
        .as_str()
        .and_then(parse)
        .ok_or_else(|| format!("{} is not a valid {name}", python::repr(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triggers::testing::{customer, events, policy};
    use serde_json::json;

    const T: Instant = 1_772_359_200;

    fn thanks_policy() -> Policy {
        policy(&["thanks"], json!([]))
    }

    /// Kind, ref, id, customer and the data as Python's `json.dumps` writes it.
    type Key = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );

    fn keyed(history: &History) -> Vec<Key> {
        history
            .events
            .iter()
            .map(|e| {
                let data = python::json_dumps(&Value::Object(e.data.clone()));
                (
                    e.kind.clone(),
                    e.reference.clone(),
                    e.id.clone(),
                    e.customer.clone(),
                    data,
                )
            })
            .collect()
    }

    fn row(
        kind: &str,
        reference: Option<&str>,
        id: Option<&str>,
        owner: Option<&str>,
        data: &str,
    ) -> Key {
        let own = |text: Option<&str>| text.map(str::to_owned);
        (
            kind.to_owned(),
            own(reference),
            own(id),
            own(owner),
            data.to_owned(),
        )
    }

    #[test]
    fn orders_as_python_and_drops_repeated_events() {
        let given = events(json!([
            {"kind": "b", "at": T, "data": {"x": "é"}},
            {"kind": "b", "at": T, "data": {"x": "a", "w": [1.0, 1e16, true]}},
            {"kind": "b", "at": T, "data": {"x": "\u{1F600}"}},
            {"kind": "b", "at": T, "ref": "r", "data": {"x": 1}},
            {"kind": "b", "at": T, "id": "i2"},
            {"kind": "b", "at": T, "id": "i1", "data": {"z": 1}},
            {"kind": "a", "at": T + 1},
            {"kind": "c", "at": T},
            {"kind": "b", "at": T, "data": {"x": "é"}},
            {"kind": "b", "at": T},
            {"kind": "b", "at": T, "id": "i1", "data": {"z": 1.0}},
            {"kind": "b", "at": T, "data": {"x": "a", "w": [1.0, 1e16, true]}, "customer": "c1"},
        ]));
        let owner = customer("UTC", 0);
        let history = History::new(&owner, given, &thanks_policy()).unwrap();
        let content = r#"{"w": [1.0, 1e+16, true], "x": "a"}"#;
        assert_eq!(
            keyed(&history),
            vec![
                row("b", None, None, None, "{}"),
                row("b", None, None, None, content),
                row("b", None, None, Some("c1"), content),
                row("b", None, None, None, r#"{"x": "\u00e9"}"#),
                row("b", None, None, None, r#"{"x": "\u00e9"}"#),
                row("b", None, None, None, r#"{"x": "\ud83d\ude00"}"#),
                row("b", None, Some("i1"), None, r#"{"z": 1}"#),
                row("b", None, Some("i2"), None, "{}"),
                row("b", Some("r"), None, None, r#"{"x": 1}"#),
                row("c", None, None, None, "{}"),
                row("a", None, None, None, "{}"),
            ]
        );
        assert_eq!(history.times.last(), Some(&(T + 1)));
    }

    fn error_of(given: Value) -> CoreError {
        let owner = customer("UTC", 0);
        History::new(&owner, events(given), &thanks_policy()).unwrap_err()
    }

    #[test]
    fn refuses_an_id_used_twice_and_foreign_events() {
        let error = error_of(json!([
            {"kind": "x", "at": T, "id": "i1", "data": {"z": 1}},
            {"kind": "x", "at": T, "id": "i1", "data": {"z": 2}},
        ]));
        assert_eq!(error.message, "is used by two different events");
        assert_eq!(error.field.as_deref(), Some("history[1].id"));
        assert_eq!(error.value, Some(json!("i1")));
        assert_eq!(
            error.hint.as_deref(),
            Some("an event id may repeat only for the same event delivered twice")
        );
        let error = error_of(json!([{"kind": "x", "at": T, "customer": "c2"}]));
        assert_eq!(error.message, "belongs to customer 'c2', not 'c1'");
        assert_eq!(error.field.as_deref(), Some("history[0].customer"));
        assert_eq!(error.value, None);
        assert_eq!(
            error.hint.as_deref(),
            Some("pass each customer only their own events and the broadcasts")
        );
    }

    #[test]
    fn refuses_bad_contacts_as_python() {
        let cases = [
            (
                json!({"intent": "thanks", "channel": "fax"}),
                "('fax' is not a valid Channel)",
            ),
            (
                json!({"intent": "thanks", "category": 1, "channel": "fax"}),
                "(1 is not a valid Category)",
            ),
            (
                json!({"channel": ["a", {"b": 1.5}]}),
                "(('a', {'b': 1.5}) is not a valid Channel)",
            ),
            (
                json!({"channel": "it's"}),
                "(\"it's\" is not a valid Channel)",
            ),
        ];
        for (data, tail) in cases {
            let error = error_of(json!([{"kind": "contact_sent", "at": T, "data": data.clone()}]));
            assert_eq!(error.kind, crate::error::ErrorKind::Input);
            assert_eq!(
                error.message,
                format!("has a contact_sent event with a bad channel or category {tail}")
            );
            assert_eq!(error.field.as_deref(), Some("data"));
            assert_eq!(error.value, Some(data));
        }
    }

    #[test]
    fn reads_contacts_as_python() {
        let owner = customer("UTC", 0);
        let given = events(json!([
            {"kind": "contact_sent", "at": T, "ref": "o1",
             "data": {"intent": "thanks", "category": "", "channel": "sms"}},
            {"kind": "contact_sent", "at": T, "data": {"intent": 3, "channel": 0}},
        ]));
        let history = History::new(&owner, given, &thanks_policy()).unwrap();
        let made = |intent: &str, category, channel, reference: Option<&str>| ContactMade {
            at: T,
            intent: Cow::Owned(intent.to_owned()),
            category,
            channel,
            reference: reference.map(|r| Cow::Owned(r.to_owned())),
        };
        assert_eq!(
            history.contacts,
            vec![
                made("", None, None, None),
                made(
                    "thanks",
                    Some(Category::Service),
                    Some(Channel::Sms),
                    Some("o1")
                ),
            ]
        );
        assert!(history.sent("thanks", Some("o1"), T).is_some());
        assert!(history.sent("thanks", Some("o1"), T + 1).is_none());
        assert!(history.sent("thanks", None, 0).is_none());
    }

    #[test]
    fn finds_events_by_kind_and_ref() {
        let owner = customer("UTC", 0);
        let given = events(json!([
            {"kind": "placed", "at": 10, "ref": "o2"},
            {"kind": "placed", "at": 5, "ref": "o1"},
            {"kind": "placed", "at": 20, "ref": "o1"},
            {"kind": "closed", "at": 20},
            {"kind": "done", "at": 20, "ref": "o1"},
            {"kind": "placed", "at": 30},
        ]));
        let history = History::new(&owner, given, &thanks_policy()).unwrap();
        assert!(history.has("placed") && !history.has("opened"));
        assert_eq!(history.times_of("placed"), vec![5, 10, 20, 30]);
        assert_eq!(history.count("placed", 10), 2);
        assert_eq!(history.count("placed", 4), 0);
        assert_eq!(history.count("opened", 100), 0);
        let refs = |found: Vec<(Instant, &Event)>| -> Vec<(Instant, Option<String>)> {
            found
                .into_iter()
                .map(|(at, e)| (at, e.reference.clone()))
                .collect()
        };
        assert_eq!(
            refs(history.matching("placed", Some("o1"), true)),
            vec![(5, Some("o1".into())), (20, Some("o1".into()))]
        );
        assert_eq!(
            refs(history.matching("placed", None, true)),
            vec![(30, None)]
        );
        assert_eq!(history.matching("placed", Some("o1"), false).len(), 4);
        assert_eq!(history.of_kind("placed").len(), 4);
        let kinds = ["done".to_owned(), "closed".to_owned()];
        let first = history
            .first_after(&kinds, 6, Some("o1"), false)
            .map(|(at, e)| (at, e.kind.as_str()));
        assert_eq!(first, Some((20, "done")));
        let first = history
            .first_after(&kinds, 6, Some("o1"), true)
            .map(|(at, e)| (at, e.kind.as_str()));
        assert_eq!(first, Some((20, "done")));
        assert!(history.first_after(&kinds, 6, Some("o2"), true).is_none());
        assert!(history.first_after(&kinds, 21, None, false).is_none());
    }
}
