"""Local calendar rules and the LocalTime guard, against minute-by-minute oracles.

The oracles read local times with ``datetime.fromtimestamp(t, ZoneInfo(name))`` and the
holiday calendars with ``holidays`` directly, never through the code under test.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import TYPE_CHECKING, Any

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outreach_rules.errors import InputError
from outreach_rules.testing import epoch_instants, zones
from outreach_rules.timeline.calendar import AnnualWindow, BusinessDays, Hours, HourSpan, LocalTime
from outreach_rules.timeline.operators import Blocked
from outreach_rules.timeline.zone import zone

if TYPE_CHECKING:
    from collections.abc import Callable

    from outreach_rules.timeline.calendar import WallRule

MINUTE, HOUR, DAY = 60, 3_600, 86_400
NAIVE_EPOCH = dt.datetime(1970, 1, 1)
RANGE = {"start": "2024-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}


def utc(text: str) -> int:
    """Seconds since the epoch of an ISO text in UTC, without the code under test."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def wall(naive: dt.datetime) -> int:
    return (naive - NAIVE_EPOCH) // dt.timedelta(seconds=1)


def local(t: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, tz).replace(tzinfo=None)


def guard(name: str, wall_rule: WallRule) -> LocalTime:
    return LocalTime("rule", "why", zone(name), wall_rule)


# --- oracles ---------------------------------------------------------------------------------


def hours_allow(rule: Hours, naive: dt.datetime) -> bool:
    seconds = naive.hour * HOUR + naive.minute * MINUTE + naive.second
    return any(naive.weekday() in s.days and s.start <= seconds < s.end for s in rule.spans)


@functools.cache
def holiday_calendar(country: str, subdivision: str | None) -> Any:
    return holidays.country_holidays(country, subdiv=subdivision)


def business_allow(rule: BusinessDays, naive: dt.datetime) -> bool:
    if naive.weekday() not in rule.weekdays:
        return False
    return rule.country is None or naive.date() not in holiday_calendar(
        rule.country, rule.subdivision
    )


def month_day(year: int, month_and_day: tuple[int, int], *, last: bool) -> dt.date:
    """That day in ``year``; February 29 in a common year ends on the 28th, starts on March 1."""
    try:
        return dt.date(year, *month_and_day)
    except ValueError:
        return dt.date(year, 2, 28) if last else dt.date(year, 3, 1)


def in_window(window: AnnualWindow, date: dt.date) -> bool:
    """Whether ``date`` lies in one of the window's yearly stretches of dates."""
    for year in (date.year - 1, date.year):
        first = month_day(year, window.start, last=False)
        end_year = year if window.start <= window.end else year + 1
        if first <= date <= month_day(end_year, window.end, last=True):
            return True
    return False


def window_allow(window: AnnualWindow, date: dt.date) -> bool:
    return in_window(window, date) == window.inside


def check_guard(
    tested: LocalTime,
    allowed: Callable[[int], bool],
    t: int,
    later: int,
    *,
    horizon: int,
    never: bool = False,
) -> None:
    """The guard's answer from ``t`` is the first allowed minute, by stepping through them.

    Past the horizon, the answer must still be allowed; ``never`` says the rule allows
    nothing, so the guard must say Blocked.
    """
    result = tested.next_allowed(t)
    first = next((x for x in range(t, t + horizon + 1, MINUTE) if allowed(x)), None)
    if never:
        assert isinstance(result, Blocked)
        assert first is None
        assert isinstance(tested.next_allowed(later), Blocked)
        return
    assert not isinstance(result, Blocked)
    if first is None:
        assert result > t + horizon
    else:
        assert result == first
    assert allowed(result)
    # Idempotent: an allowed instant stays put.
    assert tested.next_allowed(result) == result
    # Monotone: a later start never gives an earlier answer.
    moved = tested.next_allowed(later)
    assert not isinstance(moved, Blocked)
    assert moved >= result


# --- strategies ----------------------------------------------------------------------------

# Minutes after midnight, often at the hours where clocks change.
clock_minutes = st.one_of(
    st.sampled_from([0, 60, 90, 105, 120, 135, 150, 165, 180, 1_380, 1_440]),
    st.integers(0, 1_440),
)
weekday_sets = st.one_of(st.just(frozenset(range(7))), st.frozensets(st.integers(0, 6), min_size=1))


@st.composite
def hour_spans(draw: st.DrawFn) -> HourSpan:
    start, end = sorted(draw(st.lists(clock_minutes, min_size=2, max_size=2, unique=True)))
    return HourSpan(draw(weekday_sets), start * MINUTE, end * MINUTE)


