"""Conditions that triggers and guards test: on the anchor event, the customer, the history.

A condition is evaluated in a ``Context``: the customer, their history, and the
*anchor* a proposal grew from (the order placed, the complaint opened) with its instant;
for a guard, also the instant of the proposal's *basis* (the order delivered that its
times are measured from), once that is known.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from outreach_rules import _checks as check
from outreach_rules.errors import PolicyError
from outreach_rules.timeline.calendar import AnnualWindow, check_month_day, month_day
from outreach_rules.timeline.instants import Duration

if TYPE_CHECKING:
    from outreach_rules.model import Customer, Event
    from outreach_rules.rules.history import History

__all__ = [
    "AnyOf",
    "Condition",
    "Context",
    "Count",
    "InWindow",
    "Match",
    "Sent",
    "Tenure",
    "is_condition",
    "uses_basis",
]


@attrs.frozen
class Context:
    """What a condition may look at.

    ``at`` is the anchor's instant; ``basis_at`` the instant of the proposal's basis, in
    a guard's context once the basis is known (None in a trigger's, and while a proposal
    waits for its basis).
    """

    customer: Customer
    history: History
    at: int
    anchor: Event | None = None
    basis_at: int | None = None


class Condition(Protocol):
    """A test on a ``Context``."""

    def holds(self, context: Context, /) -> bool:
        """Whether the condition holds."""


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda found, value: found in value,
    "not_in": lambda found, value: found not in value,
}
_PRESENCE = ("exists", "missing")
_ROOTS = ("data.", "customer.attributes.")
_PLAIN = (
    "ref",
    "kind",
    "customer.id",
    "customer.country",
    "customer.country_code",
    "customer.timezone",
)
_MISSING = object()


def _check_field(_: Any, __: attrs.Attribute[str], field: str) -> None:
    if not isinstance(field, str):
        pass
    elif field in _PLAIN or any(field.startswith(r) and len(field) > len(r) for r in _ROOTS):
        return
    raise PolicyError(
        "is not a field a condition can test",
        field="field",
        value=field,
        hint=f"use {', '.join(_PLAIN)}, 'data.<key>' or 'customer.attributes.<key>'",
    )


def _check_op(_: Any, __: attrs.Attribute[str], op: str) -> None:
    if not isinstance(op, str) or (op not in _OPERATORS and op not in _PRESENCE):
        raise PolicyError(
            "is not an operator",
            field="op",
            value=op,
            hint=f"use one of {', '.join([*_OPERATORS, *_PRESENCE])}",
        )


def _hashable(value: Any) -> Any:
    """Lists become tuples, so that a condition can be hashed and compared."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    return value


@attrs.frozen(kw_only=True)
class Match:
    """A test on a field of the anchor event (``data.gift``, ``ref``) or of the customer.

    A field that is missing makes every comparison false; test it with ``exists`` or
    ``missing``.
    """

    field: str = attrs.field(validator=_check_field)
    op: str = attrs.field(default="eq", validator=_check_op)
    value: Any = attrs.field(default=None, converter=_hashable)

    def holds(self, context: Context, /) -> bool:
        found = self._lookup(context)
        if self.op in _PRESENCE:
            return (found is not _MISSING) == (self.op == "exists")
        if found is _MISSING:
            return False
        try:
            return bool(_OPERATORS[self.op](found, self.value))
        except TypeError:
            return False

    @property
    def on_customer(self) -> bool:
        """Whether the test looks only at the customer, not at an event."""
        return self.field.startswith("customer.")

    def _lookup(self, context: Context) -> Any:
        if self.field.startswith("customer.attributes."):
            return _dig(
                context.customer.attributes, self.field.removeprefix("customer.attributes.")
            )
        if self.field.startswith("customer."):
            return getattr(context.customer, self.field.removeprefix("customer."))
        anchor = context.anchor
        if anchor is None:
            return _MISSING
        if self.field.startswith("data."):
            return _dig(anchor.data, self.field.removeprefix("data."))
        found = getattr(anchor, self.field)
        return _MISSING if found is None else found


def _dig(data: Mapping[str, Any], path: str) -> Any:
    found: Any = data
    for key in path.split("."):
        if not isinstance(found, Mapping) or key not in found:
            return _MISSING
        found = found[key]
    return found


def _optional_duration(value: Any) -> Duration | None:
    return None if value is None else Duration.parse(value)


@attrs.frozen(kw_only=True)
class Tenure:
    """How long the customer has been a customer, at the anchor's instant."""

    at_least: Duration | None = attrs.field(default=None, converter=_optional_duration)
    at_most: Duration | None = attrs.field(default=None, converter=_optional_duration)

    def holds(self, context: Context, /) -> bool:
        since = context.history.since
        zone = context.customer.zone
        if self.at_least is not None and context.at < self.at_least.add_to(since, zone):
            return False
        return self.at_most is None or context.at <= self.at_most.add_to(since, zone)

    def first_holds(self, customer: Customer, history: History) -> int | None:
        """The first instant from which the condition holds for good (``at_least`` only)."""
        start = history.since
        return start if self.at_least is None else self.at_least.add_to(start, customer.zone)


