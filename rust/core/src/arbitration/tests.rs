//! Plans checked step for step against what Python's planner gives for the same policy,
//! customer, events and instant (`test_policy.json` is that policy compiled by Python).

use super::*;
use crate::time::zone::year_start;
use crate::time::{Sources, YearTable};
use std::sync::Arc;

/// UTC only, and no public holidays.
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

struct Scenario {
    name: &'static str,
    customer: &'static str,
    events: &'static str,
    now: Instant,
    /// The decisions and their steps as Python prints them.
    expected: &'static [&'static str],
}

fn text<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_owned(), |value| value.to_string())
}

/// A decision and its steps, one line each, in the form of `expected`.
fn lines(decision: &RawDecision) -> Vec<String> {
    let mut lines = vec![format!(
        "{} {} {} {} {} {} {} {}",
        decision.id,
        decision.intent,
        text(decision.reference.as_deref()),
        decision.status.as_str(),
        text(decision.send_at),
        text(decision.channel.map(Channel::as_str)),
        text(decision.expires),
        text(decision.waiting_for.as_deref()),
    )];
    for step in &decision.steps {
        lines.push(format!(
            "  {} | {} | {} | {} | {}",
            step.rule,
            step.effect.as_str(),
            step.why,
            text(step.before),
            text(step.after),
        ));
    }
    lines
}

fn planned(scenario: &Scenario) -> Vec<String> {
    let policy: Policy = serde_json::from_str(include_str!("test_policy.json")).expect("policy");
    let calendars = Calendars::new(Arc::new(UtcSources));
    let customer: Customer = serde_json::from_str(scenario.customer).expect("customer");
    let events: Vec<Event> = serde_json::from_str(scenario.events).expect("events");
    let decisions = plan(&policy, &calendars, &customer, events, scenario.now).expect("plan");
    decisions.iter().flat_map(lines).collect()
}

fn check(name: &str) {
    let scenario = SCENARIOS.iter().find(|s| s.name == name).expect("scenario");
    assert_eq!(planned(scenario), scenario.expected, "scenario {name}");
}

#[test]
fn decision_ids_match_python() {
    // python3 -c "import hashlib; print('d-'+hashlib.blake2b(
    //   'c1\x1freview_request\x1fo1'.encode(), digest_size=10).hexdigest())"
    assert_eq!(
        decision_id("c1", "review_request", Some("o1")),
        "d-d99ba49228861d602f3e"
    );
    assert_eq!(decision_id("c1", "promo", None), "d-d95d98af2b2fc072ae6a");
}

#[test]
fn scheduled_with_deferrals_and_allowed_steps() {
    check("scheduled");
}

#[test]
fn waiting_for_the_required_event() {
    check("waiting");
}

#[test]
fn no_reachable_channel_is_suppressed() {
    check("unreachable");
}

#[test]
fn missing_consent_waits_for_opted_in() {
    check("no_consent");
    check("opted_out");
}

#[test]
fn unreachable_channel_is_skipped() {
    check("skip");
}

#[test]
fn expiry_texts() {
    check("blackout_expiry");
    check("channel_expiry");
}

#[test]
fn open_complaint_holds_the_decision() {
    check("held");
}

#[test]
fn preferred_channel_first_and_outage_skipped() {
    check("preferred_and_outage");
}

#[test]
fn personal_intent_ignores_preferred_channel() {
    check("apology");
}

#[test]
fn every_scenario_matches_python() {
    for scenario in SCENARIOS {
        assert_eq!(
            planned(scenario),
            scenario.expected,
            "scenario {}",
            scenario.name
        );
    }
}

#[test]
fn plan_records_writes_what_plan_and_write_decisions_write() {
    let policy: Policy = serde_json::from_str(include_str!("test_policy.json")).expect("policy");
    let calendars = Calendars::new(Arc::new(UtcSources));
    let zone = calendars.zone("UTC").expect("UTC");
    let forms = [Form::Jsonl, Form::Csv];
    let levels = [TraceLevel::Full, TraceLevel::None];
    for scenario in SCENARIOS {
        let customer: Customer = serde_json::from_str(scenario.customer).expect("customer");
        let events: Vec<Event> = serde_json::from_str(scenario.events).expect("events");
        let now = scenario.now;
        let decisions = plan(&policy, &calendars, &customer, events.clone(), now).expect("plan");
        for (form, trace) in forms.into_iter().flat_map(|f| levels.map(|t| (f, t))) {
            let mut expected = Vec::new();
            records::write_decisions(&mut expected, &customer, &zone, &decisions, form, trace)
                .expect("records");
            // Twice, so that the second plan runs in the buffers the first one left.
            for _ in 0..2 {
                let mut out = Vec::new();
                let events = events.clone();
                plan_records(
                    &policy, &calendars, &customer, events, now, &mut out, form, trace,
                )
                .expect("records");
                assert_eq!(
                    out, expected,
                    "scenario {} {form:?} {trace:?}",
                    scenario.name
                );
            }
        }
    }
}