hours_rules = st.lists(hour_spans(), min_size=1, max_size=3).map(lambda s: Hours(tuple(s)))
month_days = st.one_of(
    st.sampled_from([(2, 28), (2, 29), (3, 1), (1, 1), (12, 31)]),
    st.dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31)).map(lambda d: (d.month, d.day)),
)
windows = st.builds(AnnualWindow, month_days, month_days, st.booleans())


# --- Hours -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    name=zones(),
    rule=hours_rules,
    t=epoch_instants(**RANGE),
    delay=st.integers(0, 3 * 1_440),
)
def test_hours_guard_finds_the_first_allowed_local_minute(
    name: str, rule: Hours, t: int, delay: int
) -> None:
    tz = zoneinfo.ZoneInfo(name)
    check_guard(
        guard(name, rule),
        lambda x: hours_allow(rule, local(x, tz)),
        t,
        t + delay * MINUTE,
        horizon=8 * DAY,
    )


@given(rule=hours_rules, when=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2040, 1, 1)))
@example(rule=Hours((HourSpan(range(7), 9 * HOUR, 17 * HOUR),)), when=dt.datetime(2026, 1, 1, 17))
@example(rule=Hours((HourSpan({0}, 9 * HOUR, DAY),)), when=dt.datetime(2026, 1, 4, 23, 59, 59))
def test_hours_wall_rule_agrees_with_the_clock(rule: Hours, when: dt.datetime) -> None:
    assert rule.allows(wall(when)) == hours_allow(rule, when)
    found = rule.next_wall(wall(when))
    assert found is not None
    step = when.replace(second=0, microsecond=0)
    if step < when:
        step += dt.timedelta(minutes=1)
    expected = when if hours_allow(rule, when) else step
    while not hours_allow(rule, expected):
        expected += dt.timedelta(minutes=1)
    assert found == wall(expected)


def test_hours_without_spans_allow_nothing() -> None:
    assert isinstance(guard("UTC", Hours(())).next_allowed(0), Blocked)
    no_days = Hours((HourSpan(frozenset(), 0, DAY),))
    assert isinstance(
        guard("Europe/London", no_days).next_allowed(utc("2026-01-01T00:00")), Blocked
    )


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [({7}, 0, HOUR), ({-1}, 0, HOUR), ({0}, 2 * HOUR, HOUR), ({0}, HOUR, HOUR), ({0}, 0, DAY + 1)],
)
def test_hour_spans_are_checked(days: set[int], start: int, end: int) -> None:
    with pytest.raises(InputError):
        HourSpan(days, start, end)


# --- changes of clocks, by name ------------------------------------------------------------


def daily(start: str, end: str) -> Hours:
    def seconds(text: str) -> int:
        hours, minutes = text.split(":")
        return int(hours) * HOUR + int(minutes) * MINUTE

    return Hours((HourSpan(range(7), seconds(start), seconds(end)),))


def test_spring_forward_nonexistent_time_moves_to_the_jump() -> None:
    # Europe/London, 29 March 2026: at 01:00 GMT the clocks show 02:00 BST.
    rule = guard("Europe/London", daily("01:30", "23:00"))
    assert rule.next_allowed(utc("2026-03-29T00:00")) == utc("2026-03-29T01:00")


def test_spring_forward_skipped_span_waits_for_the_next_day() -> None:
    rule = guard("Europe/London", daily("01:15", "01:45"))
    # 01:15 BST on 30 March is 00:15 UTC.
    assert rule.next_allowed(utc("2026-03-29T00:00")) == utc("2026-03-30T00:15")


def test_fall_back_ambiguous_time_takes_first_occurrence() -> None:
    # Europe/London, 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice.
    rule = guard("Europe/London", daily("01:30", "23:00"))
    assert rule.next_allowed(utc("2026-10-24T23:00")) == utc("2026-10-25T00:30")


def test_fall_back_rule_applies_to_both_passes() -> None:
    rule = guard("Europe/London", daily("01:00", "01:30"))
    # 00:40 UTC is 01:40 BST, past the first pass; the second pass starts at 01:00 GMT.
    assert rule.next_allowed(utc("2026-10-25T00:40")) == utc("2026-10-25T01:00")
    assert rule.next_allowed(utc("2026-10-25T01:20")) == utc("2026-10-25T01:20")


def test_spring_forward_in_the_south_moves_to_the_jump() -> None:
    # Australia/Sydney, 4 October 2026: at 02:00 AEST (16:00 UTC) the clocks show 03:00 AEDT.
    rule = guard("Australia/Sydney", daily("02:30", "23:00"))
    assert rule.next_allowed(utc("2026-10-03T14:00")) == utc("2026-10-03T16:00")


