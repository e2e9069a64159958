"""Guards on the customer's local calendar: hours of the day, business days, annual windows.

A *wall rule* says which local dates and times are allowed, in wall seconds (see
``outreach_rules.timeline.zone``), knowing nothing of zones. ``LocalTime`` turns a
wall rule into a guard on instants for one zone. It walks the zone's stretches of constant
offset, so a rule such as "from 02:30" on a day when 02:00-03:00 is skipped allows the
first instant after the gap, and on a day when 01:00-02:00 happens twice the rule is
applied to both passes, as a clock on the wall would show them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, Protocol

import attrs

from outreach_rules._checks import is_whole
from outreach_rules.errors import InputError, MaxIterationsReached
from outreach_rules.timeline.operators import Blocked
from outreach_rules.timeline.zone import DAY, Zone, date_of_wall, wall_of_date, weekday_of_wall

__all__ = [
    "AnnualWindow",
    "BusinessDays",
    "HourSpan",
    "Hours",
    "LocalTime",
    "WallRule",
    "check_month_day",
    "check_weekdays",
    "holiday_days",
    "month_day",
    "weekday_set",
]

# How far a date rule looks ahead before it calls a calendar closed for good.
HORIZON_DAYS = 3_660


class WallRule(Protocol):
    """Which local dates and times are allowed."""

    def allows(self, wall: int, /) -> bool:
        """Whether the local time ``wall`` is allowed."""

    def next_wall(self, wall: int, /) -> int | None:
        """The least allowed local time at or after ``wall``, or None if there is none."""


def weekday_set(days: Iterable[int]) -> frozenset[int]:
    """Weekday numbers as a frozenset; anything but a collection as it is, for
    ``check_weekdays`` to refuse."""
    if isinstance(days, list | tuple | set | frozenset | range):
        return frozenset(days)
    return days  # type: ignore[return-value]


def check_weekdays(_: object, __: attrs.Attribute[frozenset[int]], days: object) -> None:
    """An attrs validator: weekday numbers from 0 (Monday) to 6 (Sunday)."""
    if not isinstance(days, frozenset) or not all(is_whole(day) and 0 <= day <= 6 for day in days):
        shown = sorted(days, key=str) if isinstance(days, frozenset) else days
        raise InputError("weekdays run from 0 (Monday) to 6 (Sunday)", field="days", value=shown)


def month_day(value: Any) -> tuple[int, int]:
    """``(month, day)`` as a tuple; anything else as it is, for ``check_month_day``."""
    converted: tuple[int, int] = tuple(value) if isinstance(value, list | tuple) else value
    return converted


def check_month_day(_: object, attribute: attrs.Attribute[tuple[int, int]], value: Any) -> None:
    """An attrs validator: a month and day that some year has (29 February included)."""
    try:
        month, day = value
        if not (is_whole(month) and is_whole(day)):
            raise TypeError
        dt.date(2024, month, day)
    except (ValueError, TypeError, OverflowError):
        raise InputError(
            "is not a month and day", field=attribute.name, value=value, hint="such as (12, 26)"
        ) from None


@attrs.frozen
class HourSpan:
    """Local times from ``start`` to ``end`` (seconds after midnight) on the given weekdays."""

    days: frozenset[int] = attrs.field(converter=weekday_set, validator=check_weekdays)
    start: int = attrs.field()
    end: int = attrs.field()

    @end.validator
    def _within_a_day(self, _: attrs.Attribute[int], end: int) -> None:
        if not (is_whole(self.start) and is_whole(end) and 0 <= self.start < end <= DAY):
            raise InputError(
                "must start before it ends, within one day",
                field="hours",
                value=(self.start, end),
                hint="give allowed hours such as 09:00-20:00; a span may end at 24:00",
            )


@attrs.frozen
class Hours:
    """Allowed hours: the union of its spans (``09:00-20:00`` every day, say)."""

    spans: tuple[HourSpan, ...]

    def allows(self, wall: int, /) -> bool:
        weekday, time = weekday_of_wall(wall), wall % DAY
        return any(weekday in s.days and s.start <= time < s.end for s in self.spans)

    def next_wall(self, wall: int, /) -> int | None:
        day, time = divmod(wall, DAY)
        for ahead in range(8):
            weekday = (day + ahead + 3) % 7
            floor = time if ahead == 0 else 0
            starts = [
                max(s.start, floor) for s in self.spans if weekday in s.days and floor < s.end
            ]
            if starts:
                return (day + ahead) * DAY + min(starts)
        return None


@functools.cache
def holiday_days(country: str, subdivision: str | None, year: int) -> frozenset[int]:
    """The public holidays of a country (and subdivision) in a year, as day numbers."""
    import holidays  # noqa: PLC0415 - its country registry is large; load it only when used

    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as error:
        where = country if subdivision is None else f"{country}-{subdivision}"
        raise InputError(
            f"has no public-holiday calendar ({error})",
            field="country",
            value=where,
            hint="use an ISO 3166-1 code such as 'GB', with a subdivision where needed ('US-FL')",
        ) from None
    return frozenset(wall_of_date(date) // DAY for date in calendar)


@attrs.frozen
class BusinessDays:
    """Allowed dates: the given weekdays, except public holidays of ``country``."""

    weekdays: frozenset[int] = frozenset(range(5))
    country: str | None = None
    subdivision: str | None = None

    def allows(self, wall: int, /) -> bool:
        return self._open(wall // DAY)

    def next_wall(self, wall: int, /) -> int | None:
        day = wall // DAY
        if self._open(day):
            return wall
        for ahead in range(1, HORIZON_DAYS):
            if self._open(day + ahead):
                return (day + ahead) * DAY
        return None

    def _open(self, day: int) -> bool:
        if (day + 3) % 7 not in self.weekdays:
            return False
        if self.country is None:
            return True
        year = date_of_wall(day * DAY).year
        return day not in holiday_days(self.country, self.subdivision, year)


@attrs.frozen
class AnnualWindow:
    """Dates from ``start`` to ``end`` (month, day), both included, every year.

    The window may cross New Year (``(12, 20)`` to ``(1, 6)``). With ``inside=False`` the
    window is blocked and the rest of the year allowed; with ``inside=True`` only the window
    is allowed.
    """

    start: tuple[int, int]
    end: tuple[int, int]
    inside: bool = False

    def allows(self, wall: int, /) -> bool:
        return self._contains(date_of_wall(wall)) == self.inside

    def next_wall(self, wall: int, /) -> int | None:
        date = date_of_wall(wall)
        if self._contains(date) == self.inside:
            return wall
        # The day a window opens (or after it closes) may still not be allowed: a window of
        # February 29 alone is empty in a common year, and a closed window that fills the
        # year starts again the day after it ends. Look on, as far as the next leap year.
        for _ in range(9):
            if self.inside:
                date = _next_on_or_after(date, self.start)
            else:
                date = _next_on_or_after(date, self.end, roll_back=True) + dt.timedelta(days=1)
            if self._contains(date) == self.inside:
                return wall_of_date(date)
            date += dt.timedelta(days=1)
        return None

    def _contains(self, date: dt.date) -> bool:
        day = (date.month, date.day)
        if self.start <= self.end:
            return self.start <= day <= self.end
        return day >= self.start or day <= self.end


def _next_on_or_after(
    date: dt.date, month_day: tuple[int, int], *, roll_back: bool = False
) -> dt.date:
    """The next date on or after ``date`` with that month and day.

    February 29 in a common year stands for February 28 as a window's last day
    (``roll_back``) and for March 1 as its first.
    """
    for year in (date.year, date.year + 1, date.year + 2, date.year + 3, date.year + 4):
        month, day = month_day
        try:
            found = dt.date(year, month, day)
        except ValueError:
            found = dt.date(year, 2, 28) if roll_back else dt.date(year, 3, 1)
        if found >= date:
            return found
    raise AssertionError("a month and day recur within five years")  # pragma: no cover


@attrs.frozen
class LocalTime:
    """A guard on instants from a wall rule read in ``zone``."""

    rule: str
    why: str
    zone: Zone
    wall_rule: WallRule
    max_segments: int = 10_000

    def next_allowed(self, t: int, /) -> int | Blocked:
        for _ in range(self.max_segments):
            offset, end = self.zone.segment(t)
            wall = self.wall_rule.next_wall(t + offset)
            if wall is None:
                return Blocked(self.why)
            if wall - offset < end:
                return wall - offset
            t = end
        raise MaxIterationsReached(  # pragma: no cover - needs a rule allowed once a millennium
            f"no allowed local time found within {self.max_segments} stretches of {self.zone.name}",
            rule=self.rule,
        )
