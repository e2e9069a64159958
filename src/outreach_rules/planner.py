"""The pure planner: ``plan(policy, customer, history, now=...) -> Plan``.

Three stages, each a separate piece:

1. the trigger engine proposes (``outreach_rules.engines``);
2. guards place each proposal in time, as the least fixpoint of their operators
   (``outreach_rules.timeline.operators.settle``): first the guards that hold whatever
   the channel, then, for each channel in the intent's order, those of that channel;
3. proposals are placed in priority order, each placed decision counting against the
   caps and spacing of those after it, on the first channel that can carry it.

The same inputs give the same plan, byte for byte: nothing here reads a clock, and every
tie breaks on names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from outreach_rules import _checks as check
from outreach_rules import _rust
from outreach_rules._compile import Uncompilable
from outreach_rules._cores import core_name
from outreach_rules._raw import RawDecision, Reason, Step
from outreach_rules.engines.durable import propose as propose_with_durable_rules
from outreach_rules.engines.native import propose
from outreach_rules.errors import InputError
from outreach_rules.explain import Record, format_local
from outreach_rules.model import (
    Channel,
    Contact,
    Customer,
    Effect,
    Event,
    Intent,
    Plan,
    Status,
)
from outreach_rules.policy import Policy
from outreach_rules.rules.channels import category_guards, channel_guards
from outreach_rules.rules.guards import GuardRule, Placing
from outreach_rules.rules.history import ContactMade, History
from outreach_rules.timeline.clock import now_epoch
from outreach_rules.timeline.instants import from_epoch
from outreach_rules.timeline.operators import Guard, Settlement, settle
from outreach_rules.timeline.zone import Zone

if TYPE_CHECKING:
    from outreach_rules.rules.triggers import Proposal, Trigger

__all__ = [
    "ENGINES",
    "TRACES",
    "RawDecision",
    "blocked_text",
    "check_customer",
    "check_engine",
    "check_history",
    "check_policy",
    "check_trace",
    "chose_text",
    "decision_id",
    "described_rules",
    "lapsed_everywhere_text",
    "lapses_text",
    "no_channel_text",
    "plan",
    "plan_raw",
    "plan_records",
    "proposal_text",
    "waits_text",
]


Engine = Callable[["Policy", History, int], list["Proposal"]]
# durable-rules itself is imported only when engine="durable" is asked for.
ENGINES: dict[str, Engine] = {"native": propose, "durable": propose_with_durable_rules}

# How much of each decision's trace the records carry.
TRACES = ("full", "compact", "none")

PLAN_NOW = "plan-now"
PLAN_NOW_TEXT = "the earliest time has passed: it can go out from now"


def plan(
    policy: Policy,
    customer: Customer,
    history: Iterable[Event | Contact],
    *,
    now: Any,
    engine: str = "native",
) -> Plan:
    """The customer's decisions at ``now`` under ``policy``.

    ``history`` holds the customer's own events and the broadcasts (events without a
    customer), in any order; events with the same id count once. ``now`` is an aware
    instant, an ISO 8601 string with an offset, or a [`Clock`][outreach_rules.Clock].
    Events dated after ``now`` are taken as known (a delivery or an invoice already
    scheduled). A proposal that lapsed before ``now`` is no longer a decision and is left
    out; one that guards push past its expiry is kept, suppressed, with the reason.
    """
    at = now_epoch(now)
    drafts = plan_raw(policy, customer, history, now=at, engine=engine)
    decisions = tuple(raw.decision(customer) for raw in drafts)
    return Plan(customer=customer, now=from_epoch(at), decisions=decisions, policy=policy.name)


def plan_records(
    policy: Policy,
    customer: Customer,
    history: Iterable[Event | Contact],
    *,
    now: Any,
    engine: str = "native",
    trace: str = "full",
) -> list[Record]:
    """``plan(...).to_records()``, the same bytes, without building the value objects.

    The batch paths (the command line, Spark) use it: instants go from epoch seconds
    straight to ISO 8601 text. ``trace`` is one of ``TRACES``: ``full`` (each step
    with its sentence), ``compact`` (each step with a reason code and its parameters,
    which [`full_record`][outreach_rules.full_record] renders back) or ``none`` (no
    trace).
    """
    check_trace(trace)
    at = now_epoch(now)
    history = _checked_arguments(policy, customer, history, engine)
    on_rust = _on_rust(policy, customer, history, engine)
    if on_rust is not None:
        core, group = on_rust
        return _rust.plan_records(core, [group], at, trace=trace)[0]
    drafts = _plan_python(policy, customer, history, at, engine)
    return [raw.record(customer, trace=trace) for raw in drafts]


def plan_raw(
    policy: Policy,
    customer: Customer,
    history: Iterable[Event | Contact],
    *,
    now: int,
    engine: str = "native",
) -> list[RawDecision]:
    """The planner's own result: decisions with instants as epoch seconds, in plan order."""
    history = _checked_arguments(policy, customer, history, engine)
    on_rust = _on_rust(policy, customer, history, engine)
    if on_rust is not None:
        core, group = on_rust
        return _rust.plan_raw(core, [group], now)[0]
    return _plan_python(policy, customer, history, now, engine)


