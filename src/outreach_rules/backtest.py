"""Backtests: replay a history under a policy, and see what it would have sent, and when.

``simulate`` replays customers' events in time order through a
``Session``, as a host would in production: each event is
posted at its own instant, and at every instant a decision falls due it is sent (the
session's ``due``, then ``record_sent``), so the contact counts against the caps and
spacing of what comes after, and what an event invalidates is cancelled before it is
sent. ``compare`` runs two policies over the same history and names, for every
contact that differs, the rule that made the difference.

The replay is deterministic: the same inputs give the same result, in any input order,
on any machine, any day; nothing here reads the wall clock.

How the history is read:

- events before ``start`` are the past the backtest starts from, taken as they are,
  contacts included;
- from ``start`` on, the history's own ``contact_sent`` events are left out: they are what
  the system of the day sent, and the backtest decides what is sent instead;
- events at or after ``end`` are left out: the backtest does not see its future;
- at one instant, the events of that instant are posted before what falls due then is
  sent (an answer that arrives at 09:00 cancels a reminder due at 09:00).
"""

from __future__ import annotations

import heapq
import html
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs
import pendulum

from outreach_rules import _checks as check
from outreach_rules._optional import require
from outreach_rules.errors import InputError
from outreach_rules.explain import (
    Record,
    decision_record,
    decisions_frame,
    html_status,
    html_table,
    html_view,
    html_when,
)
from outreach_rules.model import Contact, Customer, Decision, Effect, Event, Status, TraceStep
from outreach_rules.planner import check_history
from outreach_rules.session import Changes, Session
from outreach_rules.timeline.instants import epoch, from_epoch

if TYPE_CHECKING:
    import pandas

    from outreach_rules.policy import Policy

__all__ = ["Backtest", "Comparison", "Difference", "compare", "simulate"]

Key = Literal["customer", "intent", "category", "channel", "week", "day"]
_KEYS = ("customer", "intent", "category", "channel", "week", "day")


