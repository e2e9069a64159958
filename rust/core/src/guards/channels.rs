//! The rules every plan keeps, whatever the policy: `outreach_rules/rules/channels.py`.
//!
//! Consent, reachability and outages are guards with fixed ids, so that they appear in
//! traces as the policy's own do.

use super::specs::Placing;
use crate::model::{Category, Channel, Event, Instant};
use crate::time::operators::{Guard, Operator};
use crate::triggers::history::{History, OPTED_IN, OPTED_OUT};
use serde_json::Value;
use std::sync::OnceLock;

pub const CATEGORY_CONSENT: &str = "category-consent";
pub const CHANNEL_AVAILABLE: &str = "channel-available";
pub const CHANNEL_CONSENT: &str = "channel-consent";
pub const CHANNEL_DOWN: &str = "channel-down";

/// The customer's latest word on a category or channel: given, refused, or never said.
pub fn consent(history: &History, name: &str) -> Option<bool> {
    let mut given = history.customer.consents.get(name).copied();
    if !history.opted() {
        return given;
    }
    // Python starts from -1, so that opt-ins and opt-outs before 1970 never count.
    let mut latest: Instant = -1;
    for (kind, value) in [(OPTED_IN, true), (OPTED_OUT, false)] {
        for &i in history.indexes_of(kind) {
            let t = history.times[i];
            if names(&history.events[i], name) && t >= latest {
                given = Some(value);
                latest = t;
            }
        }
    }
    given
}

/// Whether an opt-in or opt-out event is about `name` (its category or channel).
fn names(event: &Event, name: &str) -> bool {
    data_str(event, "category") == Some(name) || data_str(event, "channel") == Some(name)
}

fn data_str<'e>(event: &'e Event, key: &str) -> Option<&'e str> {
    event.data.get(key).and_then(Value::as_str)
}

/// What the guards of this module say: they depend on the category or channel alone,
/// so they are written once; made of names and plain words, none needs JSON escaping.
struct Texts {
    refused_category: Vec<String>,
    unreachable: Vec<String>,
    refused_channel: Vec<String>,
    down: Vec<String>,
}

fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let channels = |text: fn(&str) -> String| -> Vec<String> {
            Channel::ALL.iter().map(|c| text(c.as_str())).collect()
        };
        Texts {
            refused_category: Category::ALL
                .iter()
                .map(|c| format!("the customer said no to {} messages", c.as_str()))
                .collect(),
            unreachable: channels(|name| format!("the customer cannot be reached by {name}")),
            refused_channel: channels(|name| format!("the customer said no to {name}")),
            down: channels(|name| format!("{name} is down")),
        }
    })
}

