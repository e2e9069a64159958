//! Conditions that triggers and guards test, on the anchor event, the customer and the
//! history (and, for a guard, the instant of the proposal's basis):
//! `outreach_rules/rules/conditions.py`.

use super::history::History;
use super::python::{self, Py, Side, TypeError};
use crate::error::{CoreError, ErrorKind, Result};
use crate::model::{Customer, Duration, Event, Instant};
use crate::policy::{Condition, Of};
use crate::time::calendar::WallRule;
use crate::time::{Calendars, Zone};
use serde_json::{Map, Value};

/// What a condition may look at.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub customer: &'a Customer,
    pub history: &'a History<'a>,
    /// The customer's zone.
    pub zone: &'a Zone,
    /// The anchor's instant.
    pub at: Instant,
    pub anchor: Option<&'a Event>,
    /// The instant of the proposal's basis: in a guard's context once it is known; None
    /// in a trigger's and while the proposal waits for it.
    pub basis_at: Option<Instant>,
}

/// The fields a `Match` may test besides `data.<path>` and `customer.attributes.<path>`.
const PLAIN: [&str; 6] = [
    "ref",
    "kind",
    "customer.id",
    "customer.country",
    "customer.country_code",
    "customer.timezone",
];

/// Whether `condition` holds in `context`.
pub fn holds(condition: &Condition, context: &Context, calendars: &Calendars) -> Result<bool> {
    match condition {
        Condition::Match { field, op, value } => match_holds(field, op, value, context),
        Condition::Tenure { at_least, at_most } => tenure_holds(at_least, at_most, context),
        Condition::Count {
            kind,
            at_least,
            at_most,
        } => Ok(count_holds(kind, *at_least, *at_most, context)),
        Condition::Sent { intent } => Ok(sent_holds(intent, context)),
        Condition::InWindow { start, end, of } => {
            let at = match of {
                Of::Anchor => context.at,
                Of::Basis => match context.basis_at {
                    Some(at) => at,
                    None => return Ok(false),
                },
            };
            let window = WallRule::AnnualWindow {
                start: *start,
                end: *end,
                inside: true,
            };
            window.allows(context.zone.to_wall(at)?, calendars)
        }
        Condition::AnyOf { conditions } => any_holds(conditions, context, calendars),
    }
}

