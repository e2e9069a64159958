"""One customer's history, checked, put in time order and indexed once for the planner."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from outreach_rules._frozen import thaw
from outreach_rules.errors import InputError
from outreach_rules.model import Category, Channel, Contact, Event

if TYPE_CHECKING:
    from outreach_rules.model import Customer, Intent

__all__ = ["ContactMade", "History", "as_event", "consent"]


@attrs.frozen
class ContactMade:
    """A contact that counts for caps and spacing: sent already, or placed in this plan."""

    at: int
    intent: str
    category: Category | None
    channel: Channel | None
    ref: str | None


class History:
    """A customer's events in time order (ties keep the order given), indexed by kind and ref."""

    __slots__ = ("_by_kind", "_by_kind_ref", "contacts", "customer", "events", "since", "times")

    def __init__(
        self,
        customer: Customer,
        events: Iterable[Event | Contact],
        intents: Mapping[str, Intent],
    ) -> None:
        self.customer = customer
        self.since = customer.since_epoch
        # Events at one instant are put in an order of their own (kind, ref, id, content),
        # so the plan does not depend on the order the host happened to give them in.
        timed = sorted(
            ((_order(e), e) for e in _checked(customer, events)), key=lambda item: item[0]
        )
        self.events: tuple[Event, ...] = tuple(e for _, e in timed)
        self.times: tuple[int, ...] = tuple(e.epoch for e in self.events)
        self._by_kind: dict[str, list[int]] = {}
        self._by_kind_ref: dict[tuple[str, str | None], list[int]] = {}
        for index, event in enumerate(self.events):
            self._by_kind.setdefault(event.kind, []).append(index)
            self._by_kind_ref.setdefault((event.kind, event.ref), []).append(index)
        self.contacts = tuple(
            _contact(self.times[i], self.events[i], intents)
            for i in self._by_kind.get("contact_sent", ())
        )

    def has(self, kind: str) -> bool:
        """Whether any event of ``kind`` happened."""
        return kind in self._by_kind

    def of_kind(self, kind: str) -> list[tuple[int, Event]]:
        """The events of ``kind``, with their instants, in time order."""
        return [(self.times[i], self.events[i]) for i in self._by_kind.get(kind, ())]

    def times_of(self, kind: str) -> list[int]:
        """The instants of the events of ``kind``, in order."""
        return [self.times[i] for i in self._by_kind.get(kind, ())]

    def count(self, kind: str, *, until: int) -> int:
        """How many events of ``kind`` happened at or before ``until``."""
        return bisect.bisect_right(self.times_of(kind), until)

    def first_after(
        self, kinds: Iterable[str], *, at: int, ref: str | None, correlate: bool = True
    ) -> tuple[int, Event] | None:
        """The first event of one of ``kinds`` at or after ``at``, with ``ref`` if correlated."""
        best: tuple[int, Event] | None = None
        for kind in kinds:
            indexes = (
                self._by_kind_ref.get((kind, ref), ()) if correlate else self._by_kind.get(kind, ())
            )
            for i in indexes:
                if self.times[i] >= at:
                    if best is None or self.times[i] < best[0]:
                        best = (self.times[i], self.events[i])
                    break
        return best

    def sent(self, intent: str, ref: str | None, *, since: int) -> ContactMade | None:
        """The contact already made for ``intent`` and ``ref`` at or after ``since``, if any."""
        for contact in self.contacts:
            if contact.intent == intent and contact.ref == ref and contact.at >= since:
                return contact
        return None

    def matching(self, kind: str, ref: str | None, *, correlate: bool) -> list[tuple[int, Event]]:
        """The events of ``kind`` (with ``ref`` when correlated), with their instants."""
        indexes = (
            self._by_kind_ref.get((kind, ref), ()) if correlate else self._by_kind.get(kind, ())
        )
        return [(self.times[i], self.events[i]) for i in indexes]


def consent(history: History, name: str) -> bool | None:
    """The customer's latest word on a category or channel: given, refused, or never said.

    ``opted_in`` and ``opted_out`` events (``data.category`` or ``data.channel``) override
    the customer's ``consents``; the latest one wins.
    """
    given = history.customer.consents.get(name)
    latest = -1
    for kind, value in (("opted_in", True), ("opted_out", False)):
        for t, event in history.of_kind(kind):
            if name in (event.data.get("category"), event.data.get("channel")) and t >= latest:
                given, latest = value, t
    return given if isinstance(given, bool) else None


def _order(event: Event) -> tuple[int, str, str, str, str]:
    # Ids are unique within a history (_checked drops or refuses a repeated one), so the
    # content is needed only to order events that have none.
    content = (
        json.dumps(thaw(event.data), sort_keys=True, default=str)
        if event.data and event.id is None
        else ""
    )
    return (event.epoch, event.kind, event.ref or "", event.id or "", content)


def _checked(customer: Customer, events: Iterable[Event | Contact]) -> list[Event]:
    seen: dict[str, Event] = {}
    kept: list[Event] = []
    for position, item in enumerate(events):
        event = as_event(item, position)
        if event.customer is not None and event.customer != customer.id:
            raise InputError(
                f"belongs to customer {event.customer!r}, not {customer.id!r}",
                field=f"history[{position}].customer",
                hint="pass each customer only their own events and the broadcasts",
            )
        if event.id is not None:
            earlier = seen.get(event.id)
            if earlier is not None:
                if earlier != event:
                    raise InputError(
                        "is used by two different events",
                        field=f"history[{position}].id",
                        value=event.id,
                        hint="an event id may repeat only for the same event delivered twice",
                    )
                continue
            seen[event.id] = event
        kept.append(event)
    return kept


def as_event(item: Event | Contact, position: int) -> Event:
    """The event that ``history[position]`` stands for; anything else is an error."""
    event = item.as_event() if isinstance(item, Contact) else item
    if not isinstance(event, Event):
        raise InputError(
            f"must be an Event or a Contact, not {type(item).__name__}",
            field=f"history[{position}]",
        )
    return event


def _contact(at: int, event: Event, intents: Mapping[str, Intent]) -> ContactMade:
    intent = event.data.get("intent")
    channel = event.data.get("channel")
    category = event.data.get("category")
    known = intents.get(intent) if isinstance(intent, str) else None
    try:
        return ContactMade(
            at=at,
            intent=intent if isinstance(intent, str) else "",
            category=Category(category) if category else (known.category if known else None),
            channel=Channel(channel) if channel else None,
            ref=event.ref,
        )
    except ValueError as error:
        raise InputError(
            f"has a contact_sent event with a bad channel or category ({error})",
            field="data",
            value=dict(event.data),
        ) from None
