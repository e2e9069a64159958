"""Where a session keeps its state: in memory, in SQLite (the default on disk), in PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from outreach_rules.errors import InputError
from outreach_rules.stores.base import (
    SCHEMA_VERSION,
    Row,
    SchemaError,
    Store,
    StoreError,
    Transaction,
)
from outreach_rules.stores.memory import MemoryStore
from outreach_rules.stores.sql import PostgresStore, SqliteStore

__all__ = [
    "SCHEMA_VERSION",
    "MemoryStore",
    "PostgresStore",
    "Row",
    "SchemaError",
    "SqliteStore",
    "Store",
    "StoreError",
    "Transaction",
    "open_store",
]


def open_store(where: Any) -> Any:
    """A store from a URL (``memory://``, ``sqlite:///path.db``, ``postgresql://...``), a
    store itself, or None for memory."""
    if where is None or where == "memory://":
        return MemoryStore()
    if not isinstance(where, str):
        if hasattr(where, "transaction"):
            return where
        raise InputError("must be a store or a URL", field="store", value=where)
    if where.startswith("sqlite:///"):
        path = where.removeprefix("sqlite:///")
        return SqliteStore(Path(path) if path != ":memory:" else ":memory:")
    if where.startswith(("postgresql://", "postgres://")):
        return PostgresStore(where)
    raise InputError(
        "is not a store URL",
        field="store",
        value=where,
        hint="use memory://, sqlite:///outreach.db or postgresql://user@host/db",
    )
