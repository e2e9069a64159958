"""Stores in SQL databases: SQLite from the standard library, PostgreSQL through psycopg 3.

Both keep the same tables (docs/stores.md describes each table and index):

- ``outreach_rules_schema``: the schema's version; a newer one than the library knows is
  refused with [`SchemaError`][outreach_rules.stores.SchemaError];
- ``customers``: one record per customer, in the data contract;
- ``events``: every event once (a unique index on its id), in the order stored;
- ``decisions``: every decision made, with its status, send time, version and lease; the
  scheduled ones are the outbox.

Two sessions never undo each other's work. On SQLite every transaction starts with
``BEGIN IMMEDIATE``, so writers take turns: a turn is asked for again and again, briefly,
rather than left to SQLite's busy handler, whose waits grow to a tenth of a second and let
a writer that just finished win every next turn (see
[`SqliteStore`][outreach_rules.stores.SqliteStore]). On PostgreSQL a transaction locks its
customer's row, then the customer's decisions it will rewrite (``FOR UPDATE``), and claiming
skips the decisions another transaction holds (``FOR UPDATE SKIP LOCKED``): a claim is never
overwritten by a re-plan that read the decision before it.

Opening a store only reads when the schema is complete, so it never waits for another
session's work; it creates what is missing (under an advisory lock on PostgreSQL) only when
something is.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from outreach_rules.errors import InputError
from outreach_rules.stores.base import OPEN, SCHEMA_VERSION, Row, SchemaError, StoreError

__all__ = ["PostgresStore", "SqliteStore"]

_TABLES = {
    "sqlite": [
        "CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, record TEXT NOT NULL)",
        (
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "event_id TEXT, customer TEXT, at BIGINT NOT NULL, record TEXT NOT NULL)"
        ),
    ],
    "postgres": [
        "CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, record TEXT NOT NULL)",
        (
            "CREATE TABLE IF NOT EXISTS events "
            "(seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "event_id TEXT, customer TEXT, at BIGINT NOT NULL, record TEXT NOT NULL)"
        ),
    ],
}
_COMMON = [
    "CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (event_id) WHERE event_id <> ''",
    "CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer, seq)",
    (
        "CREATE TABLE IF NOT EXISTS decisions (id TEXT PRIMARY KEY, customer TEXT NOT NULL, "
        "status TEXT NOT NULL, send_at BIGINT, key TEXT NOT NULL, version INTEGER NOT NULL, "
        "leased_until BIGINT, record TEXT NOT NULL)"
    ),
    "CREATE INDEX IF NOT EXISTS decisions_by_customer ON decisions (customer, status)",
    "CREATE INDEX IF NOT EXISTS decisions_due ON decisions (status, send_at, id)",
    # Claiming reads these two instead of decisions_due, which would make it step over every
    # decision already held: each claim of a batch would cost more than the one before.
    (
        "CREATE INDEX IF NOT EXISTS decisions_free ON decisions (send_at, id) "
        "WHERE status = 'scheduled' AND leased_until IS NULL"
    ),
    (
        "CREATE INDEX IF NOT EXISTS decisions_leased ON decisions (leased_until) "
        "WHERE status = 'scheduled' AND leased_until IS NOT NULL"
    ),
]
_ROW = "id, customer, status, send_at, key, version, leased_until, record"
# The first ``limit`` due decisions no one holds, earliest first: the first ``limit`` never
# leased (or whose lease a move cleared), in send order straight from decisions_free, merged
# with the first ``limit`` whose lease ran out, found by decisions_leased. The two are
# disjoint, so the first ``limit`` of the merge are those of the whole outbox. SQLite, which
# would rather read decisions_due, is told which index to use (``{free}``, ``{leased}``).
_CLAIMABLE = (
    "WITH free AS (SELECT {row} FROM decisions{free} "
    "WHERE status = 'scheduled' AND leased_until IS NULL AND send_at <= ? "
    "ORDER BY send_at, id LIMIT ?{lock}), "
    "expired AS (SELECT {row} FROM decisions{leased} "
    "WHERE status = 'scheduled' AND leased_until IS NOT NULL AND leased_until <= ? "
    "AND send_at <= ? ORDER BY send_at, id LIMIT ?{lock}) "
    "SELECT {row} FROM free UNION ALL SELECT {row} FROM expired ORDER BY send_at, id LIMIT ?"
)


class _SqlTransaction:
    """The queries a session needs, in SQL both databases understand (``?`` placeholders)."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "postgres":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, params)
        return self.cursor

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        found = self.run(
            f"SELECT record FROM customers WHERE id = ?{lock}", (customer_id,)
        ).fetchone()
        return None if found is None else json.loads(found[0])

    def put_customer(self, customer_id: str, record: dict[str, Any]) -> None:
        self.run(
            "INSERT INTO customers (id, record) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            (customer_id, _json(record)),
        )

    def customer_ids(self) -> list[str]:
        found = self.run(
            "SELECT id FROM customers UNION "
            "SELECT customer FROM decisions WHERE status IN (?, ?, ?) ORDER BY 1",
            OPEN,
        ).fetchall()
        return [row[0] for row in found]

    def add_event(
        self, event_id: str | None, customer: str | None, at: int, record: dict[str, Any]
    ) -> bool:
        text = _json(record)
        if event_id is not None:
            # events_by_id is partial (WHERE event_id <> ''), and a database uses a partial
            # index only for a query that repeats its condition: without it, this read every
            # event stored. An empty id, which an Event never has, is looked up as before.
            indexed = " AND event_id <> ''" if event_id else ""
            stored = self.run(
                f"SELECT record FROM events WHERE event_id = ?{indexed}", (event_id,)
            ).fetchone()
            if stored is not None:
                if json.loads(stored[0]) != record:
                    raise InputError(
                        "is used by two different events",
                        field="id",
                        value=event_id,
                        hint="the same id may repeat only for the same event delivered twice",
                    )
                return False
        self.run(
            "INSERT INTO events (event_id, customer, at, record) VALUES (?, ?, ?, ?)",
            (event_id, customer, at, text),
        )
        return True

    def events(self, customer_id: str) -> list[dict[str, Any]]:
        found = self.run(
            "SELECT record FROM events WHERE customer IS NULL OR customer = ? ORDER BY seq",
            (customer_id,),
        ).fetchall()
        return [json.loads(row[0]) for row in found]

    def rows(self, customer_id: str) -> dict[str, Row]:
        # Read to be written back: on PostgreSQL they stay locked until the transaction ends,
        # so no claim falls between this read and that write (a claim skips them meanwhile,
        # and a claim in flight is waited for, then read with its lease). SQLite's
        # transactions take turns whole.
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        found = self.run(
            f"SELECT {_ROW} FROM decisions WHERE customer = ? AND status IN (?, ?, ?){lock}",
            (customer_id, *OPEN),
        ).fetchall()
        return {row.id: row for row in map(_row, found)}

    def row(self, decision_id: str) -> Row | None:
        found = self.run(f"SELECT {_ROW} FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        return None if found is None else _row(found)

    def put_rows(self, rows: list[Row]) -> None:
        for row in rows:
            self.run(
                f"INSERT INTO decisions ({_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET customer = excluded.customer, "
                "status = excluded.status, send_at = excluded.send_at, key = excluded.key, "
                "version = excluded.version, leased_until = excluded.leased_until, "
                "record = excluded.record",
                (
                    row.id,
                    row.customer,
                    row.status,
                    row.send_at,
                    row.key,
                    row.version,
                    row.leased_until,
                    row.encoded(),
                ),
            )

    def due(self, now: int, limit: int | None) -> list[Row]:
        sql = (
            f"SELECT {_ROW} FROM decisions "
            "WHERE status = 'scheduled' AND send_at <= ? ORDER BY send_at, id"
        )
        params: tuple[Any, ...] = (now,)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (now, limit)
        return [_row(found) for found in self.run(sql, params).fetchall()]

    def claim(self, now: int, limit: int, lease_until: int) -> list[Row]:
        if self.dialect == "postgres":
            hints = {"lock": " FOR UPDATE SKIP LOCKED", "free": "", "leased": ""}
        else:
            hints = {
                "lock": "",
                "free": " INDEXED BY decisions_free",
                "leased": " INDEXED BY decisions_leased",
            }
        found = self.run(
            _CLAIMABLE.format(row=_ROW, **hints), (now, limit, now, now, limit, limit)
        ).fetchall()
        claimed = []
        for values in found:
            row = _row(values)
            self.run("UPDATE decisions SET leased_until = ? WHERE id = ?", (lease_until, row.id))
            claimed.append(
                Row(
                    row.id,
                    row.customer,
                    row.status,
                    row.send_at,
                    row.key,
                    row.record,
                    row.version,
                    lease_until,
                )
            )
        return claimed


def _create_schema(tx: _SqlTransaction, where: str) -> None:
    """Create the tables and indexes, or check that those there are of a version we know."""
    if tx.dialect == "postgres":
        # One process at a time creates or migrates the schema.
        tx.run("SELECT pg_advisory_xact_lock(2026112301)")
    tx.run("CREATE TABLE IF NOT EXISTS outreach_rules_schema (version INTEGER NOT NULL)")
    found = tx.run("SELECT max(version) FROM outreach_rules_schema").fetchone()[0]
    _check_version(found, where)
    for sql in (*_TABLES[tx.dialect], *_COMMON):
        tx.run(sql)
    if found is None:
        tx.run("INSERT INTO outreach_rules_schema (version) VALUES (?)", (SCHEMA_VERSION,))


# The tables and indexes in the schema the session's transaction sees (``current_schema()``
# is where PostgreSQL creates them).
_PRESENT = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')",
    "postgres": (
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema()"
    ),
}


