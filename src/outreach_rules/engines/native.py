"""The reference trigger matcher, in pure Python: one pass over the indexed history.

It keeps at most one proposal per intent and ref: one that can be placed beats one that
waits, then the earliest anchor wins, then the trigger declared first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from outreach_rules.rules.conditions import Context, first_holds
from outreach_rules.rules.triggers import CUSTOMER, Proposal, Trigger, timed, waiting
from outreach_rules.timeline.instants import Duration
from outreach_rules.timeline.zone import date_of_wall

if TYPE_CHECKING:
    from outreach_rules.model import Event
    from outreach_rules.policy import Policy
    from outreach_rules.rules.history import History

__all__ = ["propose"]


def propose(policy: Policy, history: History, now: int) -> list[Proposal]:
    """Every trigger's proposals for this history, one per intent and ref."""
    kept: dict[tuple[str, str | None], tuple[tuple[bool, int, int], Proposal]] = {}
    for order, trigger in enumerate(policy.triggers):
        if trigger.every is None and trigger.on != CUSTOMER and not history.has(trigger.on):
            continue  # most customers have no event of most kinds
        for proposal in _proposals(trigger, history, now):
            key = (proposal.intent, proposal.ref)
            rank = (proposal.earliest is None, proposal.anchor_at, order)
            if key not in kept or rank < kept[key][0]:
                kept[key] = (rank, proposal)
    return [proposal for _, proposal in kept.values()]


def _proposals(trigger: Trigger, history: History, now: int) -> Iterator[Proposal]:
    if trigger.every is not None:
        yield from _recurring(trigger, trigger.every, history, now)
        return
    if trigger.on == CUSTOMER:
        anchors: list[tuple[int, Event | None]] = [(history.since, None)]
    else:
        anchors = list(history.of_kind(trigger.on))
        if trigger.first_only:
            anchors = anchors[:1]
    customer = history.customer
    for at, event in anchors:
        context = Context(customer, history, at, event)
        if all(condition.holds(context) for condition in trigger.when):
            found = _from_anchor(trigger, history, at, event)
            if found is not None:
                yield found


def _ref(event: Event | None) -> str | None:
    if event is None:
        return None
    if event.ref is not None:
        return event.ref
    # Two concerns raised without a ref are two concerns: each needs its own reply.
    return event.id if event.id is not None else f"{event.kind}@{event.at.isoformat()}"


def _from_anchor(
    trigger: Trigger, history: History, at: int, event: Event | None
) -> Proposal | None:
    ref = _ref(event)
    correlating = event is not None and event.ref is not None and trigger.correlate
    link = event.ref if correlating and event is not None else None
    if trigger.unless and history.first_after(
        trigger.unless, at=at, ref=link, correlate=correlating
    ):
        return None
    if history.sent(trigger.intent, ref, since=at):
        return None
    basis, basis_at = trigger.on, at
    if trigger.requires is not None:
        found = history.first_after((trigger.requires,), at=at, ref=link, correlate=correlating)
        if found is None:
            return waiting(trigger, ref=ref, anchor=event, anchor_at=at)
        basis, basis_at = trigger.requires, found[0]
    zone = history.customer.zone
    return timed(
        trigger, ref=ref, anchor=event, anchor_at=at, basis=basis, basis_at=basis_at, zone=zone
    )


def _recurring(trigger: Trigger, every: Duration, history: History, now: int) -> Iterator[Proposal]:
    customer = history.customer
    starts = [first_holds(condition, customer, history) for condition in trigger.when]
    if any(start is None for start in starts):
        return
    start = max([history.since, *(s for s in starts if s is not None)])
    zone = customer.zone

    def occurrence(k: int) -> int:
        return every.add_to(start, zone, times=k)

    # The occurrences worth a decision at now: the latest one begun, and the next one if
    # it begins within a period (a customer eligible only in years has nothing planned yet).
    current = _last_at_or_before(occurrence, now)
    horizon = every.add_to(now, zone)
    for k in (current, current + 1):
        if k < 0:
            continue
        at = occurrence(k)
        if at > horizon:
            continue
        ref = date_of_wall(zone.to_wall(at)).isoformat()
        if trigger.unless and history.first_after(trigger.unless, at=at, ref=None, correlate=False):
            continue
        if history.sent(trigger.intent, ref, since=at):
            continue
        basis = f"occurrence {k + 1}"
        yield timed(
            trigger, ref=ref, anchor=None, anchor_at=at, basis=basis, basis_at=at, zone=zone
        )


def _last_at_or_before(occurrence: Callable[[int], int], now: int) -> int:
    """The greatest k with occurrence(k) <= now, or -1 when even the first is later."""
    if occurrence(0) > now:
        return -1
    high = 1
    while occurrence(high) <= now:
        high *= 2
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if occurrence(middle) <= now:
            low = middle
        else:
            high = middle
    return low
