"""The value objects of the public vocabulary: customers, events, intents and decisions.

All are frozen attrs classes: change them with ``attrs.evolve``. Input is validated
where it enters: an unknown channel, a naive datetime or an unknown time zone raises an
[`InputError`][outreach_rules.InputError] that names the field and the value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pendulum

from outreach_rules import _checks as check
from outreach_rules._frozen import FrozenMap, NotText, freeze
from outreach_rules._strict_json import LoneSurrogate, surrogate_at
from outreach_rules.errors import InputError, VocabularyError
from outreach_rules.explain import (
    Record,
    decision_html,
    decision_line,
    decision_record,
    decision_text,
    decisions_frame,
    plan_html,
    plan_summary,
    plan_text,
)
from outreach_rules.timeline.instants import Seconds, as_datetime, checked, epoch, from_epoch
from outreach_rules.timeline.zone import Zone, zone

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Category",
    "Channel",
    "Contact",
    "Customer",
    "Decision",
    "Effect",
    "Event",
    "Intent",
    "Plan",
    "Status",
    "TraceStep",
]

_E = TypeVar("_E", bound=enum.Enum)


class Channel(enum.StrEnum):
    """A way to reach a customer."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    PUSH = "push"
    POST = "post"
    IN_APP = "in_app"


class Category(enum.StrEnum):
    """What kind of message an intent is; it decides consent and contact pressure.

    Transactional and service messages need no marketing consent and are outside the
    contact-pressure cap; relationship and marketing ones count against it; marketing
    needs consent.
    """

    TRANSACTIONAL = "transactional"
    SERVICE = "service"
    RELATIONSHIP = "relationship"
    MARKETING = "marketing"


class Status(enum.StrEnum):
    """Where a decision stands at ``now``."""

    SCHEDULED = "scheduled"
    WAITING = "waiting"
    SUPPRESSED = "suppressed"


class Effect(enum.StrEnum):
    """What one rule did to a decision, in its trace."""

    PROPOSED = "proposed"
    WAITING = "waiting"
    DEFERRED = "deferred"
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    SKIPPED_CHANNEL = "skipped_channel"
    CHOSE_CHANNEL = "chose_channel"


def with_article(noun: str) -> str:
    """``a channel``, ``an incident_caused``: the noun after its indefinite article."""
    return f"an {noun}" if noun[:1] in ("a", "e", "i", "o", "u") else f"a {noun}"


def vocabulary(kind: type[_E], field: str) -> Callable[[Any], _E]:
    """A converter from a name to a member of ``kind``, with a suggestion when misspelt."""

    def convert(value: Any) -> _E:
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            names = [str(member.value) for member in kind]
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"
            raise VocabularyError(
                f"is not {with_article(kind.__name__.lower())}", field=field, value=value, hint=hint
            ) from None

    return convert


# attrs' mypy plugin understands converters only as named functions, hence one per field.
def _to_channel(value: Any) -> Channel:
    return vocabulary(Channel, "channel")(value)


def _to_category(value: Any) -> Category:
    return vocabulary(Category, "category")(value)


def _to_status(value: Any) -> Status:
    return vocabulary(Status, "status")(value)


def _to_effect(value: Any) -> Effect:
    return vocabulary(Effect, "effect")(value)


# Instants are kept as epoch seconds inside: pendulum objects are built only when asked
# for, which keeps the planner's hot path free of them.
def _since(value: Any) -> Seconds:
    return checked(value, "since")


def _at(value: Any) -> Seconds:
    return checked(value, "at")


def _iso_repr(seconds: int) -> str:
    return repr(from_epoch(seconds).isoformat())


def _optional_channel(value: Any) -> Channel | None:
    return None if value is None else _to_channel(value)


def _before(value: Any) -> pendulum.DateTime | None:
    return None if value is None else as_datetime(value, "before")


def _after(value: Any) -> pendulum.DateTime | None:
    return None if value is None else as_datetime(value, "after")


def _send_at(value: Any) -> pendulum.DateTime | None:
    return None if value is None else as_datetime(value, "send_at")


def _expires(value: Any) -> pendulum.DateTime | None:
    return None if value is None else as_datetime(value, "expires")


def _local_send_at(value: Any) -> pendulum.DateTime | None:
    """Checked as any instant is, but kept in its own zone: the customer's, for showing."""
    if value is None:
        return None
    epoch(value, "local_send_at")
    return pendulum.instance(
        dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
    )


