//! Stage 3: proposals placed in priority order on a channel (`outreach_rules/planner.py`).
//!
//! Each proposal is placed in time by the least fixpoint of its guards: first those that
//! hold whatever the channel, then, channel by channel, those of the channel. A placed
//! decision counts against the caps and spacing of those after it.
//!
//! A plan is made in a form of its own, whose texts are borrowed from the policy or kept
//! in one buffer for the plan ([`Trace`]); [`plan`] turns it into [`RawDecision`]s, and
//! [`plan_records`] writes it straight out as records.

mod blake2b;
pub(crate) mod described;
#[cfg(test)]
mod tests;

use crate::error::{CoreError, ErrorKind, Result};
use crate::guards::channels::{category_guards, channel_guards};
use crate::guards::specs::{self, Placing};
use crate::model::{Channel, Customer, Effect, Event, Instant, RawDecision, Status, Step};
use crate::policy::{Intent, Policy, Trigger};
use crate::records::{self, Form, Passed, Reason, Record, StepText, Stop, TraceLevel};
use crate::time::instants::Text;
use crate::time::operators::{settle_in, Guard, Move, Settlement};
use crate::time::{Calendars, Zone};
use crate::triggers::history::{ContactMade, History};
use crate::triggers::propose::{propose, Proposal};
use blake2b::Blake2b;
use described::Place;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::mem::take;
use std::ops::Range;

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
    planned(policy, calendars, customer, events, now, &zone, |plan| {
        Ok(plan.raw_decisions())
    })
}

/// The records of the customer's decisions at `now`, written to `out`: what [`plan`]
/// then [`records::write_decisions`] give, byte for byte, without making a
/// [`RawDecision`] of each. On an error `out` may hold part of the records.
#[allow(clippy::too_many_arguments)]
pub fn plan_records(
    policy: &Policy,
    calendars: &Calendars,
    customer: &Customer,
    events: Vec<Event>,
    now: Instant,
    out: &mut Vec<u8>,
    form: Form,
    trace: TraceLevel,
) -> Result<()> {
    let zone = calendars.zone(&customer.timezone)?;
    planned(policy, calendars, customer, events, now, &zone, |plan| {
        plan.write(out, &zone, form, trace)
    })
}

/// Plan, and hand the plan (which borrows what planning built) to `then`.
fn planned<T>(
    policy: &Policy,
    calendars: &Calendars,
    customer: &Customer,
    events: Vec<Event>,
    now: Instant,
    zone: &Zone,
    then: impl FnOnce(&Plan) -> Result<T>,
) -> Result<T> {
    let history = History::new(customer, events, policy)?;
    let proposals = propose(policy, &history, zone, now, calendars)?;
    let mut proposals = ranked(policy, &proposals)?;
    proposals.sort_by(|a, b| rank(a).cmp(&rank(b)));
    let place = policy.descriptions.place(policy, customer);
    let buffers = BUFFERS.with_borrow_mut(std::mem::take);
    let mut planner = Planner {
        env: Env {
            policy,
            calendars,
            history: &history,
            zone,
            now,
            place: &place,
            preferred: preferred(customer),
        },
        placed: Vec::new(),
        guards: recycled(buffers.guards),
        trace: Trace {
            steps: recycled(buffers.steps),
            texts: buffers.texts,
        },
        decisions: recycled(buffers.decisions),
        moves: buffers.moves,
    };
    for ranked in &proposals {
        planner.decide(ranked)?;
    }
    let Planner {
        guards,
        trace,
        mut decisions,
        moves,
        ..
    } = planner;
    decisions.sort_by(order);
    let plan = Plan {
        customer,
        decisions,
        trace,
        plain_names: policy.plain_names(),
    };
    let result = then(&plan);
    Buffers::keep(plan, guards, moves);
    result
}

/// Buffers a thread keeps from one plan to the next, empty, so that a plan's trace,
/// guards, decisions and moves do not allocate anew each time.
#[derive(Default)]
struct Buffers {
    steps: Vec<TraceStep<'static>>,
    texts: String,
    guards: Vec<Guard<'static>>,
    decisions: Vec<Decision<'static>>,
    moves: [Vec<Move>; 2],
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::default();
}