def _schema_ready(tx: _SqlTransaction, where: str) -> bool:
    """Whether every table and index is there, of a version we know, found by reading only.

    Opening a store that is ready changes nothing, so it waits for no one: a schema
    statement, even one that finds its index already made, would take a lock on its table
    that waits for every transaction writing there.
    """
    present = {name for (name,) in tx.run(_PRESENT[tx.dialect]).fetchall()}
    if "outreach_rules_schema" not in present:
        return False
    found = tx.run("SELECT max(version) FROM outreach_rules_schema").fetchone()[0]
    _check_version(found, where)
    wanted = {sql.split(" EXISTS ")[1].split()[0] for sql in (*_TABLES[tx.dialect], *_COMMON)}
    return found is not None and wanted <= present


def _json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _row(values: Sequence[Any]) -> Row:
    id_, customer, status, send_at, key, version, leased_until, record = values
    return Row(id_, customer, status, send_at, key, json.loads(record), version, leased_until)


def _check_version(found: int | None, where: str) -> None:
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaError(
            f"has schema version {found}, newer than this library knows ({SCHEMA_VERSION})",
            field="store",
            value=where,
            hint="upgrade outreach-rules, or open a database this version made",
        )


# Asking SQLite for the write lock: a try every millisecond or so (at random, so that no two
# writers keep asking in step), for about a minute before giving up.
_TURN = 0.001
_TRIES = 60_000
_BUSY_MS = 60_000  # how long a statement inside a transaction may wait (SQLite's handler)