def _plan_python(
    policy: Policy, customer: Customer, history: Iterable[Event | Contact], now: int, engine: str
) -> list[RawDecision]:
    propose_with = check_engine(engine)
    intents = {intent.name: intent for intent in policy.intents}
    indexed = History(customer, history, intents)
    proposals = sorted(propose_with(policy, indexed, now), key=lambda p: _rank(policy, p))
    placed: list[ContactMade] = []
    decisions = []
    for proposal in proposals:
        decision = _decide(policy, indexed, proposal, now, placed)
        if decision is not None:
            decisions.append(decision)
    decisions.sort(key=_order)
    return decisions


def _on_rust(
    policy: Policy, customer: Customer, history: Iterable[Event | Contact], engine: str
) -> tuple[Any, bytes] | None:
    """The compiled policy and the customer's line for the Rust core; None where the
    Python planner plans (its core chosen, the durable-rules engine asked for, or a
    policy or data that only it can carry)."""
    if engine != "native" or core_name() != "rust":
        return None
    core = _rust.compiled(policy)
    if core is None:
        return None
    try:
        return core, _rust.wire_group(customer, history)
    except Uncompilable:
        return None


def decision_id(customer: str, intent: str, ref: str | None) -> str:
    """The stable id of the decision for a customer, intent and ref."""
    key = "\x1f".join((customer, intent, "" if ref is None else ref)).encode()
    return "d-" + hashlib.blake2b(key, digest_size=10).hexdigest()


def _checked_arguments(
    policy: Any, customer: Any, history: Any, engine: str
) -> Sequence[Event | Contact]:
    """The arguments checked, and the history as a sequence that can be walked twice."""
    check_policy(policy)
    check_customer(customer)
    check_history(history)
    check_engine(engine)
    return history if isinstance(history, list | tuple) else tuple(history)


def check_policy(policy: Any) -> None:
    """Refuse a ``policy`` argument that is not a [`Policy`][outreach_rules.Policy]."""
    hint = "use Policy.default() or Policy.from_file(path)"
    check.argument(policy, Policy, "policy", what="a Policy", hint=hint)


def check_customer(customer: Any) -> None:
    """Refuse a ``customer`` argument that is not a [`Customer`][outreach_rules.Customer]."""
    hint = "build one with Customer(id=..., timezone=..., country=..., since=...)"
    check.argument(customer, Customer, "customer", what="a Customer", hint=hint)


def check_history(history: Any, name: str = "history") -> None:
    """Refuse a history argument (``name``) that cannot be walked as a list of events."""
    check.collection(history, name, what="a list of Events and Contacts", hint="give [] for none")


def check_trace(trace: Any) -> None:
    """Refuse a ``trace`` that is not one of ``TRACES``."""
    if not isinstance(trace, str) or trace not in TRACES:
        raise InputError(
            "is not a trace level",
            field="trace",
            value=trace,
            hint=f"use one of {', '.join(TRACES)}",
        )


