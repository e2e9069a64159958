//! Every trigger's proposals for one history, one per intent and ref:
//! `outreach_rules/engines/native.py` with the proposals of `outreach_rules/rules/triggers.py`.
//!
//! Of two proposals for the same intent and ref, one that can be placed beats one that
//! waits, then the earlier anchor wins, then the trigger declared first.

use super::conditions::{all_hold, first_holds, Context};
use super::history::History;
use super::python;
use crate::error::{CoreError, ErrorKind, Result};
use crate::model::{Duration, Event, Instant};
use crate::policy::{Policy, Trigger};
use crate::time::instants::{iso_date, iso_utc, parse_instant, push_number};
use crate::time::zone::date_of_wall;
use crate::time::{Calendars, Zone, DAY};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// The `on` of a trigger anchored at the customer's start rather than at an event.
pub const CUSTOMER: &str = "customer";

/// The instants the library accepts: the years 1801 to 2399, the end not included.
const ACCEPTED_SPAN: (Instant, Instant) = (-5_333_126_400, 13_569_465_600);

/// Python's advice on writing an instant.
const INSTANT_HINT: &str =
    "give an aware datetime or an ISO 8601 string with an offset, such as '2026-12-10T14:00:00Z'";

/// A trigger's proposal for one anchor: an intent and ref, and when it may go out.
///
/// `basis` names what the times are measured from and `basis_at` its instant;
/// `earliest` is None while the proposal waits for the event named in `waiting_for`.
/// Texts are borrowed from the policy and the history where they can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// The position of the trigger in `policy.triggers`.
    pub trigger: usize,
    pub intent: &'a str,
    pub reference: Option<Cow<'a, str>>,
    /// The position of the anchor in `history.events`; None for the customer's start
    /// and for the occurrences of a recurring trigger.
    pub anchor: Option<usize>,
    pub anchor_at: Instant,
    pub basis: Cow<'a, str>,
    pub basis_at: Option<Instant>,
    pub earliest: Option<Instant>,
    pub expires: Option<Instant>,
    pub waiting_for: Option<Cow<'a, str>>,
}

/// Waiting proposals rank after placeable ones, then by anchor, then by trigger.
type Rank = (bool, Instant, usize);

/// Every trigger's proposals for this history, at most one per intent and ref, in the
/// order Python's `propose` returns them.
pub fn propose<'a>(
    policy: &'a Policy,
    history: &'a History<'a>,
    zone: &Zone,
    now: Instant,
    calendars: &Calendars,
) -> Result<Vec<Proposal<'a>>> {
    let mut kept = Kept::default();
    let mut found = Vec::with_capacity(4);
    for (order, trigger) in policy.triggers.iter().enumerate() {
        if trigger.every.is_none() && trigger.on != CUSTOMER && !history.has(&trigger.on) {
            continue; // most customers have no event of most kinds
        }
        let finder = Finder {
            order,
            trigger,
            history,
            zone,
            calendars,
        };
        finder.proposals(now, &mut found)?;
        for proposal in found.drain(..) {
            kept.offer(
                (proposal.earliest.is_none(), proposal.anchor_at, order),
                proposal,
            );
        }
    }
    Ok(kept.into_proposals())
}

/// The best proposal for each intent and ref, in the order the keys first came.
#[derive(Default)]
struct Kept<'a> {
    entries: Vec<Proposal<'a>>,
    /// The rank of each entry.
    ranks: Vec<Rank>,
    /// Built only once there are enough entries that a scan would cost more.
    positions: HashMap<(String, Option<String>), usize>,
}

impl<'a> Kept<'a> {
    const SCAN: usize = 16;

    fn offer(&mut self, rank: Rank, proposal: Proposal<'a>) {
        match self.position(&proposal) {
            Some(at) if rank < self.ranks[at] => {
                self.entries[at] = proposal;
                self.ranks[at] = rank;
            }
            Some(_) => {}
            None => self.push(rank, proposal),
        }
    }