class SqliteStore:
    """A store in an SQLite file: the embedded default (``sqlite:///outreach.db``).

    Writers take turns, and fairly. SQLite's own busy handler waits longer and longer
    between tries (up to 100 ms each), so a writer that has waited long tries seldom, while
    one that has just committed begins its next transaction at once and wins the lock again:
    with several senders and posters on one file, one poster was starved. Here the lock is
    asked for every millisecond or so, at random, by every waiter alike; and a connection
    whose last turn was fought over lets a moment pass before asking again, so that those
    waiting get it first. After about a minute of trying,
    [`StoreError`][outreach_rules.stores.StoreError] says so.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._open: set[sqlite3.Connection] = set()
        self._guard = threading.Lock()
        self._random = random.Random()
        try:
            self._create()
        except BaseException:
            # A refused schema must not leave its connection open behind it.
            self.close()
            raise

    def _create(self) -> None:
        with self._transaction(write=False) as tx:
            if _schema_ready(tx, self.path):
                return
        with self.transaction() as tx:
            _create_schema(tx, self.path)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection not in self._open:
            try:
                # close() may be called from another thread than the one that opened it.
                connection = sqlite3.connect(
                    self.path,
                    isolation_level=None,
                    timeout=_BUSY_MS / 1000,
                    check_same_thread=False,
                )
                connection.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error as error:
                raise StoreError(
                    f"cannot be opened ({error})", field="store", value=self.path
                ) from None
            connection.execute("PRAGMA synchronous = FULL")
            self._local.connection = connection
            self._local.fought = False
            with self._guard:
                self._open.add(connection)
        return connection

    def _begin(self, connection: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``: the write lock, asked for in turn with every other writer."""
        if self._local.fought:
            # The last turn was fought over: others are likely waiting, let them go first.
            time.sleep(_TURN)
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            for tries in range(_TRIES):
                try:
                    connection.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                        raise
                    time.sleep(self._random.uniform(0, 2 * _TURN))
                else:
                    self._local.fought = tries > 0
                    return
        finally:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        raise StoreError(
            f"is busy: another connection kept its write lock through {_TRIES:,} tries "
            "(about a minute)",
            field="store",
            value=self.path,
            hint="look for a process holding a transaction open on this file",
        )

    @contextmanager
    def transaction(self) -> Iterator[_SqlTransaction]:
        # IMMEDIATE takes the write lock at once: writers, claimers among them, take turns.
        with self._transaction(write=True) as tx:
            yield tx

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_SqlTransaction]:
        connection = self._connection()
        if write:
            self._begin(connection)
        else:
            connection.execute("BEGIN")  # a reader: in WAL mode it waits for no writer
        cursor = connection.cursor()
        try:
            yield _SqlTransaction(cursor, "sqlite")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened, in whichever thread."""
        with self._guard:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()


class PostgresStore:
    """A store in PostgreSQL, through psycopg 3 (``postgresql://user@host/db``)."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg  # noqa: PLC0415 - an optional extra: imported only when asked for
        except ImportError:
            raise StoreError(
                "needs psycopg, which is not installed",
                field="store",
                value=url,
                hint="pip install 'outreach-rules[postgres]'",
            ) from None
        self.url = url
        self._psycopg = psycopg
        self._local = threading.local()
        self._open: set[Any] = set()
        self._guard = threading.Lock()
        try:
            self._create()
        except BaseException:
            self.close()
            raise

    def _create(self) -> None:
        with self.transaction() as tx:
            if _schema_ready(tx, self.url):
                return
        with self.transaction() as tx:
            _create_schema(tx, self.url)

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection not in self._open:
            try:
                connection = self._psycopg.connect(self.url)
            except self._psycopg.Error as error:
                raise StoreError(
                    f"cannot be opened ({error})", field="store", value=self.url
                ) from None
            self._local.connection = connection
            with self._guard:
                self._open.add(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[_SqlTransaction]:
        connection = self._connection()
        with connection.transaction(), connection.cursor() as cursor:
            yield _SqlTransaction(cursor, "postgres")

    def close(self) -> None:
        """Close every connection this store opened, in whichever thread."""
        with self._guard:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()
