"""Guard rules: where in time a proposal may be placed, and why.

A [`GuardRule`][outreach_rules.GuardRule] says which proposals it applies to (intents,
categories, channels, conditions on the anchor) and holds a *spec*. For each proposal the
spec builds a guard operator from ``outreach_rules.timeline``, fitted to the customer's
zone, country and history, and to the decisions already placed in the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs
import pendulum

from outreach_rules import _checks as check
from outreach_rules.errors import PolicyError
from outreach_rules.explain import format_local
from outreach_rules.model import Category, Channel, vocabulary, with_article
from outreach_rules.rules.conditions import Condition, Context, is_condition
from outreach_rules.rules.history import consent
from outreach_rules.timeline.calendar import (
    AnnualWindow,
    BusinessDays,
    Hours,
    HourSpan,
    LocalTime,
    check_month_day,
    check_weekdays,
    month_day,
    weekday_set,
)
from outreach_rules.timeline.instants import Duration, as_datetime
from outreach_rules.timeline.operators import Cap, Guard, Intervals, Never, NotBefore
from outreach_rules.timeline.zone import DAY

if TYPE_CHECKING:
    from outreach_rules.model import Customer, Intent
    from outreach_rules.rules.history import ContactMade, History
    from outreach_rules.rules.triggers import Proposal

__all__ = [
    "AfterEvent",
    "AllowedHours",
    "AnnualBlackout",
    "Blackout",
    "BusinessDaysOnly",
    "FrequencyCap",
    "GuardRule",
    "GuardSpec",
    "NotOnDayOf",
    "NotWithinAfter",
    "Placing",
    "RequiresConsent",
    "WhileOpen",
    "clock_seconds",
    "weekdays",
]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# attrs' mypy plugin understands converters only as named functions.
def _names(value: Any, convert: Callable[[Any], Any] | None = None) -> Any:
    items = check.one_or_listed(value)
    if not isinstance(items, tuple):
        return items
    return frozenset(items if convert is None else (convert(item) for item in items))


def _intents(value: Any) -> frozenset[str]:
    converted: frozenset[str] = _names(value)
    return converted


def _categories(value: Any) -> frozenset[Category]:
    converted: frozenset[Category] = _names(value, vocabulary(Category, "categories"))
    return converted


def _channels(value: Any) -> frozenset[Channel]:
    converted: frozenset[Channel] = _names(value, vocabulary(Channel, "channels"))
    return converted


def _is_spec(value: Any) -> bool:
    return callable(getattr(value, "guard", None)) and callable(getattr(value, "describe", None))


def _is_hour_span(value: Any) -> bool:
    return isinstance(value, HourSpan)


def _duration(value: Any) -> Duration:
    return Duration.parse(value)


@attrs.frozen
class Placing:
    """What a guard spec may look at while a proposal is being placed."""

    customer: Customer
    history: History
    proposal: Proposal
    intent: Intent
    placed: tuple[ContactMade, ...]
    channel: Channel | None = None

    def contacts(self) -> list[ContactMade]:
        """Contacts already sent and those placed earlier in this plan."""
        return [*self.history.contacts, *self.placed]


class GuardSpec(Protocol):
    """What a guard rule enforces; builds the operator for one proposal."""

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        """What the rule enforces, in words a support agent understands."""

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        """The operator for this proposal, or None when the rule has nothing to say."""


def _days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered == list(range(7)):
        return "every day"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{_WEEKDAYS[ordered[0]]}-{_WEEKDAYS[ordered[-1]]}"
    return ", ".join(_WEEKDAYS[d] for d in ordered)


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


_DAY_NAMES = {name.lower(): number for number, name in enumerate(_WEEKDAYS)}


def weekdays(text: str) -> frozenset[int]:
    """Weekdays from ``'mon-fri'``, ``'sat,sun'`` or ``'every day'``."""
    cleaned = text.strip().lower()
    if cleaned in ("every day", "daily", "all", "mon-sun"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in cleaned.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            raise PolicyError(
                "is not a set of weekdays",
                field="days",
                value=text,
                hint="such as 'mon-fri' or 'sat,sun'",
            )
        start, end = _DAY_NAMES[first], _DAY_NAMES[last or first]
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(days)


def clock_seconds(text: str, field: str = "hours") -> int:
    """Seconds after midnight from ``'09:00'``; ``'24:00'`` is the end of the day."""
    hours, _, minutes = text.strip().partition(":")
    if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        seconds = int(hours) * 3_600 + int(minutes) * 60
        if int(minutes) < 60 and seconds <= DAY:
            return seconds
    raise PolicyError(
        "is not a time of day", field=field, value=text, hint="such as '09:00' or '24:00'"
    )


@attrs.frozen(kw_only=True)
class AllowedHours:
    """Only these local hours (quiet hours outside them), per set of weekdays."""

    spans: tuple[HourSpan, ...] = attrs.field(
        converter=check.listed,
        validator=check.each(
            _is_hour_span, "spans", "an HourSpan", at_least_one=True, error=PolicyError
        ),
    )

    @classmethod
    def between(cls, start: str, end: str, days: str = "every day") -> AllowedHours:
        """Hours such as ``AllowedHours.between("10:00", "18:00", days="mon-fri")``."""
        return cls(spans=(HourSpan(weekdays(days), clock_seconds(start), clock_seconds(end)),))

    def hours_text(self) -> str:
        """The allowed hours in words: ``09:00-20:00 every day; 10:00-14:00 Sat, Sun``."""
        return "; ".join(
            f"{_clock(s.start)}-{_clock(s.end)} {_days_text(s.days)}" for s in self.spans
        )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        zone = placing.customer.timezone
        return f"only {self.hours_text()}, in the customer's time zone ({zone})"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard:
        return LocalTime(rule.id, why, placing.customer.zone, Hours(self.spans))


@attrs.frozen(kw_only=True)
class BusinessDaysOnly:
    """Only on business days: the given weekdays, less the customer's public holidays."""

    weekdays: frozenset[int] = attrs.field(
        default=frozenset(range(5)), converter=weekday_set, validator=check_weekdays
    )
    holidays: bool = attrs.field(default=True, validator=check.flag("holidays", error=PolicyError))

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        holidays = (
            f", not on public holidays in {placing.customer.country}" if self.holidays else ""
        )
        return f"only on business days ({self.days_text()}{holidays})"

    def days_text(self) -> str:
        """The weekdays in words: ``Mon-Fri``."""
        return _days_text(self.weekdays)

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard:
        customer = placing.customer
        calendar = BusinessDays(
            self.weekdays,
            customer.country_code if self.holidays else None,
            customer.subdivision if self.holidays else None,
        )
        return LocalTime(rule.id, why, customer.zone, calendar)


