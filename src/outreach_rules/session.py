"""A streaming session: post events as they come, learn what changed, hand out what is due.

A [`Session`][outreach_rules.session.Session] keeps customers, histories, current plans and
an outbox in a store: in memory (the default), SQLite (``store="sqlite:///outreach.db"``) or
PostgreSQL (``store="postgresql://..."``). Posting an event is one transaction: the event is stored
(an id already stored is applied once), the customer is re-planned from the whole history
(a broadcast re-plans everyone), the plan is stored, and the difference is returned.

Senders take due decisions with
[`Session.claim_due`][outreach_rules.session.Session.claim_due], which hands each one to one
caller under a lease, and confirm with
[`Session.record_sent`][outreach_rules.session.Session.record_sent], which adds the contact
to the history so that caps count it. A lease that runs out makes the decision
claimable again; a decision that a later event cancelled or moved is never handed out in
its old form. Decision ids are stable, so a sender can deduplicate too.

In memory, at most ``max_customers`` customers are kept when a ``history_loader`` can
bring the others back; their decisions stay, so nothing due is forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from outreach_rules import _checks as check
from outreach_rules.contract import (
    customer_from_record,
    customer_record,
    event_from_record,
    event_record,
)
from outreach_rules.errors import InputError
from outreach_rules.explain import decision_record
from outreach_rules.model import (
    Category,
    Channel,
    Contact,
    Customer,
    Decision,
    Event,
    Plan,
    TraceStep,
)
from outreach_rules.planner import check_customer, check_engine, check_history, check_policy, plan
from outreach_rules.stores import MemoryStore, Row, open_store
from outreach_rules.stores.base import merge_rows
from outreach_rules.timeline.clock import now_epoch
from outreach_rules.timeline.instants import Duration, epoch, from_epoch, local
from outreach_rules.timeline.zone import zone

__all__ = ["Changes", "Claim", "HistoryLoader", "Session"]

HistoryLoader = Callable[[str], "tuple[Customer, Iterable[Event | Contact]]"]


@attrs.frozen
class Changes:
    """What one event changed in the plans: decisions added, rescheduled and cancelled.

    Rescheduled decisions (a new time, channel or status, or another event waited for) are
    given in their new form, cancelled ones in their last form. A decision that stays due
    (its time came and it was not sent yet) is not rescheduled just because it is
    re-planned later.
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


@attrs.frozen
class Claim:
    """A due decision handed to one sender until ``leased_until``; ``version`` says which
    form of the decision it is."""

    decision: Decision
    version: int
    leased_until: int