def frozen_mapping(value: Any, field: str) -> FrozenMap:
    """A read-only deep copy of a mapping given for ``field`` (None gives an empty one)."""
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        raise InputError(f"must be a mapping, not {type(value).__name__}", field=field, value=value)
    try:
        frozen: FrozenMap = freeze(value)
    except NotText:
        where = surrogate_at(value)
        raise InputError(
            LoneSurrogate.problem, field=f"{field}.{where}", hint=LoneSurrogate.hint
        ) from None
    return frozen


def _attributes(value: Any) -> FrozenMap:
    return frozen_mapping(value, "attributes")


def _data(value: Any) -> FrozenMap:
    return frozen_mapping(value, "data")


_COUNTRY = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")


def _channels(value: Any) -> frozenset[Channel]:
    """The channels a customer can be reached on, from ``{"email": true, "sms": false}``."""
    if value is None:
        return frozenset()
    if isinstance(value, Mapping):
        to_channel = vocabulary(Channel, "channels")
        available = set()
        for name, flag in value.items():
            channel = to_channel(name)
            if not isinstance(flag, bool):
                raise InputError("must be true or false", field=f"channels.{name}", value=flag)
            if flag:
                available.add(channel)
        return frozenset(available)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return frozenset(vocabulary(Channel, "channels")(name) for name in value)
    raise InputError(
        "must map channel names to true or false",
        field="channels",
        value=value,
        hint='such as {"email": true, "sms": false}',
    )


def _consents(value: Any) -> FrozenMap:
    consents = frozen_mapping(value, "consents")
    names = {str(m.value) for m in Category} | {str(m.value) for m in Channel}
    for name, flag in consents.items():
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            raise VocabularyError(
                "is neither a category nor a channel",
                field="consents",
                value=name,
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"use one of {', '.join(sorted(names))}",
            )
        if not isinstance(flag, bool):
            raise InputError("must be true or false", field=f"consents.{name}", value=flag)
    return consents


@attrs.frozen(kw_only=True)
class Customer:
    """A customer as the planner sees them.

    ``channels`` maps each channel to whether the customer can be reached on it; a channel
    not named is not available. ``consents`` maps categories or channels to a consent
    given (true) or refused (false); ``opted_in`` and ``opted_out`` events in the history
    change them later. ``country`` is an ISO 3166-1 code, with a subdivision where public
    holidays differ (``'US-FL'``).
    """

    id: str = attrs.field(validator=check.text("id"))
    timezone: str = attrs.field()
    country: str = attrs.field(validator=check.text("country", pattern=_COUNTRY))
    _since: int = attrs.field(converter=_since, repr=_iso_repr)
    channels: frozenset[Channel] = attrs.field(factory=frozenset, converter=_channels)
    consents: FrozenMap = attrs.field(factory=FrozenMap, converter=_consents)
    attributes: FrozenMap = attrs.field(factory=FrozenMap, converter=_attributes)

    @timezone.validator
    def _known_zone(self, _: attrs.Attribute[str], value: str) -> None:
        zone(value)

    @property
    def since(self) -> pendulum.DateTime:
        """When the customer became one, in UTC."""
        return from_epoch(self._since)

    @property
    def since_epoch(self) -> int:
        """``since`` as integer seconds since the epoch."""
        return self._since

    @property
    def zone(self) -> Zone:
        """The customer's time zone, for local-time arithmetic."""
        return zone(self.timezone)

    @property
    def country_code(self) -> str:
        """The ISO 3166-1 country, without the subdivision."""
        return self.country.split("-", 1)[0]

    @property
    def subdivision(self) -> str | None:
        """The subdivision of the country (``'FL'`` of ``'US-FL'``), if given."""
        parts = self.country.split("-", 1)
        return parts[1] if len(parts) == 2 else None


@attrs.frozen(kw_only=True)
class Event:
    """Something that happened, at an instant, to a customer or (without one) to everyone.

    ``ref`` correlates events about the same thing (an order, an incident). An event with
    no ``customer`` is a broadcast that belongs to every customer's history.
    """

    kind: str = attrs.field(validator=check.text("kind", pattern=check.KIND))
    _at: int = attrs.field(converter=_at, repr=_iso_repr)
    customer: str | None = attrs.field(
        default=None, validator=check.text("customer", optional=True)
    )
    ref: str | None = attrs.field(default=None, validator=check.text("ref", optional=True))
    id: str | None = attrs.field(default=None, validator=check.text("id", optional=True))
    data: FrozenMap = attrs.field(factory=FrozenMap, converter=_data)

    @property
    def at(self) -> pendulum.DateTime:
        """When it happened, in UTC."""
        return from_epoch(self._at)

    @property
    def epoch(self) -> int:
        """``at`` as integer seconds since the epoch."""
        return self._at