@attrs.frozen(kw_only=True)
class AnnualBlackout:
    """Not between two dates of every year (both included), in the customer's calendar."""

    start: tuple[int, int] = attrs.field(converter=month_day, validator=check_month_day)
    end: tuple[int, int] = attrs.field(converter=month_day, validator=check_month_day)

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        start, end = (f"{d} {_MONTHS[m - 1]}" for m, d in (self.start, self.end))
        return f"not from {start} to {end}, in the customer's calendar"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard:
        return LocalTime(rule.id, why, placing.customer.zone, AnnualWindow(self.start, self.end))


def _instant(value: Any) -> pendulum.DateTime:
    return as_datetime(value, "blackout")


@attrs.frozen(kw_only=True)
class Blackout:
    """Not between two instants (the start included, the end not)."""

    start: pendulum.DateTime = attrs.field(converter=_instant)
    end: pendulum.DateTime = attrs.field(converter=_instant)

    @end.validator
    def _after_start(self, _: attrs.Attribute[pendulum.DateTime], end: pendulum.DateTime) -> None:
        if end <= self.start:
            raise PolicyError("must come after start", field="end", value=end.isoformat())

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        zone = placing.customer.zone
        start, end = (format_local(int(t.timestamp()), zone) for t in (self.start, self.end))
        return f"not from {start} to {end}, in the customer's time zone"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard:
        span = (int(self.start.timestamp()), int(self.end.timestamp()))
        return Intervals(rule.id, why, (span,))


def _matching(placing: Placing, kind: str, correlate: bool) -> list[int]:
    ref = placing.proposal.ref
    return [t for t, _ in placing.history.matching(kind, ref, correlate=correlate)]