impl Buffers {
    /// Past this many bytes of text, a plan's buffers are let go rather than kept.
    const KEPT_TEXT: usize = 1 << 16;

    /// Keep the buffers of a plan done with, for the thread's next plan.
    fn keep(plan: Plan, guards: Vec<Guard>, moves: [Vec<Move>; 2]) {
        let Plan {
            decisions,
            trace: Trace { steps, mut texts },
            ..
        } = plan;
        if texts.capacity() > Self::KEPT_TEXT {
            return;
        }
        texts.clear();
        let buffers = Buffers {
            steps: recycled(steps),
            texts,
            guards: recycled(guards),
            decisions: recycled(decisions),
            moves,
        };
        BUFFERS.with_borrow_mut(|kept| *kept = buffers);
    }
}

/// `items`, emptied, as a vector of the same type with other lifetimes: the standard
/// library collects an empty vector in place, keeping its allocation (were it not to,
/// this would only allocate anew).
fn recycled<T, U>(mut items: Vec<T>) -> Vec<U> {
    items.clear();
    items.into_iter().filter_map(|_| None).collect()
}

/// The stable id of the decision for a customer, intent and ref.
pub fn decision_id(customer: &str, intent: &str, reference: Option<&str>) -> String {
    DecisionId::of(customer, intent, reference)
        .as_str()
        .to_owned()
}

/// A decision id, `d-` and 20 hexadecimal digits, kept without allocating.
#[derive(Clone, Copy)]
struct DecisionId([u8; 22]);

impl DecisionId {
    fn of(customer: &str, intent: &str, reference: Option<&str>) -> DecisionId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hasher = Blake2b::<10>::new();
        hasher.update(customer.as_bytes());
        hasher.update(b"\x1f");
        hasher.update(intent.as_bytes());
        hasher.update(b"\x1f");
        hasher.update(reference.unwrap_or("").as_bytes());
        let mut id = *b"d-00000000000000000000";
        for (index, byte) in hasher.finalize().into_iter().enumerate() {
            id[2 + 2 * index] = HEX[usize::from(byte >> 4)];
            id[3 + 2 * index] = HEX[usize::from(byte & 15)];
        }
        DecisionId(id)
    }

    fn as_str(&self) -> &str {
        // Only ASCII is written, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// A proposal with its intent, which ranks and decides it, and the intent's position
/// among the policy's.
struct Ranked<'p> {
    intent: &'p Intent,
    position: usize,
    proposal: &'p Proposal<'p>,
}

/// Each proposal with its intent.
fn ranked<'p>(policy: &'p Policy, proposals: &'p [Proposal<'p>]) -> Result<Vec<Ranked<'p>>> {
    let mut ranked = Vec::with_capacity(proposals.len());
    for proposal in proposals {
        let Some((position, intent)) = policy.trigger_intent(proposal.trigger) else {
            return Err(
                CoreError::new(ErrorKind::Engine, "names no intent of the policy")
                    .field("intent")
                    .value(proposal.intent),
            );
        };
        ranked.push(Ranked {
            intent,
            position,
            proposal,
        });
    }
    Ok(ranked)
}

/// Python's `_rank`: priority, then the earliest time (waiting last), then names.
fn rank<'a>(ranked: &'a Ranked) -> (i64, bool, Instant, &'a str, &'a str) {
    let (intent, proposal) = (ranked.intent, ranked.proposal);
    (
        intent.priority,
        proposal.earliest.is_none(),
        proposal.earliest.unwrap_or(0),
        &intent.name,
        proposal.reference.as_deref().unwrap_or(""),
    )
}

/// Python's `_order`: by send time (none last), then intent and ref.
fn order(a: &Decision, b: &Decision) -> Ordering {
    order_key(a).cmp(&order_key(b))
}

fn order_key<'a>(d: &Decision<'a>) -> (bool, Instant, &'a str, &'a str) {
    (
        d.send_at.is_none(),
        d.send_at.unwrap_or(0),
        &d.intent.name,
        d.reference.unwrap_or(""),
    )
}

/// A plan made: its decisions in plan order, and their traces.
struct Plan<'p> {
    customer: &'p Customer,
    decisions: Vec<Decision<'p>>,
    trace: Trace<'p>,
    /// Whether the policy's names have no character JSON escapes.
    plain_names: bool,
}

