"""Zone: offsets, wall seconds and the resolution of skipped and repeated local times.

The oracle is the standard library's ``zoneinfo``, asked instant by instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outreach_rules.errors import InputError, OutreachRulesError, TimeError
from outreach_rules.testing import ZONE_NAMES, epoch_instants, zones
from outreach_rules.timeline.zone import (
    DAY,
    Zone,
    date_of_wall,
    wall_of_date,
    weekday_of_wall,
    zone,
)

NAIVE_EPOCH = dt.datetime(1970, 1, 1)
RANGE = {"start": "2024-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}


def utc(text: str) -> int:
    """Seconds since the epoch of an ISO text in UTC, without the code under test."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def local(t: int, name: str) -> dt.datetime:
    """The naive local date and time of ``t`` in ``name``, by zoneinfo."""
    return dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name)).replace(tzinfo=None)


def wall(naive: dt.datetime) -> int:
    return (naive - NAIVE_EPOCH) // dt.timedelta(seconds=1)


def earliest_at_or_after(naive: dt.datetime, name: str) -> int:
    """The earliest instant whose local time is ``naive``, or the first one after a gap."""
    t = int(naive.replace(tzinfo=zoneinfo.ZoneInfo(name), fold=0).timestamp())
    if local(t, name) == naive:
        return t  # fold=0 is the first of two occurrences
    # In a gap: walk to the first instant whose local time is at or after ``naive``.
    while local(t - 60, name) >= naive:
        t -= 60
    while local(t - 1, name) >= naive:
        t -= 1
    while local(t, name) < naive:
        t += 1
    return t


def zoneinfo_transitions(name: str, start: int, end: int) -> list[tuple[int, int]]:
    """Changes of offset in ``(start, end]``, found by sampling hourly and bisecting."""
    tz = zoneinfo.ZoneInfo(name)

    def offset(t: int) -> int:
        delta = dt.datetime.fromtimestamp(t, tz).utcoffset()
        assert delta is not None
        return int(delta.total_seconds())

    found = []
    low = start
    while low < end:
        high = min(low + 3_600, end)
        if offset(high) != offset(low):
            left, right = low, high
            while right - left > 1:
                middle = (left + right) // 2
                left, right = (middle, right) if offset(middle) == offset(low) else (left, middle)
            found.append((right, offset(right)))
        low = high
    return found


# --- offsets and wall seconds ------------------------------------------------------------


@settings(max_examples=300)
@given(name=zones(), t=epoch_instants(**RANGE), second=st.integers(0, 59))
def test_offset_and_wall_agree_with_zoneinfo(name: str, t: int, second: int) -> None:
    t += second
    expected = dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name)).utcoffset()
    assert expected is not None
    assert zone(name).offset_at(t) == expected.total_seconds()
    assert zone(name).to_wall(t) == wall(local(t, name))


@pytest.mark.parametrize("name", ["Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("step", [3_600, -3_600])
def test_offsets_stay_right_walking_across_new_year_either_way(name: str, step: int) -> None:
    # A segment may span the new year where the offset stays (winter in the north, summer
    # in the south): walking through it in either direction must never read a stale offset.
    fresh = Zone(name)
    start, end = utc("2026-11-01T00:00:00"), utc("2027-05-01T00:00:00")
    for t in range(start, end, step) if step > 0 else range(end, start, step):
        expected = dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name)).utcoffset()
        assert expected is not None
        assert fresh.offset_at(t) == expected.total_seconds(), t


def test_a_northern_winter_is_one_segment_across_new_year() -> None:
    offset, end = Zone("Europe/London").segment(utc("2026-12-20T00:00:00"))
    assert (offset, end) == (0, utc("2027-03-28T01:00:00"))


