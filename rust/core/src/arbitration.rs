//! Stage 3: proposals placed in priority order on a channel (`outreach_rules/planner.py`).
//!
//! Each proposal is placed in time by the least fixpoint of its guards: first those that
//! hold whatever the channel, then, channel by channel, those of the channel. A placed
//! decision counts against the caps and spacing of those after it.

use crate::error::{CoreError, ErrorKind, Result};
use crate::guards::channels::{category_guards, channel_guards};
use crate::guards::specs::{self, Placing};
use crate::model::{Channel, Customer, Effect, Event, Instant, RawDecision, Status, Step};
use crate::policy::{GuardRule, Intent, Policy, Trigger};
use crate::time::instants::format_local;
use crate::time::operators::{settle, Guard, Move, Settlement};
use crate::time::{Calendars, Zone};
use crate::triggers::history::{ContactMade, History};
use crate::triggers::propose::{propose, Proposal};
use blake2::digest::{Update, VariableOutput};
use blake2::Blake2bVar;
use serde_json::Value;
use std::cmp::Ordering;
use std::fmt::Write;
use std::sync::Arc;

/// The rule id of the step that moves a past earliest time to now.
pub const PLAN_NOW: &str = "plan-now";

/// The customer's decisions at `now` under `policy`, in plan order (Python's `plan_raw`).
pub fn plan(
    policy: &Policy,
    calendars: &Calendars,
    customer: &Customer,
    events: Vec<Event>,
    now: Instant,
) -> Result<Vec<RawDecision>> {
    let zone = calendars.zone(&customer.timezone)?;
    let history = History::new(customer, events, policy)?;
    let mut proposals = ranked(policy, propose(policy, &history, &zone, now, calendars)?)?;
    proposals.sort_by(|a, b| rank(a).cmp(&rank(b)));
    let env = Env {
        policy,
        calendars,
        history: &history,
        zone: &zone,
        now,
    };
    let mut planner = Planner {
        env,
        placed: Vec::new(),
        described: Vec::new(),
    };
    let mut decisions = Vec::with_capacity(proposals.len());
    for (intent, proposal) in &proposals {
        if let Some(decision) = planner.decide(proposal, intent)? {
            decisions.push(decision);
        }
    }
    decisions.sort_by(order);
    Ok(decisions)
}

/// The stable id of the decision for a customer, intent and ref.
pub fn decision_id(customer: &str, intent: &str, reference: Option<&str>) -> String {
    let mut digest = [0u8; 10];
    // Ten bytes is a valid BLAKE2b output size and the buffer has it: nothing can fail.
    if let Ok(mut hasher) = Blake2bVar::new(digest.len()) {
        hasher.update(customer.as_bytes());
        hasher.update(b"\x1f");
        hasher.update(intent.as_bytes());
        hasher.update(b"\x1f");
        hasher.update(reference.unwrap_or("").as_bytes());
        let _ = hasher.finalize_variable(&mut digest);
    }
    let mut id = String::with_capacity(2 + 2 * digest.len());
    id.push_str("d-");
    for byte in digest {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

/// Each proposal with its intent, which ranks and decides it.
fn ranked(policy: &Policy, proposals: Vec<Proposal>) -> Result<Vec<(&Intent, Proposal)>> {
    proposals
        .into_iter()
        .map(|proposal| match policy.intent(&proposal.intent) {
            Some(intent) => Ok((intent, proposal)),
            None => Err(
                CoreError::new(ErrorKind::Engine, "names no intent of the policy")
                    .field("intent")
                    .value(proposal.intent.clone()),
            ),
        })
        .collect()
}

/// Python's `_rank`: priority, then the earliest time (waiting last), then names.
fn rank<'a>((intent, proposal): &'a (&Intent, Proposal)) -> (i64, bool, Instant, &'a str, &'a str) {
    (
        intent.priority,
        proposal.earliest.is_none(),
        proposal.earliest.unwrap_or(0),
        &intent.name,
        proposal.reference.as_deref().unwrap_or(""),
    )
}

/// Python's `_order`: by send time (none last), then intent and ref.
fn order(a: &RawDecision, b: &RawDecision) -> Ordering {
    order_key(a).cmp(&order_key(b))
}

fn order_key(d: &RawDecision) -> (bool, Instant, &str, &str) {
    (
        d.send_at.is_none(),
        d.send_at.unwrap_or(0),
        &d.intent,
        d.reference.as_deref().unwrap_or(""),
    )
}

/// What every decision of one plan shares.
struct Env<'p> {
    policy: &'p Policy,
    calendars: &'p Calendars,
    history: &'p History<'p>,
    zone: &'p Arc<Zone>,
    now: Instant,
}