    fn position(&self, proposal: &Proposal) -> Option<usize> {
        if self.entries.len() <= Self::SCAN {
            return self.entries.iter().position(|kept| {
                kept.intent == proposal.intent && kept.reference == proposal.reference
            });
        }
        // The borrowed key cannot be looked up in a map of owned pairs without building one.
        self.positions.get(&key(proposal)).copied()
    }

    fn push(&mut self, rank: Rank, proposal: Proposal<'a>) {
        self.entries.push(proposal);
        self.ranks.push(rank);
        let count = self.entries.len();
        if count == Self::SCAN + 1 {
            for (at, kept) in self.entries.iter().enumerate() {
                self.positions.insert(key(kept), at);
            }
        } else if count > Self::SCAN + 1 {
            let kept = &self.entries[count - 1];
            self.positions.insert(key(kept), count - 1);
        }
    }

    fn into_proposals(self) -> Vec<Proposal<'a>> {
        self.entries
    }
}

/// A proposal's intent and ref, owned, as the key of `Kept::positions`.
fn key(proposal: &Proposal) -> (String, Option<String>) {
    let reference = proposal.reference.as_deref().map(str::to_owned);
    (proposal.intent.to_owned(), reference)
}

/// One trigger at work on one history.
struct Finder<'p, 'h> {
    order: usize,
    trigger: &'p Trigger,
    history: &'p History<'p>,
    zone: &'h Zone,
    calendars: &'h Calendars,
}

