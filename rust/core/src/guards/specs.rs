//! Guard rules: where in time a proposal may be placed, and why
//! (`outreach_rules/rules/guards.py`).
//!
//! For each proposal a rule's spec builds a guard operator fitted to the customer's zone,
//! country and history, and to the decisions already placed in the plan.

use super::channels::consent;
use crate::error::Result;
use crate::model::{Channel, Customer, Duration, Event, Instant};
use crate::policy::{GuardRule, GuardSpec, Intent, Per};
use crate::time::calendar::WallRule;
use crate::time::instants::format_local;
use crate::time::operators::{Guard, Operator};
use crate::time::Calendars;
use crate::time::{Zone, DAY};
use crate::triggers::conditions::{all_hold, Context};
use crate::triggers::history::{ContactMade, History, CONTACT_SENT};
use crate::triggers::propose::Proposal;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Half-open spans of instants; an open end blocks until an event.
type Spans = Vec<(Instant, Option<Instant>)>;

/// What a guard spec may look at while a proposal is being placed.
///
/// The contacts placed so far (`'c`) change as the plan goes on; the guards built from a
/// placing borrow only what lasts the whole plan (`'a`).
#[derive(Debug, Clone, Copy)]
pub struct Placing<'a, 'c> {
    pub customer: &'a Customer,
    pub history: &'a History<'a>,
    pub proposal: &'a Proposal<'a>,
    pub intent: &'a Intent,
    /// Contacts placed earlier in this plan.
    pub placed: &'c [ContactMade<'a>],
    pub channel: Option<Channel>,
    pub zone: &'a Zone,
}

impl<'a, 'c> Placing<'a, 'c> {
    /// Contacts already sent, then those placed earlier in this plan.
    pub fn contacts(&self) -> impl Iterator<Item = &'c ContactMade<'a>>
    where
        'a: 'c,
    {
        self.history.contacts.iter().chain(self.placed.iter())
    }

    /// The same placing, tried on `channel`.
    pub fn on(self, channel: Channel) -> Placing<'a, 'c> {
        Placing {
            channel: Some(channel),
            ..self
        }
    }

    /// The proposal's anchor event, if it has one.
    fn anchor(&self) -> Option<&'a Event> {
        self.proposal
            .anchor
            .and_then(|index| self.history.events.get(index))
    }

    /// The positions of the `kind` events, of the proposal's ref when correlated.
    fn matching(&self, kind: &str, correlate: bool) -> &'a [usize] {
        let reference = self.proposal.reference.as_deref();
        self.history.matching_indexes(kind, reference, correlate)
    }
}

/// Whether the rule's conditions hold for the proposal being placed (its scope aside).
pub fn holds(rule: &GuardRule, placing: &Placing, calendars: &Calendars) -> Result<bool> {
    if rule.when.is_empty() {
        return Ok(true);
    }
    let context = Context {
        customer: placing.customer,
        history: placing.history,
        zone: placing.zone,
        at: placing.proposal.anchor_at,
        anchor: placing.anchor(),
        basis_at: placing.proposal.basis_at,
    };
    all_hold(&rule.when, &context, calendars)
}

/// What the rule enforces, in words a support agent understands (`spec.describe`).
pub fn describe(rule: &GuardRule, placing: &Placing) -> Result<String> {
    if let Some(text) = &rule.text {
        return Ok(text.clone());
    }
    let customer = placing.customer;
    Ok(match &rule.spec {
        GuardSpec::AllowedHours { hours_text, .. } => format!(
            "only {hours_text}, in the customer's time zone ({})",
            customer.timezone
        ),
        GuardSpec::BusinessDays {
            holidays,
            days_text,
            ..
        } => {
            let country = &customer.country;
            let holidays = if *holidays {
                format!(", not on public holidays in {country}")
            } else {
                String::new()
            };
            format!("only on business days ({days_text}{holidays})")
        }
        GuardSpec::AnnualBlackout { start, end } => format!(
            "not from {} to {}, in the customer's calendar",
            month_day(*start),
            month_day(*end)
        ),
        GuardSpec::Blackout { start, end } => format!(
            "not from {} to {}, in the customer's time zone",
            format_local(*start, placing.zone)?,
            format_local(*end, placing.zone)?
        ),
        GuardSpec::AfterEvent {
            kind,
            delay,
            correlate,
        } => format!(
            "not before {} after {}",
            delay.text,
            kind_text(kind, *correlate)
        ),
        GuardSpec::NotOnDayOf { kind, correlate } => format!(
            "not on the same day as {}, in the customer's calendar",
            kind_text(kind, *correlate)
        ),
        GuardSpec::NotWithinAfter {
            kind,
            period,
            correlate,
        } => format!(
            "not within {} after {}",
            period.text,
            kind_text(kind, *correlate)
        ),
        GuardSpec::FrequencyCap {
            limit,
            period_text,
            per,
            ..
        } => {
            let noun = if *limit == 1 { "contact" } else { "contacts" };
            let what = cap_what(rule, *per, placing);
            format!("at most {limit} {what} {noun} in any {period_text}")
        }
        GuardSpec::WhileOpen { opened, closed, .. } => {
            format!(
                "not while {} is open (until {closed})",
                with_article(opened)
            )
        }
        GuardSpec::RequiresConsent => format!(
            "needs the customer's consent to {} messages",
            placing.intent.category.as_str()
        ),
    })
}