/// The guard rules whose scope takes in an intent on a channel, with what they say.
struct Described<'p> {
    intent: &'p str,
    channel: Option<Channel>,
    rules: Vec<(&'p GuardRule, String)>,
}

/// One plan in the making: the contacts placed so far and the rule texts met so far.
struct Planner<'p> {
    env: Env<'p>,
    placed: Vec<ContactMade>,
    /// What a rule says depends on the intent, channel, zone and country only; within a
    /// plan the last two are fixed.
    described: Vec<Described<'p>>,
}

/// A channel that could not carry the proposal, and why.
struct Skip {
    channel: Channel,
    rule: String,
    why: String,
    waiting_for: Option<String>,
    expired: bool,
}

impl<'p> Planner<'p> {
    /// Python's `_decide`: the decision for one proposal, None if it lapsed before now.
    fn decide(&mut self, proposal: &Proposal, intent: &'p Intent) -> Result<Option<RawDecision>> {
        let env = &self.env;
        if proposal.expires.is_some_and(|expires| expires < env.now) {
            return Ok(None);
        }
        let trigger = env.policy.triggers.get(proposal.trigger).ok_or_else(|| {
            CoreError::new(ErrorKind::Engine, "names no trigger of the policy").field("trigger")
        })?;
        let mut draft = Draft::new(env.history.customer, proposal, intent);
        let text = proposal_text(trigger, proposal, env.zone)?;
        draft.step(&trigger.id, Effect::Proposed, text, None, proposal.earliest);
        let Some(mut start) = proposal.earliest else {
            return Ok(Some(draft.waits(&trigger.id)));
        };
        if start < env.now {
            let why = "the earliest time has passed: it can go out from now".to_owned();
            draft.step(PLAN_NOW, Effect::Deferred, why, Some(start), Some(env.now));
            start = env.now;
        }
        self.place(draft, proposal, intent, start).map(Some)
    }

    /// Settle the proposal's guards from `start`, then find the first channel to carry it.
    fn place(
        &mut self,
        mut draft: Draft<'_>,
        proposal: &Proposal,
        intent: &'p Intent,
        start: Instant,
    ) -> Result<RawDecision> {
        let env = &self.env;
        let placing = Placing {
            customer: env.history.customer,
            history: env.history,
            proposal,
            intent,
            placed: &self.placed,
            channel: None,
            zone: env.zone,
        };
        let fixed = category_guards(&placing);
        let common = guards_of(&mut self.described, env, intent, fixed, &placing)?;
        let shared = all(&common, &[]);
        let first = settle(&shared, start, proposal.expires, env.calendars)?;
        draft.moves(&first.moves, &shared);
        let Some(from) = first.at else {
            return stopped(draft, &first, &shared, proposal, env.zone);
        };
        let mut skipped = Vec::new();
        for channel in channels(intent, placing.customer) {
            let on_channel = placing.on(channel);
            let fixed = channel_guards(&on_channel, channel);
            let own = guards_of(&mut self.described, env, intent, fixed, &on_channel)?;
            let guards = all(&common, &own);
            let found = settle(&guards, from, proposal.expires, env.calendars)?;
            let Some(at) = found.at else {
                skipped.push(skip(channel, &found, &guards, proposal, env.zone)?);
                continue;
            };
            draft.moves(&found.moves, &guards);
            draft.allowed(&guards, &first.moves, &found.moves);
            self.placed.push(ContactMade {
                at,
                intent: intent.name.clone(),
                category: Some(intent.category),
                channel: Some(channel),
                reference: proposal.reference.clone(),
            });
            return Ok(draft.chose(channel, skipped, at));
        }
        unplaced(draft, skipped, intent, proposal, env)
    }
}