impl<'p> Finder<'p, '_> {
    /// Python's `_proposals`, appended to `out`.
    fn proposals(&self, now: Instant, out: &mut Vec<Proposal<'p>>) -> Result<()> {
        if let Some(every) = &self.trigger.every {
            return self.recurring(every, now, out);
        }
        if self.trigger.on == CUSTOMER {
            return self.anchored(self.history.since, None, out);
        }
        let indexes = self.history.indexes_of(&self.trigger.on);
        let indexes = if self.trigger.first_only {
            &indexes[..indexes.len().min(1)]
        } else {
            indexes
        };
        for &index in indexes {
            self.anchored(self.history.times[index], Some(index), out)?;
        }
        Ok(())
    }

    /// The proposal grown from one anchor, when the trigger's conditions hold there.
    fn anchored(
        &self,
        at: Instant,
        anchor: Option<usize>,
        out: &mut Vec<Proposal<'p>>,
    ) -> Result<()> {
        let context = Context {
            customer: self.history.customer,
            history: self.history,
            zone: self.zone,
            at,
            anchor: anchor.map(|i| &self.history.events[i]),
            // A trigger's conditions are tested before there is a basis.
            basis_at: None,
        };
        if all_hold(&self.trigger.when, &context, self.calendars)? {
            if let Some(proposal) = self.grown_from(at, anchor)? {
                out.push(proposal);
            }
        }
        Ok(())
    }

    /// Python's `_from_anchor`: looks forward from the anchor along its ref.
    fn grown_from(&self, at: Instant, anchor: Option<usize>) -> Result<Option<Proposal<'p>>> {
        let trigger = self.trigger;
        let history = self.history;
        let event = anchor.map(|i| &history.events[i]);
        let reference = event.map(anchor_ref);
        let link = event
            .and_then(|e| e.reference.as_deref())
            .filter(|_| trigger.correlate);
        let correlating = link.is_some();
        if !trigger.unless.is_empty()
            && history
                .first_after(&trigger.unless, at, link, correlating)
                .is_some()
        {
            return Ok(None);
        }
        if history
            .sent(&trigger.intent, reference.as_deref(), at)
            .is_some()
        {
            return Ok(None);
        }
        let (basis, basis_at) = match &trigger.requires {
            None => (trigger.on.as_str(), at),
            Some(requires) => {
                let kinds = std::slice::from_ref(requires);
                match history.first_after(kinds, at, link, correlating) {
                    Some((found, _)) => (requires.as_str(), found),
                    None => return Ok(Some(self.waiting(requires, reference, anchor, at))),
                }
            }
        };
        self.timed(reference, anchor, at, Cow::Borrowed(basis), basis_at)
            .map(Some)
    }

    /// Python's `waiting`: the proposal of a trigger whose `requires` has not happened.
    fn waiting(
        &self,
        requires: &'p str,
        reference: Option<Cow<'p, str>>,
        anchor: Option<usize>,
        at: Instant,
    ) -> Proposal<'p> {
        let waiting_for = match &reference {
            None => Cow::Borrowed(requires),
            Some(reference) => {
                let mut text = String::with_capacity(requires.len() + reference.len() + 3);
                text.push_str(requires);
                text.push_str(" (");
                text.push_str(reference);
                text.push(')');
                Cow::Owned(text)
            }
        };
        Proposal {
            trigger: self.order,
            intent: &self.trigger.intent,
            reference,
            anchor,
            anchor_at: at,
            basis: Cow::Borrowed(requires),
            basis_at: None,
            earliest: None,
            expires: None,
            waiting_for: Some(waiting_for),
        }
    }

    /// Python's `timed`: earliest and expiry measured from `basis_at`, or from an
    /// instant in the anchor's data when the trigger says so.
    fn timed(
        &self,
        reference: Option<Cow<'p, str>>,
        anchor: Option<usize>,
        anchor_at: Instant,
        mut basis: Cow<'p, str>,
        mut basis_at: Instant,
    ) -> Result<Proposal<'p>> {
        let trigger = self.trigger;
        if let Some(path) = &trigger.measured_from {
            let event = anchor.map(|i| &self.history.events[i]);
            basis_at = instant_in(event, path, self.calendars)?;
            basis = Cow::Borrowed(path);
        }
        let earliest = trigger.delay.add_to(basis_at, self.zone, 1)?;
        let expires = match &trigger.expires {
            None => None,
            Some(duration) => Some(duration.add_to(basis_at, self.zone, 1)?),
        };
        Ok(Proposal {
            trigger: self.order,
            intent: &trigger.intent,
            reference,
            anchor,
            anchor_at,
            basis,
            basis_at: Some(basis_at),
            earliest: Some(earliest),
            expires,
            waiting_for: None,
        })
    }

    /// Python's `_recurring`: the latest occurrence begun at `now`, and the next one if it
    /// begins within a period.
    fn recurring(&self, every: &Duration, now: Instant, out: &mut Vec<Proposal<'p>>) -> Result<()> {
        let Some(start) = self.recurring_start()? else {
            return Ok(());
        };
        let occurrence = |k: i64| every.add_to(start, self.zone, k);
        let current = last_at_or_before(&occurrence, now)?;
        let horizon = every.add_to(now, self.zone, 1)?;
        for k in [current, current + 1] {
            if k < 0 {
                continue;
            }
            let at = occurrence(k)?;
            if at > horizon {
                continue;
            }
            if let Some(proposal) = self.occurrence(k, at)? {
                out.push(proposal);
            }
        }
        Ok(())
    }

    /// The first instant from which every condition holds for good, if there is one.
    fn recurring_start(&self) -> Result<Option<Instant>> {
        let history = self.history;
        let mut start = history.since;
        let mut never = false;
        for condition in &self.trigger.when {
            match first_holds(
                condition,
                history.customer,
                history,
                self.zone,
                self.calendars,
            )? {
                Some(at) => start = start.max(at),
                None => never = true,
            }
        }
        Ok((!never).then_some(start))
    }

    /// The proposal for occurrence `k` (from 0) at `at`, unless ended or sent already.
    fn occurrence(&self, k: i64, at: Instant) -> Result<Option<Proposal<'p>>> {
        let history = self.history;
        let wall = self.zone.to_wall(at)?;
        let reference = match iso_date(wall.div_euclid(DAY)) {
            Some(date) => String::from_utf8_lossy(&date).into_owned(),
            None => {
                let (year, month, day) = date_of_wall(wall);
                format!("{year:04}-{month:02}-{day:02}")
            }
        };
        let trigger = self.trigger;
        if !trigger.unless.is_empty()
            && history
                .first_after(&trigger.unless, at, None, false)
                .is_some()
        {
            return Ok(None);
        }
        if history
            .sent(&trigger.intent, Some(&reference), at)
            .is_some()
        {
            return Ok(None);
        }
        let mut basis = String::with_capacity(16);
        basis.push_str("occurrence ");
        push_number(&mut basis, k + 1);
        let basis = Cow::Owned(basis);
        self.timed(Some(Cow::Owned(reference)), None, at, basis, at)
            .map(Some)
    }
}