class Session:
    """Customers' histories and plans in a store, kept up to date event by event."""

    def __init__(
        self,
        policy: Any,
        *,
        store: Any = None,
        history_loader: HistoryLoader | None = None,
        max_customers: int = 100_000,
        engine: str = "native",
    ) -> None:
        check_policy(policy)
        check.count(max_customers, "max_customers", minimum=1)
        check_engine(engine)
        self.policy = policy
        self.engine = engine
        self.store = open_store(store)
        self._loader = history_loader
        self._limit = max_customers

    def close(self) -> None:
        """Let go of the store's connections."""
        self.store.close()

    # -- customers ------------------------------------------------------------------------

    def add_customer(
        self, customer: Customer, history: Iterable[Event | Contact] = (), *, now: Any
    ) -> Changes:
        """Start following ``customer`` (or update what is known of them) and plan them."""
        check_customer(customer)
        check_history(history)
        at = now_epoch(now)
        with self.store.transaction() as tx:
            tx.put_customer(customer.id, customer_record(customer))
            for item in history:
                _store_event(tx, _event(item, customer.id))
            changes = self._replan(tx, customer.id, at)
        self._evict()
        return changes

    def plan_of(self, customer_id: str, *, now: Any) -> Plan:
        """The customer's plan at ``now`` (stored as the current plan)."""
        at = now_epoch(now)
        with self.store.transaction() as tx:
            self._replan(tx, customer_id, at)
            customer, events = self._history(tx, customer_id)
        return plan(self.policy, customer, events, now=from_epoch(at), engine=self.engine)

    # -- events ---------------------------------------------------------------------------

    def post(self, event: Event | Contact, *, now: Any) -> Changes:
        """Add ``event`` to its customer's history (a broadcast to everyone's) and re-plan.

        One transaction: the event, the new plans and the outbox change together or not
        at all. An event whose id is already stored changes nothing.
        """
        if isinstance(event, Contact):
            event = event.as_event()
        if not isinstance(event, Event):
            raise InputError(f"must be an Event, not {type(event).__name__}", field="event")
        at = now_epoch(now)
        with self.store.transaction() as tx:
            if event.customer is not None:
                self._ensure(tx, event.customer)
            if not _store_event(tx, event):
                return Changes()
            targets = tx.customer_ids() if event.customer is None else [event.customer]
            changes = Changes()
            for customer_id in targets:
                changes = changes + self._replan(tx, customer_id, at)
        self._evict()
        return changes

    def due(self, now: Any, *, limit: int | None = None) -> list[Decision]:
        """The scheduled decisions whose time has come, earliest first, held or not."""
        check.count(limit, "limit", optional=True)
        with self.store.transaction() as tx:
            rows = tx.due(now_epoch(now), limit)
        return [self._decision(row) for row in rows]

    def claim_due(self, now: Any, *, limit: int = 100, lease: Any = "5 minutes") -> list[Claim]:
        """Due decisions no other sender holds, each handed to this caller alone.

        The lease (a duration, such as ``"5 minutes"``) lets another sender claim the
        decision again if this one is not recorded as sent in time.
        """
        check.count(limit, "limit", minimum=1)
        at = now_epoch(now)
        seconds = (
            Duration.parse(lease, "lease").total_seconds() if not isinstance(lease, int) else lease
        )
        if seconds <= 0:
            raise InputError("must be a positive duration", field="lease", value=lease)
        with self.store.transaction() as tx:
            rows = tx.claim(at, limit, at + seconds)
        return [Claim(self._decision(row), row.version, at + seconds) for row in rows]

    def record_sent(
        self, decision: Decision | str, *, at: Any, channel: Channel | str | None = None
    ) -> Changes:
        """Record that a decision went out at ``at`` (on ``channel``, by default its own).

        The contact joins the history, so caps and spacing count it, and the decision
        leaves the plan as sent: it is never handed out again. Recording it twice changes
        nothing the second time.
        """
        decision_id = decision if isinstance(decision, str) else decision.id
        moment = epoch(at, "at")
        with self.store.transaction() as tx:
            row = tx.row(decision_id)
            if row is None:
                raise InputError(
                    "is not a decision of this session", field="decision", value=decision_id
                )
            # The customer first, as a post locks it, then the decision as it is now: a post
            # that re-planned it meanwhile is not undone by writing back what was read before.
            self._ensure(tx, row.customer)
            row = tx.row(decision_id)
            assert row is not None  # a decision, once stored, stays
            if row.status == "sent":
                return Changes()
            # The channel it went out on: as said, else that of the form the sender held
            # (a later event may have re-planned the stored one since), else the stored one's.
            held = None if isinstance(decision, str) else decision.channel
            used = channel or held or row.record["channel"]
            if used is None:
                raise InputError(
                    "has no channel: say which one carried it", field="channel", value=None
                )
            contact = Event(
                kind="contact_sent",
                at=at,
                customer=row.customer,
                ref=row.record["ref"],
                id=f"sent-{row.id}",
                data={"intent": row.record["intent"], "channel": str(Channel(used))},
            )
            _store_event(tx, contact)
            tx.put_rows([attrs.evolve(row, status="sent", leased_until=None)])
            changes = self._replan(tx, row.customer, moment)
        self._evict()
        return changes

    # -- inside ---------------------------------------------------------------------------

    def _ensure(self, tx: Any, customer_id: str) -> None:
        if tx.customer(customer_id) is not None:
            return
        if self._loader is None:
            raise InputError(
                "is not a customer of this session",
                field="customer",
                value=customer_id,
                hint="add it with add_customer(), or give the session a history_loader",
            )
        customer, history = self._loader(customer_id)
        tx.put_customer(customer.id, customer_record(customer))
        for item in history:
            _store_event(tx, _event(item, customer_id))

    def _history(self, tx: Any, customer_id: str) -> tuple[Customer, list[Event]]:
        self._ensure(tx, customer_id)
        customer = customer_from_record(tx.customer(customer_id))
        return customer, [event_from_record(record) for record in tx.events(customer_id)]

    def _replan(self, tx: Any, customer_id: str, now: int) -> Changes:
        customer, events = self._history(tx, customer_id)
        new = plan(self.policy, customer, events, now=from_epoch(now), engine=self.engine)
        rows = [_row(decision, customer.timezone) for decision in new]
        stored, added, moved, cancelled = merge_rows(tx.rows(customer_id), rows, now=now)
        tx.put_rows(stored)
        by_id = {d.id: d for d in new}
        return Changes(
            tuple(by_id[row.id] for row in added),
            tuple(by_id[row.id] for row in moved),
            tuple(self._decision(row) for row in cancelled),
        )

    def _decision(self, row: Row) -> Decision:
        record = row.record
        status, send_at, _, waiting_for, timezone, expires = json.loads(row.key)
        intents = {intent.name: intent for intent in self.policy.intents}
        known = intents.get(record["intent"])
        return Decision(
            id=row.id,
            customer=row.customer,
            intent=record["intent"],
            category=known.category if known is not None else Category.RELATIONSHIP,
            ref=record["ref"],
            status=status,
            send_at=record["send_at"],
            local_send_at=None if send_at is None else local(send_at, zone(timezone)),
            timezone=timezone,
            channel=record["channel"],
            expires=None if expires is None else from_epoch(expires),
            waiting_for=waiting_for,
            trace=tuple(
                TraceStep(
                    rule=s["rule"],
                    effect=s["effect"],
                    why=s["why"],
                    before=s["from"],
                    after=s["to"],
                )
                for s in record["trace"]
            ),
        )

    def _evict(self) -> None:
        if self._loader is not None and isinstance(self.store, MemoryStore):
            self.store.evict(self._limit)


def _row(decision: Decision, timezone: str) -> Row:
    send_at = None if decision.send_at is None else int(decision.send_at.timestamp())
    channel = None if decision.channel is None else str(decision.channel)
    # The zone and the expiry ride along (the output contract has neither), so a decision
    # read back is the one the planner made, local time in the customer's zone included.
    expires = None if decision.expires is None else int(decision.expires.timestamp())
    key = json.dumps(
        [str(decision.status), send_at, channel, decision.waiting_for, timezone, expires]
    )
    return Row(
        decision.id,
        decision.customer,
        str(decision.status),
        send_at,
        key,
        decision_record(decision),
    )


def _store_event(tx: Any, event: Event) -> bool:
    return bool(tx.add_event(event.id, event.customer, event.epoch, event_record(event)))


def _event(item: Event | Contact, customer_id: str) -> Event:
    event = item.as_event() if isinstance(item, Contact) else item
    if event.customer is None and isinstance(item, Contact):
        event = attrs.evolve(event, customer=customer_id)
    if event.customer not in (None, customer_id):
        raise InputError(
            f"belongs to customer {event.customer!r}, not {customer_id!r}", field="customer"
        )
    return event