fn month_day((month, day): (u32, u32)) -> String {
    let name = MONTHS
        .get(month.wrapping_sub(1) as usize)
        .copied()
        .unwrap_or("?");
    format!("{day} {name}")
}

fn kind_text(kind: &str, correlate: bool) -> String {
    if correlate {
        format!("{kind} (same ref)")
    } else {
        kind.to_owned()
    }
}

/// Which contacts a cap counts, in words; Python writes a missing channel as "None".
fn cap_what<'a>(rule: &'a GuardRule, per: Per, placing: &Placing<'a, '_>) -> &'a str {
    match per {
        Per::Intent => &placing.intent.name,
        Per::Category => placing.intent.category.as_str(),
        Per::Channel => placing.channel.map_or("None", Channel::as_str),
        Per::All => &rule.scope_text,
    }
}

/// `a channel_down`, `an incident_caused`: the noun after its indefinite article, as
/// Python's `model.with_article` writes it.
fn with_article(noun: &str) -> String {
    let article = match noun.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    };
    format!("{article} {noun}")
}

/// The rule's guard for this proposal, or None when the rule has nothing to say; `why`
/// is what [`describe`] gives, and `plain` whether it has no character JSON escapes.
pub fn guard<'a>(
    rule: &'a GuardRule,
    why: &'a str,
    plain: bool,
    placing: &Placing<'a, '_>,
) -> Result<Option<Guard<'a>>> {
    Ok(operator(rule, placing)?.map(|op| Guard {
        rule: &rule.id,
        why,
        plain,
        op,
    }))
}

/// The operator the rule's spec builds for this proposal (`spec.guard`).
pub fn operator<'a>(
    rule: &'a GuardRule,
    placing: &Placing<'a, '_>,
) -> Result<Option<Operator<'a>>> {
    let zone = placing.zone;
    Ok(match &rule.spec {
        GuardSpec::AllowedHours { spans, .. } => Some(local_time(zone, WallRule::Hours(spans))),
        GuardSpec::BusinessDays {
            weekdays, holidays, ..
        } => Some(local_time(
            zone,
            business_days(weekdays, *holidays, placing.customer),
        )),
        GuardSpec::AnnualBlackout { start, end } => Some(local_time(
            zone,
            WallRule::AnnualWindow {
                start: *start,
                end: *end,
                inside: false,
            },
        )),
        GuardSpec::Blackout { start, end } => {
            Some(Operator::intervals(vec![(*start, Some(*end))], None))
        }
        GuardSpec::AfterEvent {
            kind,
            delay,
            correlate,
        } => match placing.matching(kind, *correlate).last() {
            Some(&last) => {
                let t = placing.history.times[last];
                Some(Operator::NotBefore(delay.add_to(t, zone, 1)?))
            }
            None => None,
        },
        GuardSpec::NotOnDayOf { kind, correlate } => {
            day_spans(placing.matching(kind, *correlate), placing.history, zone)?
                .map(|spans| Operator::intervals(spans, None))
        }
        GuardSpec::NotWithinAfter {
            kind,
            period,
            correlate,
        } => within_spans(kind, period, *correlate, placing)?
            .map(|spans| Operator::intervals(spans, None)),
        GuardSpec::FrequencyCap {
            limit, period, per, ..
        } => Some(Operator::cap(*limit, *period, capped(rule, *per, placing))),
        GuardSpec::WhileOpen {
            opened,
            closed,
            correlate,
        } => open_spans(opened, closed, *correlate, placing)
            .map(|spans| Operator::intervals(spans, Some(closed))),
        GuardSpec::RequiresConsent => {
            let category = placing.intent.category.as_str();
            match consent(placing.history, category) {
                Some(true) => None,
                _ => Some(Operator::Never {
                    waiting_for: Some("opted_in"),
                }),
            }
        }
    })
}