@attrs.frozen(kw_only=True)
class AfterEvent:
    """Not before ``delay`` after the latest ``kind`` event (of the same ref if correlated).

    Without such an event the rule has nothing to say.
    """

    kind: str = attrs.field(validator=check.kind_name("kind", error=PolicyError))
    delay: Duration = attrs.field(factory=Duration, converter=_duration)
    correlate: bool = attrs.field(
        default=False, validator=check.flag("correlate", error=PolicyError)
    )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        return f"not before {self.delay} after {_kind_text(self.kind, self.correlate)}"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        times = _matching(placing, self.kind, self.correlate)
        if not times:
            return None
        return NotBefore(rule.id, why, self.delay.add_to(times[-1], placing.customer.zone))


@attrs.frozen(kw_only=True)
class NotOnDayOf:
    """Not on the customer's local calendar day of a ``kind`` event.

    Held while the local date is the event's, as the other calendar guards read it. Where
    clocks fall back across midnight (America/St_Johns until 2010), the day comes back
    for a while after the next has begun, and is held again.
    """

    kind: str = attrs.field(validator=check.kind_name("kind", error=PolicyError))
    correlate: bool = attrs.field(
        default=True, validator=check.flag("correlate", error=PolicyError)
    )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        what = _kind_text(self.kind, self.correlate)
        return f"not on the same day as {what}, in the customer's calendar"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        zone = placing.customer.zone
        spans: list[tuple[int, int | None]] = []
        for t in _matching(placing, self.kind, self.correlate):
            spans.extend(zone.day_spans(zone.to_wall(t) // DAY))
        return Intervals(rule.id, why, spans) if spans else None


@attrs.frozen(kw_only=True)
class NotWithinAfter:
    """Not within ``period`` after a ``kind`` event; ``contact_sent`` also counts the
    contacts placed earlier in this plan."""

    kind: str = attrs.field(validator=check.kind_name("kind", error=PolicyError))
    period: Duration = attrs.field(converter=_duration)
    correlate: bool = attrs.field(
        default=False, validator=check.flag("correlate", error=PolicyError)
    )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        return f"not within {self.period} after {_kind_text(self.kind, self.correlate)}"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        if self.kind == "contact_sent":
            times = [c.at for c in placing.contacts()]
        else:
            times = _matching(placing, self.kind, self.correlate)
        zone = placing.customer.zone
        spans = [(t, self.period.add_to(t, zone)) for t in times]
        return Intervals(rule.id, why, spans) if spans else None


Per = Literal["all", "intent", "category", "channel"]


@attrs.frozen(kw_only=True)
class FrequencyCap:
    """At most ``limit`` contacts in any rolling ``period``, of those the rule's scope covers.

    ``per`` narrows the count to contacts of the same intent, category or channel as the
    proposal. The period is an exact length: a day counts as 24 hours.
    """

    limit: int = attrs.field(validator=check.whole("limit", minimum=0, error=PolicyError))
    period: Duration = attrs.field(converter=_duration)
    per: Per = attrs.field(
        default="all",
        validator=check.one_of(("all", "intent", "category", "channel"), "per", error=PolicyError),
    )

    @period.validator
    def _exact(self, _: attrs.Attribute[Duration], period: Duration) -> None:
        if not period.is_exact or period.total_seconds() <= 0:
            raise PolicyError(
                "must be a positive length of days, hours or minutes",
                field="period",
                value=str(period),
                hint="caps count over exact lengths: write '365 days', not '1 year'",
            )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        noun = "contact" if self.limit == 1 else "contacts"
        return f"at most {self.limit} {self._what(rule, placing)} {noun} in any {self.period}"

    def _what(self, rule: GuardRule, placing: Placing) -> str:
        if self.per == "intent":
            return placing.intent.name
        if self.per == "category":
            return str(placing.intent.category)
        if self.per == "channel":
            return f"{placing.channel}"
        return rule.scope_text()

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard:
        intent = placing.intent
        counted = [
            c.at
            for c in placing.contacts()
            if rule.covers(c.intent, c.category, c.channel)
            and (self.per != "intent" or c.intent == intent.name)
            and (self.per != "category" or c.category == intent.category)
            and (self.per != "channel" or c.channel == placing.channel)
        ]
        return Cap(rule.id, why, self.limit, self.period.total_seconds(), counted)


@attrs.frozen(kw_only=True)
class WhileOpen:
    """Not while an ``opened`` event has no later ``closed`` event with the same ref.

    With ``correlate``, only the opening with the proposal's own ref holds it back.
    A proposal held back by one still open waits for the ``closed`` event.
    """

    opened: str = attrs.field(validator=check.kind_name("opened", error=PolicyError))
    closed: str = attrs.field(validator=check.kind_name("closed", error=PolicyError))
    correlate: bool = attrs.field(
        default=False, validator=check.flag("correlate", error=PolicyError)
    )

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        return f"not while {with_article(self.opened)} is open (until {self.closed})"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        history = placing.history
        spans: list[tuple[int, int | None]] = []
        for t, event in history.matching(
            self.opened, placing.proposal.ref, correlate=self.correlate
        ):
            closing = history.first_after((self.closed,), at=t, ref=event.ref)
            spans.append((t, None if closing is None else closing[0]))
        if not spans:
            return None
        return Intervals(rule.id, why, spans, waiting_for=self.closed)


@attrs.frozen(kw_only=True)
class RequiresConsent:
    """Only with the customer's consent to the intent's category (marketing)."""

    def describe(self, rule: GuardRule, placing: Placing, /) -> str:
        return f"needs the customer's consent to {placing.intent.category} messages"

    def guard(self, rule: GuardRule, why: str, placing: Placing, /) -> Guard | None:
        if consent(placing.history, str(placing.intent.category)):
            return None
        return Never(rule.id, why, waiting_for="opted_in")


def _kind_text(kind: str, correlate: bool) -> str:
    return f"{kind} (same ref)" if correlate else kind


@attrs.frozen(kw_only=True, cache_hash=True)
class GuardRule:
    """A guard, the proposals it applies to, and the practices it encodes.

    Empty ``intents``, ``categories`` and ``channels`` mean "all". A rule that names
    channels applies only when the proposal is tried on one of them (phone hours).
    """

    id: str = attrs.field(validator=check.text("id", error=PolicyError))
    spec: GuardSpec = attrs.field(
        validator=check.satisfies(_is_spec, "spec", "a guard spec", error=PolicyError)
    )
    description: str = attrs.field(
        default="", validator=check.words("description", error=PolicyError)
    )
    practices: tuple[str, ...] = attrs.field(
        default=(),
        converter=check.one_or_listed,
        validator=check.texts("practices", error=PolicyError),
    )
    intents: frozenset[str] = attrs.field(
        default=frozenset(),
        converter=_intents,
        validator=check.texts("intents", pattern=check.KIND, error=PolicyError),
    )
    categories: frozenset[Category] = attrs.field(
        default=frozenset(),
        converter=_categories,
        validator=check.instance_of(
            frozenset, "categories", "a list of categories", error=PolicyError
        ),
    )
    channels: frozenset[Channel] = attrs.field(
        default=frozenset(),
        converter=_channels,
        validator=check.instance_of(frozenset, "channels", "a list of channels", error=PolicyError),
    )
    when: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=check.listed,
        validator=check.each(is_condition, "when", "a condition", error=PolicyError),
    )

    def scope_text(self) -> str:
        """The scope in words: ``relationship or marketing``, ``review_request``."""
        names = [*sorted(self.intents), *sorted(str(c) for c in self.categories)]
        channels = " or ".join(sorted(str(c) for c in self.channels))
        text = " or ".join(names)
        if channels:
            text = f"{text} {channels}".strip()
        return text

    @property
    def per_channel(self) -> bool:
        """Whether the rule depends on the channel the proposal is tried on."""
        return bool(self.channels) or (
            isinstance(self.spec, FrequencyCap) and self.spec.per == "channel"
        )

    def covers(self, intent: str, category: Category | None, channel: Channel | None) -> bool:
        """Whether the rule's scope takes in this intent, category and channel."""
        if self.intents and intent not in self.intents:
            return False
        if self.categories and category not in self.categories:
            return False
        return not (self.channels and channel is not None and channel not in self.channels)

    def applies(self, placing: Placing) -> bool:
        """Whether the rule applies to the proposal being placed."""
        intent = placing.intent
        return self.covers(intent.name, intent.category, placing.channel) and self.holds(placing)

    def holds(self, placing: Placing) -> bool:
        """Whether the rule's conditions hold for the proposal being placed (its scope aside)."""
        if self.when:
            proposal = placing.proposal
            context = Context(
                placing.customer,
                placing.history,
                proposal.anchor_at,
                proposal.anchor,
                proposal.basis_at,
            )
            return all(condition.holds(context) for condition in self.when)
        return True
