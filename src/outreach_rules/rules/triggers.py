"""Triggers: patterns over a customer's history that propose an outreach.

A trigger grows a proposal from each *anchor*: every event of the kind named by ``on``
(an order placed), or the customer's own start (``on="customer"``), or, for a recurring
trigger, each period after the customer first meets its conditions. From the anchor it
looks forward along the same ``ref``:

* an event of a kind in ``unless`` ends the matter (a review already submitted);
* a contact already sent for the same intent and ref ends it too;
* the kind named by ``requires`` must have happened (the order delivered), or the
  proposal is *waiting* for it;
* the proposal's earliest instant is ``delay`` after the required event (or the anchor,
  or an instant in the anchor's data named by ``measured_from``), and it lapses
  ``expires`` after the same instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from outreach_rules import _checks as check
from outreach_rules._frozen import FrozenMap
from outreach_rules.errors import InputError, PolicyError
from outreach_rules.rules.conditions import Condition, is_condition, is_lasting
from outreach_rules.timeline.instants import Duration, epoch

if TYPE_CHECKING:
    from outreach_rules.model import Event
    from outreach_rules.timeline.zone import Zone

__all__ = ["CUSTOMER", "Proposal", "Trigger", "instant_in", "timed", "waiting"]

CUSTOMER = "customer"
"""The ``on`` of a trigger anchored at the customer's start rather than at an event."""


def _duration(value: Any) -> Duration:
    return Duration.parse(value, "delay")


def _optional_duration(value: Any) -> Duration | None:
    return None if value is None else Duration.parse(value, "expires")


def _every(value: Any) -> Duration | None:
    return None if value is None else Duration.parse(value, "every")


@attrs.frozen(kw_only=True)
class Trigger:
    """A pattern over the history that proposes ``intent``; see the module docstring."""

    id: str = attrs.field(validator=check.text("id", error=PolicyError))
    intent: str = attrs.field(validator=check.kind_name("intent", error=PolicyError))
    on: str = attrs.field(validator=check.kind_name("on", error=PolicyError))
    description: str = attrs.field(
        default="", validator=check.words("description", error=PolicyError)
    )
    practices: tuple[str, ...] = attrs.field(
        default=(),
        converter=check.one_or_listed,
        validator=check.texts("practices", error=PolicyError),
    )
    when: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=check.listed,
        validator=check.each(is_condition, "when", "a condition", error=PolicyError),
    )
    requires: str | None = attrs.field(
        default=None, validator=check.kind_name("requires", optional=True, error=PolicyError)
    )
    unless: tuple[str, ...] = attrs.field(
        default=(),
        converter=check.one_or_listed,
        validator=check.texts("unless", pattern=check.KIND, error=PolicyError),
    )
    correlate: bool = attrs.field(
        default=True, validator=check.flag("correlate", error=PolicyError)
    )
    delay: Duration = attrs.field(factory=Duration, converter=_duration)
    expires: Duration | None = attrs.field(default=None, converter=_optional_duration)
    measured_from: str | None = attrs.field(
        default=None, validator=check.text("measured_from", optional=True, error=PolicyError)
    )
    first_only: bool = attrs.field(
        default=False, validator=check.flag("first_only", error=PolicyError)
    )
    every: Duration | None = attrs.field(default=None, converter=_every)

    @every.validator
    def _recurring(self, _: attrs.Attribute[Duration | None], every: Duration | None) -> None:
        if every is None:
            return
        if self.on != CUSTOMER:
            raise PolicyError(
                "a recurring trigger starts from the customer",
                rule=self.id,
                field="on",
                value=self.on,
                hint=f"write on = {CUSTOMER!r} and put the eligibility in 'when'",
            )
        if every.months <= 0 and every.days <= 0 and every.seconds <= 0:
            raise PolicyError(
                "must be a positive duration", rule=self.id, field="every", value=str(every)
            )
        for condition in self.when:
            if not is_lasting(condition):
                raise PolicyError(
                    "cannot start a recurring trigger: it does not stay true once it holds",
                    rule=self.id,
                    field="when",
                    value=condition,
                    hint="use tenure or count with at_least, or tests on the customer",
                )

    def timing_text(self) -> str:
        """When the proposal may go out and lapses, as its trace says it: ``; from 3 days
        later; lapses 60 days after`` (empty when neither is set)."""
        parts = [""]
        delay = self.delay
        if delay.months < 0 or delay.days < 0 or delay.seconds < 0:
            parts.append(f"from {delay.negated()} before")
        elif delay.months or delay.days or delay.seconds:
            parts.append(f"from {delay} later")
        if self.expires is not None:
            lapse = self.expires
            parts.append("lapses then" if lapse == Duration() else f"lapses {lapse} after")
        return "; ".join(parts)

    @property
    def head(self) -> str:
        """How the trace names the trigger: its description, or ``trigger <id>``."""
        return self.description or f"trigger {self.id}"

    @measured_from.validator
    def _from_data(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and (not value.startswith("data.") or value == "data."):
            raise PolicyError(
                "must name an instant in the anchor event's data",
                rule=self.id,
                field="measured_from",
                value=value,
                hint="such as 'data.due'",
            )


@attrs.frozen(kw_only=True)
class Proposal:
    """A trigger's proposal for one anchor: an intent and ref, and when it may go out.

    ``basis`` names what the times are measured from (``order_delivered``) and
    ``basis_at`` its instant. ``earliest`` is None while the proposal waits for the event
    named in ``waiting_for``.
    """

    trigger: Trigger
    ref: str | None
    anchor: Event | None
    anchor_at: int
    basis: str
    basis_at: int | None
    earliest: int | None
    expires: int | None
    waiting_for: str | None = None

    @property
    def intent(self) -> str:
        return self.trigger.intent


def waiting(trigger: Trigger, *, ref: str | None, anchor: Event | None, anchor_at: int) -> Proposal:
    """The proposal of a trigger whose ``requires`` event has not happened yet."""
    requires = str(trigger.requires)
    return Proposal(
        trigger=trigger,
        ref=ref,
        anchor=anchor,
        anchor_at=anchor_at,
        basis=requires,
        basis_at=None,
        earliest=None,
        expires=None,
        waiting_for=requires if ref is None else f"{requires} ({ref})",
    )


def timed(
    trigger: Trigger,
    *,
    ref: str | None,
    anchor: Event | None,
    anchor_at: int,
    basis: str,
    basis_at: int,
    zone: Zone,
) -> Proposal:
    """A proposal with its earliest instant and expiry, measured from ``basis_at`` or, when
    the trigger says so, from an instant in the anchor's data."""
    if trigger.measured_from is not None:
        basis, basis_at = trigger.measured_from, instant_in(anchor, trigger.measured_from)
    return Proposal(
        trigger=trigger,
        ref=ref,
        anchor=anchor,
        anchor_at=anchor_at,
        basis=basis,
        basis_at=basis_at,
        earliest=trigger.delay.add_to(basis_at, zone),
        expires=None if trigger.expires is None else trigger.expires.add_to(basis_at, zone),
    )


def instant_in(event: Event | None, path: str) -> int:
    """The instant at ``path`` (``data.due``) in an event's data; its absence is an error."""
    value: object = event.data if event is not None else None
    for key in path.removeprefix("data.").split("."):
        value = value.get(key) if isinstance(value, FrozenMap) else None
    where = "the anchor" if event is None else f"event {event.id or event.kind} ({event.kind})"
    if value is None:
        raise InputError(f"{where} has no {path}, which the trigger measures from", field=path)
    try:
        return epoch(value, path)
    except InputError as error:
        raise error.located(field=where) from None
