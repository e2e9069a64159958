"""Time zones as tables of UTC offsets, for fast and exact local-time arithmetic.

The planner works on instants as integer seconds since the epoch (UTC) and on *wall
seconds*: the local date and time of an instant, written as if it were UTC
(``wall = instant + utc_offset``). Within a stretch of constant offset (a *segment*) the
two are a shift apart, which is what makes local rules fast and exact.

Local times that do not map to exactly one instant are resolved by one rule:

* a local time that does not exist (skipped when clocks spring forward) resolves to the
  first instant after the gap, the moment the clocks jump;
* a local time that occurs twice (repeated when clocks fall back) resolves to its first
  occurrence.

Both are "the earliest instant whose local time is at or after the one asked for".
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import zoneinfo

from outreach_rules.errors import TimeError

__all__ = ["DAY", "Zone", "date_of_wall", "wall_of_date", "weekday_of_wall", "zone"]

DAY = 86_400
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Any instant whose local time is w lies within this distance of w: UTC offsets in the
# IANA database stay within -12:00 and +14:00, and local mean times within a few minutes more.
_OFFSET_REACH = 26 * 3_600
_FIRST_YEAR, _LAST_YEAR = 1800, 2400
_YEAR_STARTS = [
    (dt.date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY
    for year in range(_FIRST_YEAR, _LAST_YEAR + 2)
]
ACCEPTED_YEARS = (_FIRST_YEAR + 1, _LAST_YEAR - 1)
"""The years an instant given to the library may fall in: a year inside the zone tables at
either end, so local times and durations near the ends stay inside them."""
ACCEPTED_SPAN = (
    _YEAR_STARTS[ACCEPTED_YEARS[0] - _FIRST_YEAR],
    _YEAR_STARTS[ACCEPTED_YEARS[1] - _FIRST_YEAR + 1],
)
"""``ACCEPTED_YEARS`` as epoch seconds, the start included and the end not."""


def date_of_wall(wall: int) -> dt.date:
    """The calendar date of a wall-seconds value."""
    return dt.date.fromordinal(wall // DAY + _EPOCH_ORDINAL)


def wall_of_date(date: dt.date) -> int:
    """The wall seconds of midnight at the start of ``date``."""
    return (date.toordinal() - _EPOCH_ORDINAL) * DAY


def weekday_of_wall(wall: int) -> int:
    """Monday is 0 and Sunday is 6, as in ``datetime.date.weekday``."""
    # 1970-01-01 was a Thursday.
    return (wall // DAY + 3) % 7


class Zone:
    """An IANA time zone with its UTC offsets tabulated year by year, on first use.

    Obtain one with ``zone``, which shares tables between callers.
    """

    __slots__ = ("_last", "_tz", "_years", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._tz = _load(name)
        # year -> (segment starts, offsets): starts[0] is the year's first second (UTC).
        self._years: dict[int, tuple[list[int], list[int]]] = {}
        # The segment found last, (start, end, offset): a customer's instants cluster, so
        # most look-ups land in it and need no search.
        self._last = (0, 0, 0)

    def __repr__(self) -> str:
        return f"Zone({self.name!r})"

    def offset_at(self, instant: int) -> int:
        """The UTC offset in seconds in force at ``instant``."""
        start, end, offset = self._last
        if start <= instant < end:
            return offset
        return self.segment(instant)[0]

    def to_wall(self, instant: int) -> int:
        """The local date and time of ``instant`` as wall seconds."""
        return instant + self.offset_at(instant)

    def segment(self, instant: int) -> tuple[int, int]:
        """The offset at ``instant`` and the first instant after it where that may change.

        The end may be an artificial boundary (a new year) where the offset stays the same.
        """
        start, end, offset = self._last
        if start <= instant < end:
            return offset, end
        year = _year_of(instant)
        starts, offsets = self._table(year)
        index = bisect.bisect_right(starts, instant)
        offset = offsets[index - 1]
        start = starts[index - 1]
        end = starts[index] if index < len(starts) else self._end_after(year, offset)
        if index == 1 and year > _FIRST_YEAR and self._table(year - 1)[1][-1] == offset:
            # Winter spans the new year: one segment, so a customer's instants stay in it.
            start = self._table(year - 1)[0][-1]
        self._last = (start, end, offset)
        return offset, end

    def _end_after(self, year: int, offset: int) -> int:
        """Where ``offset``, in force at the end of ``year``, ends in the year after."""
        boundary = _YEAR_STARTS[year - _FIRST_YEAR + 1]
        if year + 1 > _LAST_YEAR:
            return boundary
        starts, offsets = self._table(year + 1)
        if offsets[0] != offset:
            return boundary
        return starts[1] if len(starts) > 1 else _YEAR_STARTS[year - _FIRST_YEAR + 2]

    def from_wall(self, wall: int) -> int:
        """The earliest instant whose local time is ``wall`` or, in a gap, just after it."""
        # Far from any change of offset (most of the time), the answer is one shift away.
        offset, end = self.segment(wall)
        start = self._last[0]
        guess = wall - offset
        if start + _OFFSET_REACH <= guess and guess + _OFFSET_REACH < end:
            return guess
        low = wall - _OFFSET_REACH
        first_offset = self.offset_at(low)
        changes = self._changes(low, wall + _OFFSET_REACH)
        occurrences = [
            wall - offset
            for offset in {first_offset, *(after for _, _, after in changes)}
            if self.offset_at(wall - offset) == offset
        ]
        if occurrences:
            return min(occurrences)
        for moment, before, after in changes:
            if moment + before <= wall < moment + after:
                return moment
        raise AssertionError(
            f"{self.name}: no instant found for wall time {wall}"
        )  # pragma: no cover

    def day_spans(self, day: int) -> list[tuple[int, int]]:
        """The half-open stretches of instants whose local date is ``day`` (a count of
        days since 1970-01-01, ``wall // DAY``), in order.

        Mostly one stretch, from one local midnight to the next. Where clocks fall back
        across midnight, the day comes back for a while after the next one has begun: in
        America/St_Johns on 7 November 2010, Sunday 00:00-00:01 was followed by Saturday
        23:01-23:59 again, so Saturday is two stretches. A day skipped by the clocks has none.
        """
        first, last = day * DAY, (day + 1) * DAY
        spans: list[tuple[int, int]] = []
        t = first - _OFFSET_REACH
        while t < last + _OFFSET_REACH:
            offset, end = self.segment(t)
            low, high = max(t, first - offset), min(end, last - offset)
            if low < high:
                if spans and spans[-1][1] == low:
                    low = spans.pop()[0]
                spans.append((low, high))
            t = end
        return spans

    def transitions(self, start: int, end: int) -> list[tuple[int, int]]:
        """The instants in ``(start, end]`` where the offset changes, with the new offset."""
        return [(moment, after) for moment, _, after in self._changes(start, end)]

    def _changes(self, start: int, end: int) -> list[tuple[int, int, int]]:
        found = []
        for year in range(_year_of(start), _year_of(end) + 1):
            starts, offsets = self._table(year)
            previous = self._table(year - 1)[1][-1] if year > _FIRST_YEAR else offsets[0]
            for moment, offset in zip(starts, offsets, strict=True):
                if start < moment <= end and offset != previous:
                    found.append((moment, previous, offset))
                previous = offset
        return found

    def year_table(self, year: int) -> tuple[list[int], list[int]]:
        """The segments of ``year``: their starts (the first is the year's first second)
        and offsets. The Rust core plans on these very tables."""
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise TimeError(
                "is outside the years the planner handles",
                field="year",
                value=year,
                hint=f"years run from {_FIRST_YEAR} to {_LAST_YEAR}",
            )
        return self._table(year)

    def _table(self, year: int) -> tuple[list[int], list[int]]:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._probe(year)
        return table

    def _probe(self, year: int) -> tuple[list[int], list[int]]:
        # zoneinfo does not expose its transitions, so find them: sample each day and bisect
        # to the second wherever the offset differs between two samples.
        first = _YEAR_STARTS[year - _FIRST_YEAR]
        last = _YEAR_STARTS[year - _FIRST_YEAR + 1]
        starts, offsets = [first], [self._offset(first)]
        low = first
        while low < last:
            high = min(low + DAY, last)
            offset = self._offset(high)
            if offset != offsets[-1]:
                left, right = low, high
                while right - left > 1:
                    middle = (left + right) // 2
                    if self._offset(middle) == offsets[-1]:
                        left = middle
                    else:
                        right = middle
                if right < last:
                    starts.append(right)
                    offsets.append(offset)
            low = high
        return starts, offsets

    def _offset(self, instant: int) -> int:
        moment = dt.datetime.fromtimestamp(instant, dt.UTC).astimezone(self._tz)
        offset = moment.utcoffset()
        assert offset is not None
        return int(offset.total_seconds())


@functools.cache
def zone(name: str) -> Zone:
    """The shared ``Zone`` for an IANA name such as ``'Europe/London'``."""
    return Zone(name)


def _load(name: str) -> zoneinfo.ZoneInfo:
    hint = "it must be an IANA time zone such as 'Europe/London' or 'America/New_York'"
    if not isinstance(name, str) or not name:
        raise TimeError("is not a time zone name", field="timezone", value=name, hint=hint)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeError(
            "is not a known time zone", field="timezone", value=name, hint=hint
        ) from None


def _year_of(instant: int) -> int:
    index = bisect.bisect_right(_YEAR_STARTS, instant) - 1
    if not 0 <= index < len(_YEAR_STARTS) - 1:
        raise TimeError(
            "is outside the years the planner handles",
            field="instant",
            value=instant,
            hint=f"instants must fall between {_FIRST_YEAR} and {_LAST_YEAR}",
        )
    return _FIRST_YEAR + index