impl Plan<'_> {
    fn raw_decisions(&self) -> Vec<RawDecision> {
        self.decisions
            .iter()
            .map(|decision| RawDecision {
                id: decision.id.as_str().to_owned(),
                intent: decision.intent.name.clone(),
                category: decision.intent.category,
                reference: decision.reference.map(str::to_owned),
                status: decision.status,
                send_at: decision.send_at,
                channel: decision.channel,
                expires: decision.expires,
                waiting_for: decision.waiting_for.map(str::to_owned),
                steps: self
                    .trace
                    .steps(decision, false)
                    .map(|step| Step {
                        rule: step.rule.to_owned(),
                        effect: step.effect,
                        why: step.why.to_owned(),
                        before: step.before,
                        after: step.after,
                        reason: step.reason.to_owned(),
                    })
                    .collect(),
            })
            .collect()
    }

    fn write(&self, out: &mut Vec<u8>, zone: &Zone, form: Form, trace: TraceLevel) -> Result<()> {
        let mut scratch = Vec::new();
        let plain_names = self.plain_names;
        for decision in &self.decisions {
            let record = Record {
                id: decision.id.as_str(),
                customer: &self.customer.id,
                intent: &decision.intent.name,
                intent_plain: plain_names,
                reference: decision.reference,
                status: decision.status,
                send_at: decision.send_at,
                channel: decision.channel,
            };
            let steps = self.trace.steps(decision, plain_names);
            records::write_record(out, &mut scratch, zone, &record, steps, form, trace)?;
        }
        Ok(())
    }
}

/// A decision as the planner makes it (Python's `RawDecision`), its texts borrowed and
/// its steps in the plan's [`Trace`].
struct Decision<'p> {
    id: DecisionId,
    intent: &'p Intent,
    reference: Option<&'p str>,
    status: Status,
    send_at: Option<Instant>,
    channel: Option<Channel>,
    expires: Option<Instant>,
    waiting_for: Option<&'p str>,
    steps: Range<usize>,
}

/// What a step says: a text of the policy (or made once for it), and whether it has no
/// character JSON escapes; or one made for this step, kept in the trace's buffer.
#[derive(Clone, Copy)]
enum Why<'p> {
    Kept { text: &'p str, plain: bool },
    Made(u32, u32),
}

impl<'p> Why<'p> {
    /// What `guard` says, made once for it.
    fn of_guard(guard: &Guard<'p>) -> Self {
        Why::Kept {
            text: guard.why,
            plain: guard.plain,
        }
    }
}

/// One rule consulted for a decision (Python's `Step`).
struct TraceStep<'p> {
    rule: &'p str,
    effect: Effect,
    why: Why<'p>,
    reason: Reason<&'p str>,
    before: Option<Instant>,
    after: Option<Instant>,
}

/// The steps of every decision of a plan, each decision's in a row, and the texts made
/// for them in one buffer: a trace allocates once, not once a step.
struct Trace<'p> {
    steps: Vec<TraceStep<'p>>,
    texts: String,
}

impl<'p> Trace<'p> {
    fn step(
        &mut self,
        rule: &'p str,
        effect: Effect,
        why: Why<'p>,
        reason: Reason<&'p str>,
        before: Option<Instant>,
        after: Option<Instant>,
    ) {
        self.steps.push(TraceStep {
            rule,
            effect,
            why,
            reason,
            before,
            after,
        });
    }

