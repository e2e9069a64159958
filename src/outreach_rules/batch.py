"""Planning whole files of customers and events, in the data contract, in bounded memory.

Memory is bounded by the largest single customer's history, not by the files. When both
files are sorted by customer id (a database export ``ORDER BY customer`` is), they are read
in one pass, side by side. Otherwise the records are first put into a temporary on-disk
index (SQLite, from the standard library) and read back grouped by customer. Broadcast
events (no ``customer``) belong to every history; they are kept in memory.

Bad records are never dropped silently: with ``on_error="fail"`` the first one raises an
:class:`~outreach_rules.errors.InputError` naming the file, the line and the field; with
``on_error="skip"`` each one is handed to ``reject`` with its reason, and the rest goes on.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from outreach_rules.contract import (
    Line,
    customer_from_record,
    event_from_record,
    read_lines,
)
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.explain import Record
from outreach_rules.model import Customer, Event, Plan
from outreach_rules.planner import plan, plan_records

if TYPE_CHECKING:
    from outreach_rules.policy import Policy

__all__ = [
    "Group",
    "OnError",
    "Rejected",
    "groups",
    "is_sorted",
    "plan_groups",
    "record_groups",
]

OnError = Literal["fail", "skip"]
_T = TypeVar("_T")


@attrs.frozen
class Rejected:
    """A line that was not used, and why, in the words of the error."""

    file: str | None
    line: int | None
    reason: str
    text: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "text": self.text}


@attrs.frozen
class Group:
    """One customer with their history (their own events and the broadcasts)."""

    customer: Customer
    line: Line
    history: tuple[Event, ...]


Reject = Callable[[Rejected], None]


class _Errors:
    """Applies the on-error policy: raise located errors, or hand them to ``reject``."""

    def __init__(self, on_error: OnError, reject: Reject | None) -> None:
        if on_error not in ("fail", "skip"):
            raise InputError("must be 'fail' or 'skip'", field="on_error", value=on_error)
        self.on_error = on_error
        self.reject = reject

    def __call__(self, error: OutreachRulesError, line: Line | None) -> None:
        if line is not None:
            error.located(file=line.file, line=line.number)
        if self.on_error == "fail":
            raise error
        if self.reject is not None:
            self.reject(
                Rejected(
                    error.file,
                    error.line,
                    _reason(error),
                    None if line is None else line.text,
                )
            )


def _reason(error: OutreachRulesError) -> str:
    # The location is the rejected record's own file and line: keep the reason short.
    saved = error.file, error.line
    error.file = error.line = None
    try:
        return str(error)
    finally:
        error.file, error.line = saved


def groups(
    customers: str | Path,
    events: str | Path,
    *,
    on_error: OnError = "fail",
    reject: Reject | None = None,
    workdir: str | Path | None = None,
) -> Iterator[Group]:
    """Each customer of ``customers`` with their events, in customer id order.

    Reads the files side by side when both are sorted by customer id (broadcasts first),
    and through a temporary on-disk index in ``workdir`` (default: the system's) otherwise.
    """
    errors = _Errors(on_error, reject)
    if is_sorted(customers, "id") and is_sorted(events, "customer"):
        yield from _side_by_side(customers, events, errors)
    else:
        yield from _indexed(customers, events, errors, workdir)


def is_sorted(path: str | Path, key: str) -> bool:
    """Whether the records of a JSON Lines file come in order of ``key``; records without
    it (broadcasts) must come first. Lines that do not parse are left to the real reading."""
    previous: str | None = None
    for line in read_lines(path):
        try:
            value = line.record().get(key)
        except InputError:
            continue
        if not isinstance(value, str):
            if previous is not None:
                return False
            continue
        if previous is not None and value < previous:
            return False
        previous = value
    return True


def _records(
    path: str | Path, errors: _Errors, build: Callable[[dict[str, Any]], Any]
) -> Iterator[tuple[Line, Any]]:
    for line in read_lines(path):
        try:
            yield line, build(line.record())
        except OutreachRulesError as error:
            errors(error, line)


def _side_by_side(customers: str | Path, events: str | Path, errors: _Errors) -> Iterator[Group]:
    pending = _records(events, errors, event_from_record)
    current = next(pending, None)
    broadcasts: list[tuple[Line, Event]] = []
    while current is not None and current[1].customer is None:
        broadcasts.append(current)
        current = next(pending, None)
    shared = _dedupe(broadcasts, errors)
    previous: str | None = None
    for line, customer in _records(customers, errors, customer_from_record):
        if previous == customer.id:
            _twice(customer, line, errors)
            continue
        own: list[tuple[Line, Event]] = []
        while current is not None and _owner(current) <= customer.id:
            if _owner(current) == customer.id:
                own.append(current)
            else:
                _unknown_customer(current[1], current[0], errors)
            current = next(pending, None)
        previous = customer.id
        yield Group(customer, line, (*shared, *_dedupe(own, errors)))
    while current is not None:
        _unknown_customer(current[1], current[0], errors)
        current = next(pending, None)


def _owner(item: tuple[Line, Event]) -> str:
    owner = item[1].customer
    assert owner is not None, "the sort check put broadcasts first"
    return owner


def _twice(customer: Customer, line: Line, errors: _Errors, first: str = "") -> None:
    where = f" (first at {first})" if first else ""
    errors(InputError(f"is given twice{where}", field="id", value=customer.id), line)


def _unknown_customer(event: Event, line: Line, errors: _Errors) -> None:
    errors(
        InputError(
            "names a customer that is not in the customers file",
            field="customer",
            value=event.customer,
            hint="add the customer, or drop the event",
        ),
        line,
    )


def _dedupe(events: Iterable[tuple[Line, Event]], errors: _Errors) -> list[Event]:
    seen: dict[str, tuple[Line, Event]] = {}
    kept = []
    for line, event in events:
        if event.id is not None:
            earlier = seen.get(event.id)
            if earlier is not None:
                if earlier[1] != event:
                    other = f"{earlier[0].file}:{earlier[0].number}"
                    errors(
                        InputError(
                            f"is used by two different events (the other at {other})",
                            field="id",
                            value=event.id,
                            hint="the same id may repeat only for the same event delivered twice",
                        ),
                        line,
                    )
                continue
            seen[event.id] = (line, event)
        kept.append(event)
    return kept


def _indexed(
    customers: str | Path, events: str | Path, errors: _Errors, workdir: str | Path | None
) -> Iterator[Group]:
    with tempfile.TemporaryDirectory(prefix="outreach-rules-", dir=workdir) as folder:
        database = sqlite3.connect(Path(folder) / "index.sqlite")
        with contextlib.closing(database):
            database.execute("PRAGMA journal_mode = OFF")
            database.execute("PRAGMA synchronous = OFF")
            database.execute(
                "CREATE TABLE customers (id TEXT PRIMARY KEY, file TEXT, line INTEGER, text TEXT)"
            )
            database.execute(
                "CREATE TABLE events (customer TEXT, file TEXT, line INTEGER, text TEXT)"
            )
            broadcasts = _index(customers, events, errors, database)
            shared = _dedupe(broadcasts, errors)
            yield from _read_index(database, shared, errors)


def _index(
    customers: str | Path, events: str | Path, errors: _Errors, database: sqlite3.Connection
) -> list[tuple[Line, Event]]:
    for line, customer in _records(customers, errors, customer_from_record):
        try:
            database.execute(
                "INSERT INTO customers VALUES (?, ?, ?, ?)",
                (customer.id, line.file, line.number, line.text),
            )
        except sqlite3.IntegrityError:
            query = "SELECT file, line FROM customers WHERE id = ?"
            first = database.execute(query, (customer.id,)).fetchone()
            _twice(customer, line, errors, f"{first[0]}:{first[1]}")
    broadcasts = []
    rows = []
    for line, event in _records(events, errors, event_from_record):
        if event.customer is None:
            broadcasts.append((line, event))
        else:
            rows.append((event.customer, line.file, line.number, line.text))
            if len(rows) >= 10_000:
                database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
                rows.clear()
    database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    database.execute("CREATE INDEX events_by_customer ON events (customer, line)")
    database.commit()
    return broadcasts


def _read_index(
    database: sqlite3.Connection, shared: list[Event], errors: _Errors
) -> Iterator[Group]:
    known = database.execute(
        "SELECT e.file, e.line, e.text FROM events e LEFT JOIN customers c ON c.id = e.customer "
        "WHERE c.id IS NULL ORDER BY e.customer, e.line"
    )
    for file, number, text in known.fetchall():
        line = Line(file, number, text)
        _unknown_customer(event_from_record(line.record()), line, errors)
    cursor = database.execute("SELECT id, file, line, text FROM customers ORDER BY id")
    for _, file, number, text in cursor:
        line = Line(file, number, text)
        customer = customer_from_record(line.record())
        own = [
            (event_line, event_from_record(event_line.record()))
            for event_line in (
                Line(f, n, t)
                for f, n, t in database.execute(
                    "SELECT file, line, text FROM events WHERE customer = ? ORDER BY line",
                    (customer.id,),
                )
            )
        ]
        yield Group(customer, line, (*shared, *_dedupe(own, errors)))


def plan_groups(
    policy: Policy,
    source: Iterable[Group],
    *,
    now: Any,
    engine: str = "native",
    on_error: OnError = "fail",
    reject: Reject | None = None,
) -> Iterator[Plan]:
    """A plan for each group, in order; a customer whose history cannot be planned is an
    error (or, with ``on_error="skip"``, rejected with the reason)."""

    def work(group: Group) -> Plan:
        return plan(policy, group.customer, group.history, now=now, engine=engine)

    for _, planned in _each(source, on_error, reject, work):
        yield planned


def record_groups(
    policy: Policy,
    source: Iterable[Group],
    *,
    now: Any,
    engine: str = "native",
    on_error: OnError = "fail",
    reject: Reject | None = None,
) -> Iterator[list[Record]]:
    """Each group's decisions as output records, in order: what :func:`plan_groups` gives,
    rendered, without building the value objects on the way."""

    def work(group: Group) -> list[Record]:
        return plan_records(policy, group.customer, group.history, now=now, engine=engine)

    for _, records in _each(source, on_error, reject, work):
        yield records


def _each(
    source: Iterable[Group], on_error: OnError, reject: Reject | None, work: Callable[[Group], _T]
) -> Iterator[tuple[Group, _T]]:
    errors = _Errors(on_error, reject)
    for group in source:
        try:
            yield group, work(group)
        except OutreachRulesError as error:
            if error.field is not None and error.file is None:
                error.field = f"customer {group.customer.id!r}: {error.field}"
            errors(error, group.line)