@attrs.frozen(kw_only=True)
class Contact:
    """A contact already made; in a history it stands for a ``contact_sent`` event."""

    intent: str = attrs.field(validator=check.text("intent"))
    channel: Channel = attrs.field(converter=_to_channel)
    _at: int = attrs.field(converter=_at, repr=_iso_repr)
    ref: str | None = attrs.field(default=None, validator=check.text("ref", optional=True))
    customer: str | None = attrs.field(
        default=None, validator=check.text("customer", optional=True)
    )

    @property
    def at(self) -> pendulum.DateTime:
        """When the contact was made, in UTC."""
        return from_epoch(self._at)

    def as_event(self) -> Event:
        """The ``contact_sent`` event this contact stands for."""
        return Event(
            kind="contact_sent",
            at=self.at,
            customer=self.customer,
            ref=self.ref,
            data={"intent": self.intent, "channel": str(self.channel)},
        )


def _channel_tuple(value: Any) -> tuple[Channel, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InputError("must be a list of channels", field="channels", value=value)
    channels = tuple(vocabulary(Channel, "channels")(name) for name in value)
    if len(set(channels)) != len(channels):
        raise InputError(
            "names a channel twice", field="channels", value=[str(c) for c in channels]
        )
    return channels


@attrs.frozen(kw_only=True)
class Intent:
    """A kind of outreach, such as ``review_request``, with its category and channels.

    ``channels`` are tried in order. Unless ``personal`` is set, a customer's preferred
    channel (the ``preferred_channel`` attribute) goes first when the intent may use it;
    a personal intent (an apology call) keeps its own order. Lower ``priority`` numbers
    are placed first.
    """

    name: str = attrs.field(validator=check.text("name", pattern=check.KIND))
    category: Category = attrs.field(converter=_to_category)
    channels: tuple[Channel, ...] = attrs.field(converter=_channel_tuple)
    priority: int = attrs.field(default=100, validator=check.whole("priority"))
    personal: bool = attrs.field(default=False, validator=check.flag("personal"))
    description: str = attrs.field(default="", validator=check.words("description"))

    @channels.validator
    def _not_empty(
        self, _: attrs.Attribute[tuple[Channel, ...]], value: tuple[Channel, ...]
    ) -> None:
        if not value:
            raise InputError("must name at least one channel", field="channels", value=[])


@attrs.frozen(kw_only=True)
class TraceStep:
    """One rule consulted for a decision: what it did, from when to when, and why."""

    rule: str
    effect: Effect = attrs.field(converter=_to_effect)
    why: str
    before: pendulum.DateTime | None = attrs.field(default=None, converter=_before)
    after: pendulum.DateTime | None = attrs.field(default=None, converter=_after)


@attrs.frozen(kw_only=True)
class Decision:
    """What to do about one intent and ``ref`` for one customer, as of the plan's ``now``.

    A ``scheduled`` decision has ``send_at`` (UTC), ``local_send_at`` (the customer's zone)
    and a ``channel``. A ``waiting`` one names in ``waiting_for`` the event it waits for; a
    ``suppressed`` one will not be sent. ``timezone`` is the customer's IANA zone, in which
    ``explain()`` shows every instant, whatever the status (None for a decision built
    without one: then UTC, or the zone of ``local_send_at``). ``id`` is stable: the same
    customer, intent and ref give the same id in every run.
    """

    id: str
    customer: str
    intent: str
    category: Category = attrs.field(converter=_to_category)
    ref: str | None
    status: Status = attrs.field(converter=_to_status)
    send_at: pendulum.DateTime | None = attrs.field(default=None, converter=_send_at)
    local_send_at: pendulum.DateTime | None = attrs.field(default=None, converter=_local_send_at)
    timezone: str | None = attrs.field(default=None)
    channel: Channel | None = attrs.field(default=None, converter=_optional_channel)
    expires: pendulum.DateTime | None = attrs.field(default=None, converter=_expires)
    waiting_for: str | None = None
    trace: tuple[TraceStep, ...] = ()

    @timezone.validator
    def _known_zone(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None:
            zone(value)

    @property
    def why(self) -> str:
        """In one sentence, why the decision stands as it does: the ``why`` of its cause.

        For a scheduled decision, the cause is the rule that moved its send time the most:
        the ``deferred`` step with the largest ``after - before`` (of equal moves, the first
        in the trace). The ``plan-now`` step, which only brings an earliest time already
        past up to ``now``, is the cause only when no rule moved the decision; the trigger
        that proposed it, when nothing did. For a waiting or suppressed decision, the cause
        is the step that stopped it: the last ``blocked``, ``expired`` or ``waiting`` step.
        An empty trace gives an empty string.
        """
        cause = _cause(self)
        return "" if cause is None else cause.why

    def __str__(self) -> str:
        """The decision in one line: what, its state, and why (``print(decision)``);
        ``explain()`` is the long form."""
        return decision_line(self)

    def explain(self) -> str:
        """The decision and its trace as text for a terminal or a support agent."""
        return decision_text(self)

    def _repr_html_(self) -> str:
        """The decision as an HTML table in a notebook, its trace folded under it."""
        return decision_html(self)


_STOPS = frozenset({Effect.BLOCKED, Effect.EXPIRED, Effect.WAITING})
# The planner's step that brings an earliest time already past up to now (planner.PLAN_NOW).
_PLAN_NOW = "plan-now"


def _moved(step: TraceStep) -> float:
    """How far a deferred step moved the send time, in seconds (0 without both ends)."""
    if step.before is None or step.after is None:
        return 0.0
    return step.after.timestamp() - step.before.timestamp()


def _cause(decision: Decision) -> TraceStep | None:
    """The step that ``Decision.why`` names (see there), or None for an empty trace."""
    trace = decision.trace
    if not trace:
        return None
    if decision.status is Status.SCHEDULED:
        deferred = [step for step in trace if step.effect is Effect.DEFERRED]
        by_rules = [step for step in deferred if step.rule != _PLAN_NOW] or deferred
        # max() keeps the first of equal moves: the earliest in the trace.
        return max(by_rules, key=_moved) if by_rules else trace[0]
    return next((step for step in reversed(trace) if step.effect in _STOPS), trace[-1])


@attrs.frozen(kw_only=True)
class Plan:
    """A customer's decisions at ``now``, sorted by send time, then intent, then ref."""

    customer: Customer
    now: pendulum.DateTime
    decisions: tuple[Decision, ...]
    policy: str = ""

    def __iter__(self) -> Iterator[Decision]:
        return iter(self.decisions)

    def __len__(self) -> int:
        return len(self.decisions)

    def decision(self, intent: str, ref: str | None = None) -> Decision | None:
        """The decision for ``intent`` (and ``ref``, when given), or None."""
        for decision in self.decisions:
            if decision.intent == intent and (ref is None or decision.ref == ref):
                return decision
        return None

    def scheduled(self) -> tuple[Decision, ...]:
        """The decisions that will be sent, in order."""
        return tuple(d for d in self.decisions if d.status is Status.SCHEDULED)

    def __str__(self) -> str:
        """The plan in a few lines (``print(plan)``): the customer and ``now``, the
        decisions counted by status, then one line per decision; ``explain()`` is the
        long form, with every trace."""
        return plan_summary(self)

    def explain(self) -> str:
        """Every decision with its trace, as text for a terminal or a support agent."""
        return plan_text(self)

    def to_records(self) -> list[Record]:
        """The decisions as plain dicts in the output contract, ready for JSON."""
        return [decision_record(decision) for decision in self.decisions]

    def to_pandas(self) -> pandas.DataFrame:
        """The decisions as a pandas DataFrame, one row per decision.

        The columns are those of ``to_records()`` with ``category``, ``waiting_for`` and
        ``why`` besides, and each instant's column says where it is read: ``send_at_utc``
        and ``expires_utc`` are UTC timestamps, ``send_at_local`` is ISO 8601 text with
        the customer's offset. pandas comes with the ``notebook`` extra
        (``pip install 'outreach-rules[notebook]'``); without it this raises
        [`MissingDependency`][outreach_rules.MissingDependency].
        """
        return decisions_frame(self.decisions, purpose="Plan.to_pandas()")

    def _repr_html_(self) -> str:
        """The plan as an HTML table in a notebook, each decision's trace folded under it."""
        return plan_html(self)