    /// A text made by `write`, kept in the buffer.
    fn made(&mut self, write: impl FnOnce(&mut String) -> Result<()>) -> Result<Why<'p>> {
        let start = self.texts.len();
        write(&mut self.texts)?;
        Ok(Why::Made(start as u32, self.texts.len() as u32))
    }

    /// The text made of `pieces`, kept in the buffer.
    fn joined(&mut self, pieces: &[&str]) -> Why<'p> {
        let start = self.texts.len();
        for piece in pieces {
            self.texts.push_str(piece);
        }
        Why::Made(start as u32, self.texts.len() as u32)
    }

    /// The text of `why`, and whether it is known to have no character JSON escapes.
    fn why(&self, why: Why<'p>) -> (&str, bool) {
        match why {
            Why::Kept { text, plain } => (text, plain),
            Why::Made(start, end) => {
                let text = self.texts.get(start as usize..end as usize);
                (text.unwrap_or(""), false)
            }
        }
    }

    /// The steps of `decision`, as records show them; `plain_rules` says whether the
    /// rule ids have no character JSON escapes.
    fn steps<'t>(
        &'t self,
        decision: &Decision,
        plain_rules: bool,
    ) -> impl Iterator<Item = StepText<'t>> {
        let steps = self.steps.get(decision.steps.clone()).unwrap_or(&[]);
        steps.iter().map(move |step| {
            let (why, why_plain) = self.why(step.why);
            StepText {
                rule: step.rule,
                rule_plain: plain_rules,
                effect: step.effect,
                why,
                why_plain,
                before: step.before,
                after: step.after,
                reason: step.reason,
            }
        })
    }
}

/// What every decision of one plan shares.
struct Env<'p> {
    policy: &'p Policy,
    calendars: &'p Calendars,
    history: &'p History<'p>,
    zone: &'p Zone,
    now: Instant,
    /// What the rules say for this customer's zone and country.
    place: &'p Place,
    /// The customer's preferred channel, if they name one.
    preferred: Option<Channel>,
}

/// One plan in the making: the contacts placed so far, and the decisions made.
struct Planner<'p> {
    env: Env<'p>,
    placed: Vec<ContactMade<'p>>,
    /// The guards of the proposal being placed: those that hold whatever the channel,
    /// then those of the channel being tried (a settlement names guards by position).
    guards: Vec<Guard<'p>>,
    trace: Trace<'p>,
    decisions: Vec<Decision<'p>>,
    /// Spare vectors for the moves of the common guards' settlement and a channel's.
    moves: [Vec<Move>; 2],
}

/// A channel that could not carry the proposal, and why.
struct Skip<'p> {
    channel: Channel,
    rule: &'p str,
    why: Why<'p>,
    stop: Stop<&'p str>,
    waiting_for: Option<&'p str>,
    expired: bool,
}

impl<'p> Planner<'p> {
    /// Python's `_decide`: the decision for one proposal, none if it lapsed before now.
    fn decide(&mut self, ranked: &'p Ranked<'p>) -> Result<()> {
        let env = &self.env;
        let proposal = ranked.proposal;
        if proposal.expires.is_some_and(|expires| expires < env.now) {
            return Ok(());
        }
        let trigger = env.policy.triggers.get(proposal.trigger).ok_or_else(|| {
            CoreError::new(ErrorKind::Engine, "names no trigger of the policy").field("trigger")
        })?;
        let mut draft = Draft::new(ranked, self.trace.steps.len());
        let trace = &mut self.trace;
        let text = trace.made(|text| write_proposal_text(text, trigger, proposal, env.zone))?;
        let reason = Reason::Proposed {
            basis: &*proposal.basis,
            at: proposal.basis_at,
        };
        trace.step(
            &trigger.id,
            Effect::Proposed,
            text,
            reason,
            None,
            proposal.earliest,
        );
        let Some(mut start) = proposal.earliest else {
            let decision = draft.waits(trace, &trigger.id, env.history.customer);
            self.decisions.push(decision);
            return Ok(());
        };
        if start < env.now {
            let why = Why::Kept {
                text: "the earliest time has passed: it can go out from now",
                plain: true,
            };
            let reason = Reason::PlanNow;
            trace.step(
                PLAN_NOW,
                Effect::Deferred,
                why,
                reason,
                Some(start),
                Some(env.now),
            );
            start = env.now;
        }
        draft.start = start;
        let decision = self.place(draft)?;
        self.decisions.push(decision);
        Ok(())
    }