def check_engine(name: str) -> Engine:
    """The trigger engine called ``name``; an ``InputError`` names the choices."""
    found = ENGINES.get(name) if isinstance(name, str) else None
    if found is None:
        raise InputError(
            "is not a trigger engine",
            field="engine",
            value=name,
            hint=f"use one of {sorted(ENGINES)}",
        )
    return found


def _rank(policy: Policy, proposal: Proposal) -> tuple[int, bool, int, str, str]:
    intent = policy.intent(proposal.intent)
    earliest = proposal.earliest
    return (intent.priority, earliest is None, earliest or 0, intent.name, proposal.ref or "")


def _order(decision: RawDecision) -> tuple[bool, int, str, str]:
    send_at = decision.send_at
    return (send_at is None, 0 if send_at is None else send_at, decision.intent, decision.ref or "")


@attrs.define
class _Draft:
    """A decision while it is being made: its proposal and the trace so far."""

    history: History
    proposal: Proposal
    intent: Intent
    trace: list[Step] = attrs.Factory(list)

    def step(
        self,
        rule: str,
        effect: Effect,
        why: str,
        reason: Reason,
        *,
        before: int | None = None,
        after: int | None = None,
    ) -> None:
        self.trace.append((rule, effect, why, before, after, reason))

    def moves(self, settlement: Settlement, owned: _Owned) -> None:
        for move in settlement.moves:
            guard = move.guard
            reason = _guard_reason(guard, owned)
            self.step(
                guard.rule, Effect.DEFERRED, guard.why, reason, before=move.start, after=move.end
            )

    def finish(
        self,
        status: Status,
        *,
        send_at: int | None = None,
        channel: Channel | None = None,
        waiting_for: str | None = None,
    ) -> RawDecision:
        customer = self.history.customer
        proposal = self.proposal
        return RawDecision(
            id=decision_id(customer.id, self.intent.name, proposal.ref),
            intent=self.intent.name,
            category=self.intent.category,
            ref=proposal.ref,
            status=status,
            send_at=send_at,
            channel=channel,
            expires=proposal.expires,
            waiting_for=waiting_for,
            steps=tuple(self.trace),
        )


def _decide(
    policy: Policy, history: History, proposal: Proposal, now: int, placed: list[ContactMade]
) -> RawDecision | None:
    if proposal.expires is not None and proposal.expires < now:
        return None
    intent = policy.intent(proposal.intent)
    draft = _Draft(history, proposal, intent)
    zone = history.customer.zone
    draft.step(
        proposal.trigger.id,
        Effect.PROPOSED,
        _proposal_text(policy, proposal, history),
        ("proposed", {"basis": proposal.basis, "at": proposal.basis_at}),
        after=proposal.earliest,
    )
    if proposal.earliest is None:
        waiting: str = proposal.waiting_for or proposal.basis
        reason: Reason = ("waits", {"for": waiting})
        draft.step(proposal.trigger.id, Effect.WAITING, waits_text(waiting), reason)
        return draft.finish(Status.WAITING, waiting_for=waiting)
    start = proposal.earliest
    if start < now:
        draft.step(
            PLAN_NOW, Effect.DEFERRED, PLAN_NOW_TEXT, ("plan_now", {}), before=start, after=now
        )
        start = now

    placing = Placing(history.customer, history, proposal, intent, tuple(placed))
    common = [*category_guards(placing), *_rule_guards(policy, placing)]
    first = settle(common, start, expires=proposal.expires)
    draft.moves(first, {})
    if first.at is None:
        return _stopped(draft, first, proposal, zone)

    skipped: list[_Skipped] = []
    for channel in _channels(intent, history.customer):
        on_channel = attrs.evolve(placing, channel=channel)
        own = [*channel_guards(on_channel, channel), *_rule_guards(policy, on_channel)]
        # The guards built for this channel, as against the common ones (for the reasons).
        owned = {id(guard): channel for guard in own}
        found = settle([*common, *own], first.at, expires=proposal.expires)
        if found.at is None:
            skipped.append((channel, found, owned))
            continue
        draft.moves(found, owned)
        _allowed(draft, [*common, *own], [*first.moves, *found.moves], owned)
        _skipped(draft, skipped, zone)
        passed = [str(c) for c, _, _ in skipped]
        draft.step(
            "channel",
            Effect.CHOSE_CHANNEL,
            chose_text(intent.name, str(channel), passed),
            ("chose", {"passed": passed}),
            after=found.at,
        )
        placed.append(ContactMade(found.at, intent.name, intent.category, channel, proposal.ref))
        return draft.finish(Status.SCHEDULED, send_at=found.at, channel=channel)

    _skipped(draft, skipped, zone)
    held = next(
        (s.blocked[1].waiting_for for _, s, _ in skipped if s.blocked and s.blocked[1].waiting_for),
        None,
    )
    if held is None and any(settlement.expired for _, settlement, _ in skipped):
        # Some channel could have carried it, had it not lapsed first: that is the reason.
        lapses_at = proposal.expires or now
        why = lapsed_everywhere_text(format_local(lapses_at, zone))
        draft.step("expiry", Effect.EXPIRED, why, ("lapsed_everywhere", {"at": lapses_at}))
        return draft.finish(Status.SUPPRESSED)
    why = no_channel_text(intent)
    draft.step("channel", Effect.BLOCKED, why, ("no_channel", {}))
    return draft.finish(Status.WAITING if held else Status.SUPPRESSED, waiting_for=held)