def test_fall_back_in_the_south_takes_first_occurrence() -> None:
    # Australia/Sydney, 5 April 2026: 03:00 AEDT becomes 02:00 AEST, so 02:30 happens twice.
    rule = guard("Australia/Sydney", daily("02:30", "23:00"))
    assert rule.next_allowed(utc("2026-04-04T13:00")) == utc("2026-04-04T15:30")
    both = guard("Australia/Sydney", daily("02:00", "02:30"))
    # 15:40 UTC is 02:40 AEDT; the second pass of 02:00 starts at 16:00 UTC.
    assert both.next_allowed(utc("2026-04-04T15:40")) == utc("2026-04-04T16:00")


def test_lord_howe_half_hour_spring_forward() -> None:
    # Australia/Lord_Howe, 4 October 2026: 02:00 (+10:30) jumps to 02:30 (+11:00) at 15:30 UTC.
    rule = guard("Australia/Lord_Howe", daily("02:15", "23:00"))
    assert rule.next_allowed(utc("2026-10-03T13:30")) == utc("2026-10-03T15:30")
    skipped = guard("Australia/Lord_Howe", daily("02:00", "02:15"))
    # Nothing of 02:00-02:15 exists that night: the next is 02:00 (+11:00) on 5 October.
    assert skipped.next_allowed(utc("2026-10-03T13:30")) == utc("2026-10-04T15:00")


def test_lord_howe_half_hour_fall_back() -> None:
    # Australia/Lord_Howe, 5 April 2026: 02:00 (+11:00) falls back to 01:30 (+10:30) at 15:00 UTC.
    rule = guard("Australia/Lord_Howe", daily("01:45", "23:00"))
    assert rule.next_allowed(utc("2026-04-04T13:00")) == utc("2026-04-04T14:45")
    both = guard("Australia/Lord_Howe", daily("01:30", "01:45"))
    assert both.next_allowed(utc("2026-04-04T14:50")) == utc("2026-04-04T15:00")


# --- BusinessDays --------------------------------------------------------------------------

countries = st.sampled_from([(None, None), ("GB", None), ("US", None), ("US", "FL"), ("DE", "BY")])


@settings(max_examples=100, deadline=None)
@given(
    name=zones(),
    weekdays=weekday_sets,
    country=countries,
    t=epoch_instants(**RANGE),
    delay=st.integers(0, 3 * 1_440),
)
def test_business_days_guard_finds_the_first_open_local_minute(
    name: str, weekdays: frozenset[int], country: tuple[str | None, str | None], t: int, delay: int
) -> None:
    rule = BusinessDays(weekdays, *country)
    tz = zoneinfo.ZoneInfo(name)
    check_guard(
        guard(name, rule),
        lambda x: business_allow(rule, local(x, tz)),
        t,
        t + delay * MINUTE,
        horizon=16 * DAY,
    )


@pytest.mark.parametrize(
    ("country", "subdivision", "date", "open_"),
    [
        ("GB", None, "2026-12-24", True),
        ("GB", None, "2026-12-25", False),  # Christmas Day
        ("GB", None, "2026-12-26", False),  # a Saturday
        ("GB", None, "2026-12-28", False),  # Boxing Day falls on a Saturday: substitute Monday
        ("GB", None, "2026-12-29", True),
        ("US", "FL", "2026-11-26", False),  # Thanksgiving
        ("US", "FL", "2026-11-27", False),  # Florida also closes the Friday after
        ("US", None, "2026-11-27", True),
        ("US", "FL", "2026-07-03", False),  # Independence Day falls on a Saturday: observed Friday
        ("US", "FL", "2026-07-06", True),
        (None, None, "2026-12-25", True),
    ],
)
def test_business_day_examples(
    country: str | None, subdivision: str | None, date: str, open_: bool
) -> None:
    rule = BusinessDays(country=country, subdivision=subdivision)
    noon = wall(dt.datetime.fromisoformat(date).replace(hour=12))
    assert rule.allows(noon) == open_
    assert (rule.next_wall(noon) == noon) == open_


def test_business_days_skip_christmas_in_london() -> None:
    rule = guard("Europe/London", BusinessDays(country="GB"))
    assert rule.next_allowed(utc("2026-12-24T18:00")) == utc("2026-12-24T18:00")
    assert rule.next_allowed(utc("2026-12-25T09:00")) == utc("2026-12-29T00:00")