/// The guards of a placing: the fixed one, if any, then those of the policy's rules
/// that apply.
fn guards_of<'p>(
    described: &mut Vec<Described<'p>>,
    env: &Env<'p>,
    intent: &'p Intent,
    fixed: Option<Guard>,
    placing: &Placing,
) -> Result<Vec<Guard>> {
    let mut guards: Vec<Guard> = fixed.into_iter().collect();
    let index = describe(described, env.policy, intent, placing)?;
    rule_guards(&described[index].rules, placing, env.calendars, &mut guards)?;
    Ok(guards)
}

/// No channel could carry the proposal: it waits, lapsed, or is blocked for good.
fn unplaced(
    mut draft: Draft<'_>,
    mut skipped: Vec<Skip>,
    intent: &Intent,
    proposal: &Proposal,
    env: &Env,
) -> Result<RawDecision> {
    let held = skipped
        .iter_mut()
        .find_map(|s| s.waiting_for.take_if(|w| !w.is_empty()));
    let expired = skipped.iter().any(|s| s.expired);
    draft.skipped(skipped);
    if held.is_none() && expired {
        // Some channel could have carried it, had it not lapsed first: that is the reason.
        let lapses = format_local(
            proposal.expires.filter(|&e| e != 0).unwrap_or(env.now),
            env.zone,
        )?;
        let why = format!(
            "on every channel it could use, the first allowed time is after it lapses on {lapses}"
        );
        draft.step("expiry", Effect::Expired, why, None, None);
        return Ok(draft.finish(Status::Suppressed, None, None, None));
    }
    let names: Vec<&str> = intent.channels.iter().map(|c| c.as_str()).collect();
    let why = format!("no channel can carry it ({})", names.join(", "));
    draft.step("channel", Effect::Blocked, why, None, None);
    let status = if held.is_some() {
        Status::Waiting
    } else {
        Status::Suppressed
    };
    Ok(draft.finish(status, None, None, held))
}

/// The index in `described` of the rules for the placing's intent and channel.
fn describe<'p>(
    described: &mut Vec<Described<'p>>,
    policy: &'p Policy,
    intent: &'p Intent,
    placing: &Placing,
) -> Result<usize> {
    let channel = placing.channel;
    let known = described
        .iter()
        .position(|d| d.intent == intent.name && d.channel == channel);
    if let Some(found) = known {
        return Ok(found);
    }
    let mut rules = Vec::new();
    for rule in guards_for(policy, intent, channel) {
        rules.push((rule, specs::describe(rule, placing)?));
    }
    described.push(Described {
        intent: &intent.name,
        channel,
        rules,
    });
    Ok(described.len() - 1)
}

/// Python's `Policy.guards_for`: without a channel the rules that hold whatever the
/// channel; with one, only the rules that depend on it.
fn guards_for<'p>(
    policy: &'p Policy,
    intent: &'p Intent,
    channel: Option<Channel>,
) -> impl Iterator<Item = &'p GuardRule> {
    policy.guards.iter().filter(move |rule| {
        rule.covers(&intent.name, Some(intent.category), channel)
            && rule.per_channel == channel.is_some()
    })
}

/// Python's `_rule_guards`: the guards of the described rules whose conditions hold.
fn rule_guards(
    rules: &[(&GuardRule, String)],
    placing: &Placing,
    calendars: &Calendars,
    guards: &mut Vec<Guard>,
) -> Result<()> {
    for (rule, why) in rules {
        if !rule.when.is_empty() && !specs::holds(rule, placing, calendars)? {
            continue;
        }
        if let Some(guard) = specs::guard(rule, why, placing)? {
            guards.push(guard);
        }
    }
    Ok(())
}

/// The guards to settle: the common ones first, so that their indices stay the same.
fn all<'g>(common: &'g [Guard], own: &'g [Guard]) -> Vec<&'g Guard> {
    common.iter().chain(own).collect()
}

/// Python's `_channels`: the intent's channels, the customer's preferred one first
/// unless the intent is personal.
fn channels(intent: &Intent, customer: &Customer) -> Vec<Channel> {
    let mut channels = intent.channels.clone();
    if intent.personal {
        return channels;
    }
    let preferred = customer
        .attributes
        .get("preferred_channel")
        .and_then(Value::as_str)
        .and_then(Channel::parse);
    if let Some(preferred) = preferred {
        if let Some(position) = channels.iter().position(|&c| c == preferred) {
            channels.remove(position);
            channels.insert(0, preferred);
        }
    }
    channels
}