fn local_time<'a>(zone: &'a Zone, rule: WallRule<'a>) -> Operator<'a> {
    Operator::LocalTime { zone, rule }
}

/// The business-day calendar; the customer's holidays count only when the rule says so.
fn business_days<'a>(weekdays: &[u8], holidays: bool, customer: &'a Customer) -> WallRule<'a> {
    let bits = weekdays
        .iter()
        .filter(|&&day| day < 7)
        .fold(0u8, |bits, &day| bits | (1 << day));
    let country = holidays.then(|| (customer.country_code(), customer.subdivision()));
    WallRule::BusinessDays {
        weekdays: bits,
        country,
    }
}

/// The customer's local calendar days of the given events; None for no events.
///
/// Held while the local date is the event's, as the other calendar guards read it: where
/// clocks fall back across midnight, the day may come back for a while.
fn day_spans(indexes: &[usize], history: &History, zone: &Zone) -> Result<Option<Spans>> {
    if indexes.is_empty() {
        return Ok(None);
    }
    let mut spans = Vec::with_capacity(indexes.len());
    for &i in indexes {
        let day = zone.to_wall(history.times[i])?.div_euclid(DAY);
        spans.extend(
            zone.day_spans(day)?
                .into_iter()
                .map(|(start, end)| (start, Some(end))),
        );
    }
    Ok(Some(spans))
}

/// A `period` after each `kind` event; `contact_sent` counts this plan's contacts too.
fn within_spans(
    kind: &str,
    period: &Duration,
    correlate: bool,
    placing: &Placing,
) -> Result<Option<Spans>> {
    let zone = placing.zone;
    let spans: Spans = if kind == CONTACT_SENT {
        let times = placing.contacts().map(|contact| contact.at);
        times
            .map(|t| Ok((t, Some(period.add_to(t, zone, 1)?))))
            .collect::<Result<_>>()?
    } else {
        let history = placing.history;
        let times = placing
            .matching(kind, correlate)
            .iter()
            .map(|&i| history.times[i]);
        times
            .map(|t| Ok((t, Some(period.add_to(t, zone, 1)?))))
            .collect::<Result<_>>()?
    };
    Ok((!spans.is_empty()).then_some(spans))
}

/// The contacts a cap counts: those in the rule's scope, narrowed by `per`.
fn capped(rule: &GuardRule, per: Per, placing: &Placing) -> Vec<Instant> {
    let intent = placing.intent;
    placing
        .contacts()
        .filter(|c| rule.covers(&c.intent, c.category, c.channel))
        .filter(|c| match per {
            Per::All => true,
            Per::Intent => c.intent == intent.name,
            Per::Category => c.category == Some(intent.category),
            Per::Channel => c.channel == placing.channel,
        })
        .map(|c| c.at)
        .collect()
}

