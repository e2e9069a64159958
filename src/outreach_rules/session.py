"""A streaming session: post events as they come, learn what changed, hand out what is due.

A :class:`Session` keeps each customer's history and current plan. Posting an event
re-plans that customer (a broadcast, every customer) and reports the difference from the
plan before: decisions added, rescheduled and cancelled. ``due(now)`` returns the
decisions whose time has come; ``record_sent`` adds the contact to the history, so caps
and spacing count it from then on.

Memory is bounded: beyond ``max_customers`` the least recently used customers are
evicted, and loaded again through ``history_loader`` when an event or ``due`` needs them.
Without a loader nothing is evicted, since nothing could be loaded back.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from outreach_rules.errors import InputError
from outreach_rules.model import Channel, Contact, Customer, Decision, Event, Plan, Status
from outreach_rules.planner import plan
from outreach_rules.timeline.clock import now_epoch

__all__ = ["Changes", "HistoryLoader", "Session"]

HistoryLoader = Callable[[str], "tuple[Customer, Iterable[Event | Contact]]"]


@attrs.frozen
class Changes:
    """What one event changed in the plans: decisions added, rescheduled and cancelled.

    Rescheduled decisions (a new time, channel or status, or another event waited for) are
    given in their new form, cancelled ones in their last form.
    A decision that stays due (its time came and it was not sent yet) is not rescheduled
    just because it is re-planned later.
    """

    added: tuple[Decision, ...] = ()
    rescheduled: tuple[Decision, ...] = ()
    cancelled: tuple[Decision, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.rescheduled or self.cancelled)

    def __add__(self, other: Changes) -> Changes:
        return Changes(
            self.added + other.added,
            self.rescheduled + other.rescheduled,
            self.cancelled + other.cancelled,
        )


@attrs.define
class _Customer:
    customer: Customer
    history: list[Event]
    plan: Plan | None = None


class Session:
    """Customers' histories and plans, kept up to date event by event."""

    def __init__(
        self,
        policy: Any,
        *,
        history_loader: HistoryLoader | None = None,
        max_customers: int = 100_000,
        engine: str = "native",
    ) -> None:
        if max_customers < 1:
            raise InputError("must be at least 1", field="max_customers", value=max_customers)
        self.policy = policy
        self.engine = engine
        self._loader = history_loader
        self._limit = max_customers
        self._customers: OrderedDict[str, _Customer] = OrderedDict()
        self._broadcasts: list[Event] = []
        # The earliest scheduled time of each customer, evicted or not: due() needs it to
        # know whom to load back.
        self._next_due: dict[str, int] = {}

    # -- customers ------------------------------------------------------------------------

    def add_customer(
        self, customer: Customer, history: Iterable[Event | Contact] = (), *, now: Any
    ) -> Changes:
        """Start following ``customer`` (or replace what is known of them) and plan them."""
        events = [_event(item, customer.id) for item in history]
        state = _Customer(customer, events)
        previous = self._customers.get(customer.id)
        self._customers[customer.id] = state
        self._customers.move_to_end(customer.id)
        changes = self._replan(state, now, before=None if previous is None else previous.plan)
        self._evict()
        return changes

    def plan_of(self, customer_id: str, *, now: Any) -> Plan:
        """The customer's plan, re-planned at ``now``."""
        state = self._state(customer_id, now)
        self._replan(state, now, before=state.plan)
        assert state.plan is not None
        return state.plan

    def __len__(self) -> int:
        """How many customers are in memory now."""
        return len(self._customers)

    # -- events ---------------------------------------------------------------------------

    def post(self, event: Event | Contact, *, now: Any) -> Changes:
        """Add ``event`` to its customer's history (a broadcast to everyone's) and re-plan."""
        if isinstance(event, Contact):
            event = event.as_event()
        if not isinstance(event, Event):
            raise InputError(f"must be an Event, not {type(event).__name__}", field="event")
        if event.customer is None:
            if event.id is not None and any(b.id == event.id for b in self._broadcasts):
                return Changes()
            self._broadcasts.append(event)
            changes = Changes()
            for customer_id in self._all_customers():
                state = self._state(customer_id, now)
                changes = changes + self._replan(state, now, before=state.plan)
            return changes
        state = self._state(event.customer, now)
        if event.id is not None and any(e.id == event.id for e in state.history):
            same = next(e for e in state.history if e.id == event.id)
            if same != event:
                raise InputError(
                    "is used by two different events",
                    field="id",
                    value=event.id,
                    hint="the same id may repeat only for the same event delivered twice",
                )
            return Changes()
        state.history.append(event)
        return self._replan(state, now, before=state.plan)

    def due(self, now: Any) -> list[Decision]:
        """The scheduled decisions whose time has come, earliest first."""
        at = now_epoch(now)
        found = []
        waiting = [c for c, t in self._next_due.items() if t <= at]
        # Those in memory first: loading the others must not evict one still to be served.
        waiting.sort(key=lambda c: c not in self._customers)
        for customer_id in waiting:
            state = self._state(customer_id, now)
            assert state.plan is not None
            for decision in state.plan.scheduled():
                assert decision.send_at is not None
                if int(decision.send_at.timestamp()) <= at:
                    found.append(decision)
        return heapq.nsmallest(
            len(found), found, key=lambda d: (d.send_at, d.customer, d.intent, d.ref or "")
        )

    def record_sent(
        self, decision: Decision, *, at: Any, channel: Channel | str | None = None
    ) -> Changes:
        """Record that ``decision`` went out at ``at`` (on ``channel``, by default its own).

        The contact joins the history, so caps and spacing count it; the decision leaves
        the plan as sent, not cancelled.
        """
        used = channel if channel is not None else decision.channel
        if used is None:
            raise InputError(
                "has no channel: say which one carried it", field="channel", value=None
            )
        contact = Contact(
            intent=decision.intent,
            channel=used,
            at=at,
            ref=decision.ref,
            customer=decision.customer,
        )
        changes = self.post(contact, now=at)
        cancelled = tuple(d for d in changes.cancelled if d.id != decision.id)
        return Changes(changes.added, changes.rescheduled, cancelled)

    # -- inside ---------------------------------------------------------------------------

    def _all_customers(self) -> list[str]:
        return sorted({*self._customers, *self._next_due})

    def _state(self, customer_id: str, now: Any) -> _Customer:
        state = self._customers.get(customer_id)
        if state is not None:
            self._customers.move_to_end(customer_id)
            return state
        if self._loader is None:
            raise InputError(
                "is not a customer of this session",
                field="customer",
                value=customer_id,
                hint="add it with add_customer(), or give the session a history_loader",
            )
        customer, history = self._loader(customer_id)
        state = _Customer(customer, [_event(item, customer_id) for item in history])
        self._customers[customer_id] = state
        self._replan(state, now, before=None)
        self._evict()
        return state

    def _replan(self, state: _Customer, now: Any, *, before: Plan | None) -> Changes:
        history = [*self._broadcasts, *state.history]
        new = plan(self.policy, state.customer, history, now=now, engine=self.engine)
        state.plan = new
        scheduled = [int(d.send_at.timestamp()) for d in new.scheduled() if d.send_at is not None]
        if scheduled:
            self._next_due[state.customer.id] = min(scheduled)
        else:
            self._next_due.pop(state.customer.id, None)
        return _diff(before, new)

    def _evict(self) -> None:
        if self._loader is None:
            return
        while len(self._customers) > self._limit:
            self._customers.popitem(last=False)


def _diff(before: Plan | None, after: Plan) -> Changes:
    old = {} if before is None else {d.id: d for d in before}
    new = {d.id: d for d in after}
    added = tuple(d for i, d in new.items() if i not in old)
    cancelled = tuple(d for i, d in old.items() if i not in new)
    rescheduled = tuple(d for i, d in new.items() if i in old and _moved(old[i], d, after))
    return Changes(added, rescheduled, cancelled)


def _moved(old: Decision, new: Decision, after: Plan) -> bool:
    if (old.status, old.send_at, old.channel, old.waiting_for) == (
        new.status,
        new.send_at,
        new.channel,
        new.waiting_for,
    ):
        return False
    # Still due: placed at the new now only because its time came and it is not sent yet.
    still_due = (
        old.status is Status.SCHEDULED
        and new.status is Status.SCHEDULED
        and old.channel == new.channel
        and old.send_at is not None
        and old.send_at <= after.now
        and new.send_at == after.now
    )
    return not still_due


def _event(item: Event | Contact, customer_id: str) -> Event:
    event = item.as_event() if isinstance(item, Contact) else item
    if event.customer not in (None, customer_id):
        raise InputError(
            f"belongs to customer {event.customer!r}, not {customer_id!r}", field="customer"
        )
    return event