/// Python's `_ref`: the anchor's ref, else its id, else its kind and instant.
fn anchor_ref(event: &Event) -> Cow<'_, str> {
    // Two concerns raised without a ref are two concerns: each needs its own reply.
    match (&event.reference, &event.id) {
        (Some(reference), _) => Cow::Borrowed(reference),
        (None, Some(id)) => Cow::Borrowed(id),
        (None, None) => Cow::Owned(format!("{}@{}", event.kind, iso_utc(event.at))),
    }
}

/// The greatest k with `occurrence(k) <= now`, or -1 when even the first is later.
fn last_at_or_before(occurrence: &dyn Fn(i64) -> Result<Instant>, now: Instant) -> Result<i64> {
    if occurrence(0)? > now {
        return Ok(-1);
    }
    let mut high: i64 = 1;
    while occurrence(high)? <= now {
        high = high.checked_mul(2).ok_or_else(endless)?;
    }
    let mut low = high / 2;
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if occurrence(middle)? <= now {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(low)
}

fn endless() -> CoreError {
    CoreError::new(
        ErrorKind::Engine,
        "a recurring trigger's occurrences never pass now",
    )
}

/// The instant at `path` (`data.due`) in an event's data; its absence is an error.
pub fn instant_in(event: Option<&Event>, path: &str, calendars: &Calendars) -> Result<Instant> {
    let place = || match event {
        None => "the anchor".to_owned(),
        Some(event) => {
            let name = event
                .id
                .as_deref()
                .filter(|id| !id.is_empty())
                .unwrap_or(&event.kind);
            format!("event {name} ({})", event.kind)
        }
    };
    let Some(value) = event.and_then(|event| dig(event, path)) else {
        let message = format!("{} has no {path}, which the trigger measures from", place());
        return Err(CoreError::input(message).field(path));
    };
    // Python re-locates what `epoch` raises under the event; its errors then name this field.
    let located = || format!("{}.{path}", place());
    epoch(value, &located, calendars)
}

/// The value at `path` in the event's data; None where Python finds None.
fn dig<'e>(event: &'e Event, path: &str) -> Option<&'e Value> {
    let mut keys = path.strip_prefix("data.").unwrap_or(path).split('.');
    let mut found = event.data.get(keys.next()?)?;
    for key in keys {
        found = found.as_object()?.get(key)?;
    }
    (!found.is_null()).then_some(found)
}

