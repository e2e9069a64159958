"""The in-memory store: the session's state in this process only, gone when it ends."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

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
        store.decisions.update(self._rows)

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        found = self._customers.get(customer_id) or self.store.customers.get(customer_id)
        if found is not None and customer_id in self.store.customers:
            self.store.customers.move_to_end(customer_id)
        return found

    def put_customer(self, customer_id: str, record: dict[str, Any]) -> None:
        self._customers[customer_id] = record

    def customer_ids(self) -> list[str]:
        known = {*self.store.customers, *self._customers}
        known.update(row.customer for row in self.store.decisions.values() if row.status in OPEN)
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
        merged = {**self.store.decisions, **self._rows}
        return {i: r for i, r in merged.items() if r.customer == customer_id and r.status in OPEN}

    def row(self, decision_id: str) -> Row | None:
        return self._rows.get(decision_id) or self.store.decisions.get(decision_id)

    def put_rows(self, rows: list[Row]) -> None:
        for row in rows:
            self._rows[row.id] = row

    def due(self, now: int, limit: int | None) -> list[Row]:
        merged = {**self.store.decisions, **self._rows}
        found = sorted(
            (
                r
                for r in merged.values()
                if r.status == "scheduled" and r.send_at is not None and r.send_at <= now
            ),
            key=lambda r: (r.send_at, r.id),
        )
        return found if limit is None else found[:limit]

    def claim(self, now: int, limit: int, lease_until: int) -> list[Row]:
        free = [r for r in self.due(now, None) if r.leased_until is None or r.leased_until <= now][
            :limit
        ]
        claimed = [_leased(row, lease_until) for row in free]
        self.put_rows(claimed)
        return claimed


def _leased(row: Row, until: int) -> Row:
    return attrs.evolve(row, leased_until=until)