def _rule_guards(policy: Policy, placing: Placing) -> list[Guard]:
    customer = placing.customer
    # What a rule says depends on the intent, channel, zone and country only.
    key = ("rules", placing.intent.name, placing.channel, customer.timezone, customer.country)
    guards = []
    for rule, why in policy.cached(key, described_rules, policy, placing):
        if rule.when and not rule.holds(placing):
            continue
        guard = rule.spec.guard(rule, why, placing)
        if guard is not None:
            guards.append(guard)
    return guards


def described_rules(policy: Policy, placing: Placing) -> tuple[tuple[GuardRule, str], ...]:
    """The guard rules whose scope takes in the intent and channel, with what they say."""
    rules = policy.guards_for(placing.intent, placing.channel)
    return tuple((rule, rule.spec.describe(rule, placing)) for rule in rules)


def _channels(intent: Intent, customer: Customer) -> list[Channel]:
    channels = list(intent.channels)
    preferred = customer.attributes.get("preferred_channel")
    if not intent.personal and preferred in channels:
        channels.remove(preferred)
        channels.insert(0, Channel(preferred))
    return channels


def _allowed(draft: _Draft, guards: list[Guard], moves: Iterable[Any], owned: _Owned) -> None:
    moved = {id(move.guard) for move in moves}
    for guard in guards:
        if id(guard) not in moved:
            draft.step(guard.rule, Effect.ALLOWED, guard.why, _guard_reason(guard, owned))


# A channel tried and the settlement that found no instant on it, with the guards built
# for that channel (by id) as against those that hold whatever the channel.
_Owned = dict[int, Channel]
_Skipped = tuple[Channel, Settlement, _Owned]


def _built_for(guard: Guard, owned: _Owned) -> str | None:
    """The channel ``guard`` was built for; None for the guards of every channel."""
    channel = owned.get(id(guard))
    return None if channel is None else str(channel)


def _guard_reason(guard: Guard, owned: _Owned) -> Reason:
    return ("guard", {"channel": _built_for(guard, owned)})


def _skipped(draft: _Draft, skipped: list[_Skipped], zone: Zone) -> None:
    for channel, settlement, owned in skipped:
        why = f"not {channel}: {_stop_text(settlement, draft.proposal, zone)}"
        stop, params = _stop_reason(settlement, draft.proposal, owned)
        reason: Reason = ("skipped", {"on": str(channel), "stop": stop, **params})
        draft.step(_stop_rule(settlement), Effect.SKIPPED_CHANNEL, why, reason)


