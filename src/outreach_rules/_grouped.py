"""Planning groups already read, one customer after another, with the on-error policy.

What ``outreach_rules.batch`` (``plan_groups``, ``record_groups``) and the workers of
``outreach_rules._parts`` share; both look down here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from outreach_rules._reading import Errors, Group, OnError, Reject
from outreach_rules.errors import OutreachRulesError
from outreach_rules.explain import Record
from outreach_rules.planner import check_trace, plan_records

if TYPE_CHECKING:
    from outreach_rules.policy import Policy

__all__ = ["each_group", "record_groups"]

_T = TypeVar("_T")


def record_groups(
    policy: Policy,
    source: Iterable[Group],
    *,
    now: Any,
    engine: str = "native",
    on_error: OnError = "fail",
    reject: Reject | None = None,
    trace: str = "full",
) -> Iterator[list[Record]]:
    """Each group's decisions as output records, in order: what
    ``plan_groups`` gives, rendered, without building the value
    objects on the way; ``trace`` is ``full``, ``compact`` or ``none``, as
    ``plan_records`` takes it."""
    check_trace(trace)

    def work(group: Group) -> list[Record]:
        return plan_records(
            policy, group.customer, group.history, now=now, engine=engine, trace=trace
        )

    yield from each_group(source, on_error, reject, work)


def each_group(
    source: Iterable[Group], on_error: OnError, reject: Reject | None, work: Callable[[Group], _T]
) -> Iterator[_T]:
    """``work`` on each group, in order; an error of the library in one is raised (with
    ``on_error="fail"``) or handed to ``reject`` (``"skip"``), naming the customer."""
    errors = Errors(on_error, reject)
    for group in source:
        try:
            yield work(group)
        except OutreachRulesError as error:
            if error.field is not None and error.file is None:
                error.field = f"customer {group.customer.id!r}: {error.field}"
            errors(error, group.line)
