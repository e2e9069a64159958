"""Instants at the library's edge, and durations added on the customer's calendar."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pendulum
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outreach_rules.errors import InputError, OutreachRulesError, TimeError
from outreach_rules.testing import epoch_instants, instants, zones
from outreach_rules.timeline.instants import Duration, as_datetime, epoch, from_epoch, local
from outreach_rules.timeline.zone import zone

RANGE = {"start": "2024-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}


def utc(text: str) -> int:
    """Seconds since the epoch of an ISO text in UTC, without the code under test."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def local_naive(t: int, name: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name)).replace(tzinfo=None)


def earliest_at_or_after(naive: dt.datetime, name: str) -> int:
    """The earliest instant whose local time is ``naive``, or the first one after a gap."""
    t = int(naive.replace(tzinfo=zoneinfo.ZoneInfo(name), fold=0).timestamp())
    if local_naive(t, name) == naive:
        return t  # fold=0 is the first of two occurrences
    while local_naive(t - 60, name) >= naive:
        t -= 60
    while local_naive(t - 1, name) >= naive:
        t -= 1
    while local_naive(t, name) < naive:
        t += 1
    return t


def add_months(date: dt.date, months: int) -> dt.date:
    """``date`` moved by calendar months, clamped to the month's last day (by pendulum)."""
    return pendulum.Date(date.year, date.month, date.day).add(months=months)


# --- epoch() and as_datetime() ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 10, 14, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 10, 15, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        pendulum.datetime(2026, 12, 10, 9, tz="America/New_York"),
        "2026-12-10T14:00:00Z",
        "2026-12-10T19:30:00+05:30",
        "  2026-12-10T14:00:00.999+00:00 ",
    ],
)
def test_epoch_accepts_aware_instants(value: Any) -> None:
    assert epoch(value) == utc("2026-12-10T14:00:00")


def test_epoch_keeps_whole_seconds_rounding_down() -> None:
    before_epoch = dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=dt.UTC)
    assert epoch(before_epoch) == -1
    assert epoch("2026-12-10T14:00:00.999999Z") == utc("2026-12-10T14:00:00")


@given(year=st.integers(1, 9999))
@example(year=1800)
@example(year=1801)
@example(year=2399)
@example(year=2400)
def test_epoch_takes_instants_in_the_years_the_library_handles_and_refuses_the_rest(
    year: int,
) -> None:
    # Every zone is tabulated a year beyond each end, for local times and durations there.
    for text in (f"{year:04d}-01-01T00:00:00Z", f"{year:04d}-12-31T23:59:59+00:00"):
        if 1801 <= year <= 2399:
            assert from_epoch(epoch(text)) == pendulum.parse(text)
            continue
        with pytest.raises(TimeError, match="outside the years") as raised:
            epoch(text, "at")
        assert (raised.value.field, raised.value.value) == ("at", text)
        assert raised.value.hint == "instants must fall in the years 1801 to 2399"


def test_a_datetime_out_of_range_is_shown_as_iso_text() -> None:
    with pytest.raises(TimeError, match=r"since='3026-12-10T14:00:00\+00:00'"):
        epoch(dt.datetime(3026, 12, 10, 14, tzinfo=dt.UTC), "since")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 10, 14),
        "2026-12-10T14:00:00",
        "next tuesday",
        "",
        1_796_911_200,
        None,
        dt.date(2026, 12, 10),
    ],
)
def test_epoch_rejects_what_is_not_an_aware_instant(value: Any) -> None:
    with pytest.raises(TimeError) as raised:
        epoch(value, "send_at")
    error = raised.value
    assert isinstance(error, InputError)
    assert isinstance(error, OutreachRulesError)
    assert isinstance(error, ValueError)
    assert (error.field, error.value) == ("send_at", value)
    assert f"send_at={value!r}" in str(error)


@given(instants())
def test_as_datetime_returns_the_same_instant_in_utc(moment: pendulum.DateTime) -> None:
    converted = as_datetime(moment)
    assert isinstance(converted, pendulum.DateTime)
    assert converted == moment
    assert converted.utcoffset() == dt.timedelta(0)
    assert as_datetime(moment.isoformat()) == moment
    assert from_epoch(epoch(moment)) == moment