/// Python's `_stopped`: the common guards alone allow no instant.
fn stopped(
    mut draft: Draft<'_>,
    settlement: &Settlement,
    guards: &[&Guard],
    proposal: &Proposal,
    zone: &Zone,
) -> Result<RawDecision> {
    let why = stop_text(settlement, guards, proposal, zone)?;
    if let Some((index, blocked)) = &settlement.blocked {
        draft.step(rule_of(guards, *index)?, Effect::Blocked, why, None, None);
        let waits = blocked
            .waiting_for
            .as_deref()
            .is_some_and(|w| !w.is_empty());
        let status = if waits {
            Status::Waiting
        } else {
            Status::Suppressed
        };
        return Ok(draft.finish(status, None, None, blocked.waiting_for.clone()));
    }
    draft.step(
        stop_rule(settlement, guards)?,
        Effect::Expired,
        why,
        None,
        None,
    );
    Ok(draft.finish(Status::Suppressed, None, None, None))
}

/// A channel's settlement that found no instant, as `_skipped` will write it.
fn skip(
    channel: Channel,
    settlement: &Settlement,
    guards: &[&Guard],
    proposal: &Proposal,
    zone: &Zone,
) -> Result<Skip> {
    Ok(Skip {
        channel,
        rule: stop_rule(settlement, guards)?.to_owned(),
        why: format!(
            "not {}: {}",
            channel.as_str(),
            stop_text(settlement, guards, proposal, zone)?
        ),
        waiting_for: settlement
            .blocked
            .as_ref()
            .and_then(|(_, b)| b.waiting_for.clone()),
        expired: settlement.expired,
    })
}

/// Python's `_stop_rule`: the rule that blocked, or the last that moved, or expiry.
fn stop_rule<'g>(settlement: &Settlement, guards: &[&'g Guard]) -> Result<&'g str> {
    if let Some((index, _)) = &settlement.blocked {
        return rule_of(guards, *index);
    }
    match settlement.moves.last() {
        Some(last) => rule_of(guards, last.guard),
        None => Ok("expiry"),
    }
}

/// Python's `_stop_text`: why the settlement found no instant.
fn stop_text(
    settlement: &Settlement,
    guards: &[&Guard],
    proposal: &Proposal,
    zone: &Zone,
) -> Result<String> {
    if let Some((_, blocked)) = &settlement.blocked {
        return Ok(match blocked.waiting_for.as_deref() {
            Some(waiting) if !waiting.is_empty() => {
                format!("{}; waits for {waiting}", blocked.reason)
            }
            _ => blocked.reason.clone(),
        });
    }
    let expires = proposal.expires.ok_or_else(|| {
        CoreError::new(ErrorKind::Engine, "a settlement expired without an expiry")
    })?;
    let lapses = format_local(expires, zone)?;
    Ok(match settlement.moves.last() {
        Some(last) => format!(
            "the first allowed time falls after it lapses on {lapses} ({})",
            guard_of(guards, last.guard)?.why
        ),
        None => format!("the first allowed time falls after it lapses on {lapses}"),
    })
}

fn guard_of<'g>(guards: &[&'g Guard], index: usize) -> Result<&'g Guard> {
    guards.get(index).copied().ok_or_else(|| {
        CoreError::new(
            ErrorKind::Engine,
            "a settlement names a guard it was not given",
        )
    })
}

fn rule_of<'g>(guards: &[&'g Guard], index: usize) -> Result<&'g str> {
    Ok(&guard_of(guards, index)?.rule)
}

/// Python's `_chose_text`.
fn chose_text(intent: &Intent, channel: Channel, skipped: &[Skip]) -> String {
    let channel = channel.as_str();
    if skipped.is_empty() {
        return format!(
            "{channel}, the first channel for {} the customer can receive",
            intent.name
        );
    }
    let passed: Vec<&str> = skipped.iter().map(|s| s.channel.as_str()).collect();
    format!("{channel}, since {} could not carry it", passed.join(", "))
}