    /// Settle the proposal's guards from the draft's start, then find the first channel
    /// to carry it.
    fn place(&mut self, draft: Draft<'p>) -> Result<Decision<'p>> {
        let Planner {
            env,
            placed,
            guards,
            trace,
            moves: [first_moves, found_moves],
            ..
        } = self;
        let ranked = draft.ranked;
        let (intent, proposal) = (ranked.intent, ranked.proposal);
        let placing = Placing {
            customer: env.history.customer,
            history: env.history,
            proposal,
            intent,
            placed,
            channel: None,
            zone: env.zone,
        };
        guards.clear();
        guards.extend(category_guards(&placing));
        add_rule_guards(guards, env, ranked.position, &placing)?;
        let common = guards.len();
        let (start, expires) = (draft.start, proposal.expires);
        let first = settle_in(take(first_moves), guards, start, expires, env.calendars)?;
        draft.moves(trace, &first.moves, guards, common, None);
        let decision = 'decided: {
            let Some(from) = first.at else {
                break 'decided stopped(draft, trace, &first, guards, env);
            };
            let mut skipped = Vec::new();
            for channel in channels(intent, env.preferred) {
                guards.truncate(common);
                let on_channel = placing.on(channel);
                guards.extend(channel_guards(&on_channel, channel));
                add_rule_guards(guards, env, ranked.position, &on_channel)?;
                let found = settle_in(take(found_moves), guards, from, expires, env.calendars)?;
                let Some(at) = found.at else {
                    let on = (common, channel);
                    skipped.push(skip(trace, on, &found, guards, proposal, env.zone)?);
                    *found_moves = found.moves;
                    continue;
                };
                draft.moves(trace, &found.moves, guards, common, Some(channel));
                let moved = [&first.moves[..], &found.moves[..]];
                draft.allowed(trace, guards, moved, common, channel);
                *found_moves = found.moves;
                placed.push(ContactMade {
                    at,
                    intent: Cow::Borrowed(&intent.name),
                    category: Some(intent.category),
                    channel: Some(channel),
                    reference: proposal.reference.as_deref().map(Cow::Borrowed),
                });
                let customer = env.history.customer;
                break 'decided Ok(draft.chose(trace, channel, skipped, at, customer));
            }
            unplaced(draft, trace, skipped, env)
        };
        // The moves' vectors serve the next proposal.
        *first_moves = first.moves;
        decision
    }
}

/// Python's `_rule_guards` over `_described_rules`: the guards of the policy's rules
/// for the placing whose conditions hold, appended to `guards`.
fn add_rule_guards<'p>(
    guards: &mut Vec<Guard<'p>>,
    env: &Env<'p>,
    position: usize,
    placing: &Placing<'p, '_>,
) -> Result<()> {
    for described in env.place.rules(env.policy, position, placing)? {
        let rule = &env.policy.guards[described.rule];
        if !rule.when.is_empty() && !specs::holds(rule, placing, env.calendars)? {
            continue;
        }
        if let Some(guard) = specs::guard(rule, &described.why, described.plain, placing)? {
            guards.push(guard);
        }
    }
    Ok(())
}

/// No channel could carry the proposal: it waits, lapsed, or is blocked for good.
fn unplaced<'p>(
    draft: Draft<'p>,
    trace: &mut Trace<'p>,
    skipped: Vec<Skip<'p>>,
    env: &Env<'p>,
) -> Result<Decision<'p>> {
    let ranked = draft.ranked;
    let held = skipped
        .iter()
        .find_map(|s| s.waiting_for.filter(|w| !w.is_empty()));
    let expired = skipped.iter().any(|s| s.expired);
    draft.skipped(trace, &skipped);
    let customer = env.history.customer;
    if held.is_none() && expired {
        // Some channel could have carried it, had it not lapsed first: that is the reason.
        let lapses = ranked
            .proposal
            .expires
            .filter(|&e| e != 0)
            .unwrap_or(env.now);
        let reason = Reason::LapsedEverywhere { at: lapses };
        let lapses = Text::local(lapses, env.zone)?;
        let why = trace.joined(&[
            "on every channel it could use, the first allowed time is after it lapses on ",
            lapses.as_str(),
        ]);
        trace.step("expiry", Effect::Expired, why, reason, None, None);
        return Ok(draft.finish(trace, customer, Status::Suppressed, None, None, None));
    }
    let why = trace.made(|text| {
        text.push_str("no channel can carry it (");
        for (index, channel) in ranked.intent.channels.iter().enumerate() {
            if index > 0 {
                text.push_str(", ");
            }
            text.push_str(channel.as_str());
        }
        text.push(')');
        Ok(())
    })?;
    trace.step(
        "channel",
        Effect::Blocked,
        why,
        Reason::NoChannel,
        None,
        None,
    );
    let status = if held.is_some() {
        Status::Waiting
    } else {
        Status::Suppressed
    };
    Ok(draft.finish(trace, customer, status, None, None, held))
}

