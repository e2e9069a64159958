"""Reading the data contract's files into customers with their histories, in bounded memory.

Two ways, the same groups: side by side, for files sorted by customer id (a slice of each
at a time, see ``Slice``); or through a temporary SQLite index of the lines, for files
in any order. Bad records go through one on-error policy (``Errors``); an event of a
kind the policy does not know is reported or refused (``Kinds``).
"""

from __future__ import annotations

import contextlib
import difflib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from outreach_rules.contract import Line, customer_from_record, event_from_record, read_lines
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.model import Customer, Event

if TYPE_CHECKING:
    from outreach_rules.policy import Policy

__all__ = [
    "BUILT_IN_KINDS",
    "Errors",
    "Group",
    "Kinds",
    "NotSorted",
    "OnError",
    "Rejected",
    "Slice",
    "UnknownKind",
    "UnknownKinds",
    "build_index",
    "indexed_groups",
    "sorted_groups",
]

OnError = Literal["fail", "skip"]
UnknownKinds = Literal["warn", "refuse"]

#: The event kinds the library reads whatever a policy's ``events`` say: contacts made,
#: consent given and withdrawn, channels down and restored.
BUILT_IN_KINDS = ("contact_sent", "opted_in", "opted_out", "channel_down", "channel_restored")


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


@attrs.frozen
class UnknownKind:
    """An event of a kind the policy does not know: where it is, its kind, and the known
    kind it is most likely a misspelling of (None when none is close)."""

    file: str
    line: int
    kind: str
    suggestion: str | None

    @property
    def hint(self) -> str:
        if self.suggestion is not None:
            return f"did you mean {self.suggestion!r}?"
        return "add it to the policy's events if your system sends it"

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: kind {self.kind!r} is not an event kind the policy "
            f"knows ({self.hint})"
        )


Warn = Callable[[UnknownKind], None]


class Kinds:
    """The event kinds a policy knows (its ``events`` and ``BUILT_IN_KINDS``), and what
    becomes of an event of another kind: with ``unknown="warn"`` it is read and handed to
    ``warn``; with ``"refuse"`` it is a bad line, refused at its field ``kind``."""

    def __init__(
        self, known: Iterable[str], unknown: UnknownKinds = "warn", warn: Warn | None = None
    ) -> None:
        if unknown not in ("warn", "refuse"):
            raise InputError("must be 'warn' or 'refuse'", field="unknown_kinds", value=unknown)
        self.known = frozenset(known)
        self.names = tuple(sorted(self.known))
        self.unknown: UnknownKinds = unknown
        self.warn = warn

    @classmethod
    def of(cls, policy: Policy, unknown: UnknownKinds = "warn", warn: Warn | None = None) -> Kinds:
        return cls((*policy.events, *BUILT_IN_KINDS), unknown, warn)

    def quiet(self) -> Kinds:
        """The same kinds, refused alike, but reported to no one."""
        return Kinds(self.known, self.unknown, None)

    def suggestion(self, kind: str) -> str | None:
        close = difflib.get_close_matches(kind, self.names, n=1)
        return close[0] if close else None

    def event(self, record: dict[str, Any]) -> Event:
        """The event of ``record``; its kind refused if unknown and so told."""
        event = event_from_record(record)
        if self.unknown == "refuse" and event.kind not in self.known:
            found = UnknownKind("", 0, event.kind, self.suggestion(event.kind))
            raise InputError(
                "is not an event kind the policy knows",
                field="kind",
                value=event.kind,
                hint=found.hint,
            )
        return event

    def check(self, line: Line, event: Event) -> None:
        """Hand ``event`` to ``warn`` if its kind is unknown."""
        if self.warn is not None and event.kind not in self.known:
            self.warn(UnknownKind(line.file, line.number, event.kind, self.suggestion(event.kind)))


def events_of(
    lines: Iterable[Line], errors: Errors, kinds: Kinds | None
) -> Iterator[tuple[Line, Event]]:
    """Each line built into an event, its kind checked; bad lines go to ``errors``."""
    if kinds is None:
        yield from records(lines, errors, event_from_record)
        return
    for line, event in records(lines, errors, kinds.event):
        kinds.check(line, event)
        yield line, event