/// Python's `_proposal_text`: the trigger, what the proposal is about, and when.
fn proposal_text(trigger: &Trigger, proposal: &Proposal, zone: &Zone) -> Result<String> {
    let head = &trigger.head;
    let basis = &proposal.basis;
    let about = match &proposal.reference {
        Some(reference) => format!("{basis} ({reference})"),
        None => basis.clone(),
    };
    Ok(match proposal.basis_at {
        Some(at) => format!(
            "{head}: {about} at {}{}",
            format_local(at, zone)?,
            trigger.timing
        ),
        None => format!("{head}: waits for {about}"),
    })
}

/// A decision while it is being made: its proposal and the trace so far.
struct Draft<'d> {
    customer: &'d Customer,
    proposal: &'d Proposal,
    intent: &'d Intent,
    steps: Vec<Step>,
}

impl<'d> Draft<'d> {
    fn new(customer: &'d Customer, proposal: &'d Proposal, intent: &'d Intent) -> Self {
        Draft {
            customer,
            proposal,
            intent,
            steps: Vec::with_capacity(8),
        }
    }

    fn step(
        &mut self,
        rule: &str,
        effect: Effect,
        why: String,
        before: Option<Instant>,
        after: Option<Instant>,
    ) {
        self.steps.push(Step {
            rule: rule.to_owned(),
            effect,
            why,
            before,
            after,
        });
    }

    /// A deferred step for each move of a settlement over `guards`.
    fn moves(&mut self, moves: &[Move], guards: &[&Guard]) {
        for (m, guard) in moves
            .iter()
            .filter_map(|m| Some((m, *guards.get(m.guard)?)))
        {
            let why = guard.why.clone();
            self.step(
                &guard.rule,
                Effect::Deferred,
                why,
                Some(m.start),
                Some(m.end),
            );
        }
    }

    /// Python's `_allowed`: a step for each guard that moved nothing.
    fn allowed(&mut self, guards: &[&Guard], first: &[Move], found: &[Move]) {
        for (index, guard) in guards.iter().enumerate() {
            let moved = first.iter().chain(found).any(|m| m.guard == index);
            if !moved {
                self.step(&guard.rule, Effect::Allowed, guard.why.clone(), None, None);
            }
        }
    }

    /// Python's `_skipped`: a step for each channel that could not carry the proposal.
    fn skipped(&mut self, skipped: Vec<Skip>) {
        for skip in skipped {
            self.steps.push(Step {
                rule: skip.rule,
                effect: Effect::SkippedChannel,
                why: skip.why,
                before: None,
                after: None,
            });
        }
    }

    /// Waiting for the event the proposal needs before it has a time.
    fn waits(mut self, trigger: &str) -> RawDecision {
        let proposal = self.proposal;
        let waiting = match proposal.waiting_for.as_deref() {
            Some(waiting) if !waiting.is_empty() => waiting,
            _ => proposal.basis.as_str(),
        };
        let why = format!("waits for {waiting}");
        self.step(trigger, Effect::Waiting, why, None, None);
        self.finish(Status::Waiting, None, None, Some(waiting.to_owned()))
    }

    /// Scheduled on `channel` at `at`, after the channels skipped.
    fn chose(mut self, channel: Channel, skipped: Vec<Skip>, at: Instant) -> RawDecision {
        let why = chose_text(self.intent, channel, &skipped);
        self.skipped(skipped);
        self.step("channel", Effect::ChoseChannel, why, None, Some(at));
        self.finish(Status::Scheduled, Some(at), Some(channel), None)
    }

    fn finish(
        self,
        status: Status,
        send_at: Option<Instant>,
        channel: Option<Channel>,
        waiting_for: Option<String>,
    ) -> RawDecision {
        let proposal = self.proposal;
        let intent = self.intent;
        let reference = proposal.reference.as_deref();
        RawDecision {
            id: decision_id(&self.customer.id, &intent.name, reference),
            intent: intent.name.clone(),
            category: intent.category,
            reference: proposal.reference.clone(),
            status,
            send_at,
            channel,
            expires: proposal.expires,
            waiting_for,
            steps: self.steps,
        }
    }
}

#[cfg(test)]
mod tests;