/// From each `opened` event to the first `closed` one of its ref at or after it.
fn open_spans(opened: &str, closed: &String, correlate: bool, placing: &Placing) -> Option<Spans> {
    let history = placing.history;
    let reference = placing.proposal.reference.as_deref();
    let kinds = std::slice::from_ref(closed);
    let spans: Spans = history
        .matching_indexes(opened, reference, correlate)
        .iter()
        .map(|&i| {
            let (t, event) = (history.times[i], &history.events[i]);
            let closing = history.first_after(kinds, t, event.reference.as_deref(), true);
            (t, closing.map(|(end, _)| end))
        })
        .collect();
    (!spans.is_empty()).then_some(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guards::testing;
    use crate::policy::Policy;
    use crate::time::operators::Allowed;
    use serde_json::{json, Value};

    #[test]
    fn nouns_take_a_or_an_as_python_writes_them() {
        assert_eq!(with_article("incident_caused"), "an incident_caused");
        assert_eq!(with_article("complaint_opened"), "a complaint_opened");
        assert_eq!(with_article("Order"), "a Order");
        assert_eq!(with_article(""), "a ");
    }

    fn rules(guards: Value) -> &'static Policy {
        Box::leak(Box::new(testing::policy(guards)))
    }

    /// What each rule says and builds for a `promo` proposal of ref `o1` on `channel`.
    fn placed(
        policy: &'static Policy,
        country: &str,
        events: Value,
        placed: &'static [ContactMade<'static>],
        channel: Option<Channel>,
    ) -> Vec<(String, Option<Operator<'static>>)> {
        let zone = testing::calendars().zone("UTC").expect("zone");
        placed_in(zone, policy, country, events, placed, channel)
    }

    /// `placed`, with the customer's calendar read in `zone`.
    fn placed_in(
        zone: std::sync::Arc<Zone>,
        policy: &'static Policy,
        country: &str,
        events: Value,
        placed: &'static [ContactMade<'static>],
        channel: Option<Channel>,
    ) -> Vec<(String, Option<Operator<'static>>)> {
        // Operators borrow the customer, history and zone; a test leaks them.
        let customer = Box::leak(Box::new(testing::customer(country, json!({}))));
        let history = History::new(customer, testing::events(events), policy).expect("history");
        let history = Box::leak(Box::new(history));
        let zone = Box::leak(Box::new(zone));
        let proposal = Box::leak(Box::new(testing::proposal(Some("o1"), 0)));
        let placing = Placing {
            customer,
            history,
            proposal,
            intent: &policy.intents[0],
            placed,
            channel,
            zone,
        };
        policy
            .guards
            .iter()
            .map(|rule| {
                let why = describe(rule, &placing).expect("describe");
                (why, operator(rule, &placing).expect("operator"))
            })
            .collect()
    }

    fn rule(id: &str, spec: Value, per_channel: bool) -> Value {
        json!({"id": id, "intents": [], "categories": [], "channels": [], "when": [],
               "spec": spec, "scope_text": "all of it", "per_channel": per_channel,
               "text": null})
    }

    #[test]
    fn texts_rendered_for_the_customer_intent_and_channel() {
        let policy = rules(json!([
            rule(
                "a",
                json!({"type": "business_days", "weekdays": [0, 1, 2, 3, 4],
                             "holidays": true, "days_text": "Mon-Fri"}),
                false
            ),
            rule(
                "b",
                json!({"type": "frequency_cap", "limit": 1, "period": 86400,
                             "period_text": "1 day", "per": "channel"}),
                true
            ),
            rule(
                "c",
                json!({"type": "frequency_cap", "limit": 2, "period": 86400,
                             "period_text": "1 day", "per": "all"}),
                false
            ),
            rule(
                "d",
                json!({"type": "blackout", "start": 0, "end": 86400}),
                false
            ),
            rule("e", json!({"type": "requires_consent"}), false),
            rule(
                "f",
                json!({"type": "allowed_hours", "hours_text": "09:00-20:00 every day",
                             "spans": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": 32400,
                                        "end": 72000}]}),
                false
            ),
        ]));
        let texts: Vec<String> = placed(policy, "US-NY", json!([]), &[], None)
            .into_iter()
            .map(|(why, _)| why)
            .collect();
        assert_eq!(
            texts,
            [
                "only on business days (Mon-Fri, not on public holidays in US-NY)",
                "at most 1 None contact in any 1 day",
                "at most 2 all of it contacts in any 1 day",
                "not from Thu 1 Jan 1970 00:00 to Fri 2 Jan 1970 00:00, in the customer's time zone",
                "needs the customer's consent to marketing messages",
                "only 09:00-20:00 every day, in the customer's time zone (UTC)",
            ]
        );
        let built = placed(policy, "US-NY", json!([]), &[], None);
        let Some(Operator::LocalTime { rule, .. }) = &built[0].1 else {
            panic!("business days build a local-time guard");
        };
        let WallRule::BusinessDays { weekdays, country } = rule else {
            panic!("business days build a business-day rule");
        };
        assert_eq!(*weekdays, 0b1_1111);
        assert_eq!(*country, Some(("US", Some("NY"))));
        let Some(Operator::Never { waiting_for }) = &built[4].1 else {
            panic!("no consent builds a never");
        };
        assert_eq!(waiting_for.as_deref(), Some("opted_in"));
    }

    #[test]
    fn a_channel_cap_counts_the_contacts_on_its_channel_placed_or_sent() {
        let policy = rules(json!([rule(
            "cap",
            json!({"type": "frequency_cap", "limit": 1, "period": 86400,
                   "period_text": "1 day", "per": "channel"}),
            true
        )]));
        let events = json!([
            {"kind": "contact_sent", "at": 50, "data": {"intent": "x", "channel": "sms"}},
            {"kind": "contact_sent", "at": 60, "data": {"intent": "x", "channel": "email"}},
        ]);
        let contact = |at, channel| ContactMade {
            at,
            intent: "promo".into(),
            category: None,
            channel: Some(channel),
            reference: None,
        };
        let made = Box::leak(Box::new([
            contact(40, Channel::Sms),
            contact(10, Channel::Email),
        ]));
        let built = placed(policy, "GB", events, made, Some(Channel::Sms));
        assert_eq!(built[0].0, "at most 1 sms contact in any 1 day");
        let Some(Operator::Cap { times, .. }) = &built[0].1 else {
            panic!("a cap builds a cap");
        };
        assert_eq!(times, &[40, 50]);
    }

    #[test]
    fn spans_of_days_spacing_and_open_complaints() {
        let policy = rules(json!([
            rule(
                "day",
                json!({"type": "not_on_day_of", "kind": "order_placed",
                               "correlate": true}),
                false
            ),
            rule(
                "open",
                json!({"type": "while_open", "opened": "complaint_opened",
                                "closed": "complaint_resolved", "correlate": false}),
                false
            ),
            rule(
                "after",
                json!({"type": "after_event", "kind": "order_placed",
                                 "delay": {"months": 0, "days": 0, "seconds": 60, "text": "1 minute"},
                                 "correlate": false}),
                false
            ),
        ]));
        let events = json!([
            {"kind": "order_placed", "at": 90_000, "ref": "o1"},
            {"kind": "order_placed", "at": 200_000, "ref": "o2"},
            {"kind": "complaint_opened", "at": 100, "ref": "x1"},
            {"kind": "complaint_resolved", "at": 150, "ref": "x2"},
            {"kind": "complaint_opened", "at": 300, "ref": "x2"},
            {"kind": "complaint_resolved", "at": 400, "ref": "x2"},
        ]);
        let built = placed(policy, "GB", events, &[], None);
        assert_eq!(
            built[0].0,
            "not on the same day as order_placed (same ref), in the customer's calendar"
        );
        let Some(Operator::Intervals {
            spans,
            waiting_for: None,
        }) = &built[0].1
        else {
            panic!("days build intervals");
        };
        assert_eq!(spans, &[(86_400, Some(172_800))]);
        let Some(Operator::Intervals { spans, waiting_for }) = &built[1].1 else {
            panic!("open complaints build intervals");
        };
        assert_eq!(spans, &[(100, None), (300, Some(400))]);
        assert_eq!(waiting_for.as_deref(), Some("complaint_resolved"));
        assert!(matches!(built[2].1, Some(Operator::NotBefore(200_060))));
    }

    #[test]
    fn a_day_that_comes_back_after_a_fall_back_is_held_too() {
        // Newfoundland fell back at 00:01 on Sunday 7 November 2010 (02:31 UTC): Saturday
        // came back for 59 minutes. An order placed that Saturday holds both of its passes.
        let policy = rules(json!([rule(
            "day",
            json!({"type": "not_on_day_of", "kind": "order_placed", "correlate": false}),
            false
        )]));
        let zone = crate::time::zone::test_sources::calendars()
            .zone("Test/StJohns")
            .expect("zone");
        let saturday = 1_289_055_600; // 2010-11-06T15:00Z, 12:30 local
        let events = json!([{"kind": "order_placed", "at": saturday, "ref": "o1"}]);
        let built = placed_in(zone, policy, "GB", events, &[], None);
        let Some(operator) = &built[0].1 else {
            panic!("a day builds intervals");
        };
        let Operator::Intervals { spans, .. } = operator else {
            panic!("a day builds intervals");
        };
        // 2010-11-06T02:30Z to 2010-11-07T02:30Z, then 02:31Z to 03:30Z.
        let (sunday_first, back, sunday_again) = (1_289_097_000, 1_289_097_060, 1_289_100_600);
        assert_eq!(
            spans,
            &[
                (1_289_010_600, Some(sunday_first)),
                (back, Some(sunday_again))
            ]
        );
        let guard = Guard {
            rule: "day",
            why: "",
            plain: true,
            op: operator.clone(),
        };
        // The one minute of Sunday before the clocks went back is allowed; 23:15 on the
        // second Saturday (02:45Z) waits for Sunday's second midnight.
        let calendars = testing::calendars();
        let at = |t| guard.next_allowed(t, &calendars).ok();
        assert_eq!(at(saturday), Some(Allowed::At(sunday_first)));
        assert_eq!(at(sunday_first + 30), Some(Allowed::At(sunday_first + 30)));
        assert_eq!(at(1_289_097_900), Some(Allowed::At(sunday_again)));
    }

    #[test]
    fn nothing_to_say_without_the_events() {
        let policy = rules(json!([
            rule(
                "day",
                json!({"type": "not_on_day_of", "kind": "order_placed",
                               "correlate": false}),
                false
            ),
            rule(
                "within",
                json!({"type": "not_within_after", "kind": "contact_sent",
                                  "period": {"months": 0, "days": 1, "seconds": 0, "text": "1 day"},
                                  "correlate": false}),
                false
            ),
        ]));
        let built = placed(policy, "GB", json!([]), &[], None);
        assert!(built.iter().all(|(_, op)| op.is_none()));
    }
}
