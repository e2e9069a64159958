"""The pure planner: ``plan(policy, customer, history, now=...) -> Plan``.

Three stages, each a separate piece:

1. the trigger engine proposes (:mod:`outreach_rules.engines`);
2. guards place each proposal in time, as the least fixpoint of their operators
   (:func:`outreach_rules.timeline.operators.settle`): first the guards that hold whatever
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
from outreach_rules._raw import RawDecision, Step
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
    from outreach_rules.rules.triggers import Proposal

__all__ = [
    "ENGINES",
    "RawDecision",
    "check_customer",
    "check_engine",
    "check_history",
    "check_policy",
    "decision_id",
    "plan",
    "plan_raw",
    "plan_records",
]


Engine = Callable[["Policy", History, int], list["Proposal"]]
# durable-rules itself is imported only when engine="durable" is asked for.
ENGINES: dict[str, Engine] = {"native": propose, "durable": propose_with_durable_rules}

PLAN_NOW = "plan-now"


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
    instant, an ISO 8601 string with an offset, or a :class:`~outreach_rules.Clock`.
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
) -> list[Record]:
    """``plan(...).to_records()``, the same bytes, without building the value objects.

    The batch paths (the command line, Spark) use it: instants go from epoch seconds
    straight to ISO 8601 text.
    """
    at = now_epoch(now)
    history = _checked_arguments(policy, customer, history, engine)
    on_rust = _on_rust(policy, customer, history, engine)
    if on_rust is not None:
        core, group = on_rust
        return _rust.plan_records(core, [group], at)[0]
    drafts = _plan_python(policy, customer, history, at, engine)
    return [raw.record(customer) for raw in drafts]


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
    """Refuse a ``policy`` argument that is not a :class:`Policy`."""
    hint = "use Policy.default() or Policy.from_file(path)"
    check.argument(policy, Policy, "policy", what="a Policy", hint=hint)


def check_customer(customer: Any) -> None:
    """Refuse a ``customer`` argument that is not a :class:`Customer`."""
    hint = "build one with Customer(id=..., timezone=..., country=..., since=...)"
    check.argument(customer, Customer, "customer", what="a Customer", hint=hint)


def check_history(history: Any, name: str = "history") -> None:
    """Refuse a history argument (``name``) that cannot be walked as a list of events."""
    check.collection(history, name, what="a list of Events and Contacts", hint="give [] for none")


def check_engine(name: str) -> Engine:
    """The trigger engine called ``name``; an :class:`InputError` names the choices."""
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
        before: int | None = None,
        after: int | None = None,
    ) -> None:
        self.trace.append((rule, effect, why, before, after))

    def moves(self, settlement: Settlement) -> None:
        for move in settlement.moves:
            self.step(move.guard.rule, Effect.DEFERRED, move.guard.why, move.start, move.end)

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
        after=proposal.earliest,
    )
    if proposal.earliest is None:
        waiting: str = proposal.waiting_for or proposal.basis
        draft.step(proposal.trigger.id, Effect.WAITING, f"waits for {waiting}")
        return draft.finish(Status.WAITING, waiting_for=waiting)
    start = proposal.earliest
    if start < now:
        draft.step(
            PLAN_NOW,
            Effect.DEFERRED,
            "the earliest time has passed: it can go out from now",
            start,
            now,
        )
        start = now

    placing = Placing(history.customer, history, proposal, intent, tuple(placed))
    common = [*category_guards(placing), *_rule_guards(policy, placing)]
    first = settle(common, start, expires=proposal.expires)
    draft.moves(first)
    if first.at is None:
        return _stopped(draft, first, proposal, zone)

    skipped: list[tuple[Channel, Settlement]] = []
    for channel in _channels(intent, history.customer):
        on_channel = attrs.evolve(placing, channel=channel)
        own = [*channel_guards(on_channel, channel), *_rule_guards(policy, on_channel)]
        found = settle([*common, *own], first.at, expires=proposal.expires)
        if found.at is None:
            skipped.append((channel, found))
            continue
        draft.moves(found)
        _allowed(draft, [*common, *own], [*first.moves, *found.moves])
        _skipped(draft, skipped, zone)
        draft.step(
            "channel", Effect.CHOSE_CHANNEL, _chose_text(intent, channel, skipped), after=found.at
        )
        placed.append(ContactMade(found.at, intent.name, intent.category, channel, proposal.ref))
        return draft.finish(Status.SCHEDULED, send_at=found.at, channel=channel)

    _skipped(draft, skipped, zone)
    held = next(
        (s.blocked[1].waiting_for for _, s in skipped if s.blocked and s.blocked[1].waiting_for),
        None,
    )
    if held is None and any(settlement.expired for _, settlement in skipped):
        # Some channel could have carried it, had it not lapsed first: that is the reason.
        lapses = format_local(proposal.expires or now, zone)
        why = (
            f"on every channel it could use, the first allowed time is after it lapses on {lapses}"
        )
        draft.step("expiry", Effect.EXPIRED, why)
        return draft.finish(Status.SUPPRESSED)
    why = f"no channel can carry it ({', '.join(str(c) for c in intent.channels)})"
    draft.step("channel", Effect.BLOCKED, why)
    return draft.finish(Status.WAITING if held else Status.SUPPRESSED, waiting_for=held)


def _rule_guards(policy: Policy, placing: Placing) -> list[Guard]:
    customer = placing.customer
    # What a rule says depends on the intent, channel, zone and country only.
    key = ("rules", placing.intent.name, placing.channel, customer.timezone, customer.country)
    guards = []
    for rule, why in policy.cached(key, _described_rules, policy, placing):
        if rule.when and not rule.holds(placing):
            continue
        guard = rule.spec.guard(rule, why, placing)
        if guard is not None:
            guards.append(guard)
    return guards


def _described_rules(policy: Policy, placing: Placing) -> tuple[tuple[GuardRule, str], ...]:
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


def _allowed(draft: _Draft, guards: list[Guard], moves: Iterable[Any]) -> None:
    moved = {id(move.guard) for move in moves}
    for guard in guards:
        if id(guard) not in moved:
            draft.step(guard.rule, Effect.ALLOWED, guard.why)


def _skipped(draft: _Draft, skipped: list[tuple[Channel, Settlement]], zone: Zone) -> None:
    for channel, settlement in skipped:
        why = f"not {channel}: {_stop_text(settlement, draft.proposal, zone)}"
        draft.step(_stop_rule(settlement), Effect.SKIPPED_CHANNEL, why)


def _stopped(draft: _Draft, settlement: Settlement, proposal: Proposal, zone: Zone) -> RawDecision:
    why = _stop_text(settlement, proposal, zone)
    if settlement.blocked is not None:
        guard, blocked = settlement.blocked
        draft.step(guard.rule, Effect.BLOCKED, why)
        status = Status.WAITING if blocked.waiting_for else Status.SUPPRESSED
        return draft.finish(status, waiting_for=blocked.waiting_for)
    draft.step(_stop_rule(settlement), Effect.EXPIRED, why)
    return draft.finish(Status.SUPPRESSED)


def _stop_rule(settlement: Settlement) -> str:
    if settlement.blocked is not None:
        return settlement.blocked[0].rule
    return settlement.moves[-1].guard.rule if settlement.moves else "expiry"


def _stop_text(settlement: Settlement, proposal: Proposal, zone: Zone) -> str:
    if settlement.blocked is not None:
        blocked = settlement.blocked[1]
        waits = f"; waits for {blocked.waiting_for}" if blocked.waiting_for else ""
        return f"{blocked.reason}{waits}"
    assert proposal.expires is not None
    pushed = f" ({settlement.moves[-1].guard.why})" if settlement.moves else ""
    lapses = format_local(proposal.expires, zone)
    return f"the first allowed time falls after it lapses on {lapses}{pushed}"


def _chose_text(intent: Intent, channel: Channel, skipped: list[tuple[Channel, Settlement]]) -> str:
    if not skipped:
        return f"{channel}, the first channel for {intent.name} the customer can receive"
    passed = ", ".join(str(c) for c, _ in skipped)
    return f"{channel}, since {passed} could not carry it"


def _proposal_text(policy: Policy, proposal: Proposal, history: History) -> str:
    trigger = proposal.trigger
    zone = history.customer.zone
    head = trigger.head
    about = proposal.basis if proposal.ref is None else f"{proposal.basis} ({proposal.ref})"
    if proposal.basis_at is None:
        return f"{head}: waits for {about}"
    timing = policy.cached(("timing", trigger.id), trigger.timing_text)
    return f"{head}: {about} at {format_local(proposal.basis_at, zone)}{timing}"