def _stopped(draft: _Draft, settlement: Settlement, proposal: Proposal, zone: Zone) -> RawDecision:
    why = _stop_text(settlement, proposal, zone)
    reason = _stop_reason(settlement, proposal, {})
    if settlement.blocked is not None:
        guard, blocked = settlement.blocked
        draft.step(guard.rule, Effect.BLOCKED, why, reason)
        status = Status.WAITING if blocked.waiting_for else Status.SUPPRESSED
        return draft.finish(status, waiting_for=blocked.waiting_for)
    draft.step(_stop_rule(settlement), Effect.EXPIRED, why, reason)
    return draft.finish(Status.SUPPRESSED)


def _stop_reason(settlement: Settlement, proposal: Proposal, owned: _Owned) -> Reason:
    """``_stop_text`` as data: ``blocked`` or ``lapses``, with what renders it."""
    if settlement.blocked is not None:
        guard, blocked = settlement.blocked
        blocking: dict[str, Any] = {
            "channel": _built_for(guard, owned),
            "waits_for": blocked.waiting_for or None,
        }
        return ("blocked", blocking)
    lapsing: dict[str, Any] = {
        "at": proposal.expires,
        "channel": _built_for(settlement.moves[-1].guard, owned) if settlement.moves else None,
        "moved": bool(settlement.moves),
    }
    return ("lapses", lapsing)


def _stop_rule(settlement: Settlement) -> str:
    if settlement.blocked is not None:
        return settlement.blocked[0].rule
    return settlement.moves[-1].guard.rule if settlement.moves else "expiry"


def _stop_text(settlement: Settlement, proposal: Proposal, zone: Zone) -> str:
    if settlement.blocked is not None:
        blocked = settlement.blocked[1]
        return blocked_text(blocked.reason, blocked.waiting_for)
    assert proposal.expires is not None
    pushed = settlement.moves[-1].guard.why if settlement.moves else None
    return lapses_text(format_local(proposal.expires, zone), pushed)


def waits_text(waiting_for: str) -> str:
    """The sentence of a proposal that waits for an event."""
    return f"waits for {waiting_for}"


def blocked_text(reason: str, waiting_for: str | None) -> str:
    """Why a guard allows nothing, and what it waits for, if anything."""
    return f"{reason}; {waits_text(waiting_for)}" if waiting_for else reason


def lapses_text(lapses: str, pushed: str | None) -> str:
    """Why no instant was found before the expiry (``lapses``, local), after the guard
    whose text is ``pushed`` moved it last."""
    moved = "" if pushed is None else f" ({pushed})"
    return f"the first allowed time falls after it lapses on {lapses}{moved}"


def chose_text(intent: str, channel: str, passed: Sequence[str]) -> str:
    """The sentence of the step that chose ``channel`` after the channels ``passed``."""
    if not passed:
        return f"{channel}, the first channel for {intent} the customer can receive"
    return f"{channel}, since {', '.join(passed)} could not carry it"


def lapsed_everywhere_text(lapses: str) -> str:
    """The sentence of a proposal that lapses before any channel allows it."""
    return f"on every channel it could use, the first allowed time is after it lapses on {lapses}"


def no_channel_text(intent: Intent) -> str:
    """The sentence of a proposal no channel can carry."""
    return f"no channel can carry it ({', '.join(str(c) for c in intent.channels)})"


def _proposal_text(policy: Policy, proposal: Proposal, history: History) -> str:
    return proposal_text(
        policy,
        proposal.trigger,
        basis=proposal.basis,
        ref=proposal.ref,
        at=proposal.basis_at,
        zone=history.customer.zone,
    )


def proposal_text(
    policy: Policy, trigger: Trigger, *, basis: str, ref: str | None, at: int | None, zone: Zone
) -> str:
    """The sentence of the step that proposes: the trigger, what it is about, and when."""
    head = trigger.head
    about = basis if ref is None else f"{basis} ({ref})"
    if at is None:
        return f"{head}: waits for {about}"
    timing = policy.cached(("timing", trigger.id), trigger.timing_text)
    return f"{head}: {about} at {format_local(at, zone)}{timing}"
