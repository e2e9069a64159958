"""What a [`Session`][outreach_rules.session.Session] keeps, and where: the Store protocol.

A store holds customers, their events (an event id is stored once), each customer's
current decisions and the outbox: the scheduled ones, each with a version that changes
when the decision moves, and a lease while a sender holds it. Every change happens inside
one transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs

from outreach_rules.errors import OutreachRulesError

__all__ = [
    "SCHEMA_VERSION",
    "Row",
    "SchemaError",
    "Store",
    "StoreError",
    "Transaction",
    "merge_rows",
]

SCHEMA_VERSION = 1
OPEN = ("scheduled", "waiting", "suppressed")


class StoreError(OutreachRulesError, RuntimeError):
    """A store cannot do what was asked: it cannot be opened, or its data is not as expected."""


class SchemaError(StoreError):
    """The database's schema is not one this version of the library knows."""


@attrs.frozen
class Row:
    """A decision as a store keeps it.

    ``key`` is what makes two versions of a decision the same (status, time, channel and
    what it waits for); ``version`` changes when the key does. ``record`` is the decision
    in the output contract. ``status`` is a decision status, or ``sent`` or ``cancelled``
    once it has left the plan.
    """

    id: str
    customer: str
    status: str
    send_at: int | None
    key: str
    record: dict[str, Any]
    version: int = 1
    leased_until: int | None = None

    def encoded(self) -> str:
        return json.dumps(self.record, ensure_ascii=False, separators=(",", ":"))


class Transaction(Protocol):
    """One unit of work on a store; see the module docstring."""

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's record, or None."""

    def put_customer(self, customer_id: str, record: dict[str, Any]) -> None:
        """Store (or replace) a customer's record."""

    def customer_ids(self) -> list[str]:
        """Every customer's id, in order."""

    def add_event(
        self, event_id: str | None, customer: str | None, at: int, record: dict[str, Any]
    ) -> bool:
        """Store an event; False when an event with that id is already stored.

        Raises [`InputError`][outreach_rules.InputError] when the stored one differs.
        """

    def events(self, customer_id: str) -> list[dict[str, Any]]:
        """The broadcasts and the customer's own events, in the order they were stored."""

    def rows(self, customer_id: str) -> dict[str, Row]:
        """The customer's decisions still in the plan (scheduled, waiting, suppressed)."""

    def row(self, decision_id: str) -> Row | None:
        """Any decision the store has seen, by id, whatever its status."""

    def put_rows(self, rows: list[Row]) -> None:
        """Store decisions, replacing those with the same id."""

    def due(self, now: int, limit: int | None) -> list[Row]:
        """Scheduled decisions due at ``now``, earliest first, leased or not."""

    def claim(self, now: int, limit: int, lease_until: int) -> list[Row]:
        """Due decisions no one holds, leased until ``lease_until``, each to one caller."""


class Store(Protocol):
    """Where a session keeps its state."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction: committed when the block ends, rolled back on an error."""

    def close(self) -> None:
        """Let go of connections and files."""


def merge_rows(
    old: dict[str, Row], new: list[Row], *, now: int
) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
    """The rows to store when a plan replaces ``old`` with ``new``, and what changed.

    Returns (rows to store, added, moved, cancelled). A decision whose key is the same
    keeps its version and lease; one that moved gets a new version and loses its lease (so
    it is never handed out in its old form); one gone from the plan is ``cancelled``. A
    decision that was due and is placed at ``now`` only because it was not sent yet has
    not moved.
    """
    keep, added, moved = [], [], []
    for row in new:
        before = old.get(row.id)
        if before is None:
            keep.append(row)
            added.append(row)
        elif before.key == row.key or _still_due(before, row, now):
            keep.append(
                attrs.evolve(
                    row, version=before.version, leased_until=before.leased_until, key=before.key
                )
            )
        else:
            keep.append(attrs.evolve(row, version=before.version + 1, leased_until=None))
            moved.append(row)
    ids = {row.id for row in new}
    cancelled = [
        attrs.evolve(row, status="cancelled", leased_until=None)
        for i, row in old.items()
        if i not in ids
    ]
    return [*keep, *cancelled], added, moved, cancelled


def _still_due(before: Row, row: Row, now: int) -> bool:
    return (
        before.status == "scheduled"
        and row.status == "scheduled"
        and before.send_at is not None
        and before.send_at <= now
        and row.send_at == now
        and json.loads(before.key)[2] == json.loads(row.key)[2]
    )


def iterate_json(rows: Iterator[tuple[str]]) -> list[dict[str, Any]]:
    """Records from rows holding one JSON text each."""
    return [json.loads(text) for (text,) in rows]
