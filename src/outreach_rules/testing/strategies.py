"""Hypothesis strategies: time zones and tricky instants, and valid policies.

Local-time rules break where the local calendar is irregular: around a change of clocks
(a skipped or a repeated hour), at the end of a month and on February 29. The instant
strategies pick such moments much more often than a uniform draw would, and ordinary
instants too, so that a property that holds on them holds everywhere.

``policies`` builds valid policies by construction, from the rule value objects: every
guard spec and every condition kind, durations forwards and backwards, in calendar months
and exact seconds. Every value it draws fits TOML, YAML and JSON alike, so a policy
round-trips through each file format; the smaller strategies it uses are public too.
Keywords narrow them:

- ``intents``: for ``policies``, the policy's ``Intent`` values (otherwise one to
  ``max_intents`` are drawn); for ``triggers`` and ``guard_rules``, the intent
  names they may propose or scope (any name when not given);
- ``kinds``: the event kinds that rules, specs and conditions name (otherwise those of
  DESIGN.md and made-up ones);
- ``min_rules`` and ``max_rules``: how many triggers and guard rules a policy has;
- ``recurring`` (``triggers``): True for only recurring triggers, False for none;
  a recurring trigger is on ``"customer"`` and has only lasting conditions;
- ``lasting`` (``conditions``): only conditions that stay true once they hold;
- ``allow_negative``, ``allow_months``, ``allow_zero`` (``durations``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from outreach_rules.model import Category, Channel, Customer, Event, Intent
from outreach_rules.policy import EVENT_KINDS, Policy
from outreach_rules.rules.conditions import (
    AnyOf,
    Condition,
    Count,
    InWindow,
    Match,
    Sent,
    Tenure,
)
from outreach_rules.rules.guards import (
    AfterEvent,
    AllowedHours,
    AnnualBlackout,
    Blackout,
    BusinessDaysOnly,
    FrequencyCap,
    GuardRule,
    GuardSpec,
    NotOnDayOf,
    NotWithinAfter,
    RequiresConsent,
    WhileOpen,
)
from outreach_rules.rules.triggers import CUSTOMER, Trigger
from outreach_rules.timeline.calendar import HourSpan
from outreach_rules.timeline.instants import Duration, epoch, from_epoch
from outreach_rules.timeline.zone import DAY, Zone, date_of_wall, wall_of_date
from outreach_rules.timeline.zone import zone as zone_named

if TYPE_CHECKING:
    import pendulum

    from outreach_rules.timeline.instants import InstantLike

__all__ = [
    "ZONE_NAMES",
    "conditions",
    "customers",
    "durations",
    "epoch_instants",
    "event_kinds",
    "events",
    "guard_rules",
    "guard_specs",
    "histories",
    "instants",
    "intents",
    "policies",
    "rule_ids",
    "triggers",
    "zones",
]

ZONE_NAMES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    # Irish "winter time" is a negative daylight-saving offset in the IANA database.
    "Europe/Dublin",
    "America/New_York",
    # Newfoundland: -03:30, with daylight saving.
    "America/St_Johns",
    # Cuba changes clocks at local midnight, so a whole local midnight is skipped.
    "America/Havana",
    "America/Sao_Paulo",
    "America/Santiago",
    # Morocco leaves its +01:00 for +00:00 during Ramadan.
    "Africa/Casablanca",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    # Lord Howe Island moves its clocks by 30 minutes, between +10:30 and +11:00.
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    # Chatham Islands: +12:45, and +13:45 in summer.
    "Pacific/Chatham",
    # Samoa skipped 30 December 2011 when it crossed the date line.
    "Pacific/Apia",
    "Pacific/Kiritimati",
)

_START: InstantLike = "2000-01-01T00:00:00+00:00"
_END: InstantLike = "2050-01-01T00:00:00+00:00"
_MINUTE = 60
# How often each kind of instant is drawn: ordinary first, so that failures shrink to it
# when it is enough to fail.
_KINDS = ("ordinary", "transition", "transition", "transition", "month end", "leap day")
# How far from a change of clocks, in minutes: mostly the hours around it, sometimes days.
_TRANSITION_REACH = (3 * 60, 3 * 60, 3 * 60, 2 * 1_440)


def zones() -> st.SearchStrategy[str]:
    """IANA time zone names: both hemispheres, half- and quarter-hour offsets, and UTC.

    The names are ``ZONE_NAMES``; pass one to ``outreach_rules.timeline.zone.zone``
    for its ``Zone``.
    """
    return st.sampled_from(ZONE_NAMES)


def epoch_instants(
    zone: str | Zone | None = None,
    *,
    start: InstantLike = _START,
    end: InstantLike = _END,
) -> st.SearchStrategy[int]:
    """Instants as integer seconds since the epoch, in whole minutes.

    They fall between ``start`` and ``end``, both included (rounded inwards to whole
    minutes). About half lie within hours or days of a change of clocks in ``zone``, and
    many others around the local end of a month or February 29; the rest are uniform.
    Without ``zone``, a zone is drawn from ``zones`` for each instant.
    """
    low, high = _bounds(start, end)
    if zone is None:
        return _instants(None, low, high)
    return _instants(zone if isinstance(zone, Zone) else zone_named(zone), low, high)


def instants(
    zone: str | Zone | None = None,
    *,
    start: InstantLike = _START,
    end: InstantLike = _END,
) -> st.SearchStrategy[pendulum.DateTime]:
    """Aware pendulum ``DateTime`` values in UTC, in whole minutes.

    They are drawn as by ``epoch_instants``, which describes the arguments.
    """
    return epoch_instants(zone, start=start, end=end).map(from_epoch)


def _bounds(start: InstantLike, end: InstantLike) -> tuple[int, int]:
    low, high = epoch(start, "start"), epoch(end, "end")
    low += -low % _MINUTE
    high -= high % _MINUTE
    if low > high:
        raise InvalidArgument(
            f"start={start!r} must come before end={end!r}, at least a whole minute apart"
        )
    return low, high


@st.composite
def _instants(draw: st.DrawFn, zone: Zone | None, low: int, high: int) -> int:
    if zone is None:
        zone = zone_named(draw(zones()))
    kind = draw(st.sampled_from(_KINDS))
    if kind == "transition":
        moments = _transitions(zone, low, high)
        if moments:
            moment = draw(st.sampled_from(moments))
            reach = draw(st.sampled_from(_TRANSITION_REACH))
            near = draw(st.integers(-reach, reach))
            return _clamp(moment + near * _MINUTE, low, high)
    elif kind == "month end":
        months = _months(zone, low, high)
        year, month = divmod(draw(st.integers(*months)), 12)
        midnight = zone.from_wall(wall_of_date(dt.date(year, month + 1, 1)))
        near = draw(st.integers(-1_440, 1_440))
        return _clamp(midnight + near * _MINUTE, low, high)
    elif kind == "leap day":
        years = _leap_years(zone, low, high)
        if years:
            year = draw(st.sampled_from(years))
            midnight = zone.from_wall(wall_of_date(dt.date(year, 2, 29)))
            near = draw(st.integers(-12 * 60, 36 * 60))
            return _clamp(midnight + near * _MINUTE, low, high)
    return draw(st.integers(low // _MINUTE, high // _MINUTE)) * _MINUTE


def _clamp(instant: int, low: int, high: int) -> int:
    return min(max(instant - instant % _MINUTE, low), high)


@functools.cache
def _transitions(zone: Zone, low: int, high: int) -> tuple[int, ...]:
    # Changes just outside the range still shape the local times just inside it.
    reach = 2 * DAY
    return tuple(moment for moment, _ in zone.transitions(low - reach, high + reach))


def _months(zone: Zone, low: int, high: int) -> tuple[int, int]:
    """The first and last month (``12 * year + month - 1``) that starts near the range."""
    first, last = _local_date(zone, low), _local_date(zone, high)
    return 12 * first.year + first.month - 1, 12 * last.year + last.month


def _leap_years(zone: Zone, low: int, high: int) -> tuple[int, ...]:
    first, last = _local_date(zone, low - DAY), _local_date(zone, high + DAY)
    return tuple(
        year
        for year in range(first.year, last.year + 1)
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    )


def _local_date(zone: Zone, instant: int) -> dt.date:
    return date_of_wall(zone.to_wall(instant))


# -- policies -----------------------------------------------------------------------------
#
# The strategies below are built once and shared (module constants, or cached by their
# arguments): hypothesis validates each strategy object on first use, and a policy draws
# hundreds of values.

_INT64 = (-(2**63), 2**63 - 1)
_INTEGERS = st.integers(*_INT64)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
# Text that every policy format can carry: any Unicode text except lone surrogates, which
# cannot be written as UTF-8.
_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=16)
_SOME_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=16).filter(str.strip)
_PRACTICES = st.lists(st.from_regex(r"P[0-9]{1,2}", fullmatch=True), max_size=3)
_INTENT_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}|[A-Za-z][A-Za-z0-9_.:-]{0,11}", fullmatch=True)
_EVENT_KINDS = st.one_of(
    st.sampled_from(EVENT_KINDS), st.from_regex(r"[A-Za-z][A-Za-z0-9_.:-]{0,11}", fullmatch=True)
)
_RULE_IDS = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True), _SOME_TEXT)
_DATA_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,7}(\.[a-z_][a-z0-9_]{0,7})?", fullmatch=True)
_MEASURED_FROM = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).map("data.{}".format)
# Most durations name a few units: each is absent (0) as often as it is given.
_AMOUNTS = {
    unit: st.just(0) | st.integers(1, most)
    for unit, most in (
        ("years", 3),
        ("months", 24),
        ("weeks", 8),
        ("days", 400),
        ("hours", 48),
        ("minutes", 180),
        ("seconds", 120),
    )
}
# What TOML, YAML and JSON all carry: no None (TOML has no null), no NaN or infinity
# (JSON has neither), and integers that fit TOML's 64 bits.
_SCALARS = st.one_of(st.booleans(), _INTEGERS, _FLOATS, _ANY_TEXT)
_ORDERED = st.one_of(_INTEGERS, _FLOATS, _ANY_TEXT)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_DAYS = st.integers(1, 12).flatmap(
    lambda month: st.tuples(st.just(month), st.integers(1, _DAYS_IN_MONTH[month - 1]))
)
_WEEKDAY_SETS = st.frozensets(st.integers(0, 6), min_size=1)
_CUSTOMER_FIELDS = st.one_of(
    st.sampled_from(
        ("customer.id", "customer.country", "customer.country_code", "customer.timezone")
    ),
    _DATA_KEYS.map("customer.attributes.{}".format),
)
_ANCHOR_FIELDS = st.one_of(
    st.sampled_from(("ref", "kind")), _DATA_KEYS.map("data.{}".format), _CUSTOMER_FIELDS
)
_ORDERING_OPS = ("lt", "le", "gt", "ge")
_OPS = st.sampled_from(("eq", "ne", *_ORDERING_OPS, "in", "not_in", "exists", "missing"))


def durations(
    *, allow_negative: bool = True, allow_months: bool = True, allow_zero: bool = True
) -> st.SearchStrategy[Duration]:
    """Durations built with ``Duration.of``: calendar months and days, exact seconds."""
    return _durations(allow_negative, allow_months, allow_zero)


@functools.cache
def _durations(
    allow_negative: bool, allow_months: bool, allow_zero: bool
) -> st.SearchStrategy[Duration]:
    units = tuple(u for u in _AMOUNTS if allow_months or u not in ("years", "months"))
    return _duration_draws(units, allow_negative, allow_zero)


@st.composite
def _duration_draws(
    draw: st.DrawFn, units: tuple[str, ...], allow_negative: bool, allow_zero: bool
) -> Duration:
    amounts = {unit: draw(_AMOUNTS[unit]) for unit in units}
    if not allow_zero and not any(amounts.values()):
        amounts[draw(st.sampled_from(units))] = 1
    if allow_negative and draw(st.booleans()):
        amounts = {unit: -amount for unit, amount in amounts.items()}
    return Duration.of(**amounts)


def event_kinds() -> st.SearchStrategy[str]:
    """Event kinds: those of DESIGN.md, and made-up ones a custom rule might use."""
    return _EVENT_KINDS


def rule_ids() -> st.SearchStrategy[str]:
    """Rule ids: mostly ``kebab-case``, sometimes any non-blank text."""
    return _RULE_IDS


def intents(*, names: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Intent]:
    """Intents of every category, with one to three channels and any 64-bit priority."""
    return st.builds(
        Intent,
        name=_INTENT_NAMES if names is None else names,
        category=st.sampled_from(Category),
        channels=st.lists(st.sampled_from(Channel), min_size=1, max_size=3, unique=True),
        priority=_INTEGERS,
        personal=st.booleans(),
        description=_ANY_TEXT,
    )


# ``policies`` takes an ``intents`` argument, which hides the strategy of that name.
_intents = intents


def _kinds_key(kinds: Sequence[str] | None) -> tuple[str, ...] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of event kinds")
    return tuple(kinds)


@functools.cache
def _kinds(kinds: tuple[str, ...] | None) -> st.SearchStrategy[str]:
    return _EVENT_KINDS if kinds is None else st.sampled_from(kinds)


@st.composite
def _matches(draw: st.DrawFn, on_customer: bool) -> Match:
    field = draw(_CUSTOMER_FIELDS if on_customer else _ANCHOR_FIELDS)
    op = draw(_OPS)
    if op in ("exists", "missing"):
        return Match(field=field, op=op)
    if op in ("in", "not_in"):
        return Match(field=field, op=op, value=draw(st.lists(_SCALARS, max_size=4)))
    if op in _ORDERING_OPS:
        return Match(field=field, op=op, value=draw(_ORDERED))
    return Match(field=field, op=op, value=draw(_SCALARS | st.lists(_SCALARS, max_size=3)))


@st.composite
def _tenures(draw: st.DrawFn, lasting: bool) -> Tenure:
    bound = st.none() | durations(allow_negative=False)
    at_least = draw(bound)
    at_most = None if lasting else draw(bound)
    if at_least is None and at_most is None:
        at_least = draw(durations(allow_negative=False))
    return Tenure(at_least=at_least, at_most=at_most)


@st.composite
def _counts(draw: st.DrawFn, lasting: bool, kinds: st.SearchStrategy[str]) -> Count:
    at_least = draw(st.none() | st.integers(0, 20))
    at_most = None if lasting else draw(st.none() | st.integers(0, 20))
    return Count(kind=draw(kinds), at_least=at_least, at_most=at_most)


def conditions(
    *, lasting: bool = False, kinds: Sequence[str] | None = None, basis: bool = False
) -> st.SearchStrategy[Condition]:
    """Conditions of every kind; with ``lasting``, only those a recurring trigger accepts;
    with ``basis``, windows on the proposal's basis too, which only a guard's ``when``
    accepts."""
    return _conditions(lasting, _kinds_key(kinds), basis=basis)


@functools.cache
def _conditions(
    lasting: bool, kinds: tuple[str, ...] | None, *, basis: bool = False
) -> st.SearchStrategy[Condition]:
    leaves: list[st.SearchStrategy[Condition]] = [
        _matches(on_customer=lasting),
        _tenures(lasting),
        _counts(lasting, _kinds(kinds)),
    ]
    if not lasting:
        of = st.sampled_from(["anchor", "basis"] if basis else ["anchor"])
        leaves.append(st.builds(InWindow, start=_MONTH_DAYS, end=_MONTH_DAYS, of=of))
        # The engine strategies' intents too, so that some contacts of their histories match.
        sent = st.sampled_from(_ENGINE_INTENTS) | _INTENT_NAMES
        leaves.append(st.builds(Sent, intent=sent))
    return st.recursive(
        st.one_of(leaves),
        lambda children: st.builds(AnyOf, conditions=st.lists(children, min_size=1, max_size=3)),
        max_leaves=4,
    )


def triggers(
    *,
    intents: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    recurring: bool | None = None,
) -> st.SearchStrategy[Trigger]:
    """Triggers for one of ``intents``, on an event or on the customer, some recurring."""
    if intents is not None and (isinstance(intents, str) or not intents):
        raise InvalidArgument(f"intents={intents!r} must be a non-empty list of intent names")
    names = _INTENT_NAMES if intents is None else st.sampled_from(tuple(intents))
    return _triggers(names, _kinds_key(kinds), recurring)


@st.composite
def _triggers(
    draw: st.DrawFn,
    names: st.SearchStrategy[str],
    kinds: tuple[str, ...] | None,
    recurring: bool | None,
) -> Trigger:
    every = None
    if recurring or (recurring is None and draw(st.booleans())):
        every = draw(durations(allow_negative=False, allow_zero=False))
    fields: dict[str, Any] = {
        "id": draw(_RULE_IDS),
        "intent": draw(names),
        "description": draw(_ANY_TEXT),
        "practices": draw(_PRACTICES),
        "delay": draw(durations()),
        "expires": draw(st.none() | durations(allow_negative=False)),
        "first_only": draw(st.booleans()),
    }
    if every is not None:
        lasting = draw(st.lists(_conditions(True, kinds), max_size=2))
        return Trigger(on=CUSTOMER, every=every, when=lasting, **fields)
    kind = _kinds(kinds)
    on = draw(st.just(CUSTOMER) | kind)
    when = draw(st.lists(_conditions(False, kinds), max_size=2))
    if on == CUSTOMER:
        return Trigger(on=on, when=when, **fields)
    return Trigger(
        on=on,
        when=when,
        requires=draw(st.none() | kind),
        unless=draw(st.lists(kind, max_size=2)),
        correlate=draw(st.booleans()),
        measured_from=draw(st.none() | _MEASURED_FROM),
        **fields,
    )


@st.composite
def _hour_spans(draw: st.DrawFn) -> HourSpan:
    start = draw(st.integers(0, DAY // _MINUTE - 1)) * _MINUTE
    end = draw(st.integers(start // _MINUTE + 1, DAY // _MINUTE)) * _MINUTE
    return HourSpan(draw(_WEEKDAY_SETS), start, end)


@st.composite
def _blackouts(draw: st.DrawFn) -> Blackout:
    low, high = epoch(_START, "start"), epoch(_END, "end")
    start = draw(st.integers(low, high - 1))
    end = draw(st.integers(start + 1, high))
    return Blackout(start=from_epoch(start), end=from_epoch(end))


def guard_specs(*, kinds: Sequence[str] | None = None) -> st.SearchStrategy[GuardSpec]:
    """Guard specs of every kind, from ``AllowedHours`` to ``RequiresConsent``."""
    return _guard_specs(_kinds_key(kinds))


@functools.cache
def _guard_specs(kinds: tuple[str, ...] | None) -> st.SearchStrategy[GuardSpec]:
    kind = _kinds(kinds)
    return st.one_of(
        st.builds(AllowedHours, spans=st.lists(_hour_spans(), min_size=1, max_size=3)),
        st.builds(BusinessDaysOnly, weekdays=_WEEKDAY_SETS, holidays=st.booleans()),
        st.builds(AnnualBlackout, start=_MONTH_DAYS, end=_MONTH_DAYS),
        _blackouts(),
        st.builds(AfterEvent, kind=kind, delay=durations(), correlate=st.booleans()),
        st.builds(NotOnDayOf, kind=kind, correlate=st.booleans()),
        st.builds(
            NotWithinAfter,
            kind=kind,
            period=durations(allow_negative=False, allow_zero=False),
            correlate=st.booleans(),
        ),
        st.builds(
            FrequencyCap,
            limit=st.integers(0, 50),
            period=durations(allow_negative=False, allow_months=False, allow_zero=False),
            per=st.sampled_from(("all", "intent", "category", "channel")),
        ),
        st.builds(WhileOpen, opened=kind, closed=kind, correlate=st.booleans()),
        st.just(RequiresConsent()),
    )


def guard_rules(
    *, intents: Sequence[str] | None = None, kinds: Sequence[str] | None = None
) -> st.SearchStrategy[GuardRule]:
    """Guard rules with every kind of spec, scoped by intents, categories and channels."""
    if isinstance(intents, str):
        raise InvalidArgument(f"intents={intents!r} must be a list of intent names")
    if intents is None:
        scope: st.SearchStrategy[frozenset[str]] = st.frozensets(_INTENT_NAMES, max_size=2)
    elif intents:
        scope = st.frozensets(st.sampled_from(tuple(intents)), max_size=2)
    else:
        scope = st.just(frozenset())
    return _guard_rules(scope, _kinds_key(kinds))


@st.composite
def _guard_rules(
    draw: st.DrawFn, scope: st.SearchStrategy[frozenset[str]], kinds: tuple[str, ...] | None
) -> GuardRule:
    return GuardRule(
        id=draw(_RULE_IDS),
        spec=draw(_guard_specs(kinds)),
        description=draw(_ANY_TEXT),
        practices=draw(_PRACTICES),
        intents=draw(scope),
        categories=draw(st.frozensets(st.sampled_from(Category), max_size=2)),
        channels=draw(st.frozensets(st.sampled_from(Channel), max_size=2)),
        when=draw(st.lists(_conditions(False, kinds, basis=True), max_size=2)),
    )


def policies(
    *,
    intents: Sequence[Intent] | None = None,
    max_intents: int = 4,
    min_rules: int = 0,
    max_rules: int = 6,
    kinds: Sequence[str] | None = None,
) -> st.SearchStrategy[Policy]:
    """Valid policies, with rules of every kind, that round-trip through every file format."""
    if not 0 <= min_rules <= max_rules:
        raise InvalidArgument(f"need 0 <= min_rules={min_rules} <= max_rules={max_rules}")
    if intents is None:
        if max_intents < 1:
            raise InvalidArgument(f"max_intents={max_intents} must be at least 1")
        declared: st.SearchStrategy[list[Intent]] = st.lists(
            _intents(), min_size=1, max_size=max_intents, unique_by=lambda i: i.name
        )
    else:
        given = list(intents)
        for item in given:
            if not isinstance(item, Intent):
                raise InvalidArgument(f"intents must be Intent values, not {item!r}")
        if len({i.name for i in given}) != len(given):
            raise InvalidArgument(f"intents name an intent twice: {[i.name for i in given]}")
        declared = st.just(given)
    return _policies(declared, min_rules, max_rules, _kinds_key(kinds))


@st.composite
def _policies(
    draw: st.DrawFn,
    declared: st.SearchStrategy[list[Intent]],
    min_rules: int,
    max_rules: int,
    kinds: tuple[str, ...] | None,
) -> Policy:
    chosen = draw(declared)
    names = [intent.name for intent in chosen]
    count = draw(st.integers(min_rules, max_rules))
    ids = draw(st.lists(_RULE_IDS, min_size=count, max_size=count, unique=True))
    found_triggers: list[Trigger] = []
    found_guards: list[GuardRule] = []
    for rule_id in ids:
        if draw(st.booleans()) and names:
            trigger = draw(triggers(intents=names, kinds=kinds))
            found_triggers.append(attrs.evolve(trigger, id=rule_id))
        else:
            guard = draw(guard_rules(intents=names, kinds=kinds))
            found_guards.append(attrs.evolve(guard, id=rule_id))
    events: st.SearchStrategy[tuple[str, ...]] = st.just(EVENT_KINDS) | st.lists(
        _kinds(kinds), max_size=4
    ).map(tuple)
    # Through a dictionary: attrs' mypy plugin mistypes the tuple converters' arguments.
    parts: dict[str, Any] = {
        "name": draw(_SOME_TEXT),
        "version": draw(st.just("1") | _ANY_TEXT),
        "description": draw(_ANY_TEXT),
        "events": draw(events),
        "intents": chosen,
        "triggers": found_triggers,
        "guards": found_guards,
    }
    return Policy(**parts)


# -- customers, events and histories ----------------------------------------------------------
#
# The section below draws the planner's inputs: customers in every zone above, and
# histories that tell coherent stories in the event kinds of DESIGN.md. It only adds names,
# and uses nothing of the sections above but ZONE_NAMES, epoch_instants and _MINUTE.

_CUSTOMER_SINCE = ("2010-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00")
_HISTORY_SPAN = dt.timedelta(days=365)
# The countries that go with each zone: ISO 3166-1 codes, with a subdivision where its
# public holidays differ. Every one has a public-holiday calendar (the planner needs one
# for calling days).
_ZONE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "UTC": ("IS", "GB"),
    "Europe/London": ("GB", "GB-SCT", "GB-NIR", "GB-WLS"),
    "Europe/Berlin": ("DE", "DE-BY", "DE-BE"),
    "Europe/Dublin": ("IE",),
    "America/New_York": ("US-NY", "US-FL", "US"),
    "America/St_Johns": ("CA-NL",),
    "America/Havana": ("CU",),
    "America/Sao_Paulo": ("BR", "BR-SP", "BR-RJ"),
    "America/Santiago": ("CL",),
    "Africa/Casablanca": ("MA",),
    "Asia/Kolkata": ("IN", "IN-MH"),
    "Asia/Kathmandu": ("NP",),
    "Australia/Sydney": ("AU-NSW",),
    "Australia/Lord_Howe": ("AU-NSW",),
    "Pacific/Auckland": ("NZ", "NZ-AUK"),
    "Pacific/Chatham": ("NZ-CIT",),
    "Pacific/Apia": ("WS",),
    "Pacific/Kiritimati": ("KI",),
}
_ANY_COUNTRY = tuple(sorted({c for cs in _ZONE_COUNTRIES.values() for c in cs}))
# Categories and channels a consent may name; marketing, the one that matters most, first.
_CONSENT_NAMES = (
    "marketing",
    *(c.value for c in Category if c.value != "marketing"),
    *(c.value for c in Channel),
)
# Attributes the built-in playbook reads.
_ATTRIBUTES = st.fixed_dictionaries(
    {},
    optional={
        "value_tier": st.sampled_from(("high", "standard", "low")),
        "preferred_channel": st.sampled_from([c.value for c in Channel]),
    },
)

# How each story of a history ends: the kinds that may follow its first event, in order.
_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "order_placed": ("order_delivered", "review_submitted"),
    "complaint_opened": ("complaint_resolved",),
    "concern_raised": ("concern_answered",),
    "incident_caused": ("incident_resolved",),
    "invoice_scheduled": ("payment_received",),
    "channel_down": ("channel_restored",),
    "opted_out": ("opted_in",),
}
_FOLLOWING = frozenset(kind for kinds in _FOLLOW_UPS.values() for kind in kinds) - {"opted_in"}
# The prefix of the ref of each story's kind (an order o1, a complaint k1, ...).
_REF_PREFIX = {
    "order_placed": "o",
    "order_delivered": "o",
    "review_submitted": "o",
    "complaint_opened": "k",
    "complaint_resolved": "k",
    "concern_raised": "q",
    "concern_answered": "q",
    "request_declined": "r",
    "incident_caused": "i",
    "incident_resolved": "i",
    "invoice_scheduled": "inv",
    "payment_received": "inv",
    "info_volunteered": "v",
    "milestone_reached": "m",
    "channel_down": "out",
    "channel_restored": "out",
}
# The contact a host makes after an event: the intent of the built-in playbook, and the
# channels it may go on.
_CONTACT_AFTER: dict[str, tuple[str, tuple[Channel, ...]]] = {
    "order_delivered": ("review_request", (Channel.EMAIL, Channel.SMS, Channel.IN_APP)),
    "complaint_opened": ("concern_reply", (Channel.EMAIL, Channel.SMS, Channel.PHONE)),
    "concern_raised": ("concern_reply", (Channel.EMAIL, Channel.SMS, Channel.PHONE)),
    "request_declined": ("alternative_offer", (Channel.EMAIL, Channel.SMS, Channel.PHONE)),
    "incident_caused": ("apology_call", (Channel.PHONE, Channel.EMAIL)),
    "invoice_scheduled": ("invoice_explainer", (Channel.EMAIL, Channel.POST, Channel.IN_APP)),
    "info_volunteered": ("thank_you", (Channel.EMAIL, Channel.IN_APP, Channel.SMS)),
    "milestone_reached": ("success_call", (Channel.PHONE, Channel.EMAIL)),
    "channel_down": ("outage_notice", (Channel.EMAIL, Channel.SMS)),
    "channel_restored": ("restored_notice", (Channel.EMAIL, Channel.SMS)),
}
_CONTACT_INTENTS = (
    *sorted({intent for intent, _ in _CONTACT_AFTER.values()}),
    "welcome",
    "feedback_survey",
    "payment_reminder",
    "loyalty_reward",
)
# Gaps between an event and what follows it, in minutes: within hours, days, or weeks.
_GAPS = (st.integers(1, 180), st.integers(180, 4 * 1_440), st.integers(4 * 1_440, 45 * 1_440))


def customers(
    *,
    id: str | st.SearchStrategy[str] | None = None,
    zones: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    since: InstantLike | tuple[InstantLike, InstantLike] | None = None,
    channels: Any = None,
    consents: Mapping[str, bool] | st.SearchStrategy[Mapping[str, bool]] | None = None,
    attributes: Mapping[str, Any] | st.SearchStrategy[Mapping[str, Any]] | None = None,
) -> st.SearchStrategy[Customer]:
    """Valid customers: every zone of ``ZONE_NAMES`` (both hemispheres, half- and
    quarter-hour offsets) with a country that goes with it, often with a subdivision
    (``'US-FL'``, ``'GB-SCT'``), reachable on at least one channel.

    Each argument narrows what is drawn:

    - ``id``: a fixed id or a strategy of ids (default ``'c'`` and digits);
    - ``zones``: the IANA zones to draw from; ``countries``: the countries to draw from
      (by default, those that go with the zone drawn);
    - ``since``: a fixed instant, or a ``(start, end)`` pair to draw it between
      (default 2010 to 2030, favouring changes of clocks, month ends and February 29);
    - ``channels``: the channels the customer can be reached on, as a mapping
      (``{"email": True}``), a collection of names, or a strategy of either;
    - ``consents`` and ``attributes``: a fixed mapping or a strategy of mappings (by
      default, some consents, and the ``value_tier`` and ``preferred_channel`` attributes
      the built-in playbook reads).
    """
    zone_names = ZONE_NAMES if zones is None else _names("zones", zones)
    for name in zone_names:
        zone_named(name)
    country_names = None if countries is None else _names("countries", countries)
    return _customers(
        ids=_fixed_or(id, st.from_regex(r"c[0-9]{1,4}", fullmatch=True)),
        zone_names=zone_names,
        country_names=country_names,
        since=since,
        channels=_channel_sets(channels),
        consents=_fixed_or(
            consents, st.dictionaries(st.sampled_from(_CONSENT_NAMES), st.booleans(), max_size=3)
        ),
        attributes=_fixed_or(attributes, _ATTRIBUTES),
    )


def _names(field: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str) or not values:
        raise InvalidArgument(f"{field}={values!r} must be a non-empty list of names")
    return tuple(values)


def _fixed_or(value: Any, default: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    if value is None:
        return default
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(value)


def _channel_sets(channels: Any) -> st.SearchStrategy[Any]:
    if channels is None:
        # Email most often, as most customers have it; at least one channel.
        return st.builds(
            lambda email, others: {"email": email, **others},
            st.booleans(),
            st.fixed_dictionaries({c.value: st.booleans() for c in Channel if c != "email"}),
        ).filter(lambda flags: any(flags.values()))
    if isinstance(channels, st.SearchStrategy):
        return channels
    if isinstance(channels, Mapping):
        return st.just(dict(channels))
    return st.just([str(c) for c in channels])


@st.composite
def _customers(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str],
    zone_names: tuple[str, ...],
    country_names: tuple[str, ...] | None,
    since: Any,
    channels: st.SearchStrategy[Any],
    consents: st.SearchStrategy[Mapping[str, bool]],
    attributes: st.SearchStrategy[Mapping[str, Any]],
) -> Customer:
    timezone = draw(st.sampled_from(zone_names))
    if country_names is None:
        country_names = _ZONE_COUNTRIES.get(timezone, _ANY_COUNTRY)
    if since is None or isinstance(since, tuple):
        start, end = _CUSTOMER_SINCE if since is None else since
        joined: Any = from_epoch(draw(epoch_instants(timezone, start=start, end=end)))
    else:
        joined = since
    return Customer(
        id=draw(ids),
        timezone=timezone,
        country=draw(st.sampled_from(country_names)),
        since=joined,
        channels=draw(channels),
        consents=draw(consents),
        attributes=draw(attributes),
    )


def _history_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return EVENT_KINDS
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of event kinds")
    return tuple(kinds)


def _window(customer: Customer, start: Any, end: Any, span: dt.timedelta | None) -> tuple[int, int]:
    low = epoch(customer.since if start is None else start, "start")
    if end is not None and span is not None:
        raise InvalidArgument("give end or span, not both")
    if end is not None:
        high = epoch(end, "end")
    else:
        length = _HISTORY_SPAN if span is None else span
        if not isinstance(length, dt.timedelta) or length <= dt.timedelta(0):
            raise InvalidArgument(f"span={span!r} must be a positive datetime.timedelta")
        high = low + int(length.total_seconds())
    low += -low % _MINUTE
    high -= high % _MINUTE
    if low >= high:
        raise InvalidArgument(f"start={start!r} must come before end={end!r}, by a minute or more")
    return low, high


def events(
    customer: Customer,
    *,
    kinds: Sequence[str] | None = None,
    start: InstantLike | None = None,
    end: InstantLike | None = None,
    span: dt.timedelta | None = None,
) -> st.SearchStrategy[Event]:
    """Single events of ``customer``, each coherent in itself: its ``data`` is what its kind
    carries (``data.gift`` of an order, ``data.due`` of an invoice after it is scheduled,
    ``data.channel`` of an outage, ``data.intent`` and ``data.channel`` of a contact), and
    its ``ref`` is one of a few per kind (``o1``-``o3`` for orders), so that events drawn
    apart may still be about the same thing. For stories that hang together (a delivery
    after its order) use ``histories``.

    ``kinds`` narrows the kinds (by default those of DESIGN.md; others get no data);
    the instant lies between ``start`` (default: the customer's ``since``) and ``end``, or
    ``start + span`` (default: a year), and favours the customer's changes of clocks.
    """
    chosen = _history_kinds(kinds)
    low, high = _window(customer, start, end, span)
    return _single_events(customer, chosen, low, high)


@st.composite
def _single_events(
    draw: st.DrawFn, customer: Customer, kinds: tuple[str, ...], low: int, high: int
) -> Event:
    kind = draw(st.sampled_from(kinds))
    at = draw(epoch_instants(customer.zone, start=from_epoch(low), end=from_epoch(high)))
    if kind == "contact_sent":
        intent = draw(st.sampled_from(_CONTACT_INTENTS))
        channel = draw(st.sampled_from(Channel))
        ref = draw(st.none() | st.sampled_from(("o1", "o2", "k1", "i1")))
        return _contact(customer, at, intent, channel, ref)
    ref = None
    if kind in _REF_PREFIX:
        ref = _REF_PREFIX[kind] + str(draw(st.integers(1, 3)))
    return _event(customer, kind, at, ref, draw(_data(kind, at)))


def _data(kind: str, at: int) -> st.SearchStrategy[dict[str, Any]]:
    if kind == "order_placed":
        return st.fixed_dictionaries({}, optional={"gift": st.booleans()})
    if kind == "invoice_scheduled":
        return st.integers(0, 40 * 1_440).map(
            lambda minutes: {"due": from_epoch(at + minutes * _MINUTE).isoformat()}
        )
    if kind in ("channel_down", "channel_restored"):
        return st.sampled_from([*(c.value for c in Channel), "web"]).map(
            lambda channel: {"channel": channel}
        )
    if kind in ("opted_out", "opted_in"):
        return st.one_of(
            st.sampled_from([c.value for c in Channel]).map(lambda c: {"channel": c}),
            st.sampled_from([c.value for c in Category]).map(lambda c: {"category": c}),
        )
    return st.just({})


def _event(
    customer: Customer | None, kind: str, at: int, ref: str | None, data: Mapping[str, Any]
) -> Event:
    return Event(
        kind=kind,
        at=from_epoch(at),
        customer=None if customer is None else customer.id,
        ref=ref,
        data=data,
    )


def _contact(customer: Customer, at: int, intent: str, channel: Channel, ref: str | None) -> Event:
    return _event(customer, "contact_sent", at, ref, {"intent": intent, "channel": channel.value})


def histories(
    customer: Customer,
    *,
    kinds: Sequence[str] | None = None,
    start: InstantLike | None = None,
    end: InstantLike | None = None,
    span: dt.timedelta | None = None,
    max_stories: int = 6,
    broadcasts: bool = True,
) -> st.SearchStrategy[list[Event]]:
    """Histories of ``customer`` that hang together, as lists of events in time order.

    A history is up to ``max_stories`` stories, each about its own ``ref``: an order
    placed, perhaps delivered after it, perhaps reviewed after that; a complaint or a
    concern, perhaps resolved or answered after; an incident, perhaps resolved; an invoice
    scheduled with its ``data.due``, perhaps paid; an outage, perhaps over; an opt-out,
    perhaps an opt-in after it for the same channel or category; a request declined, a
    volunteered reading, a milestone. Contacts (``contact_sent``) come only after the event
    that calls for them, about the same ``ref``, on a channel the customer has. Outages are
    sometimes broadcasts (``customer`` None), unless ``broadcasts`` is False.

    ``kinds`` narrows the event kinds that appear (by default those of DESIGN.md;
    ``payment_received`` only when named; other kinds make stories of one event). A story
    starts only with its first kind in ``kinds``, and a delivery only follows an order, so
    ``kinds=["order_delivered"]`` alone is refused. Every event lies between ``start``
    (default: the customer's ``since``) and ``end``, or ``start + span`` (default: a year);
    the stories' first events favour the customer's changes of clocks, month ends and
    February 29.
    """
    chosen = _history_kinds(kinds)
    starters = [kind for kind in chosen if kind not in _FOLLOWING]
    if not starters:
        raise InvalidArgument(
            f"kinds={list(chosen)!r} has no kind a story can start with: add the event "
            "each one follows, such as order_placed before order_delivered"
        )
    if max_stories < 0:
        raise InvalidArgument(f"max_stories={max_stories} must be 0 or more")
    low, high = _window(customer, start, end, span)
    return _histories(
        customer=customer,
        kinds=frozenset(chosen),
        starters=tuple(starters),
        low=low,
        high=high,
        max_stories=max_stories,
        broadcasts=broadcasts,
    )


@st.composite
def _histories(
    draw: st.DrawFn,
    *,
    customer: Customer,
    kinds: frozenset[str],
    starters: tuple[str, ...],
    low: int,
    high: int,
    max_stories: int,
    broadcasts: bool,
) -> list[Event]:
    moments = epoch_instants(customer.zone, start=from_epoch(low), end=from_epoch(high))
    counters: dict[str, int] = {}
    found: list[Event] = []
    for _ in range(draw(st.integers(0, max_stories))):
        kind = draw(st.sampled_from(starters))
        prefix = _REF_PREFIX.get(kind, "x")
        counters[prefix] = counters.get(prefix, 0) + 1
        story = _Story(draw, customer, kinds, high, f"{prefix}{counters[prefix]}")
        story.tell(kind, draw(moments), broadcasts=broadcasts)
        found.extend(story.events)
    found.sort(key=lambda event: event.at)
    return found


class _Story:
    """One story of a history: its events about one ``ref``, each after the one before."""

    def __init__(
        self,
        draw: st.DrawFn,
        customer: Customer,
        kinds: frozenset[str],
        high: int,
        ref: str,
    ) -> None:
        self.draw = draw
        self.customer = customer
        self.kinds = kinds
        self.high = high
        self.ref = ref
        self.events: list[Event] = []

    def later(self, at: int) -> int | None:
        """An instant after ``at`` and within the history, or None when there is no room."""
        if at >= self.high:
            return None
        gap = self.draw(st.one_of(_GAPS))
        return min(at + gap * _MINUTE, self.high)

    def maybe(self, kind: str) -> bool:
        return kind in self.kinds and self.draw(st.booleans())

    def add(self, kind: str, at: int, data: Mapping[str, Any], *, broadcast: bool = False) -> None:
        ref = None if kind in ("opted_out", "opted_in") else self.ref
        self.events.append(_event(None if broadcast else self.customer, kind, at, ref, data))

    def tell(self, kind: str, at: int, *, broadcasts: bool) -> None:
        if kind == "contact_sent":
            # A contact about nothing in particular: a welcome, a survey, a reward.
            intent = self.draw(st.sampled_from(("welcome", "feedback_survey", "loyalty_reward")))
            self.contact(intent, (Channel.EMAIL, Channel.IN_APP, Channel.POST), at, ref=None)
            return
        data = self.draw(_data(kind, at))
        broadcast = kind == "channel_down" and broadcasts and self.draw(st.booleans())
        self.add(kind, at, data, broadcast=broadcast)
        self.answer(kind, at)
        following = _FOLLOW_UPS.get(kind, ())
        last = at
        for follow in following:
            if not self.maybe(follow):
                break
            moment = self.later(last)
            if moment is None:
                break
            # What follows an outage or an opt-out is about the same channel or category.
            same = data if kind in ("channel_down", "opted_out") else {}
            self.add(follow, moment, same, broadcast=broadcast)
            self.answer(follow, moment)
            last = moment

    def answer(self, kind: str, at: int) -> None:
        """Perhaps the contact the event calls for, after it."""
        if kind not in _CONTACT_AFTER or not self.maybe("contact_sent"):
            return
        moment = self.later(at)
        if moment is not None:
            intent, channels = _CONTACT_AFTER[kind]
            self.contact(intent, channels, moment, ref=self.ref)

    def contact(
        self, intent: str, channels: tuple[Channel, ...], at: int, *, ref: str | None
    ) -> None:
        usable = [channel for channel in channels if channel in self.customer.channels]
        if usable:
            channel = self.draw(st.sampled_from(usable))
            self.events.append(_contact(self.customer, at, intent, channel, ref))


# -- trigger-engine cases -------------------------------------------------------------------
#
# Added with engine="durable" (issue 5): policies made of triggers only, and tangled
# histories for them, to feed the trigger engines the same inputs and compare what they
# propose. Few kinds and refs, instants that tie, events without a ref or an id, broadcasts,
# contacts already sent for the policy's own intents: where matching by kind, by ref, by
# time and by absence can go wrong. This block only adds names.

__all__ += ["ENGINE_KINDS", "engine_histories", "engine_policies", "trigger_cases"]

ENGINE_KINDS: tuple[str, ...] = (
    "order_placed",
    "order_delivered",
    "review_submitted",
    "complaint_opened",
    "contact_sent",
)
"""The few event kinds ``engine_policies`` and ``engine_histories`` use by default:
few enough that triggers and events meet often."""

_ENGINE_INTENTS = ("ask", "thank", "call")
_ENGINE_REFS = ("o1", "o2", "o3")
_ENGINE_DAYS = 400
_ENGINE_START, _ENGINE_END = "2015-01-01T00:00:00Z", "2035-01-01T00:00:00Z"


def engine_policies(
    *, kinds: Sequence[str] = ENGINE_KINDS, max_triggers: int = 5
) -> st.SearchStrategy[Policy]:
    """Policies of one to ``max_triggers`` triggers (drawn by ``triggers``) on
    ``kinds``, and no guards; intents among ``ask``, ``thank`` and ``call``. Some triggers
    measure their times from ``data.due``, which ``engine_histories`` may give."""
    if not kinds:
        raise InvalidArgument("kinds must name at least one event kind")
    if max_triggers < 1:
        raise InvalidArgument(f"max_triggers={max_triggers} must be at least 1")
    return _engine_policies(tuple(kinds), max_triggers)


@st.composite
def _engine_policies(draw: st.DrawFn, kinds: tuple[str, ...], max_triggers: int) -> Policy:
    names = draw(st.lists(st.sampled_from(_ENGINE_INTENTS), min_size=1, unique=True))
    declared = [
        Intent(name=name, category=draw(st.sampled_from(Category)), channels=[Channel.EMAIL])
        for name in names
    ]
    found: list[Trigger] = []
    for number in range(draw(st.integers(1, max_triggers))):
        trigger = draw(triggers(intents=names, kinds=kinds))
        measured = trigger.measured_from
        if trigger.on != CUSTOMER and trigger.every is None:
            measured = draw(st.sampled_from((None, None, "data.due", measured)))
        found.append(attrs.evolve(trigger, id=f"t{number}", measured_from=measured))
    # Through a dictionary: attrs' mypy plugin mistypes the tuple converters' arguments.
    parts: dict[str, Any] = {"name": "engines", "intents": declared, "triggers": found}
    return Policy(**parts)


def engine_histories(
    customer: Customer,
    *,
    kinds: Sequence[str] = ENGINE_KINDS,
    intents: Sequence[str] = _ENGINE_INTENTS,
    refs: Sequence[str] = _ENGINE_REFS,
    max_size: int = 10,
) -> st.SearchStrategy[list[Event]]:
    """Histories for ``customer`` in which matching is easy to get wrong: events of
    ``kinds`` about ``refs`` (or none), often at the same instant, some before the customer's
    start, some broadcast, some without an id; contacts sent for ``intents`` (and for
    others), some events with a ``data.due`` instant. In any order, as a host may give
    them."""
    if not kinds:
        raise InvalidArgument("kinds must name at least one event kind")
    return _engine_histories(customer, (tuple(kinds), tuple(intents), tuple(refs)), max_size)


@st.composite
def _engine_histories(
    draw: st.DrawFn,
    customer: Customer,
    names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    max_size: int,
) -> list[Event]:
    kinds, intents, refs = names
    since = customer.since_epoch
    instant = st.integers(-30, _ENGINE_DAYS).map(lambda minutes: since + minutes * 1_440 * 60)
    # A few instants that several events share, so that ties are common.
    shared = draw(st.lists(instant, min_size=1, max_size=3))
    found: list[Event] = []
    for number in range(draw(st.integers(0, max_size))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.sampled_from(shared) | instant)
        data: dict[str, Any] = {}
        if kind == "contact_sent":
            data = {"intent": draw(st.sampled_from((*intents, "other"))), "channel": "email"}
        elif draw(st.booleans()):
            data = {"due": from_epoch(draw(instant)).isoformat()}
        found.append(
            Event(
                kind=kind,
                at=from_epoch(at),
                customer=draw(st.sampled_from((customer.id, customer.id, None))),
                ref=draw(st.none() | st.sampled_from(refs)),
                id=draw(st.sampled_from((f"x{number}", None))),
                data=data,
            )
        )
    return found


@st.composite
def trigger_cases(
    draw: st.DrawFn, *, kinds: Sequence[str] = ENGINE_KINDS, max_histories: int = 3
) -> tuple[Policy, Customer, list[list[Event]], int]:
    """A policy from ``engine_policies``, a customer, one to ``max_histories`` of their
    possible histories from ``engine_histories``, and the instant to plan at (epoch
    seconds), within the histories' span."""
    policy = draw(engine_policies(kinds=kinds))
    customer = Customer(
        id="c1",
        timezone=draw(zones()),
        country="GB",
        since=from_epoch(draw(epoch_instants(start=_ENGINE_START, end=_ENGINE_END))),
    )
    names = [intent.name for intent in policy.intents]
    cases = draw(
        st.lists(
            engine_histories(customer, kinds=kinds, intents=names),
            min_size=1,
            max_size=max_histories,
        )
    )
    now = customer.since_epoch + draw(st.integers(-10, _ENGINE_DAYS + 60)) * 1_440 * 60
    return policy, customer, cases, now