@given(name=zones(), t=epoch_instants(**RANGE))
@example(name="Europe/London", t=utc("2026-10-25T00:30:00"))  # 01:30, first time round
@example(name="Europe/London", t=utc("2026-10-25T01:30:00"))  # 01:30 again, fold 1
@example(name="Australia/Lord_Howe", t=utc("2026-04-04T14:45:00"))  # a half-hour fold
def test_local_shows_the_instant_in_the_zone(name: str, t: int) -> None:
    shown = local(t, zone(name))
    assert shown.timestamp() == t
    assert shown.replace(tzinfo=None) == local_naive(t, name)
    theirs = pendulum.from_timestamp(t, tz=pendulum.timezone(name))
    assert repr(shown) == repr(theirs)
    # Outside a fold pendulum sets fold=1, which means nothing there: compare what it shows.
    assert (shown.utcoffset(), shown.isoformat()) == (theirs.utcoffset(), theirs.isoformat())


def test_local_tells_apart_the_two_times_a_wall_clock_shows_when_it_falls_back() -> None:
    first = local(utc("2026-10-25T00:30:00"), zone("Europe/London"))
    second = local(utc("2026-10-25T01:30:00"), zone("Europe/London"))
    assert first.isoformat() == "2026-10-25T01:30:00+01:00"
    assert second.isoformat() == "2026-10-25T01:30:00+00:00"
    assert (first.fold, second.fold) == (0, 1)


@given(epoch_instants(**RANGE))
def test_from_epoch_is_pendulums_own_instant_in_utc(t: int) -> None:
    made = from_epoch(t)
    assert repr(made) == repr(pendulum.from_timestamp(t, tz=pendulum.UTC))
    assert made.timestamp() == t
    assert type(made) is pendulum.DateTime


# --- Duration.parse ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days", Duration(days=3)),
        ("P3D", Duration(days=3)),
        ("1 year 2 months", Duration(months=14)),
        ("P1Y2M", Duration(months=14)),
        ("-3 days", Duration(days=-3)),
        ("-P3D", Duration(days=-3)),
        ("PT2H30M", Duration(seconds=9_000)),
        ("2 hours 30 minutes", Duration(seconds=9_000)),
        ("2 hours, 30 minutes", Duration(seconds=9_000)),
        ("1 week and 1 day", Duration(days=8)),
        ("1 Day", Duration(days=1)),
        ("P2W", Duration(days=14)),
        ("0 seconds", Duration()),
        # A leading minus sign turns the whole duration around, as in ISO 8601's '-P1Y2M'.
        ("-1 year 2 months", Duration(months=-14)),
        ("-3 days 1 hour", Duration(days=-3, seconds=-3_600)),
        ("-1 year -2 months", Duration(months=-14)),
    ],
)
def test_duration_parse(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "3 dayz", "P", "PT", "-P", "three days", "3", "days", "3 days ago", 5, None]
)
def test_duration_parse_rejects_malformed_text_naming_it(text: Any) -> None:
    with pytest.raises(TimeError) as raised:
        Duration.parse(text, "delay")
    assert isinstance(raised.value, ValueError)
    assert f"delay={text!r}" in str(raised.value)


def test_duration_goes_one_way() -> None:
    with pytest.raises(TimeError, match="mixes forward and backward"):
        Duration(months=1, days=-3)
    with pytest.raises(TimeError, match="mixes forward and backward"):
        Duration.parse("1 day -2 hours")


def durations() -> st.SearchStrategy[Duration]:
    parts = st.tuples(
        st.integers(0, 50), st.integers(0, 800), st.integers(0, 10 * 86_400), st.booleans()
    )
    return parts.map(
        lambda p: (
            Duration(months=p[0], days=p[1], seconds=p[2])
            if p[3]
            else Duration(months=-p[0], days=-p[1], seconds=-p[2])
        )
    )


@given(durations())
@example(Duration(months=-14))
@example(Duration(days=-3, seconds=-3_600))
@example(Duration(days=-14))
def test_duration_text_round_trips(duration: Duration) -> None:
    assert Duration.parse(str(duration)) == duration