/// The channel named by the customer's `preferred_channel` attribute, if any.
fn preferred(customer: &Customer) -> Option<Channel> {
    customer
        .attributes
        .get("preferred_channel")
        .and_then(Value::as_str)
        .and_then(Channel::parse)
}

/// Python's `_channels`: the intent's channels, the customer's preferred one first
/// unless the intent is personal.
fn channels(intent: &Intent, preferred: Option<Channel>) -> impl Iterator<Item = Channel> + '_ {
    // An intent names each channel once (Python checks), so the preferred one is
    // moved by leaving it out of the rest.
    let first = preferred.filter(|p| !intent.personal && intent.channels.contains(p));
    let rest = intent.channels.iter().copied();
    first
        .into_iter()
        .chain(rest.filter(move |&c| Some(c) != first))
}

/// Python's `_stopped`: the common guards alone allow no instant.
fn stopped<'p>(
    draft: Draft<'p>,
    trace: &mut Trace<'p>,
    settlement: &Settlement<'p>,
    guards: &[Guard<'p>],
    env: &Env<'p>,
) -> Result<Decision<'p>> {
    let proposal = draft.ranked.proposal;
    let why = trace.made(|text| write_stop_text(text, settlement, guards, proposal, env.zone))?;
    // Only the guards of every channel were settled.
    let reason = Reason::Stop(stop_reason(settlement, guards, None, proposal)?);
    let customer = env.history.customer;
    if let Some((index, blocked)) = &settlement.blocked {
        trace.step(
            rule_of(guards, *index)?,
            Effect::Blocked,
            why,
            reason,
            None,
            None,
        );
        let waiting_for = blocked.waiting_for;
        let status = if waiting_for.is_some_and(|w| !w.is_empty()) {
            Status::Waiting
        } else {
            Status::Suppressed
        };
        return Ok(draft.finish(trace, customer, status, None, None, waiting_for));
    }
    let rule = stop_rule(settlement, guards)?;
    trace.step(rule, Effect::Expired, why, reason, None, None);
    Ok(draft.finish(trace, customer, Status::Suppressed, None, None, None))
}

/// A channel's settlement that found no instant, as `_skipped` will write it; `on` is
/// the number of guards of every channel (those before the channel's own), and the
/// channel.
fn skip<'p>(
    trace: &mut Trace<'p>,
    on: (usize, Channel),
    settlement: &Settlement<'p>,
    guards: &[Guard<'p>],
    proposal: &Proposal,
    zone: &Zone,
) -> Result<Skip<'p>> {
    let (common, channel) = on;
    let why = trace.made(|text| {
        text.push_str("not ");
        text.push_str(channel.as_str());
        text.push_str(": ");
        write_stop_text(text, settlement, guards, proposal, zone)
    })?;
    Ok(Skip {
        channel,
        rule: stop_rule(settlement, guards)?,
        why,
        stop: stop_reason(settlement, &guards[..common], Some(channel), proposal)?,
        waiting_for: settlement.blocked.as_ref().and_then(|(_, b)| b.waiting_for),
        expired: settlement.expired,
    })
}

/// Python's `_stop_reason`: why the settlement found no instant, as data. The guards
/// past `common` (all guards but `common`'s) are those built for `channel`.
fn stop_reason<'p>(
    settlement: &Settlement<'p>,
    common: &[Guard],
    channel: Option<Channel>,
    proposal: &Proposal,
) -> Result<Stop<&'p str>> {
    if let Some((index, blocked)) = &settlement.blocked {
        return Ok(Stop::Blocked {
            channel: built_for(channel, *index, common.len()),
            waits_for: blocked.waiting_for.filter(|w| !w.is_empty()),
        });
    }
    let at = proposal.expires.ok_or_else(|| {
        CoreError::new(ErrorKind::Engine, "a settlement expired without an expiry")
    })?;
    let last = settlement.moves.last();
    Ok(Stop::Lapses {
        at,
        channel: last.and_then(|m| built_for(channel, m.guard, common.len())),
        moved: last.is_some(),
    })
}