class NotSorted(Exception):
    """Files read side by side turned out not to be sorted by customer id."""


class Errors:
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
                    error.file, error.line, _reason(error), None if line is None else line.text
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


@attrs.frozen
class Slice:
    """The lines that begin in a byte range of a file, and the number of the first."""

    path: str
    start: int = 0
    end: int | None = None
    first_line: int = 1

    def lines(self) -> Iterator[Line]:
        return read_lines(self.path, start=self.start, end=self.end, first_line=self.first_line)


def records(
    lines: Iterable[Line], errors: Errors, build: Callable[[dict[str, Any]], Any]
) -> Iterator[tuple[Line, Any]]:
    """Each line built into a value object; bad lines go to ``errors``."""
    for line in lines:
        try:
            yield line, build(line.record())
        except OutreachRulesError as error:
            errors(error, line)


def dedupe(events: Iterable[tuple[Line, Event]], errors: Errors) -> list[Event]:
    """The events, each id once; the same id on two different events is an error."""
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


def _twice(customer: Customer, line: Line, errors: Errors, first: str = "") -> None:
    where = f" (first at {first})" if first else ""
    errors(InputError(f"is given twice{where}", field="id", value=customer.id), line)


def _unknown_customer(event: Event, line: Line, errors: Errors) -> None:
    errors(
        InputError(
            "names a customer that is not in the customers file",
            field="customer",
            value=event.customer,
            hint="add the customer, or drop the event",
        ),
        line,
    )


def _in_range(key: str, low: str | None, high: str | None) -> bool:
    return (low is None or key >= low) and (high is None or key < high)


def sorted_groups(
    customers: Slice,
    events: Slice,
    broadcasts: Slice,
    errors: Errors,
    *,
    low: str | None = None,
    high: str | None = None,
    broadcast_errors: Errors | None = None,
    kinds: Kinds | None = None,
    broadcast_kinds: Kinds | None = None,
) -> Iterator[Group]:
    """Customers with ids in ``[low, high)`` read side by side with their events.

    ``events`` holds customers' events sorted by customer id and ``broadcasts`` the events
    without a customer (read with ``broadcast_errors`` and ``broadcast_kinds`` where
    given). Raises ``NotSorted`` as soon as a line is out of order.
    """
    quiet = errors if broadcast_errors is None else broadcast_errors
    shared_kinds = kinds if broadcast_kinds is None else broadcast_kinds
    shared = dedupe(events_of(broadcasts.lines(), quiet, shared_kinds), quiet)
    pending = events_of(events.lines(), errors, kinds)
    current = next(pending, None)
    previous: str | None = None
    # An event of no known customer is only known to be one once the files have proved
    # sorted: until the end, it might be a sign that they are not.
    strays: list[tuple[Line, Event]] = []
    for line, customer in records(customers.lines(), errors, customer_from_record):
        if not _in_range(customer.id, low, high) or (
            previous is not None and customer.id < previous
        ):
            raise NotSorted(f"{line.file}:{line.number}")
        if previous == customer.id:
            _twice(customer, line, errors)
            continue
        own: list[tuple[Line, Event]] = []
        while current is not None and _owner(current) <= customer.id:
            if _owner(current) == customer.id:
                own.append(current)
            elif previous is not None and _owner(current) <= previous:
                raise NotSorted(f"{current[0].file}:{current[0].number}")
            else:
                strays.append(current)
            current = next(pending, None)
        previous = customer.id
        yield Group(customer, line, (*shared, *dedupe(own, errors)))
    while current is not None:
        if (previous is not None and _owner(current) <= previous) or not _in_range(
            _owner(current), low, high
        ):
            raise NotSorted(f"{current[0].file}:{current[0].number}")
        strays.append(current)
        current = next(pending, None)
    for line, event in strays:
        _unknown_customer(event, line, errors)


def _owner(item: tuple[Line, Event]) -> str:
    owner = item[1].customer
    if owner is None:
        # A broadcast among customers' events: not sorted as side-by-side reading needs.
        raise NotSorted(f"{item[0].file}:{item[0].number}")
    return owner