@attrs.frozen(kw_only=True, repr=False)
class Backtest:
    """What a policy would have sent over a history, from ``start`` to ``end``.

    ``sent`` holds the contacts, in the order they went out: each is the decision as it
    stood when it fell due, so its ``send_at`` is when it was sent and its ``trace`` says
    why then. ``decisions`` holds every decision the replay met, sent or not, in its last
    form: those not sent are still scheduled after ``end``, waiting, suppressed, or were
    dropped (their ids are in ``dropped``: an event ended them, or they lapsed).
    """

    policy: Policy
    start: pendulum.DateTime
    end: pendulum.DateTime
    customers: tuple[Customer, ...]
    history: tuple[Event, ...]
    sent: tuple[Decision, ...]
    decisions: tuple[Decision, ...]
    dropped: frozenset[str] = frozenset()
    left_out: int = 0
    """How many of the history's own ``contact_sent`` events, from ``start`` on, the
    replay left out."""

    def __len__(self) -> int:
        return len(self.sent)

    def __repr__(self) -> str:
        return (
            f"Backtest(policy={self.policy.name!r}, start={self.start.isoformat()!r}, "
            f"end={self.end.isoformat()!r}, customers={len(self.customers)}, "
            f"sent={len(self.sent)}, decisions={len(self.decisions)})"
        )

    @property
    def unsent(self) -> tuple[Decision, ...]:
        """The decisions met but not sent, in their last form."""
        sent = {decision.id for decision in self.sent}
        return tuple(d for d in self.decisions if d.id not in sent)

    def decision(self, decision_id: str) -> Decision | None:
        """The decision with this id, as sent or in its last form; None if never met."""
        return next((d for d in self.decisions if d.id == decision_id), None)

    def contacts_of(self, customer_id: str) -> tuple[Decision, ...]:
        """The contacts sent to one customer, in time order."""
        return tuple(d for d in self.sent if d.customer == customer_id)

    def events_of(self, customer_id: str) -> tuple[Event, ...]:
        """The customer's history as replayed: their own events and the broadcasts."""
        return tuple(e for e in self.history if e.customer in (None, customer_id))

    def counts(self, *keys: Key) -> dict[Any, int]:
        """How many contacts were sent, per value of ``keys``.

        Keys are ``customer``, ``intent``, ``category``, ``channel``, ``week`` (the ISO
        week of the customer's local send date, ``"2026-W52"``) and ``day`` (the local
        date, ``"2026-12-27"``). One key gives a dict by value, several a dict by tuple,
        sorted: ``counts("week", "intent")[("2026-W52", "review_request")]``.
        """
        if not keys:
            raise InputError("name at least one key", field="keys", hint=f"use {_KEYS}")
        for key in keys:
            if key not in _KEYS:
                raise InputError("is not a key to count by", field="key", value=key, hint=_HINT)
        counted = Counter(
            _values(decision, keys) if len(keys) > 1 else _values(decision, keys)[0]
            for decision in self.sent
        )
        return dict(sorted(counted.items()))

    @property
    def per_intent(self) -> dict[str, int]:
        """Contacts sent per intent."""
        return self.counts("intent")

    @property
    def per_channel(self) -> dict[str, int]:
        """Contacts sent per channel."""
        return self.counts("channel")

    @property
    def per_week(self) -> dict[str, int]:
        """Contacts sent per ISO week of the customer's local send date (``"2026-W52"``)."""
        return self.counts("week")

    @property
    def per_customer(self) -> dict[str, int]:
        """Contacts sent per customer, every customer included (0 for none)."""
        counted = Counter(decision.customer for decision in self.sent)
        return {customer.id: counted[customer.id] for customer in self.customers}

    def to_records(self) -> list[Record]:
        """The contacts sent, as records of the output contract."""
        return [decision_record(decision) for decision in self.sent]

    def to_pandas(self) -> pandas.DataFrame:
        """The contacts sent as a pandas DataFrame, one row per contact, as
        ``Plan.to_pandas`` lays out decisions
        (``send_at_utc``, ``send_at_local``, ...; needs the ``notebook`` extra)."""
        return decisions_frame(self.sent, purpose="Backtest.to_pandas()")

    def _repr_html_(self) -> str:
        """The backtest in a notebook: a summary, then the first contacts sent."""
        unsent = Counter(str(d.status) for d in self.unsent if d.id not in self.dropped)
        left = ", ".join(f"{number} {status}" for status, number in sorted(unsent.items()))
        summary = [
            (
                f"{_count(len(self.sent), 'contact')} sent to "
                f"{_count(len(self.per_customer), 'customer')}"
            ),
            f"by intent: {_counts(self.per_intent)}" if self.sent else "",
            f"by channel: {_counts(self.per_channel)}" if self.sent else "",
            (
                f"not sent: {left or 'none'}; {len(self.dropped)} dropped "
                "(an event ended them, or they lapsed)"
            ),
            f"{_count(self.left_out, 'contact')} of the history left out",
        ]
        rows = (
            "<tr>"
            f"<td>{_e(d.customer)}</td><td>{_e(d.intent)}</td><td>{_e(d.ref)}</td>"
            f'<td class="or-time">{html_when(d.local_send_at)}</td>'
            f"<td>{_e(d.channel)}</td><td>{_e(d.why)}</td>"
            "</tr>"
            for d in self.sent[:_HEAD]
        )
        columns = ("customer", "intent", "ref", "sent at (local)", "channel", "why")
        return html_view(
            f'<p class="or-caption"><strong>backtest</strong> of policy {_e(self.policy.name)}'
            f" from {_e(self.start.isoformat())} to {_e(self.end.isoformat())}</p>",
            _summary_html(summary),
            html_table(columns, rows, kind="contacts"),
            _more_html(len(self.sent), "contacts", "to_pandas()"),
        )