/// The channel the guard at `index` was built for: `channel` for those past the first
/// `common` (the guards of every channel), none for those.
fn built_for(channel: Option<Channel>, index: usize, common: usize) -> Option<Channel> {
    channel.filter(|_| index >= common)
}

/// Python's `_stop_rule`: the rule that blocked, or the last that moved, or expiry.
fn stop_rule<'p>(settlement: &Settlement, guards: &[Guard<'p>]) -> Result<&'p str> {
    if let Some((index, _)) = &settlement.blocked {
        return rule_of(guards, *index);
    }
    match settlement.moves.last() {
        Some(last) => rule_of(guards, last.guard),
        None => Ok("expiry"),
    }
}

/// Python's `_stop_text`: why the settlement found no instant, appended to `text`.
fn write_stop_text(
    text: &mut String,
    settlement: &Settlement,
    guards: &[Guard],
    proposal: &Proposal,
    zone: &Zone,
) -> Result<()> {
    if let Some((_, blocked)) = &settlement.blocked {
        text.push_str(blocked.reason);
        if let Some(waiting) = blocked.waiting_for.filter(|w| !w.is_empty()) {
            text.push_str("; waits for ");
            text.push_str(waiting);
        }
        return Ok(());
    }
    let expires = proposal.expires.ok_or_else(|| {
        CoreError::new(ErrorKind::Engine, "a settlement expired without an expiry")
    })?;
    text.push_str("the first allowed time falls after it lapses on ");
    text.push_str(Text::local(expires, zone)?.as_str());
    if let Some(last) = settlement.moves.last() {
        text.push_str(" (");
        text.push_str(guard_of(guards, last.guard)?.why);
        text.push(')');
    }
    Ok(())
}

fn guard_of<'s, 'p>(guards: &'s [Guard<'p>], index: usize) -> Result<&'s Guard<'p>> {
    guards.get(index).ok_or_else(|| {
        CoreError::new(
            ErrorKind::Engine,
            "a settlement names a guard it was not given",
        )
    })
}

fn rule_of<'p>(guards: &[Guard<'p>], index: usize) -> Result<&'p str> {
    Ok(guard_of(guards, index)?.rule)
}

/// Python's `_chose_text`, appended to `text`.
fn write_chose_text(text: &mut String, intent: &Intent, channel: Channel, skipped: &[Skip]) {
    text.push_str(channel.as_str());
    if skipped.is_empty() {
        text.push_str(", the first channel for ");
        text.push_str(&intent.name);
        text.push_str(" the customer can receive");
        return;
    }
    text.push_str(", since ");
    for (index, skip) in skipped.iter().enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        text.push_str(skip.channel.as_str());
    }
    text.push_str(" could not carry it");
}

/// Python's `_proposal_text`: the trigger, what the proposal is about, and when;
/// appended to `text`.
fn write_proposal_text(
    text: &mut String,
    trigger: &Trigger,
    proposal: &Proposal,
    zone: &Zone,
) -> Result<()> {
    let at = match proposal.basis_at {
        Some(at) => Some(Text::local(at, zone)?),
        None => None,
    };
    text.push_str(&trigger.head);
    text.push_str(if at.is_some() { ": " } else { ": waits for " });
    text.push_str(&proposal.basis);
    if let Some(reference) = &proposal.reference {
        text.push_str(" (");
        text.push_str(reference);
        text.push(')');
    }
    if let Some(at) = at {
        text.push_str(" at ");
        text.push_str(at.as_str());
        text.push_str(&trigger.timing);
    }
    Ok(())
}

/// A decision while it is being made: its proposal, where its steps start in the
/// trace, and the instant its guards are settled from.
struct Draft<'p> {
    ranked: &'p Ranked<'p>,
    first_step: usize,
    start: Instant,
}

impl<'p> Draft<'p> {
    fn new(ranked: &'p Ranked<'p>, first_step: usize) -> Self {
        Draft {
            ranked,
            first_step,
            start: 0,
        }
    }