@attrs.frozen(kw_only=True)
class Count:
    """How many events of ``kind`` the customer has had, up to the anchor's instant."""

    kind: str = attrs.field(validator=check.kind_name("kind", error=PolicyError))
    at_least: int | None = attrs.field(
        default=None, validator=check.whole("at_least", minimum=0, optional=True, error=PolicyError)
    )
    at_most: int | None = attrs.field(
        default=None, validator=check.whole("at_most", minimum=0, optional=True, error=PolicyError)
    )

    def holds(self, context: Context, /) -> bool:
        count = context.history.count(self.kind, until=context.at)
        if self.at_least is not None and count < self.at_least:
            return False
        return self.at_most is None or count <= self.at_most

    def first_holds(self, customer: Customer, history: History) -> int | None:
        """The instant of the ``at_least``-th event of ``kind``: from then on it holds."""
        times = history.times_of(self.kind)
        needed = self.at_least or 0
        if needed == 0:
            return history.since
        return times[needed - 1] if len(times) >= needed else None


@attrs.frozen(kw_only=True)
class Sent:
    """Whether the customer was sent a contact of ``intent`` about the anchor's ref.

    A ``contact_sent`` event at any time in the history counts (the host may record it
    late). An anchor without a ref cannot be told apart from others of its kind, so for
    it any contact of ``intent`` counts: give such events refs.
    """

    intent: str = attrs.field(validator=check.kind_name("sent.intent", error=PolicyError))

    def holds(self, context: Context, /) -> bool:
        anchor = context.anchor
        ref = None if anchor is None else anchor.ref
        return any(
            contact.intent == self.intent and (ref is None or contact.ref == ref)
            for contact in context.history.contacts
        )


def is_condition(value: Any) -> bool:
    """Whether ``value`` can serve as a ``Condition`` (it has ``holds``)."""
    return callable(getattr(value, "holds", None))


Of = Literal["anchor", "basis"]
_OF: tuple[Of, ...] = ("anchor", "basis")


def _check_of(_: Any, __: attrs.Attribute[str], of: str) -> None:
    if of not in _OF:
        raise PolicyError(
            "is not an instant a window can test",
            field="of",
            value=of,
            hint="use 'anchor' (the event the proposal grew from, such as the order "
            "placed) or 'basis' (the event its times are measured from, such as the order "
            "delivered)",
        )


@attrs.frozen(kw_only=True)
class InWindow:
    """Whether a local date falls inside an annual window (gift season).

    ``of`` says whose date: the anchor's (``"anchor"``, the order placed) or the
    proposal's basis (``"basis"``, the order delivered that its times are measured
    from). Only a guard knows the basis: a trigger's conditions are tested before there
    is one, so a policy refuses ``of="basis"`` there; while a proposal waits for its basis,
    the condition does not hold.
    """

    start: tuple[int, int] = attrs.field(converter=month_day, validator=check_month_day)
    end: tuple[int, int] = attrs.field(converter=month_day, validator=check_month_day)
    of: Of = attrs.field(default="anchor", validator=_check_of)

    def holds(self, context: Context, /) -> bool:
        at = context.at if self.of == "anchor" else context.basis_at
        if at is None:
            return False
        window = AnnualWindow(self.start, self.end, inside=True)
        return window.allows(context.customer.zone.to_wall(at))


@attrs.frozen(kw_only=True)
class AnyOf:
    """At least one of ``conditions`` holds."""

    conditions: tuple[Condition, ...] = attrs.field(
        converter=check.listed,
        validator=check.each(
            is_condition, "any", "a condition", at_least_one=True, error=PolicyError
        ),
    )

    def holds(self, context: Context, /) -> bool:
        return any(condition.holds(context) for condition in self.conditions)

    def first_holds(self, customer: Customer, history: History) -> int | None:
        """The earliest instant from which one of the conditions holds for good."""
        found = [first_holds(c, customer, history) for c in self.conditions]
        times = [t for t in found if t is not None]
        return min(times) if times else None


def first_holds(condition: Condition, customer: Customer, history: History) -> int | None:
    """The first instant from which ``condition`` holds for good, or None if it never does.

    Only conditions that stay true once they hold have such an instant: tenure and counts
    with a lower bound, tests on the customer, and any-of combinations of them.
    """
    if isinstance(condition, Match) and condition.on_customer:
        holds = condition.holds(Context(customer, history, history.since))
        return history.since if holds else None
    if isinstance(condition, Tenure | Count | AnyOf):
        return condition.first_holds(customer, history)
    raise PolicyError(
        "cannot start a recurring trigger: it does not stay true once it holds",
        field="when",
        value=condition,
        hint="use tenure or count with at_least, or tests on the customer",
    )


def uses_basis(condition: Condition) -> bool:
    """Whether ``condition`` tests the proposal's basis, which only a guard knows."""
    if isinstance(condition, InWindow):
        return condition.of == "basis"
    if isinstance(condition, AnyOf):
        return any(uses_basis(c) for c in condition.conditions)
    return False


def is_lasting(condition: Condition) -> bool:
    """Whether ``first_holds`` can answer for ``condition``."""
    if isinstance(condition, Match):
        return condition.on_customer
    if isinstance(condition, Tenure):
        return condition.at_most is None
    if isinstance(condition, Count):
        return condition.at_most is None
    if isinstance(condition, AnyOf):
        return all(is_lasting(c) for c in condition.conditions)
    return False
