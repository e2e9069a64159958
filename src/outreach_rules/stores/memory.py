"""The in-memory store: the session's state in this process only, gone when it ends."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sortedcontainers import SortedList

from outreach_rules.errors import InputError
from outreach_rules.stores.base import OPEN, Row

__all__ = ["MemoryStore"]


class MemoryStore:
    """Customers, events, decisions and the outbox in dictionaries.

    Writes inside a transaction are staged and applied together at its end, so an error
    leaves the store as it was. ``evict(limit)`` drops the least recently used customers'
    records and events (their decisions stay, so the outbox keeps them): a session does
    this only when it has a loader to bring them back.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.customers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.events: dict[str | None, list[dict[str, Any]]] = {None: []}
        self.ids: dict[str, dict[str, Any]] = {}
        self.decisions: dict[str, Row] = {}
        # Indexes, so that a post or a claim costs the same with ten customers or a
        # million: each customer's open decisions, and the outbox in two sorted lists, the
        # decisions no one holds by send time and those under a lease by its end.
        self.open_ids: dict[str, set[str]] = {}
        self.free: SortedList = SortedList()  # of (send_at, id)
        self.held: SortedList = SortedList()  # of (leased_until, send_at, id)

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        with self._lock:
            staged = _Transaction(self)
            yield staged
            staged.apply()

    def evict(self, limit: int) -> None:
        """Keep at most ``limit`` customers' records and events."""
        with self._lock:
            while len(self.customers) > limit:
                customer_id, _ = self.customers.popitem(last=False)
                for record in self.events.pop(customer_id, []):
                    if "id" in record:
                        self.ids.pop(record["id"], None)

    def close(self) -> None:
        """Nothing to let go of."""

    def put(self, row: Row) -> None:
        """Keep ``row`` in place of its earlier version, and the indexes with it."""
        old = self.decisions.get(row.id)
        if old is not None:
            _unindex(self, old)
        self.decisions[row.id] = row
        if row.status in OPEN:
            self.open_ids.setdefault(row.customer, set()).add(row.id)
        place = _place(self, row)
        if place is not None:
            keys, key = place
            keys.add(key)

    def scheduled(self, now: int, *, claimable: bool = False) -> Iterator[Row]:
        """The scheduled rows due at ``now`` in send order (then id); with ``claimable``,
        only those no one holds or whose lease has run out."""
        # Held by the end of their lease: for a claim, only the prefix that has run out.
        leased = (
            itertools.takewhile(lambda key: key[0] <= now, self.held) if claimable else self.held
        )
        ran_out = sorted((send_at, i) for _, send_at, i in leased if send_at <= now)
        free = itertools.takewhile(lambda key: key[0] <= now, self.free)
        for _, decision_id in heapq.merge(free, ran_out):
            yield self.decisions[decision_id]


def _place(store: MemoryStore, row: Row) -> tuple[SortedList, tuple[Any, ...]] | None:
    """The outbox list that holds ``row``, and its key there; None when it is not in one."""
    if row.status != "scheduled" or row.send_at is None:
        return None
    if row.leased_until is None:
        return store.free, _send_key(row)
    return store.held, (row.leased_until, *_send_key(row))


def _send_key(row: Row) -> tuple[int, str]:
    assert row.send_at is not None
    return (row.send_at, row.id)


def _unindex(store: MemoryStore, row: Row) -> None:
    owned = store.open_ids.get(row.customer)
    if owned is not None:
        owned.discard(row.id)
        if not owned:
            del store.open_ids[row.customer]
    place = _place(store, row)
    if place is not None:
        keys, key = place
        keys.discard(key)


class _Transaction:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._customers: dict[str, dict[str, Any]] = {}
        self._events: list[tuple[str | None, dict[str, Any]]] = []
        self._ids: dict[str, dict[str, Any]] = {}
        self._rows: dict[str, Row] = {}

    def apply(self) -> None:
        store = self.store
        for customer_id, record in self._customers.items():
            store.customers[customer_id] = record
            store.customers.move_to_end(customer_id)
        for owner, event in self._events:
            store.events.setdefault(owner, []).append(event)
        store.ids.update(self._ids)
        for row in self._rows.values():
            store.put(row)

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        found = self._customers.get(customer_id) or self.store.customers.get(customer_id)
        if found is not None and customer_id in self.store.customers:
            self.store.customers.move_to_end(customer_id)
        return found

    def put_customer(self, customer_id: str, record: dict[str, Any]) -> None:
        self._customers[customer_id] = record

    def customer_ids(self) -> list[str]:
        known = {*self.store.customers, *self._customers}
        # A customer whose open decisions are all staged is known by their staged rows.
        known.update(
            customer
            for customer, ids in self.store.open_ids.items()
            if any(i not in self._rows for i in ids)
        )
        known.update(row.customer for row in self._rows.values() if row.status in OPEN)
        return sorted(known)

    def add_event(
        self, event_id: str | None, customer: str | None, at: int, record: dict[str, Any]
    ) -> bool:
        if event_id is not None:
            stored = self._ids.get(event_id) or self.store.ids.get(event_id)
            if stored is not None:
                if stored != record:
                    raise InputError(
                        "is used by two different events",
                        field="id",
                        value=event_id,
                        hint="the same id may repeat only for the same event delivered twice",
                    )
                return False
            self._ids[event_id] = record
        self._events.append((customer, record))
        return True

    def events(self, customer_id: str) -> list[dict[str, Any]]:
        staged_broadcasts = [r for c, r in self._events if c is None]
        staged_own = [r for c, r in self._events if c == customer_id]
        return [
            *self.store.events.get(None, []),
            *staged_broadcasts,
            *self.store.events.get(customer_id, []),
            *staged_own,
        ]

    def rows(self, customer_id: str) -> dict[str, Row]:
        ids = {*self.store.open_ids.get(customer_id, ())}
        ids.update(i for i, r in self._rows.items() if r.customer == customer_id)
        found = {i: self.row(i) for i in sorted(ids)}
        return {i: r for i, r in found.items() if r is not None and r.status in OPEN}

    def row(self, decision_id: str) -> Row | None:
        return self._rows.get(decision_id) or self.store.decisions.get(decision_id)

    def put_rows(self, rows: list[Row]) -> None:
        for row in rows:
            self._rows[row.id] = row

    def due(self, now: int, limit: int | None) -> list[Row]:
        return list(itertools.islice(self._due(now, claimable=False), limit))

    def claim(self, now: int, limit: int, lease_until: int) -> list[Row]:
        claimed = [
            _leased(row, lease_until) for row in itertools.islice(self._due(now, True), limit)
        ]
        self.put_rows(claimed)
        return claimed

    def _due(self, now: int, claimable: bool) -> Iterator[Row]:
        """The scheduled rows due at ``now`` in send order, staged versions in place of
        stored ones; with ``claimable``, only those no one holds."""

        def wanted(row: Row) -> bool:
            if row.status != "scheduled" or row.send_at is None or row.send_at > now:
                return False
            return not claimable or row.leased_until is None or row.leased_until <= now

        staged = sorted((_send_key(r), r) for r in self._rows.values() if wanted(r))
        stored = (
            (_send_key(r), r)
            for r in self.store.scheduled(now, claimable=claimable)
            if r.id not in self._rows
        )
        for _, row in heapq.merge(staged, stored, key=lambda item: item[0]):
            yield row


def _leased(row: Row, until: int) -> Row:
    return attrs.evolve(row, leased_until=until)