#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "scheduled",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"]}"#,
        events: r#"[{"kind": "order_placed", "at": 1780308000, "ref": "o1"}, {"kind": "order_delivered", "at": 1780434000, "ref": "o1"}]"#,
        now: 1780434000,
        expected: &[
            "d-22d6bfecabcfbb55fc31 survey o1 scheduled 1780563600 email 1780606800 None",
            "  survey | proposed | trigger survey: order_delivered (o1) at Tue 2 Jun 2026 21:00; from 1 day later; lapses 2 days after | None | 1780520400",
            "  quiet-hours | deferred | only 09:00-20:00 every day, in the customer's time zone (UTC) | 1780520400 | 1780563600",
            "  survey-spacing | allowed | not within 1 day after contact_sent | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  channel | chose_channel | email, the first channel for survey the customer can receive | None | 1780563600",
            "d-d99ba49228861d602f3e review_request o1 scheduled 1780736400 email 1781298000 None",
            "  review | proposed | Ask for a review: order_delivered (o1) at Tue 2 Jun 2026 21:00; from 3 days later; lapses 10 days after | None | 1780693200",
            "  quiet-hours | deferred | only 09:00-20:00 every day, in the customer's time zone (UTC) | 1780693200 | 1780736400",
            "  not-on-order-day | allowed | not on the same day as order_placed, in the customer's calendar | None | None",
            "  review-cap | allowed | at most 1 review_request contact in any 30 days | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  channel | chose_channel | email, the first channel for review_request the customer can receive | None | 1780736400",
        ],
    },
    Scenario {
        name: "waiting",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"]}"#,
        events: r#"[{"kind": "order_placed", "at": 1780308000, "ref": "o1"}]"#,
        now: 1780358400,
        expected: &[
            "d-d99ba49228861d602f3e review_request o1 waiting None None None order_delivered (o1)",
            "  review | proposed | Ask for a review: waits for order_delivered (o1) | None | None",
            "  review | waiting | waits for order_delivered (o1) | None | None",
        ],
    },
    Scenario {
        name: "unreachable",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1780185600, "channels": ["sms"], "consents": {"marketing": true}}"#,
        events: r#"[]"#,
        now: 1780272000,
        expected: &[
            "d-d95d98af2b2fc072ae6a promo None suppressed None None 1782777600 None",
            "  promo-welcome | proposed | trigger promo-welcome: customer at Sun 31 May 2026 00:00; lapses 30 days after | None | 1780185600",
            "  plan-now | deferred | the earliest time has passed: it can go out from now | 1780185600 | 1780272000",
            "  channel-available | skipped_channel | not email: the customer cannot be reached by email | None | None",
            "  channel | blocked | no channel can carry it (email) | None | None",
        ],
    },
    Scenario {
        name: "no_consent",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1780185600, "channels": ["email", "sms", "phone"]}"#,
        events: r#"[]"#,
        now: 1780272000,
        expected: &[
            "d-d95d98af2b2fc072ae6a promo None waiting None None 1782777600 opted_in",
            "  promo-welcome | proposed | trigger promo-welcome: customer at Sun 31 May 2026 00:00; lapses 30 days after | None | 1780185600",
            "  plan-now | deferred | the earliest time has passed: it can go out from now | 1780185600 | 1780272000",
            "  marketing-consent | blocked | needs the customer's consent to marketing messages; waits for opted_in | None | None",
        ],
    },
    Scenario {
        name: "opted_out",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1780185600, "channels": ["email", "sms", "phone"], "consents": {"marketing": true}}"#,
        events: r#"[{"kind": "opted_out", "at": 1780268400, "data": {"category": "marketing"}}]"#,
        now: 1780272000,
        expected: &[
            "d-d95d98af2b2fc072ae6a promo None waiting None None 1782777600 opted_in",
            "  promo-welcome | proposed | trigger promo-welcome: customer at Sun 31 May 2026 00:00; lapses 30 days after | None | 1780185600",
            "  plan-now | deferred | the earliest time has passed: it can go out from now | 1780185600 | 1780272000",
            "  category-consent | blocked | the customer said no to marketing messages; waits for opted_in | None | None",
        ],
    },
    Scenario {
        name: "skip",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["sms"]}"#,
        events: r#"[{"kind": "order_placed", "at": 1780308000, "ref": "o1"}, {"kind": "order_delivered", "at": 1780394400, "ref": "o1"}, {"kind": "contact_sent", "at": 1780650000, "data": {"intent": "other", "channel": "sms"}}]"#,
        now: 1780394400,
        expected: &[
            "d-22d6bfecabcfbb55fc31 survey o1 scheduled 1780480800 sms 1780567200 None",
            "  survey | proposed | trigger survey: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 1 day later; lapses 2 days after | None | 1780480800",
            "  survey-spacing | allowed | not within 1 day after contact_sent | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  sms-cap | allowed | at most 1 sms contact in any 1 day | None | None",
            "  quiet-hours | allowed | only 09:00-20:00 every day, in the customer's time zone (UTC) | None | None",
            "  channel-available | skipped_channel | not email: the customer cannot be reached by email | None | None",
            "  channel | chose_channel | sms, since email could not carry it | None | 1780480800",
            "d-d99ba49228861d602f3e review_request o1 scheduled 1780736400 sms 1781258400 None",
            "  review | proposed | Ask for a review: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 3 days later; lapses 10 days after | None | 1780653600",
            "  sms-cap | deferred | at most 1 sms contact in any 1 day | 1780653600 | 1780736400",
            "  not-on-order-day | allowed | not on the same day as order_placed, in the customer's calendar | None | None",
            "  review-cap | allowed | at most 1 review_request contact in any 30 days | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  quiet-hours | allowed | only 09:00-20:00 every day, in the customer's time zone (UTC) | None | None",
            "  channel-available | skipped_channel | not email: the customer cannot be reached by email | None | None",
            "  channel | chose_channel | sms, since email could not carry it | None | 1780736400",
        ],
    },
    Scenario {
        name: "blackout_expiry",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"]}"#,
        events: r#"[{"kind": "order_delivered", "at": 1780279200, "ref": "o1", "data": {"gift": true}}]"#,
        now: 1780279200,
        expected: &[
            "d-22d6bfecabcfbb55fc31 survey o1 suppressed None None 1780452000 None",
            "  survey | proposed | trigger survey: order_delivered (o1) at Mon 1 Jun 2026 02:00; from 1 day later; lapses 2 days after | None | 1780365600",
            "  survey-blackout | deferred | not from Mon 1 Jun 2026 00:00 to Wed 1 Jul 2026 00:00, in the customer's time zone | 1780365600 | 1782864000",
            "  survey-blackout | expired | the first allowed time falls after it lapses on Wed 3 Jun 2026 02:00 (not from Mon 1 Jun 2026 00:00 to Wed 1 Jul 2026 00:00, in the customer's time zone) | None | None",
        ],
    },
    Scenario {
        name: "channel_expiry",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"]}"#,
        events: r#"[{"kind": "cart_abandoned", "at": 1780351200, "ref": "k1"}]"#,
        now: 1780351200,
        expected: &[
            "d-2ab6e09efce793b31d4d flash k1 suppressed None None 1780354800 None",
            "  flash | proposed | trigger flash: cart_abandoned (k1) at Mon 1 Jun 2026 22:00; lapses 1 hour after | None | 1780351200",
            "  quiet-hours | skipped_channel | not email: the first allowed time falls after it lapses on Mon 1 Jun 2026 23:00 (only 09:00-20:00 every day, in the customer's time zone (UTC)) | None | None",
            "  quiet-hours | skipped_channel | not sms: the first allowed time falls after it lapses on Mon 1 Jun 2026 23:00 (only 09:00-20:00 every day, in the customer's time zone (UTC)) | None | None",
            "  expiry | expired | on every channel it could use, the first allowed time is after it lapses on Mon 1 Jun 2026 23:00 | None | None",
        ],
    },
    Scenario {
        name: "held",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"], "attributes": {"preferred_channel": "sms"}}"#,
        events: r#"[{"kind": "order_placed", "at": 1780308000, "ref": "o1"}, {"kind": "order_delivered", "at": 1780394400, "ref": "o1"}, {"kind": "complaint_opened", "at": 1780358400, "ref": "x1"}]"#,
        now: 1780394400,
        expected: &[
            "d-d99ba49228861d602f3e review_request o1 waiting None None 1781258400 complaint_resolved",
            "  review | proposed | Ask for a review: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 3 days later; lapses 10 days after | None | 1780653600",
            "  hold-for-complaint | blocked | not while a complaint_opened is open (until complaint_resolved); waits for complaint_resolved | None | None",
            "d-22d6bfecabcfbb55fc31 survey o1 waiting None None 1780567200 complaint_resolved",
            "  survey | proposed | trigger survey: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 1 day later; lapses 2 days after | None | 1780480800",
            "  hold-for-complaint | blocked | not while a complaint_opened is open (until complaint_resolved); waits for complaint_resolved | None | None",
        ],
    },
    Scenario {
        name: "preferred_and_outage",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"], "attributes": {"preferred_channel": "sms"}}"#,
        events: r#"[{"kind": "order_placed", "at": 1780308000, "ref": "o1"}, {"kind": "order_delivered", "at": 1780394400, "ref": "o1"}, {"kind": "channel_down", "at": 1780272000, "data": {"channel": "sms"}}, {"kind": "cart_abandoned", "at": 1780401600, "ref": "k2"}]"#,
        now: 1780394400,
        expected: &[
            "d-22d6bfecabcfbb55fc31 survey o1 scheduled 1780480800 email 1780567200 None",
            "  survey | proposed | trigger survey: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 1 day later; lapses 2 days after | None | 1780480800",
            "  survey-spacing | allowed | not within 1 day after contact_sent | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  quiet-hours | allowed | only 09:00-20:00 every day, in the customer's time zone (UTC) | None | None",
            "  channel-down | skipped_channel | not sms: sms is down; waits for channel_restored | None | None",
            "  channel | chose_channel | email, since sms could not carry it | None | 1780480800",
            "d-d99ba49228861d602f3e review_request o1 scheduled 1780653600 email 1781258400 None",
            "  review | proposed | Ask for a review: order_delivered (o1) at Tue 2 Jun 2026 10:00; from 3 days later; lapses 10 days after | None | 1780653600",
            "  not-on-order-day | allowed | not on the same day as order_placed, in the customer's calendar | None | None",
            "  review-cap | allowed | at most 1 review_request contact in any 30 days | None | None",
            "  contact-pressure | allowed | at most 2 marketing or relationship contacts in any 1 week | None | None",
            "  quiet-hours | allowed | only 09:00-20:00 every day, in the customer's time zone (UTC) | None | None",
            "  channel-down | skipped_channel | not sms: sms is down; waits for channel_restored | None | None",
            "  channel | chose_channel | email, since sms could not carry it | None | 1780653600",
            "d-25d54bb2ec961d73f92e flash k2 suppressed None None 1780405200 None",
            "  flash | proposed | trigger flash: cart_abandoned (k2) at Tue 2 Jun 2026 12:00; lapses 1 hour after | None | 1780401600",
            "  contact-pressure | deferred | at most 2 marketing or relationship contacts in any 1 week | 1780401600 | 1781085600",
            "  contact-pressure | expired | the first allowed time falls after it lapses on Tue 2 Jun 2026 13:00 (at most 2 marketing or relationship contacts in any 1 week) | None | None",
        ],
    },
    Scenario {
        name: "apology",
        customer: r#"{"id": "c1", "timezone": "UTC", "country": "GB", "since": 1745712000, "channels": ["email", "sms", "phone"], "attributes": {"preferred_channel": "email"}}"#,
        events: r#"[{"kind": "incident_caused", "at": 1780747200, "ref": "i1"}]"#,
        now: 1780747200,
        expected: &[
            "d-62eb5a967ef7e3610a2b apology i1 scheduled 1780912800 phone 1781956800 None",
            "  apology | proposed | trigger apology: incident_caused (i1) at Sat 6 Jun 2026 12:00; lapses 2 weeks after | None | 1780747200",
            "  calling-hours | deferred | only 10:00-18:00 Mon-Fri, in the customer's time zone (UTC) | 1780747200 | 1780912800",
            "  calling-days | allowed | only on business days (Mon-Fri, not on public holidays in GB) | None | None",
            "  channel | chose_channel | phone, the first channel for apology the customer can receive | None | 1780912800",
        ],
    },
];
