//! What the policy's guard rules say, written once per policy and customer profile:
//! Python's `_described_rules`, which it keeps with `policy.cached`.
//!
//! A rule's text depends only on the intent, the channel, and the customer's zone and
//! country; most customers share a zone and country with many others, so each text is
//! made once and borrowed by every plan after.

use crate::error::{CoreError, ErrorKind, Result};
use crate::guards::specs::{self, Placing};
use crate::model::{Channel, Customer};
use crate::policy::{GuardRule, Intent, Policy};
use crate::records;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

/// Places by zone name, each with its countries.
type Places = HashMap<String, Vec<(String, Arc<Place>)>>;

/// The texts of a policy's rules, by customer zone and country; kept with the policy.
#[derive(Default)]
pub struct Descriptions {
    /// By zone name, then country: looked up with borrowed names, once per plan.
    places: RwLock<Places>,
}

impl Descriptions {
    /// The texts for customers of this zone and country.
    pub(crate) fn place(&self, policy: &Policy, customer: &Customer) -> Arc<Place> {
        let find = |places: &Places| {
            let countries = places.get(customer.timezone.as_str())?;
            let found = countries.iter().find(|(c, _)| *c == customer.country)?;
            Some(Arc::clone(&found.1))
        };
        if let Some(place) = find(&self.places.read().unwrap_or_else(|e| e.into_inner())) {
            return place;
        }
        let mut places = self.places.write().unwrap_or_else(|e| e.into_inner());
        if let Some(place) = find(&places) {
            return place;
        }
        let place = Arc::new(Place::new(policy));
        places
            .entry(customer.timezone.clone())
            .or_default()
            .push((customer.country.clone(), Arc::clone(&place)));
        place
    }
}

/// A policy's copy starts with no texts: they are made again on use.
impl Clone for Descriptions {
    fn clone(&self) -> Self {
        Descriptions::default()
    }
}

impl fmt::Debug for Descriptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Descriptions")
    }
}

/// A guard rule that applies to an intent on a channel, and what it says there.
pub(crate) struct Described {
    /// The rule's position in `policy.guards`.
    pub rule: usize,
    pub why: Box<str>,
    /// Whether `why` has no character JSON escapes.
    pub plain: bool,
}

/// The texts for one zone and country: for each intent and channel (or none), the
/// rules that apply, in the policy's order, with what they say.
pub(crate) struct Place {
    /// `CHANNEL_SLOTS` an intent, in the policy's order of intents.
    slots: Box<[OnceLock<Box<[Described]>>]>,
}

/// No channel, then each channel.
const CHANNEL_SLOTS: usize = 1 + Channel::ALL.len();

impl Place {
    fn new(policy: &Policy) -> Place {
        let count = policy.intents.len() * CHANNEL_SLOTS;
        Place {
            slots: (0..count).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The rules for the placing's intent (the `position`th of the policy) and channel,
    /// described on first use.
    pub fn rules<'s>(
        &'s self,
        policy: &Policy,
        position: usize,
        placing: &Placing,
    ) -> Result<&'s [Described]> {
        let channel = placing.channel.map_or(0, |c| 1 + c as usize);
        let Some(slot) = self.slots.get(position * CHANNEL_SLOTS + channel) else {
            return Err(CoreError::new(
                ErrorKind::Engine,
                "an intent out of the policy's",
            ));
        };
        if let Some(rules) = slot.get() {
            return Ok(rules);
        }
        // A text that cannot be made is an error for this plan and is not kept; two
        // threads may describe the same slot, and they agree.
        let rules = describe(policy, placing.intent, placing)?;
        Ok(slot.get_or_init(|| rules))
    }
}

/// Python's `_described_rules`: the rules for the intent and channel, with their texts.
fn describe(policy: &Policy, intent: &Intent, placing: &Placing) -> Result<Box<[Described]>> {
    let channel = placing.channel;
    let mut rules = Vec::new();
    for (rule, guard) in policy.guards.iter().enumerate() {
        if applies(guard, intent, channel) {
            let why = specs::describe(guard, placing)?.into_boxed_str();
            let plain = records::is_plain(&why);
            rules.push(Described { rule, why, plain });
        }
    }
    Ok(rules.into_boxed_slice())
}

/// Python's `Policy.guards_for`: without a channel the rules that hold whatever the
/// channel; with one, only the rules that depend on it.
fn applies(rule: &GuardRule, intent: &Intent, channel: Option<Channel>) -> bool {
    rule.covers(&intent.name, Some(intent.category), channel)
        && rule.per_channel == channel.is_some()
}