def test_business_days_in_florida_skip_thanksgiving_friday() -> None:
    thursday = utc("2026-11-26T15:00")  # 10:00 EST
    florida = guard("America/New_York", BusinessDays(country="US", subdivision="FL"))
    federal = guard("America/New_York", BusinessDays(country="US"))
    assert florida.next_allowed(thursday) == utc("2026-11-30T05:00")
    assert federal.next_allowed(thursday) == utc("2026-11-27T05:00")


@pytest.mark.parametrize(
    ("country", "subdivision", "named"), [("XX", None, "'XX'"), ("US", "XX", "'US-XX'")]
)
def test_unknown_countries_raise_input_error_naming_them(
    country: str, subdivision: str | None, named: str
) -> None:
    rule = BusinessDays(country=country, subdivision=subdivision)
    with pytest.raises(InputError) as raised:
        rule.allows(wall(dt.datetime(2026, 12, 1, 12)))
    assert isinstance(raised.value, ValueError)
    assert f"country={named}" in str(raised.value)


# --- AnnualWindow --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    window=windows,
    when=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2200, 1, 1)),
)
@example(window=AnnualWindow((2, 29), (2, 29), inside=True), when=dt.datetime(2025, 6, 1))
@example(window=AnnualWindow((2, 29), (2, 29), inside=True), when=dt.datetime(2097, 3, 1))
@example(window=AnnualWindow((1, 1), (12, 31)), when=dt.datetime(2025, 6, 1))
@example(window=AnnualWindow((3, 1), (2, 28)), when=dt.datetime(2025, 6, 1))
@example(window=AnnualWindow((12, 20), (1, 6)), when=dt.datetime(2025, 12, 31, 23, 59))
def test_annual_window_wall_rule_finds_the_next_allowed_date(
    window: AnnualWindow, when: dt.datetime
) -> None:
    when = when.replace(microsecond=0)
    assert window.allows(wall(when)) == window_allow(window, when.date())
    found = window.next_wall(wall(when))
    date = when.date()
    for _ in range(9 * 366):  # a leap day comes back within eight years
        if window_allow(window, date):
            expected = when if date == when.date() else dt.datetime.combine(date, dt.time())
            assert found == wall(expected)
            return
        date += dt.timedelta(days=1)
    assert found is None


@st.composite
def windows_near(draw: st.DrawFn, date: dt.date) -> AnnualWindow:
    """A window whose next allowed date, from ``date``, is at most four days later."""
    inside = draw(st.booleans())
    if inside:
        first = draw(st.integers(0, 2))
        last = draw(st.integers(first, first + 3))
    else:
        first = draw(st.integers(-2, 0))
        last = draw(st.integers(0, 2))
    start, end = date + dt.timedelta(days=first), date + dt.timedelta(days=last)
    return AnnualWindow((start.month, start.day), (end.month, end.day), inside)


@settings(max_examples=100, deadline=None)
@given(name=zones(), t=epoch_instants(**RANGE), delay=st.integers(0, 1_440), data=st.data())
def test_annual_window_guard_near_its_boundaries(
    name: str, t: int, delay: int, data: st.DataObject
) -> None:
    tz = zoneinfo.ZoneInfo(name)
    window = data.draw(windows_near(local(t, tz).date()), label="window")
    check_guard(
        guard(name, window),
        lambda x: window_allow(window, local(x, tz).date()),
        t,
        t + delay * MINUTE,
        horizon=5 * DAY,
    )


def test_gift_season_window_crosses_new_year() -> None:
    season = AnnualWindow((12, 20), (1, 6))
    rule = guard("Europe/Berlin", season)
    # 22 December 2026 in Berlin: deferred to 7 January 2027, 00:00 CET.
    assert rule.next_allowed(utc("2026-12-22T10:00")) == utc("2027-01-06T23:00")
    assert rule.next_allowed(utc("2026-12-19T22:59")) == utc("2026-12-19T22:59")


def test_window_of_february_29_waits_for_a_leap_year() -> None:
    leap_day = guard("UTC", AnnualWindow((2, 29), (2, 29), inside=True))
    assert leap_day.next_allowed(utc("2025-06-01T00:00")) == utc("2028-02-29T00:00")
    assert leap_day.next_allowed(utc("2097-03-01T00:00")) == utc("2104-02-29T00:00")


def test_window_over_the_whole_year_allows_nothing() -> None:
    always_closed = guard("UTC", AnnualWindow((1, 1), (12, 31)))
    assert isinstance(always_closed.next_allowed(utc("2025-06-01T00:00")), Blocked)
    # Closed from March 1 to February 28: only a leap day is left.
    all_but_leap_day = guard("UTC", AnnualWindow((3, 1), (2, 28)))
    assert all_but_leap_day.next_allowed(utc("2025-06-01T00:00")) == utc("2028-02-29T00:00")