    /// A deferred step for each move of a settlement over `guards`, of which those
    /// past the first `common` were built for `channel`.
    fn moves(
        &self,
        trace: &mut Trace<'p>,
        moves: &[Move],
        guards: &[Guard<'p>],
        common: usize,
        channel: Option<Channel>,
    ) {
        for (m, guard) in moves.iter().filter_map(|m| Some((m, guards.get(m.guard)?))) {
            let why = Why::of_guard(guard);
            let reason = Reason::Guard {
                channel: built_for(channel, m.guard, common),
            };
            trace.step(
                guard.rule,
                Effect::Deferred,
                why,
                reason,
                Some(m.start),
                Some(m.end),
            );
        }
    }

    /// Python's `_allowed`: a step for each guard that moved nothing; those past the
    /// first `common` were built for `channel`.
    fn allowed(
        &self,
        trace: &mut Trace<'p>,
        guards: &[Guard<'p>],
        moved: [&[Move]; 2],
        common: usize,
        channel: Channel,
    ) {
        for (index, guard) in guards.iter().enumerate() {
            if moved
                .iter()
                .any(|moves| moves.iter().any(|m| m.guard == index))
            {
                continue;
            }
            let why = Why::of_guard(guard);
            let reason = Reason::Guard {
                channel: built_for(Some(channel), index, common),
            };
            trace.step(guard.rule, Effect::Allowed, why, reason, None, None);
        }
    }

    /// Python's `_skipped`: a step for each channel that could not carry the proposal.
    fn skipped(&self, trace: &mut Trace<'p>, skipped: &[Skip<'p>]) {
        for skip in skipped {
            let reason = Reason::Skipped {
                on: skip.channel,
                stop: skip.stop,
            };
            trace.step(
                skip.rule,
                Effect::SkippedChannel,
                skip.why,
                reason,
                None,
                None,
            );
        }
    }

    /// Waiting for the event the proposal needs before it has a time.
    fn waits(self, trace: &mut Trace<'p>, trigger: &'p str, customer: &Customer) -> Decision<'p> {
        let proposal = self.ranked.proposal;
        let waiting = match proposal.waiting_for.as_deref() {
            Some(waiting) if !waiting.is_empty() => waiting,
            _ => &proposal.basis,
        };
        let why = trace.joined(&["waits for ", waiting]);
        let reason = Reason::Waits { kind: waiting };
        trace.step(trigger, Effect::Waiting, why, reason, None, None);
        self.finish(trace, customer, Status::Waiting, None, None, Some(waiting))
    }

    /// Scheduled on `channel` at `at`, after the channels skipped.
    fn chose(
        self,
        trace: &mut Trace<'p>,
        channel: Channel,
        skipped: Vec<Skip<'p>>,
        at: Instant,
        customer: &Customer,
    ) -> Decision<'p> {
        let intent = self.ranked.intent;
        let why = trace.made(|text| {
            write_chose_text(text, intent, channel, &skipped);
            Ok(())
        });
        // Writing the text cannot fail.
        let why = why.unwrap_or(Why::Kept {
            text: "",
            plain: true,
        });
        self.skipped(trace, &skipped);
        let mut passed = Passed::default();
        for skip in &skipped {
            passed.push(skip.channel);
        }
        let reason = Reason::Chose { passed };
        trace.step("channel", Effect::ChoseChannel, why, reason, None, Some(at));
        self.finish(
            trace,
            customer,
            Status::Scheduled,
            Some(at),
            Some(channel),
            None,
        )
    }

    fn finish(
        self,
        trace: &Trace<'p>,
        customer: &Customer,
        status: Status,
        send_at: Option<Instant>,
        channel: Option<Channel>,
        waiting_for: Option<&'p str>,
    ) -> Decision<'p> {
        let (intent, proposal) = (self.ranked.intent, self.ranked.proposal);
        let reference = proposal.reference.as_deref();
        Decision {
            id: DecisionId::of(&customer.id, &intent.name, reference),
            intent,
            reference,
            status,
            send_at,
            channel,
            expires: proposal.expires,
            waiting_for,
            steps: self.first_step..trace.steps.len(),
        }
    }
}