@settings(max_examples=200)
@given(name=zones(), t=epoch_instants(**RANGE))
def test_segment_is_a_stretch_of_constant_offset(name: str, t: int) -> None:
    offset, end = zone(name).segment(t)
    assert offset == zone(name).offset_at(t)
    assert end > t
    for inside in (t, (t + end) // 2, end - 1):
        assert wall(local(inside, name)) == inside + offset
    year_start = dt.datetime.fromtimestamp(end, dt.UTC).replace(tzinfo=None)
    changes = wall(local(end, name)) != end + offset
    assert changes or (year_start.month, year_start.day, year_start.hour) == (1, 1, 0)


@pytest.mark.parametrize("name", ZONE_NAMES)
def test_transitions_agree_with_zoneinfo(name: str) -> None:
    start, end = utc("2025-01-01T00:00:00"), utc("2027-01-01T00:00:00")
    assert zone(name).transitions(start, end) == zoneinfo_transitions(name, start, end)


def test_transitions_are_counted_in_a_half_open_range() -> None:
    london = zone("Europe/London")
    jump = utc("2026-03-29T01:00:00")
    assert london.transitions(jump - 1, jump) == [(jump, 3_600)]
    assert london.transitions(jump, jump + DAY) == []


def test_samoa_skips_a_whole_day() -> None:
    apia = zone("Pacific/Apia")
    moment = utc("2011-12-30T10:00:00")
    assert apia.transitions(moment - DAY, moment + DAY) == [(moment, 14 * 3_600)]
    # Nothing happened on 30 December 2011 in Samoa: any time that day resolves to the jump.
    assert apia.from_wall(wall(dt.datetime(2011, 12, 30, 12))) == moment
    assert apia.from_wall(wall(dt.datetime(2011, 12, 31))) == moment


# --- from_wall -----------------------------------------------------------------------------


@settings(max_examples=300)
@given(name=zones(), t=epoch_instants(**RANGE), second=st.integers(0, 59))
def test_from_wall_of_to_wall_is_t_or_its_first_occurrence(name: str, t: int, second: int) -> None:
    t += second
    back = zone(name).from_wall(zone(name).to_wall(t))
    assert back <= t
    second_pass = dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name)).fold == 1
    assert (back == t) != second_pass
    if second_pass:
        assert local(back, name) == local(t, name)


@settings(max_examples=300)
@given(name=zones(), t=epoch_instants(**RANGE), shift=st.integers(-180, 180))
@example(name="Europe/London", t=utc("2026-03-29T01:00:00"), shift=-30)
@example(name="Australia/Lord_Howe", t=utc("2026-10-03T15:30:00"), shift=-15)
def test_from_wall_is_the_earliest_instant_at_or_after_the_wall_time(
    name: str, t: int, shift: int
) -> None:
    naive = local(t, name) + dt.timedelta(minutes=shift)
    assert zone(name).from_wall(wall(naive)) == earliest_at_or_after(naive, name)


@pytest.mark.parametrize(
    ("name", "wall_time", "expected"),
    [
        # Europe/London: 01:00 GMT jumps to 02:00 BST on 29 March 2026.
        ("Europe/London", "2026-03-29T01:30:00", "2026-03-29T01:00:00"),
        ("Europe/London", "2026-03-29T02:00:00", "2026-03-29T01:00:00"),
        ("Europe/London", "2026-03-29T00:59:00", "2026-03-29T00:59:00"),
        # 02:00 BST falls back to 01:00 GMT on 25 October 2026: 01:30 happens twice.
        ("Europe/London", "2026-10-25T01:30:00", "2026-10-25T00:30:00"),
        ("Europe/London", "2026-10-25T02:00:00", "2026-10-25T02:00:00"),
        # Australia/Sydney: 03:00 AEDT falls back to 02:00 AEST on 5 April 2026 ...
        ("Australia/Sydney", "2026-04-05T02:30:00", "2026-04-04T15:30:00"),
        # ... and 02:00 AEST jumps to 03:00 AEDT on 4 October 2026.
        ("Australia/Sydney", "2026-10-04T02:30:00", "2026-10-03T16:00:00"),
        # Australia/Lord_Howe: 02:00 (+11:00) falls back to 01:30 (+10:30) on 5 April 2026 ...
        ("Australia/Lord_Howe", "2026-04-05T01:45:00", "2026-04-04T14:45:00"),
        # ... and 02:00 (+10:30) jumps to 02:30 (+11:00) on 4 October 2026.
        ("Australia/Lord_Howe", "2026-10-04T02:15:00", "2026-10-03T15:30:00"),
        ("Australia/Lord_Howe", "2026-10-04T02:30:00", "2026-10-03T15:30:00"),
        # America/Havana changes clocks at midnight: 8 March 2026 starts at 01:00.
        ("America/Havana", "2026-03-08T00:00:00", "2026-03-08T05:00:00"),
        ("Asia/Kathmandu", "2026-06-01T09:00:00", "2026-06-01T03:15:00"),
        ("Pacific/Chatham", "2026-06-01T09:00:00", "2026-05-31T20:15:00"),
    ],
)
def test_from_wall_examples(name: str, wall_time: str, expected: str) -> None:
    assert zone(name).from_wall(wall(dt.datetime.fromisoformat(wall_time))) == utc(expected)