@given(
    st.fixed_dictionaries(
        {
            "years": st.integers(0, 3),
            "months": st.integers(0, 30),
            "weeks": st.integers(0, 10),
            "days": st.integers(0, 30),
            "hours": st.integers(0, 48),
            "minutes": st.integers(0, 120),
        }
    )
)
def test_duration_of_agrees_with_iso_text(parts: dict[str, int]) -> None:
    built = Duration.of(**parts)
    iso = "P{years}Y{months}M{weeks}W{days}DT{hours}H{minutes}M".format(**parts)
    assert Duration.parse(iso) == built
    assert Duration.parse("-" + iso) == built.negated()
    if not parts["years"] and not parts["months"]:
        days = 7 * parts["weeks"] + parts["days"]
        assert built.total_seconds() == (24 * days + parts["hours"]) * 3_600 + parts["minutes"] * 60


def test_total_seconds_refuses_calendar_months() -> None:
    with pytest.raises(TimeError, match="calendar months"):
        Duration.parse("1 month").total_seconds()
    assert Duration.parse("2 days 1 hour").total_seconds() == 2 * 86_400 + 3_600


# --- Duration.add_to ---------------------------------------------------------------------


def test_days_keep_the_local_time_across_spring_forward() -> None:
    london = zone("Europe/London")
    saturday_noon = utc("2026-03-28T12:00:00")  # 12:00 GMT
    assert Duration.parse("1 day").add_to(saturday_noon, london) == utc("2026-03-29T11:00:00")
    assert Duration.parse("24 hours").add_to(saturday_noon, london) == utc("2026-03-29T12:00:00")


def test_days_keep_the_local_time_across_fall_back_in_the_south() -> None:
    sydney = zone("Australia/Sydney")
    saturday_noon = utc("2026-04-04T01:00:00")  # 12:00 AEDT (+11:00)
    assert Duration.parse("P1D").add_to(saturday_noon, sydney) == utc("2026-04-05T02:00:00")
    assert Duration.parse("PT24H").add_to(saturday_noon, sydney) == utc("2026-04-05T01:00:00")


def test_a_day_onto_a_skipped_time_moves_to_the_jump() -> None:
    london = zone("Europe/London")
    saturday = utc("2026-03-28T01:30:00")  # 01:30 GMT; 01:30 on Sunday does not exist
    assert Duration.parse("1 day").add_to(saturday, london) == utc("2026-03-29T01:00:00")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-01-31T09:00:00", "2026-02-28T09:00:00"),
        ("2028-01-31T09:00:00", "2028-02-29T09:00:00"),
        ("2026-03-31T09:00:00", "2026-04-30T09:00:00"),
        ("2026-03-01T09:00:00", "2026-04-01T08:00:00"),  # 09:00 GMT, then 09:00 BST
        ("2028-02-29T09:00:00", "2028-03-29T08:00:00"),
    ],
)
def test_a_month_from_a_long_month_end_is_the_next_month_end(start: str, expected: str) -> None:
    assert Duration.parse("1 month").add_to(utc(start), zone("Europe/London")) == utc(expected)


def test_a_year_from_february_29_is_february_28() -> None:
    new_york = zone("America/New_York")
    assert Duration.parse("1 year").add_to(utc("2028-02-29T14:00:00"), new_york) == utc(
        "2029-02-28T14:00:00"
    )


@settings(max_examples=300)
@given(
    name=zones(),
    t=epoch_instants(**RANGE),
    months=st.integers(-30, 30),
    days=st.integers(-60, 60),
)
def test_calendar_units_keep_the_local_time_of_day(
    name: str, t: int, months: int, days: int
) -> None:
    if months * days < 0:
        days = -days
    start = local_naive(t, name)
    date = add_months(start.date(), months) + dt.timedelta(days=days)
    target = dt.datetime.combine(date, start.time())
    # Nothing to count leaves the instant alone, even in the second pass of a repeated hour.
    expected = t if months == days == 0 else earliest_at_or_after(target, name)
    assert Duration(months=months, days=days).add_to(t, zone(name)) == expected


@given(name=zones(), t=epoch_instants(**RANGE), seconds=st.integers(-40 * 86_400, 40 * 86_400))
def test_exact_units_are_exact(name: str, t: int, seconds: int) -> None:
    assert Duration(seconds=seconds).add_to(t, zone(name)) == t + seconds