_HINT = f"use one of {', '.join(_KEYS)}"
# How many rows a notebook's view of a backtest or a comparison shows; to_pandas() has all.
_HEAD = 10


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _counts(counted: Mapping[str, int]) -> str:
    return ", ".join(f"{key} {number}" for key, number in counted.items())


def _summary_html(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{_e(line)}</li>" for line in lines if line)
    return f'<ul class="or-summary">{items}</ul>'


def _more_html(total: int, what: str, where: str) -> str:
    if total <= _HEAD:
        return ""
    return f'<p class="or-more">the first {_HEAD} of {total} {what}; {_e(where)} has them all</p>'


def _values(decision: Decision, keys: tuple[str, ...]) -> tuple[str, ...]:
    local = decision.local_send_at
    assert local is not None, "a sent decision has a send time"
    year, week, _ = local.isocalendar()
    values = {
        "customer": decision.customer,
        "intent": decision.intent,
        "category": str(decision.category),
        "channel": str(decision.channel),
        "week": f"{year}-W{week:02d}",
        "day": local.date().isoformat(),
    }
    return tuple(values[key] for key in keys)


def simulate(
    policy: Policy,
    customers: Iterable[Customer],
    events: Iterable[Event | Contact],
    *,
    start: Any,
    end: Any,
    engine: str = "native",
) -> Backtest:
    """Replay ``events`` for ``customers`` under ``policy`` from ``start`` to ``end``.

    Every decision that falls due in ``[start, end)`` is taken as sent at its time, on
    its channel; see the module's documentation for how the history is read. ``start``
    and ``end`` are aware instants or ISO 8601 strings with an offset.
    """
    begin, finish = epoch(start, "start"), epoch(end, "end")
    if finish <= begin:
        raise InputError("must come after start", field="end", value=str(end))
    check.collection(customers, "customers", what="a list of Customers")
    check_history(events, "events")
    people = _customers(customers)
    history = _history(events, people)
    past = [e for e in history if e.epoch < begin]
    replay = [e for e in history if begin <= e.epoch < finish and e.kind != "contact_sent"]
    left_out = sum(1 for e in history if begin <= e.epoch < finish and e.kind == "contact_sent")
    return _Replay(policy, people, engine).run(past, replay, begin, finish, left_out)


class _Replay:
    """One run of the replay: the session, and what it has seen of the decisions."""

    def __init__(self, policy: Policy, customers: Mapping[str, Customer], engine: str) -> None:
        self.policy = policy
        self.customers = customers
        self.session = Session(policy, engine=engine)
        self.seen: dict[str, Decision] = {}
        # What the session's plans hold scheduled, by decision id, and the same as a heap
        # of (time, id) for the next one due; entries that no longer match are skipped.
        self.scheduled: dict[str, int] = {}
        self.queue: list[tuple[int, str]] = []
        self.dropped: set[str] = set()
        self.sent: list[Decision] = []
        self.sent_ids: set[str] = set()

    def run(
        self, past: list[Event], replay: list[Event], begin: int, finish: int, left_out: int
    ) -> Backtest:
        now = from_epoch(begin)
        own: dict[str, list[Event]] = {customer_id: [] for customer_id in self.customers}
        for event in past:
            if event.customer is None:
                self.session.post(event, now=now)
            else:
                own[event.customer].append(event)
        for customer_id, customer in self.customers.items():
            self.absorb(self.session.add_customer(customer, own[customer_id], now=now))
        position = 0
        while True:
            next_event = replay[position].epoch if position < len(replay) else None
            at = min(t for t in (next_event, self.next_due(), finish) if t is not None)
            if at >= finish:
                break
            while position < len(replay) and replay[position].epoch == at:
                self.absorb(self.session.post(replay[position], now=from_epoch(at)))
                position += 1
            self.send_due(at)
        # The last form of what is left: each customer's plan at the end.
        for customer_id in self.customers:
            for decision in self.session.plan_of(customer_id, now=from_epoch(finish)):
                self.seen[decision.id] = decision
                self.dropped.discard(decision.id)
        return Backtest(
            policy=self.policy,
            start=from_epoch(begin),
            end=from_epoch(finish),
            customers=tuple(self.customers.values()),
            history=(*past, *replay),
            sent=tuple(self.sent),
            decisions=tuple(sorted(self.seen.values(), key=_order)),
            dropped=frozenset(self.dropped),
            left_out=left_out,
        )

    def absorb(self, changes: Changes) -> None:
        """Keep track of what the session's plans hold, from what each change reports."""
        for decision in (*changes.added, *changes.rescheduled):
            self.seen[decision.id] = decision
            self.dropped.discard(decision.id)
            if decision.status is Status.SCHEDULED and decision.send_at is not None:
                at = int(decision.send_at.timestamp())
                self.scheduled[decision.id] = at
                heapq.heappush(self.queue, (at, decision.id))
            else:
                self.scheduled.pop(decision.id, None)
        for decision in changes.cancelled:
            if decision.id not in self.sent_ids:
                self.seen[decision.id] = decision
                self.dropped.add(decision.id)
            self.scheduled.pop(decision.id, None)

    def next_due(self) -> int | None:
        """When the next scheduled decision falls due, if any is scheduled."""
        while self.queue:
            at, decision_id = self.queue[0]
            if self.scheduled.get(decision_id) == at:
                return at
            heapq.heappop(self.queue)  # moved, cancelled or sent since it was queued
        return None

    def send_due(self, at: int) -> None:
        """Send what is due at ``at``, in the session's order, until nothing more is.

        Sending one decision re-plans its customer: a decision that the sending moved or
        cancelled is not sent, and one it made due is sent in the next round.
        """
        now = from_epoch(at)
        progressed = True
        while progressed:
            progressed = False
            for decision in self.session.due(now):
                due_at = self.scheduled.get(decision.id)
                if due_at is None or due_at > at:
                    continue  # moved or cancelled by a contact sent just before
                if decision.id in self.sent_ids:
                    raise AssertionError(
                        f"decision {decision.id} ({decision.customer}, {decision.intent}, "
                        f"{decision.ref}) fell due again after it was sent"
                    )
                self.sent.append(decision)
                self.sent_ids.add(decision.id)
                self.seen[decision.id] = decision
                del self.scheduled[decision.id]
                self.absorb(self.session.record_sent(decision, at=now))
                progressed = True
        stale = sorted(i for i, t in self.scheduled.items() if t <= at)
        if stale:
            raise AssertionError(f"the session no longer hands out decisions due by now: {stale}")


def _order(decision: Decision) -> tuple[str, bool, float, str, str]:
    send_at = decision.send_at
    return (
        decision.customer,
        send_at is None,
        0.0 if send_at is None else send_at.timestamp(),
        decision.intent,
        decision.ref or "",
    )


def _customers(customers: Iterable[Customer]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for position, customer in enumerate(customers):
        if not isinstance(customer, Customer):
            raise InputError(
                f"must be a Customer, not {type(customer).__name__}", field=f"customers[{position}]"
            )
        if customer.id in found and found[customer.id] != customer:
            raise InputError("is given twice, differently", field="customers.id", value=customer.id)
        found[customer.id] = customer
    return dict(sorted(found.items()))


def _history(events: Iterable[Event | Contact], customers: Mapping[str, Customer]) -> list[Event]:
    history = []
    for position, item in enumerate(events):
        event = item.as_event() if isinstance(item, Contact) else item
        if not isinstance(event, Event):
            raise InputError(
                f"must be an Event or a Contact, not {type(item).__name__}",
                field=f"events[{position}]",
            )
        if event.customer is not None and event.customer not in customers:
            raise InputError(
                "is not one of the customers given",
                field=f"events[{position}].customer",
                value=event.customer,
                hint="give the customer too, or leave their events out",
            )
        history.append(event)
    # Time order, and a fixed order within an instant whatever the input's.
    history.sort(key=lambda e: (e.epoch, e.customer or "", e.kind, e.ref or "", e.id or ""))
    return history


# -- comparing two policies -----------------------------------------------------------------

Kind = Literal["only_a", "only_b", "changed"]

# Steps that follow from others rather than cause a difference: the plan's own now, the
# channel chosen, the lapse. A difference is put on them only when nothing else differs.
_CONSEQUENCES = frozenset({"plan-now", "channel", "expiry"})


@attrs.frozen(kw_only=True)
class Difference:
    """One contact that two backtests do not agree on, and the rule that made it differ.

    ``kind`` is ``"only_a"`` (sent under policy A only), ``"only_b"`` (under B only) or
    ``"changed"`` (sent under both, at another time or on another channel). ``a`` and
    ``b`` are the decision under each policy: as sent, or in its last form when it was not
    sent, or None when that policy never proposed it. ``rule`` is the id of the rule whose
    part in the two traces differs (see ``compare``), and ``why`` what it did.
    """

    kind: Kind
    customer: str
    intent: str
    ref: str | None
    a: Decision | None = attrs.field(repr=False)
    b: Decision | None = attrs.field(repr=False)
    rule: str
    why: str

    @property
    def a_sent_at(self) -> pendulum.DateTime | None:
        """When policy A sent it, if it did."""
        return None if self.kind == "only_b" or self.a is None else self.a.send_at

    @property
    def b_sent_at(self) -> pendulum.DateTime | None:
        """When policy B sent it, if it did."""
        return None if self.kind == "only_a" or self.b is None else self.b.send_at

    def to_record(self) -> Record:
        """The difference as a plain dict, ready for JSON or a table."""
        a_sent, b_sent = self.a_sent_at, self.b_sent_at
        return {
            "customer": self.customer,
            "intent": self.intent,
            "ref": self.ref,
            "kind": self.kind,
            "a_send_at": None if a_sent is None else a_sent.isoformat(),
            "a_channel": None if a_sent is None or self.a is None else _text(self.a.channel),
            "b_send_at": None if b_sent is None else b_sent.isoformat(),
            "b_channel": None if b_sent is None or self.b is None else _text(self.b.channel),
            "rule": self.rule,
            "why": self.why,
        }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@attrs.frozen(kw_only=True, repr=False)
class Comparison:
    """Two backtests over the same history, and the contacts they do not agree on."""

    a: Backtest
    b: Backtest
    differences: tuple[Difference, ...]

    def __len__(self) -> int:
        return len(self.differences)

    def __repr__(self) -> str:
        return f"Comparison(a={self.a!r}, b={self.b!r}, differences={len(self.differences)})"

    def __iter__(self) -> Iterator[Difference]:
        return iter(self.differences)

    def by_customer(self) -> dict[str, tuple[Difference, ...]]:
        """The differences of each customer who has any, by customer id."""
        found: dict[str, list[Difference]] = {}
        for difference in self.differences:
            found.setdefault(difference.customer, []).append(difference)
        return {customer: tuple(items) for customer, items in sorted(found.items())}

    def by_rule(self) -> dict[str, int]:
        """How many differences each rule made, most first."""
        counted = Counter(difference.rule for difference in self.differences)
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    def to_records(self) -> list[Record]:
        """The differences as plain dicts."""
        return [difference.to_record() for difference in self.differences]

    def to_pandas(self) -> pandas.DataFrame:
        """The differences as a pandas DataFrame, one row per difference (needs the
        ``notebook`` extra).

        The columns are those of ``to_records()``, each instant's column saying where
        it is read, as in ``Plan.to_pandas()``: ``a_send_at_utc`` and ``b_send_at_utc``
        are UTC timestamps, ``a_send_at_local`` and ``b_send_at_local`` ISO 8601 text
        with the customer's offset.
        """
        pd = require("pandas", extra="notebook", purpose="Comparison.to_pandas()")
        rows = [
            {
                **record,
                "a_send_at_utc": record["a_send_at"],
                "a_send_at_local": _local(difference.a, difference.a_sent_at),
                "b_send_at_utc": record["b_send_at"],
                "b_send_at_local": _local(difference.b, difference.b_sent_at),
            }
            for difference, record in zip(self.differences, self.to_records(), strict=True)
        ]
        frame = pd.DataFrame(rows, columns=list(_DIFFERENCE_COLUMNS))
        for column in ("a_send_at_utc", "b_send_at_utc"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame

    def _repr_html_(self) -> str:
        """The comparison in a notebook: a summary, then the first differences."""
        kinds = Counter(difference.kind for difference in self.differences)
        summary = [
            (
                f"policy A {self.a.policy.name}: {_count(len(self.a.sent), 'contact')} sent; "
                f"policy B {self.b.policy.name}: {_count(len(self.b.sent), 'contact')} sent"
            ),
            (
                f"{_count(len(self.differences), 'contact')} differ: "
                f"{kinds['only_a']} under A only, {kinds['only_b']} under B only, "
                f"{kinds['changed']} changed"
            ),
            f"by rule: {_counts(self.by_rule())}" if self.differences else "",
        ]
        rows = (
            "<tr>"
            f"<td>{_e(d.customer)}</td><td>{_e(d.intent)}</td><td>{_e(d.ref)}</td>"
            f"<td>{_e(d.kind)}</td>"
            f'<td class="or-time">{_sent_html(d.a, d.a_sent_at)}</td>'
            f'<td class="or-time">{_sent_html(d.b, d.b_sent_at)}</td>'
            f"<td>{_e(d.rule)}</td><td>{_e(d.why)}</td>"
            "</tr>"
            for d in self.differences[:_HEAD]
        )
        columns = ("customer", "intent", "ref", "kind", "A (local)", "B (local)", "rule", "why")
        return html_view(
            f'<p class="or-caption"><strong>comparison</strong> of policy A '
            f"{_e(self.a.policy.name)} with policy B {_e(self.b.policy.name)}, from "
            f"{_e(self.a.start.isoformat())} to {_e(self.a.end.isoformat())}</p>",
            _summary_html(summary),
            html_table(columns, rows, kind="differences"),
            _more_html(len(self.differences), "differences", "to_pandas()"),
        )


_DIFFERENCE_COLUMNS = (
    "customer",
    "intent",
    "ref",
    "kind",
    "a_send_at_utc",
    "a_send_at_local",
    "a_channel",
    "b_send_at_utc",
    "b_send_at_local",
    "b_channel",
    "rule",
    "why",
)


def _local(decision: Decision | None, sent: pendulum.DateTime | None) -> str | None:
    """When one side sent it, as ISO 8601 text with the customer's offset; None if not."""
    if sent is None or decision is None or decision.local_send_at is None:
        return None
    return decision.local_send_at.isoformat()


def _sent_html(decision: Decision | None, sent: pendulum.DateTime | None) -> str:
    """A side's send time in a cell: local, over UTC; its state when it was not sent."""
    if sent is not None and decision is not None:
        return html_when(decision.local_send_at) + f" <small>{_e(decision.channel)}</small>"
    if decision is None:
        return "not proposed"
    return html_status(decision.status)


def compare(
    policy_a: Policy,
    policy_b: Policy,
    customers: Iterable[Customer],
    events: Iterable[Event | Contact],
    *,
    start: Any,
    end: Any,
    engine: str = "native",
) -> Comparison:
    """Backtest two policies over the same history, and tell the contacts apart.

    A contact is the same under both when it is the same decision (customer, intent and
    ref) sent at the same instant on the same channel. For every other one, the rule named
    is found by setting the decision's two traces side by side: the first rule, in trace
    order, whose part differs, preferring a rule that took part in only one of them (added,
    removed, or no longer applying), then one whose effect or wording changed, over one
    that only moved because an earlier step did.
    """
    people = list(customers)
    history = list(events)
    a = simulate(policy_a, people, history, start=start, end=end, engine=engine)
    b = simulate(policy_b, people, history, start=start, end=end, engine=engine)
    return Comparison(a=a, b=b, differences=_differences(a, b))


def _differences(a: Backtest, b: Backtest) -> tuple[Difference, ...]:
    sent_a = {d.id: d for d in a.sent}
    sent_b = {d.id: d for d in b.sent}
    all_a = {d.id: d for d in a.decisions}
    all_b = {d.id: d for d in b.decisions}
    found = []
    for decision_id in sent_a.keys() | sent_b.keys():
        in_a, in_b = sent_a.get(decision_id), sent_b.get(decision_id)
        if in_a is not None and in_b is not None:
            if (in_a.send_at, in_a.channel) == (in_b.send_at, in_b.channel):
                continue
            kind: Kind = "changed"
        else:
            kind = "only_a" if in_a is not None else "only_b"
        form_a = in_a or all_a.get(decision_id)
        form_b = in_b or all_b.get(decision_id)
        rule, why = _deciding_rule(form_a, form_b)
        known = form_a or form_b
        assert known is not None
        found.append(
            Difference(
                kind=kind,
                customer=known.customer,
                intent=known.intent,
                ref=known.ref,
                a=form_a,
                b=form_b,
                rule=rule,
                why=why,
            )
        )
    return tuple(sorted(found, key=_difference_order))


def _difference_order(difference: Difference) -> tuple[str, float, str, str]:
    sent = difference.a_sent_at or difference.b_sent_at
    return (
        difference.customer,
        0.0 if sent is None else sent.timestamp(),
        difference.intent,
        difference.ref or "",
    )


_Part = tuple[tuple[Effect, Any, Any, str], ...]


def _parts(trace: tuple[TraceStep, ...]) -> dict[str, _Part]:
    parts: dict[str, list[tuple[Effect, Any, Any, str]]] = {}
    for step in trace:
        parts.setdefault(step.rule, []).append((step.effect, step.before, step.after, step.why))
    return {rule: tuple(steps) for rule, steps in parts.items()}


def _deciding_rule(a: Decision | None, b: Decision | None) -> tuple[str, str]:
    """The rule that made ``a`` and ``b`` differ, and what it did, from their traces."""
    if a is None or b is None:
        only, side = (a, "A") if b is None else (b, "B")
        assert only is not None
        proposed = next((s for s in only.trace if s.effect is Effect.PROPOSED), None)
        if proposed is None:
            return "", f"proposed under policy {side} only"
        return proposed.rule, f"proposed under policy {side} only: {proposed.why}"
    parts_a, parts_b = _parts(a.trace), _parts(b.trace)
    order = list(dict.fromkeys(step.rule for step in (*a.trace, *b.trace)))
    changed = [rule for rule in order if parts_a.get(rule) != parts_b.get(rule)]
    if not changed:
        return "", "the two traces agree"

    def rank(rule: str) -> int:
        if rule in _CONSEQUENCES:
            return 3
        if (rule in parts_a) != (rule in parts_b):
            return 0
        effects_a = [(effect, why) for effect, _, _, why in parts_a[rule]]
        effects_b = [(effect, why) for effect, _, _, why in parts_b[rule]]
        return 1 if effects_a != effects_b else 2

    rule = min(changed, key=lambda name: (rank(name), order.index(name)))
    return rule, _what_it_did(rule, a, b)


def _what_it_did(rule: str, a: Decision, b: Decision) -> str:
    def acted(decision: Decision) -> TraceStep | None:
        steps = [s for s in decision.trace if s.rule == rule]
        active = [s for s in steps if s.effect is not Effect.ALLOWED]
        chosen = active or steps
        return chosen[-1] if chosen else None

    step_a, step_b = acted(a), acted(b)
    said = []
    for side, step in (("A", step_a), ("B", step_b)):
        if step is None:
            said.append(f"under {side} not consulted")
        else:
            said.append(f"under {side} {step.effect}: {step.why}")
    return "; ".join(said)