/// Whether every one of `conditions` holds, tested in order until one does not.
pub fn all_hold(
    conditions: &[Condition],
    context: &Context,
    calendars: &Calendars,
) -> Result<bool> {
    for condition in conditions {
        if !holds(condition, context, calendars)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn any_holds(conditions: &[Condition], context: &Context, calendars: &Calendars) -> Result<bool> {
    for condition in conditions {
        if holds(condition, context, calendars)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The first instant from which `condition` holds for good, or None if it never does.
pub fn first_holds(
    condition: &Condition,
    customer: &Customer,
    history: &History,
    zone: &Zone,
    calendars: &Calendars,
) -> Result<Option<Instant>> {
    match condition {
        Condition::Match { field, .. } if field.starts_with("customer.") => {
            let context = Context {
                customer,
                history,
                zone,
                at: history.since,
                anchor: None,
                basis_at: None,
            };
            Ok(holds(condition, &context, calendars)?.then_some(history.since))
        }
        Condition::Tenure { at_least, .. } => match at_least {
            None => Ok(Some(history.since)),
            Some(duration) => Ok(Some(duration.add_to(history.since, zone, 1)?)),
        },
        Condition::Count { kind, at_least, .. } => Ok(count_first_holds(kind, *at_least, history)),
        Condition::AnyOf { conditions } => {
            let mut earliest: Option<Instant> = None;
            for inner in conditions {
                let found = first_holds(inner, customer, history, zone, calendars)?;
                earliest = match (earliest, found) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(earliest)
        }
        _ => Err(not_lasting(condition)),
    }
}

/// The instant of the `at_least`-th event of `kind`: from then on the count holds.
fn count_first_holds(kind: &str, at_least: Option<i64>, history: &History) -> Option<Instant> {
    let needed = at_least.unwrap_or(0);
    if needed <= 0 {
        return Some(history.since);
    }
    let indexes = history.indexes_of(kind);
    let nth = usize::try_from(needed - 1).ok()?;
    indexes.get(nth).map(|&i| history.times[i])
}

fn not_lasting(condition: &Condition) -> CoreError {
    CoreError::new(
        ErrorKind::Policy,
        "cannot start a recurring trigger: it does not stay true once it holds",
    )
    .field("when")
    .value(describe(condition))
    .hint("use tenure or count with at_least, or tests on the customer")
}

/// A condition as Python's `repr` shows it, near enough for an error message.
pub fn describe(condition: &Condition) -> String {
    match condition {
        Condition::Match { field, op, value } => format!(
            "Match(field={}, op={}, value={})",
            quoted(field),
            quoted(op),
            python::repr(value)
        ),
        Condition::Tenure { at_least, at_most } => format!(
            "Tenure(at_least={}, at_most={})",
            duration_text(at_least),
            duration_text(at_most)
        ),
        Condition::Count {
            kind,
            at_least,
            at_most,
        } => format!(
            "Count(kind={}, at_least={}, at_most={})",
            quoted(kind),
            number_text(*at_least),
            number_text(*at_most)
        ),
        Condition::Sent { intent } => format!("Sent(intent={})", quoted(intent)),
        Condition::InWindow { start, end, of } => format!(
            "InWindow(start=({}, {}), end=({}, {}), of={})",
            start.0,
            start.1,
            end.0,
            end.1,
            match of {
                Of::Anchor => "'anchor'",
                Of::Basis => "'basis'",
            }
        ),
        Condition::AnyOf { conditions } => {
            let inner: Vec<String> = conditions.iter().map(describe).collect();
            let comma = if inner.len() == 1 { "," } else { "" };
            format!("AnyOf(conditions=({}{comma}))", inner.join(", "))
        }
    }
}

fn quoted(text: &str) -> String {
    python::repr(&Value::from(text))
}

fn duration_text(duration: &Option<Duration>) -> String {
    duration
        .as_ref()
        .map_or_else(|| "None".to_owned(), |d| quoted(&d.text))
}

fn number_text(number: Option<i64>) -> String {
    number.map_or_else(|| "None".to_owned(), |n| n.to_string())
}

fn tenure_holds(
    at_least: &Option<Duration>,
    at_most: &Option<Duration>,
    context: &Context,
) -> Result<bool> {
    let since = context.history.since;
    if let Some(duration) = at_least {
        if context.at < duration.add_to(since, context.zone, 1)? {
            return Ok(false);
        }
    }
    match at_most {
        None => Ok(true),
        Some(duration) => Ok(context.at <= duration.add_to(since, context.zone, 1)?),
    }
}

fn count_holds(kind: &str, at_least: Option<i64>, at_most: Option<i64>, context: &Context) -> bool {
    let count = i64::try_from(context.history.count(kind, context.at)).unwrap_or(i64::MAX);
    at_least.is_none_or(|least| count >= least) && at_most.is_none_or(|most| count <= most)
}

/// A contact of the intent about the anchor's ref; for an anchor without a ref, any.
fn sent_holds(intent: &str, context: &Context) -> bool {
    let reference = context
        .anchor
        .and_then(|anchor| anchor.reference.as_deref());
    context.history.contacts.iter().any(|contact| {
        contact.intent == intent
            && (reference.is_none() || contact.reference.as_deref() == reference)
    })
}

/// What a `Match` field holds; `Missing` where Python finds `_MISSING`.
enum Found<'a> {
    Missing,
    Text(&'a str),
    Value(&'a Value),
}

fn match_holds(field: &str, op: &str, value: &Value, context: &Context) -> Result<bool> {
    let found = lookup(field, context)?;
    if op == "exists" || op == "missing" {
        return Ok(!matches!(found, Found::Missing) == (op == "exists"));
    }
    let found = match found {
        Found::Missing => return Ok(false),
        Found::Text(text) => Py::Str(text),
        Found::Value(value) => Py::of(value, Side::Data),
    };
    Ok(compare(found, op, Py::of(value, Side::Policy))?.unwrap_or(false))
}

/// Python's `_OPERATORS[op](found, value)`; a `TypeError` is None.
fn compare(found: Py, op: &str, value: Py) -> Result<Option<bool>> {
    let outcome: Result<bool, TypeError> = match op {
        "eq" => Ok(python::eq(found, value)),
        "ne" => Ok(!python::eq(found, value)),
        "lt" | "le" | "gt" | "ge" => python::order(found, value, op),
        "in" => python::contains(value, found),
        "not_in" => python::contains(value, found).map(|within| !within),
        _ => return Err(unknown_op(op)),
    };
    Ok(outcome.ok())
}

fn unknown_op(op: &str) -> CoreError {
    CoreError::new(ErrorKind::Policy, "is not an operator")
        .field("op")
        .value(op)
        .hint("use one of eq, ne, lt, le, gt, ge, in, not_in, exists, missing")
}

/// Python's `Match._lookup`.
fn lookup<'a>(field: &str, context: &Context<'a>) -> Result<Found<'a>> {
    let customer = context.customer;
    if let Some(path) = field.strip_prefix("customer.attributes.") {
        return Ok(dig(&customer.attributes, path));
    }
    if let Some(name) = field.strip_prefix("customer.") {
        return match name {
            "id" => Ok(Found::Text(&customer.id)),
            "country" => Ok(Found::Text(&customer.country)),
            "country_code" => Ok(Found::Text(customer.country_code())),
            "timezone" => Ok(Found::Text(&customer.timezone)),
            _ => Err(unknown_field(field)),
        };
    }
    let Some(anchor) = context.anchor else {
        return Ok(Found::Missing);
    };
    if let Some(path) = field.strip_prefix("data.") {
        return Ok(dig(&anchor.data, path));
    }
    match field {
        "ref" => Ok(anchor
            .reference
            .as_deref()
            .map_or(Found::Missing, Found::Text)),
        "kind" => Ok(Found::Text(&anchor.kind)),
        _ => Err(unknown_field(field)),
    }
}

fn unknown_field(field: &str) -> CoreError {
    CoreError::new(ErrorKind::Policy, "is not a field a condition can test")
        .field("field")
        .value(field)
        .hint(format!(
            "use {}, 'data.<key>' or 'customer.attributes.<key>'",
            PLAIN.join(", ")
        ))
}

/// The value at a dotted `path` into nested maps.
fn dig<'a>(data: &'a Map<String, Value>, path: &str) -> Found<'a> {
    let mut keys = path.split('.');
    let Some(first) = keys.next() else {
        return Found::Missing;
    };
    let Some(mut found) = data.get(first) else {
        return Found::Missing;
    };
    for key in keys {
        match found.as_object().and_then(|map| map.get(key)) {
            Some(inner) => found = inner,
            None => return Found::Missing,
        }
    }
    Found::Value(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triggers::testing::{calendars, customer, events, policy};
    use serde_json::json;

    const T: Instant = 1_772_359_200; // 2026-03-01T10:00:00Z
    const SINCE: Instant = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn owner() -> Customer {
        let mut owner = customer("Etc/GMT-5", SINCE);
        owner.country = "US-FL".to_owned();
        let attributes =
            json!({"tier": "gold", "score": 7, "tags": ["a", "b"], "nested": {"k": [1, 2]}});
        owner.attributes = attributes.as_object().cloned().unwrap_or_default();
        owner
    }

    fn anchor() -> Event {
        let data = json!({"total": 20, "flag": true, "items": [1, [2, "x"]], "gift": null,
                          "m": {"a": [1]}, "s": "gold card"});
        events(json!([{"kind": "order_placed", "at": T, "ref": "o1", "data": data}])).remove(0)
    }

    fn condition(json: Value) -> Condition {
        serde_json::from_value(json).unwrap()
    }

    fn check(owner: &Customer, anchor: Option<&Event>, at: Instant, cases: &[(Value, bool)]) {
        check_with_basis(owner, anchor, at, None, cases);
    }

    fn check_with_basis(
        owner: &Customer,
        anchor: Option<&Event>,
        at: Instant,
        basis_at: Option<Instant>,
        cases: &[(Value, bool)],
    ) {
        let calendars = calendars();
        let zone = calendars.zone(&owner.timezone).unwrap();
        let policy = policy(&[], json!([]));
        let history = History::new(owner, Vec::new(), &policy).unwrap();
        let context = Context {
            customer: owner,
            history: &history,
            zone: &zone,
            at,
            anchor,
            basis_at,
        };
        for (json, expected) in cases {
            let found = holds(&condition(json.clone()), &context, &calendars).unwrap();
            assert_eq!(found, *expected, "{json}");
        }
    }

    fn case(field: &str, op: &str, value: Value, expected: bool) -> (Value, bool) {
        (
            json!({"type": "match", "field": field, "op": op, "value": value}),
            expected,
        )
    }

    #[test]
    fn matches_as_python_compares() {
        let cases = [
            case("data.total", "eq", json!(20.0), true),
            case("data.total", "eq", json!(true), false),
            case("data.flag", "eq", json!(1), true),
            case("data.flag", "lt", json!(2), true),
            case("data.flag", "ge", json!(true), true),
            case("data.total", "lt", json!("x"), false),
            case("data.total", "ne", json!("x"), true),
            case("data.total", "eq", json!("20"), false),
            case("data.items", "eq", json!([1, [2, "x"]]), true),
            case("data.items", "lt", json!([1, [2, "y"]]), true),
            case("data.items", "lt", json!([1, [3]]), true),
            case("data.items", "lt", json!([1, ["a"]]), false),
            case("data.items", "gt", json!([1]), true),
            case("data.gift", "exists", json!(null), true),
            case("data.gift", "eq", json!(null), true),
            case("data.gift", "lt", json!(1), false),
            case("data.gift", "ne", json!(0), true),
            case("data.none", "missing", json!(null), true),
            case("data.none", "ne", json!(1), false),
            case("data.m", "eq", json!({"a": [1]}), false),
            case("data.m", "ne", json!({"a": [1]}), true),
            case("data.m", "in", json!({"a": 1}), false),
            case("data.m", "lt", json!({"a": 1}), false),
            case("data.s", "in", json!("gold cards"), true),
            case("data.total", "in", json!("20"), false),
            case("data.total", "not_in", json!("20"), false),
            case("data.s", "in", json!({"gold card": 1}), true),
            case("data.total", "in", json!({"20": 1}), false),
            case("data.total", "in", json!([1, 20.0]), true),
            case("data.total", "not_in", json!([1, 2]), true),
            case("data.total", "in", json!(5), false),
            case("data.total", "not_in", json!(5), false),
            case("ref", "eq", json!("o1"), true),
            case("ref", "in", json!(["o1", "o2"]), true),
            case("kind", "eq", json!("order_placed"), true),
            case("customer.country_code", "eq", json!("US"), true),
            case("customer.country", "eq", json!("US-FL"), true),
            case("customer.id", "ge", json!("c0"), true),
            case("customer.timezone", "eq", json!("Etc/GMT-5"), true),
            case(
                "customer.attributes.tier",
                "in",
                json!(["gold", "silver"]),
                true,
            ),
            case("customer.attributes.tags", "eq", json!(["a", "b"]), true),
            case("customer.attributes.nested.k", "eq", json!([1, 2]), true),
            case(
                "customer.attributes.nested.k.x",
                "missing",
                json!(null),
                true,
            ),
            case("customer.attributes.score", "gt", json!(6.5), true),
            case("data.items", "in", json!([[1, [2, "x"]]]), true),
            case("data.m", "in", json!([{"a": [1]}]), false),
            case("data.s", "lt", json!("gold"), false),
            case("data.s", "gt", json!("gold"), true),
        ];
        let anchor = anchor();
        check(&owner(), Some(&anchor), T, &cases);
    }

    #[test]
    fn a_missing_anchor_or_ref_is_missing() {
        let mut no_ref = anchor();
        no_ref.reference = None;
        let cases = [
            case("ref", "missing", json!(null), true),
            case("ref", "ne", json!("x"), false),
        ];
        check(&owner(), Some(&no_ref), T, &cases);
        let cases = [
            case("kind", "missing", json!(null), true),
            case("data.total", "exists", json!(null), false),
            case("customer.id", "eq", json!("c1"), true),
        ];
        check(&owner(), None, T, &cases);
    }

    #[test]
    fn windows_read_the_local_date() {
        let window = json!({"type": "in_window", "start": [12, 20], "end": [1, 5]});
        for (at, expected) in [
            (1_797_706_799, false), // 2026-12-19T18:59:59Z
            (1_797_706_800, true),
            (1_799_175_599, true), // 2027-01-05T18:59:59Z
            (1_799_175_600, false),
        ] {
            check(&owner(), None, at, &[(window.clone(), expected)]);
        }
    }

    #[test]
    fn windows_of_the_basis_read_the_basis_date_once_it_is_known() {
        let of =
            |of: &str| json!({"type": "in_window", "start": [12, 20], "end": [1, 5], "of": of});
        let inside = 1_797_706_800; // 2026-12-20T00:00 in the customer's zone
        let outside = inside - 1;
        // The anchor (1 March) is outside the window, the basis inside it: only a window
        // of the basis holds; a window without `of` tests the anchor.
        let unsaid = json!({"type": "in_window", "start": [12, 20], "end": [1, 5]});
        let cases = [(of("basis"), true), (of("anchor"), false), (unsaid, false)];
        check_with_basis(&owner(), None, T, Some(inside), &cases);
        let cases = [(of("basis"), false)];
        check_with_basis(&owner(), None, inside, Some(outside), &cases);
        // A basis not yet known (the proposal waits for it): the window does not hold.
        let cases = [(of("basis"), false), (of("anchor"), true)];
        check_with_basis(&owner(), None, inside, None, &cases);
    }

    #[test]
    fn windows_are_described_as_python_shows_them() {
        let window = json!({"type": "in_window", "start": [11, 15], "end": [12, 26]});
        let described = describe(&condition(window));
        assert_eq!(
            described,
            "InWindow(start=(11, 15), end=(12, 26), of='anchor')"
        );
        let window = json!({"type": "any_of", "conditions": [
            {"type": "in_window", "start": [11, 15], "end": [12, 26], "of": "basis"}]});
        let described = describe(&condition(window));
        let expected = "AnyOf(conditions=(InWindow(start=(11, 15), end=(12, 26), of='basis'),))";
        assert_eq!(described, expected);
    }

    #[test]
    fn tenure_counts_and_sent() {
        let owner = owner();
        let calendars = calendars();
        let zone = calendars.zone(&owner.timezone).unwrap();
        let policy = policy(&["thanks"], json!([]));
        let given = events(json!([
            {"kind": "order_placed", "at": T},
            {"kind": "order_placed", "at": T + 10},
            {"kind": "contact_sent", "at": T + 20, "ref": "o1", "data": {"intent": "thanks"}},
        ]));
        let history = History::new(&owner, given, &policy).unwrap();
        let anchor = anchor();
        let context = Context {
            customer: &owner,
            history: &history,
            zone: &zone,
            at: T + 5,
            anchor: Some(&anchor),
            basis_at: None,
        };
        let month = json!({"months": 1, "days": 0, "seconds": 0, "text": "1 month"});
        let cases = [
            (
                json!({"type": "tenure", "at_least": month, "at_most": null}),
                true,
            ),
            (
                json!({"type": "tenure", "at_least": null, "at_most": month}),
                false,
            ),
            (
                json!({"type": "count", "kind": "order_placed", "at_least": 1, "at_most": 1}),
                true,
            ),
            (
                json!({"type": "count", "kind": "order_placed", "at_least": 2, "at_most": null}),
                false,
            ),
            (json!({"type": "sent", "intent": "thanks"}), true),
            (json!({"type": "sent", "intent": "other"}), false),
            (
                json!({"type": "any_of", "conditions": [{"type": "sent", "intent": "other"},
                                                      {"type": "sent", "intent": "thanks"}]}),
                true,
            ),
        ];
        for (json, expected) in &cases {
            assert_eq!(
                holds(&condition(json.clone()), &context, &calendars).unwrap(),
                *expected,
                "{json}"
            );
        }
        let conditions = [condition(cases[0].0.clone()), condition(cases[1].0.clone())];
        assert!(!all_hold(&conditions, &context, &calendars).unwrap());
        let mut other = anchor.clone();
        other.reference = Some("o2".to_owned());
        let context = Context {
            anchor: Some(&other),
            ..context
        };
        assert!(!holds(
            &condition(json!({"type": "sent", "intent": "thanks"})),
            &context,
            &calendars
        )
        .unwrap());
    }

    #[test]
    fn first_holds_as_python() {
        let owner = owner();
        let calendars = calendars();
        let zone = calendars.zone(&owner.timezone).unwrap();
        let policy = policy(&[], json!([]));
        let history =
            History::new(&owner, events(json!([{"kind": "x", "at": T}])), &policy).unwrap();
        let first =
            |json: Value| first_holds(&condition(json), &owner, &history, &zone, &calendars);
        let month = json!({"months": 1, "days": 0, "seconds": 0, "text": "1 month"});
        let any = json!({"type": "any_of", "conditions": [
            {"type": "count", "kind": "x", "at_least": 1, "at_most": null},
            {"type": "tenure", "at_least": month, "at_most": null},
            {"type": "match", "field": "customer.id", "op": "eq", "value": "c1"}]});
        assert_eq!(first(any).unwrap(), Some(SINCE));
        let count = json!({"type": "count", "kind": "x", "at_least": 1, "at_most": null});
        assert_eq!(first(count).unwrap(), Some(T));
        let count = json!({"type": "count", "kind": "x", "at_least": 2, "at_most": null});
        assert_eq!(first(count).unwrap(), None);
        let tenure = json!({"type": "tenure", "at_least": month, "at_most": null});
        assert_eq!(first(tenure).unwrap(), Some(1_769_904_000));
        let other = json!({"type": "match", "field": "customer.id", "op": "eq", "value": "c2"});
        assert_eq!(first(other).unwrap(), None);
        let error = first(json!({"type": "sent", "intent": "x"})).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Policy);
        assert_eq!(
            error.message,
            "cannot start a recurring trigger: it does not stay true once it holds"
        );
        assert_eq!(error.field.as_deref(), Some("when"));
        assert_eq!(error.value, Some(json!("Sent(intent='x')")));
        assert_eq!(
            error.hint.as_deref(),
            Some("use tenure or count with at_least, or tests on the customer")
        );
    }
}