# --- day_spans: the instants of a local date -------------------------------------------------


def local_date(t: int, name: str) -> dt.date:
    return local(t, name).date()


def held_minutes(name: str, date: dt.date) -> list[tuple[int, int]]:
    """The stretches of whole minutes whose local date is ``date``, by zoneinfo, minute by
    minute over the 27 hours either side of the day (every offset lies within them)."""
    midnight = utc(f"{date.isoformat()}T00:00:00")
    spans: list[tuple[int, int]] = []
    for t in range(midnight - 27 * 3_600, midnight + DAY + 27 * 3_600, 60):
        if local_date(t, name) != date:
            continue
        if spans and spans[-1][1] == t:
            spans[-1] = (spans[-1][0], t + 60)
        else:
            spans.append((t, t + 60))
    return spans


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=zones())
def test_day_spans_are_the_instants_whose_local_date_is_the_day(
    data: st.DataObject, name: str
) -> None:
    # Drawn mostly near changes of clocks in the zone, from the years when Newfoundland
    # fell back at 00:01 on.
    t = data.draw(epoch_instants(name, start="2000-01-01T00:00:00Z", end=RANGE["end"]))
    date = local_date(t, name)
    # The zones' changes of offset in these years fall on whole minutes, so the minutes
    # tell the whole story.
    assert zone(name).day_spans(wall_of_date(date) // DAY) == held_minutes(name, date)


def test_a_day_that_comes_back_after_a_fall_back_is_two_stretches() -> None:
    # America/St_Johns fell back at 00:01 on 7 November 2010 (02:31 UTC): Sunday 00:00 to
    # 00:01 (-02:30), then Saturday 23:01 to 23:59 again (-03:30), then Sunday for good.
    st_johns = zone("America/St_Johns")
    saturday, sunday = (wall_of_date(dt.date(2010, 11, d)) // DAY for d in (6, 7))
    assert st_johns.day_spans(saturday) == [
        (utc("2010-11-06T02:30:00"), utc("2010-11-07T02:30:00")),
        (utc("2010-11-07T02:31:00"), utc("2010-11-07T03:30:00")),
    ]
    assert st_johns.day_spans(sunday) == [
        (utc("2010-11-07T02:30:00"), utc("2010-11-07T02:31:00")),
        (utc("2010-11-07T03:30:00"), utc("2010-11-08T03:30:00")),
    ]
    # Samoa skipped 30 December 2011 altogether.
    apia = zone("Pacific/Apia")
    assert apia.day_spans(wall_of_date(dt.date(2011, 12, 30)) // DAY) == []
    assert apia.day_spans(wall_of_date(dt.date(2011, 12, 29)) // DAY) == [
        (utc("2011-12-29T10:00:00"), utc("2011-12-30T10:00:00"))
    ]


# --- wall-second helpers -------------------------------------------------------------------


@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2400, 12, 31)))
def test_wall_helpers_agree_with_datetime(date: dt.date) -> None:
    midnight = wall(dt.datetime.combine(date, dt.time()))
    assert wall_of_date(date) == midnight
    assert date_of_wall(midnight) == date
    assert date_of_wall(midnight + DAY - 1) == date
    assert weekday_of_wall(midnight + 12 * 3_600) == date.weekday()


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Londres", "", "../../etc/passwd", 5])
def test_unknown_zone_names_raise_time_error_naming_the_value(name: str) -> None:
    with pytest.raises(TimeError) as raised:
        zone(name)
    assert isinstance(raised.value, InputError)
    assert isinstance(raised.value, OutreachRulesError)
    assert isinstance(raised.value, ValueError)
    assert f"timezone={name!r}" in str(raised.value)


def test_instants_outside_the_supported_years_raise_time_error() -> None:
    with pytest.raises(TimeError, match="instant="):
        zone("Europe/London").offset_at(utc("2500-01-01T00:00:00"))