def build_index(
    customers: str | Path,
    events: str | Path,
    index: str | Path,
    errors: Errors,
    kinds: Kinds | None = None,
) -> None:
    """Put every good line of both files into a new SQLite index, reporting the bad ones
    (and the events of a kind ``kinds`` does not know)."""
    database = sqlite3.connect(index)
    with contextlib.closing(database):
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        for table in ("customers (id TEXT PRIMARY KEY, file TEXT, line INTEGER, text TEXT)",
                      "events (customer TEXT, file TEXT, line INTEGER, text TEXT)",
                      "broadcasts (file TEXT, line INTEGER, text TEXT)"):  # fmt: skip
            database.execute(f"CREATE TABLE {table}")
        for line, customer in records(read_lines(customers), errors, customer_from_record):
            try:
                database.execute(
                    "INSERT INTO customers VALUES (?, ?, ?, ?)",
                    (customer.id, line.file, line.number, line.text),
                )
            except sqlite3.IntegrityError:
                query = "SELECT file, line FROM customers WHERE id = ?"
                first = database.execute(query, (customer.id,)).fetchone()
                _twice(customer, line, errors, f"{first[0]}:{first[1]}")
        batch: list[tuple[str | None, str, int, str]] = []
        broadcasts: list[tuple[Line, Event]] = []
        for line, event in events_of(read_lines(events), errors, kinds):
            if event.customer is None:
                broadcasts.append((line, event))
                continue
            batch.append((event.customer, line.file, line.number, line.text))
            if len(batch) >= 10_000:
                database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", batch)
                batch.clear()
        database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", batch)
        dedupe(broadcasts, errors)
        seen: set[str] = set()
        for line, event in broadcasts:
            # The first of each id only: dedupe has said what was wrong with the others.
            if event.id is None or event.id not in seen:
                database.execute(
                    "INSERT INTO broadcasts VALUES (?, ?, ?)", (line.file, line.number, line.text)
                )
            if event.id is not None:
                seen.add(event.id)
        database.execute("CREATE INDEX events_by_customer ON events (customer, line)")
        database.commit()
        orphans = database.execute(
            "SELECT e.file, e.line, e.text FROM events e "
            "LEFT JOIN customers c ON c.id = e.customer "
            "WHERE c.id IS NULL ORDER BY e.customer, e.line"
        )
        for file, number, text in orphans.fetchall():
            line = Line(file, number, text)
            _unknown_customer(event_from_record(line.record()), line, errors)


def indexed_groups(
    index: str | Path, errors: Errors, *, low: str | None = None, high: str | None = None
) -> Iterator[Group]:
    """Customers with ids in ``[low, high)`` from an index made by ``build_index``."""
    database = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    with contextlib.closing(database):
        rows = database.execute("SELECT file, line, text FROM broadcasts ORDER BY rowid").fetchall()
        shared = dedupe(
            [(Line(f, n, t), event_from_record(Line(f, n, t).record())) for f, n, t in rows], errors
        )
        query = (
            "SELECT file, line, text FROM customers "
            "WHERE (? IS NULL OR id >= ?) AND (? IS NULL OR id < ?) ORDER BY id"
        )
        for file, number, text in database.execute(query, (low, low, high, high)).fetchall():
            line = Line(file, number, text)
            customer = customer_from_record(line.record())
            mine = database.execute(
                "SELECT file, line, text FROM events WHERE customer = ? ORDER BY line",
                (customer.id,),
            ).fetchall()
            own = [(Line(f, n, t), event_from_record(Line(f, n, t).record())) for f, n, t in mine]
            yield Group(customer, line, (*shared, *dedupe(own, errors)))


def index_cuts(index: str | Path, count: int) -> list[str]:
    """Customer ids that cut the index into ``count`` parts of about the same size."""
    with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as database:
        (total,) = database.execute("SELECT count(*) FROM customers").fetchone()
        cuts: list[str] = []
        for k in range(1, count):
            query = "SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET ?"
            row = database.execute(query, (total * k // count,)).fetchone()
            if row is not None and (not cuts or row[0] > cuts[-1]):
                cuts.append(row[0])
        return cuts