/// The text of `category` or `channel` in a table of [`Texts`], in declared order.
fn text_of(table: &'static [String], position: usize) -> &'static str {
    table.get(position).map_or("", String::as_str)
}

/// The guard that holds whatever the channel: a refused category (none or one).
pub fn category_guards<'a>(placing: &Placing<'a, '_>) -> Option<Guard<'a>> {
    let category = placing.intent.category;
    if consent(placing.history, category.as_str()) == Some(false) {
        return Some(Guard {
            rule: CATEGORY_CONSENT,
            why: text_of(&texts().refused_category, category as usize),
            plain: true,
            op: Operator::Never {
                waiting_for: Some("opted_in"),
            },
        });
    }
    None
}

/// The guard that decides whether `channel` may carry the proposal, and when (none or one).
pub fn channel_guards<'a>(placing: &Placing<'a, '_>, channel: Channel) -> Option<Guard<'a>> {
    let name = channel.as_str();
    let position = channel as usize;
    if !placing.customer.reachable(channel) {
        return Some(Guard {
            rule: CHANNEL_AVAILABLE,
            why: text_of(&texts().unreachable, position),
            plain: true,
            op: Operator::Never { waiting_for: None },
        });
    }
    if consent(placing.history, name) == Some(false) {
        return Some(Guard {
            rule: CHANNEL_CONSENT,
            why: text_of(&texts().refused_channel, position),
            plain: true,
            op: Operator::Never {
                waiting_for: Some("opted_in"),
            },
        });
    }
    let spans = outages(placing.history, name);
    if spans.is_empty() {
        return None;
    }
    Some(Guard {
        rule: CHANNEL_DOWN,
        why: text_of(&texts().down, position),
        plain: true,
        op: Operator::intervals(spans, Some("channel_restored")),
    })
}

/// Each `channel_down` of the channel, up to the first restoration at or after it.
fn outages(history: &History, channel: &str) -> Vec<(Instant, Option<Instant>)> {
    let downs = of_channel(history, "channel_down", channel);
    let mut spans = Vec::new();
    for t in downs {
        let mut restored = of_channel(history, "channel_restored", channel);
        spans.push((t, restored.find(|&r| r >= t)));
    }
    spans
}

/// The instants of the `kind` events about `channel`, in time order.
fn of_channel<'h>(
    history: &'h History,
    kind: &str,
    channel: &'h str,
) -> impl Iterator<Item = Instant> + 'h {
    history
        .indexes_of(kind)
        .iter()
        .filter(move |&&i| data_str(&history.events[i], "channel") == Some(channel))
        .map(move |&i| history.times[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guards::testing;
    use serde_json::json;

    fn given(consents: serde_json::Value, events: serde_json::Value, name: &str) -> Option<bool> {
        let customer = testing::customer("GB", consents);
        let policy = testing::policy(json!([]));
        let history = History::new(&customer, testing::events(events), &policy).expect("history");
        consent(&history, name)
    }

    #[test]
    fn fixed_texts_need_no_json_escaping() {
        let texts = texts();
        let all = [
            &texts.refused_category,
            &texts.unreachable,
            &texts.refused_channel,
            &texts.down,
        ];
        assert!(all
            .iter()
            .flat_map(|t| t.iter())
            .all(|t| crate::records::is_plain(t)));
        assert_eq!(
            text_of(&texts.down, Channel::InApp as usize),
            "in_app is down"
        );
        let refused = text_of(&texts.refused_category, Category::Marketing as usize);
        assert_eq!(refused, "the customer said no to marketing messages");
    }

    #[test]
    fn the_latest_word_wins_and_an_opt_out_wins_a_tie() {
        let at =
            |kind: &str, t: i64| json!({"kind": kind, "at": t, "data": {"category": "marketing"}});
        assert_eq!(
            given(json!({"marketing": true}), json!([]), "marketing"),
            Some(true)
        );
        assert_eq!(given(json!({}), json!([]), "marketing"), None);
        let tie = json!([at("opted_out", 100), at("opted_in", 100)]);
        assert_eq!(given(json!({}), tie, "marketing"), Some(false));
        let later = json!([at("opted_out", 100), at("opted_in", 200)]);
        assert_eq!(given(json!({}), later.clone(), "marketing"), Some(true));
        assert_eq!(given(json!({}), later, "sms"), None);
    }

    #[test]
    fn opt_ins_before_1970_do_not_count() {
        let early = json!([{"kind": "opted_in", "at": -5, "data": {"channel": "sms"}}]);
        assert_eq!(given(json!({"sms": false}), early, "sms"), Some(false));
    }

    #[test]
    fn an_outage_lasts_until_its_channel_is_restored() {
        let customer = testing::customer("GB", json!({}));
        let policy = testing::policy(json!([]));
        let events = testing::events(json!([
            {"kind": "channel_restored", "at": 5, "data": {"channel": "email"}},
            {"kind": "channel_down", "at": 10, "data": {"channel": "email"}},
            {"kind": "channel_down", "at": 12, "data": {"channel": "sms"}},
            {"kind": "channel_restored", "at": 20, "data": {"channel": "email"}},
            {"kind": "channel_down", "at": 30, "data": {"channel": "email"}},
        ]));
        let history = History::new(&customer, events, &policy).expect("history");
        assert_eq!(outages(&history, "email"), vec![(10, Some(20)), (30, None)]);
        assert_eq!(outages(&history, "sms"), vec![(12, None)]);
    }
}