/// Python's `epoch(value, field)` for a JSON value; `field` is built only for an error.
fn epoch(value: &Value, field: &dyn Fn() -> String, calendars: &Calendars) -> Result<Instant> {
    let Value::String(text) = value else {
        let message = format!("must be an instant, not {}", python::type_name(value));
        return Err(CoreError::time(message)
            .field(field())
            .value(value.clone())
            .hint(INSTANT_HINT));
    };
    let seconds = match parse_instant(text) {
        Some(seconds) => seconds,
        // Python's own `epoch` answers, and raises with this field as Python would.
        None => calendars.instant(text, &field())?,
    };
    if !(ACCEPTED_SPAN.0..ACCEPTED_SPAN.1).contains(&seconds) {
        return Err(CoreError::time("is outside the years the library handles")
            .field(field())
            .value(text.as_str())
            .hint("instants must fall in the years 1801 to 2399"));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triggers::testing::{calendars, customer, events, policy};
    use serde_json::json;

    fn duration(months: i64, days: i64, seconds: i64) -> Value {
        json!({"months": months, "days": days, "seconds": seconds, "text": ""})
    }

    fn trigger(id: &str, intent: &str, on: &str, extra: Value) -> Value {
        let mut trigger = json!({
            "id": id, "intent": intent, "on": on, "when": [], "requires": null, "unless": [],
            "correlate": true, "delay": duration(0, 0, 0), "expires": null, "measured_from": null,
            "first_only": false, "every": null, "head": id, "timing": "",
        });
        if let (Some(fields), Some(extra)) = (trigger.as_object_mut(), extra.as_object()) {
            fields.extend(extra.clone());
        }
        trigger
    }

    /// The scenario of `native.propose` cross-checked with Python.
    fn scenario() -> (Policy, Vec<Event>) {
        let triggers = json!([
            trigger(
                "review",
                "review_request",
                "order_placed",
                json!({
                "requires": "order_delivered", "delay": duration(0, 3, 0),
                "expires": duration(0, 30, 0), "unless": ["review_submitted"]})
            ),
            trigger(
                "thanks",
                "thanks",
                "order_placed",
                json!({"delay": duration(0, 0, 3_600)})
            ),
            trigger(
                "apology",
                "apology",
                "complaint_opened",
                json!({
                "correlate": false, "unless": ["complaint_closed"]})
            ),
            trigger(
                "survey",
                "survey",
                "order_placed",
                json!({
                "requires": "complaint_closed", "correlate": false, "delay": duration(0, 1, 0),
                "first_only": true})
            ),
            trigger(
                "welcome",
                "welcome",
                "customer",
                json!({"delay": duration(0, 1, 0)})
            ),
            trigger(
                "monthly",
                "monthly",
                "customer",
                json!({"every": duration(1, 0, 0), "when": [
                {"type": "tenure", "at_least": duration(1, 0, 0), "at_most": null},
                {"type": "match", "field": "customer.country", "op": "eq", "value": "DE"}]})
            ),
            trigger(
                "returned",
                "survey2",
                "order_placed",
                json!({
                "requires": "order_returned", "first_only": true})
            ),
            trigger(
                "big",
                "review_request",
                "order_placed",
                json!({
                "delay": duration(0, 10, 0), "measured_from": "data.due", "when": [
                {"type": "match", "field": "data.total", "op": "ge", "value": 50}]})
            ),
            trigger("never", "never", "order_cancelled", json!({})),
        ]);
        let intents = [
            "review_request",
            "thanks",
            "apology",
            "welcome",
            "monthly",
            "survey",
            "survey2",
            "never",
        ];
        let given = events(json!([
            {"kind": "order_placed", "at": 1772359200, "ref": "o1", "id": "e1",
             "data": {"total": 20}},
            {"kind": "order_delivered", "at": 1772539200, "ref": "o1", "id": "e2"},
            {"kind": "order_placed", "at": 1772445600, "ref": "o2", "id": "e3",
             "data": {"total": 80, "due": "2026-04-01T00:00:00+02:00"}},
            {"kind": "complaint_opened", "at": 1772697600},
            {"kind": "complaint_opened", "at": 1772784000, "id": "k2"},
            {"kind": "complaint_closed", "at": 1772787600, "ref": "zzz"},
            {"kind": "contact_sent", "at": 1772449200, "ref": "o2",
             "data": {"intent": "thanks", "channel": "email"}},
            {"kind": "order_placed", "at": 1772618400, "ref": "o3", "id": "e4",
             "data": {"total": 5}},
            {"kind": "review_submitted", "at": 1772964000, "ref": "o3"},
            {"kind": "complaint_opened", "at": 1773129600},
            {"kind": "order_delivered", "at": 1772884800, "ref": "o3", "id": "e5"},
        ]));
        (policy(&intents, triggers), given)
    }

    /// A proposal as the cross-check with Python printed it.
    fn row(p: &Proposal) -> Value {
        json!([
            p.trigger,
            p.intent,
            p.reference,
            p.anchor,
            p.anchor_at,
            p.basis,
            p.basis_at,
            p.earliest,
            p.expires,
            p.waiting_for
        ])
    }

    #[test]
    fn proposes_as_python() {
        let (policy, given) = scenario();
        let owner = customer("Etc/GMT-5", 1_767_297_600);
        let calendars = calendars();
        let zone = calendars.zone(&owner.timezone).unwrap();
        let history = History::new(&owner, given, &policy).unwrap();
        let found = propose(&policy, &history, &zone, 1_773_964_800, &calendars).unwrap();
        // What Python's `native.propose` gave for the same customer, history and now.
        #[rustfmt::skip]
        let expected = json!([
            [0, "review_request", "o1", 0, 1772359200, "order_delivered", 1772539200,
             1772798400, 1775131200, null],
            [7, "review_request", "o2", 1, 1772445600, "data.due", 1774994400, 1775858400,
             null, null],
            [1, "thanks", "o1", 0, 1772359200, "order_placed", 1772359200, 1772362800, null, null],
            [1, "thanks", "o3", 4, 1772618400, "order_placed", 1772618400, 1772622000, null, null],
            [2, "apology", "complaint_opened@2026-03-10T08:00:00+00:00", 10, 1773129600,
             "complaint_opened", 1773129600, 1773129600, null, null],
            [3, "survey", "o1", 0, 1772359200, "complaint_closed", 1772787600, 1772874000,
             null, null],
            [4, "welcome", null, null, 1767297600, "customer", 1767297600, 1767384000, null, null],
            [5, "monthly", "2026-03-02", null, 1772395200, "occurrence 2", 1772395200,
             1772395200, null, null],
            [5, "monthly", "2026-04-02", null, 1775073600, "occurrence 3", 1775073600,
             1775073600, null, null],
            [6, "survey2", "o1", 0, 1772359200, "order_returned", null, null, null,
             "order_returned (o1)"],
        ]);
        assert_eq!(Value::Array(found.iter().map(row).collect()), expected);
    }

    #[test]
    fn recurring_waits_for_its_first_occurrence() {
        let (policy, _) = scenario();
        let owner = customer("Etc/GMT-5", 1_767_297_600);
        let calendars = calendars();
        let zone = calendars.zone(&owner.timezone).unwrap();
        let history = History::new(&owner, Vec::new(), &policy).unwrap();
        let found = propose(&policy, &history, &zone, 1_767_297_600, &calendars).unwrap();
        let basis: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|p| (&*p.basis, p.reference.as_deref()))
            .collect();
        // The first occurrence is a month off, within a period of now.
        assert_eq!(
            basis,
            vec![("customer", None), ("occurrence 1", Some("2026-02-02"))]
        );
        let found = propose(
            &policy,
            &history,
            &zone,
            1_767_297_600 - 40 * 86_400,
            &calendars,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn finds_the_last_occurrence_by_doubling_and_halving() {
        let occurrence = |k: i64| Ok(100 + 7 * k);
        for (now, expected) in [
            (99, -1),
            (100, 0),
            (106, 0),
            (107, 1),
            (100 + 7 * 1000, 1000),
            (100 + 7 * 1001 - 1, 1000),
        ] {
            assert_eq!(last_at_or_before(&occurrence, now).unwrap(), expected);
        }
    }

    #[test]
    fn reads_instants_in_data_as_python() {
        let calendars = calendars();
        let hint = INSTANT_HINT;
        let cases = [
            (
                json!({"kind": "k", "at": 0, "id": "e9", "data": {"due": 5}}),
                "data.due",
                "must be an instant, not int",
                "event e9 (k).data.due",
                Some(json!(5)),
                Some(hint),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": [1]}}),
                "data.due",
                "must be an instant, not tuple",
                "event k (k).data.due",
                Some(json!([1])),
                Some(hint),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": {"a": 1}}}),
                "data.due",
                "must be an instant, not FrozenMap",
                "event k (k).data.due",
                Some(json!({"a": 1})),
                Some(hint),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": 1.5}}),
                "data.due",
                "must be an instant, not float",
                "event k (k).data.due",
                Some(json!(1.5)),
                Some(hint),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": true}}),
                "data.due",
                "must be an instant, not bool",
                "event k (k).data.due",
                Some(json!(true)),
                Some(hint),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": "2400-01-01T00:00:00Z"}}),
                "data.due",
                "is outside the years the library handles",
                "event k (k).data.due",
                Some(json!("2400-01-01T00:00:00Z")),
                Some("instants must fall in the years 1801 to 2399"),
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": "soon"}}),
                "data.due",
                "is not an ISO 8601 instant",
                "event k (k).data.due",
                Some(json!("soon")),
                None,
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"due": null}}),
                "data.due",
                "event k (k) has no data.due, which the trigger measures from",
                "data.due",
                None,
                None,
            ),
            (
                json!({"kind": "k", "at": 0, "data": {"a": "x"}}),
                "data.a.b",
                "event k (k) has no data.a.b, which the trigger measures from",
                "data.a.b",
                None,
                None,
            ),
        ];
        for (event, path, message, field, value, hint) in cases {
            let event: Event = serde_json::from_value(event).unwrap();
            let error = instant_in(Some(&event), path, &calendars).unwrap_err();
            assert_eq!(error.message, message);
            assert_eq!(error.field.as_deref(), Some(field));
            assert_eq!(error.value, value);
            assert_eq!(error.hint.as_deref(), hint);
        }
        let error = instant_in(None, "data.due", &calendars).unwrap_err();
        assert_eq!(
            error.message,
            "the anchor has no data.due, which the trigger measures from"
        );
        let event: Event = serde_json::from_value(json!({"kind": "k", "at": 0, "data": {
            "a": {"b": "2026-01-01T00:00:00+01:00"}, "end": "2399-12-31T23:59:59Z"}}))
        .unwrap();
        assert_eq!(
            instant_in(Some(&event), "data.a.b", &calendars).unwrap(),
            1_767_222_000
        );
        assert_eq!(
            instant_in(Some(&event), "data.end", &calendars).unwrap(),
            13_569_465_599
        );
    }

    #[test]
    fn keeps_the_first_position_of_a_replaced_proposal() {
        // Twenty refs overflow the scan into the map; the later, placeable trigger
        // replaces each waiting proposal where it stood.
        let triggers = json!([
            trigger("wait", "x", "placed", json!({"requires": "delivered"})),
            trigger("now", "x", "placed", json!({})),
        ]);
        let policy = policy(&["x"], triggers);
        let given: Vec<Value> = (0..20)
            .map(|i| json!({"kind": "placed", "at": 1000 + i, "ref": format!("r{i:02}")}))
            .collect();
        let owner = customer("UTC", 0);
        let calendars = calendars();
        let zone = calendars.zone("UTC").unwrap();
        let history = History::new(&owner, events(Value::Array(given)), &policy).unwrap();
        let found = propose(&policy, &history, &zone, 5000, &calendars).unwrap();
        let refs: Vec<String> = found
            .iter()
            .map(|p| p.reference.clone().unwrap_or_default().into_owned())
            .collect();
        let expected: Vec<String> = (0..20).map(|i| format!("r{i:02}")).collect();
        assert_eq!(refs, expected);
        assert!(found
            .iter()
            .all(|p| p.trigger == 1 && p.earliest == Some(p.anchor_at)));
    }
}
