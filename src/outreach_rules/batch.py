"""Planning whole files of customers and events, in the data contract, in bounded memory.

Memory is bounded by the largest single customer's history, not by the files. When both
files are sorted by customer id (a database export ``ORDER BY customer`` is), they are read
in one pass, side by side. Otherwise the records are first put into a temporary on-disk
index (SQLite, from the standard library) and read back grouped by customer. Broadcast
events (no ``customer``) belong to every history; they are kept in memory.

Bad records are never dropped silently: with ``on_error="fail"`` the first one raises an
``InputError`` naming the file, the line and the field; with
``on_error="skip"`` each one is handed to ``reject`` with its reason, and the rest goes on.

An event of a kind the policy does not know is most often a misspelling (``order_delivred``)
that would leave a decision waiting for ever: ``groups`` (given the policy) and
``plan_files`` hand each to ``on_unknown_kind`` as an ``UnknownKind``, with the
likely kind as its ``suggestion``, or, with ``unknown_kinds="refuse"``, treat its line as
bad input at the field ``kind``.

``plan_files`` plans whole files to an output stream, in several threads (on the Rust
core) or processes (on the Python planner) if asked, with the same bytes out whatever their
number.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outreach_rules._grouped import each_group, record_groups
from outreach_rules._parts import broadcasts_end, plan_files
from outreach_rules._reading import (
    BUILT_IN_KINDS,
    Errors,
    Group,
    Kinds,
    NotSorted,
    OnError,
    Rejected,
    Slice,
    UnknownKind,
    UnknownKinds,
    build_index,
    indexed_groups,
    sorted_groups,
)
from outreach_rules.contract import read_lines
from outreach_rules.errors import InputError
from outreach_rules.model import Plan
from outreach_rules.planner import plan

if TYPE_CHECKING:
    from outreach_rules.policy import Policy

__all__ = [
    "BUILT_IN_KINDS",
    "Group",
    "OnError",
    "Rejected",
    "UnknownKind",
    "UnknownKinds",
    "groups",
    "is_sorted",
    "plan_files",
    "plan_groups",
    "record_groups",
]

Reject = Callable[[Rejected], None]


def groups(
    customers: str | Path,
    events: str | Path,
    *,
    on_error: OnError = "fail",
    reject: Reject | None = None,
    workdir: str | Path | None = None,
    policy: Policy | None = None,
    unknown_kinds: UnknownKinds = "warn",
    on_unknown_kind: Callable[[UnknownKind], None] | None = None,
) -> Iterator[Group]:
    """Each customer of ``customers`` with their events, in customer id order.

    Reads the files side by side when both are sorted by customer id (broadcasts first),
    and through a temporary on-disk index in ``workdir`` (default: the system's) otherwise.

    Given a ``policy``, each event's kind is checked against the kinds it knows (its
    ``events`` and ``BUILT_IN_KINDS``): with ``unknown_kinds="warn"`` an event of
    another kind is read, and handed to ``on_unknown_kind`` as an ``UnknownKind``
    when its line is read; with ``"refuse"`` its line is bad input at the field ``kind``
    (an ``InputError``, or a reject with ``on_error="skip"``).
    """
    errors = Errors(on_error, reject)
    kinds = None if policy is None else Kinds.of(policy, unknown_kinds, on_unknown_kind)
    if is_sorted(customers, "id") and is_sorted(events, "customer"):
        head = broadcasts_end(str(events))
        try:
            yield from sorted_groups(
                Slice(str(customers)),
                Slice(str(events), head),
                Slice(str(events), 0, head),
                errors,
                kinds=kinds,
            )
        except NotSorted as stop:  # pragma: no cover - is_sorted said they were
            raise AssertionError(f"sorted files out of order at {stop}") from None
        return
    with tempfile.TemporaryDirectory(prefix="outreach-rules-", dir=workdir) as folder:
        index = Path(folder) / "index.sqlite"
        build_index(customers, events, index, errors, kinds)
        yield from indexed_groups(index, errors)


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

    yield from each_group(source, on_error, reject, work)
