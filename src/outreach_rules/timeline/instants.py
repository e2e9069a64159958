"""Instants and durations at the library's edge: accepting them, and adding them in a zone.

An instant is accepted as an aware ``datetime.datetime``, a pendulum ``DateTime``
or an ISO 8601 string with an offset (``2026-12-10T14:00:00Z``). A naive datetime, or a
string without an offset, is an error: the library never guesses a zone. Instants are
kept to the whole second; inside the planner they are integer seconds since the epoch.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from typing import TYPE_CHECKING, Any

import attrs
import pendulum

from outreach_rules._checks import is_whole
from outreach_rules.errors import TimeError
from outreach_rules.timeline.zone import (
    ACCEPTED_SPAN,
    ACCEPTED_YEARS,
    DAY,
    date_of_wall,
    wall_of_date,
)

if TYPE_CHECKING:
    from outreach_rules.timeline.zone import Zone

__all__ = [
    "Duration",
    "InstantLike",
    "Seconds",
    "as_datetime",
    "checked",
    "epoch",
    "from_epoch",
    "local",
]

InstantLike = dt.datetime | str
_HINT = (
    "give an aware datetime or an ISO 8601 string with an offset, such as '2026-12-10T14:00:00Z'"
)


def as_datetime(value: Any, field: str = "at") -> pendulum.DateTime:
    """Coerce an accepted instant to a pendulum ``DateTime`` in UTC, whole seconds."""
    if type(value) is pendulum.DateTime and value.tzinfo is _UTC and not value.microsecond:
        # Already what this returns (the planner hands its own instants back in).
        return value
    return from_epoch(epoch(value, field))


def epoch(value: Any, field: str = "at") -> int:
    """Coerce an accepted instant to integer seconds since the epoch."""
    given = value
    if isinstance(value, str):
        value = _parse(value, field)
    elif not isinstance(value, dt.datetime):
        raise TimeError(
            f"must be an instant, not {type(value).__name__}", field=field, value=value, hint=_HINT
        )
    offset = value.utcoffset() if value.tzinfo is not None else None
    if offset is None:
        raise TimeError(
            "is a naive datetime; the library never guesses its time zone",
            field=field,
            value=value,
            hint=_HINT,
        )
    if offset.microseconds:
        raise TimeError(
            "has a UTC offset with a fraction of a second",
            field=field,
            value=value,
            hint="no time zone has one; give the offset in whole seconds or minutes",
        )
    seconds = int(value.timestamp() // 1)
    if not ACCEPTED_SPAN[0] <= seconds < ACCEPTED_SPAN[1]:
        first, last = ACCEPTED_YEARS
        raise TimeError(
            "is outside the years the library handles",
            field=field,
            value=given if isinstance(given, str) else value.isoformat(),
            hint=f"instants must fall in the years {first} to {last}",
        )
    return seconds


class Seconds(int):
    """Epoch seconds already checked: what value objects keep inside.

    A plain int is not an accepted instant (it says nothing of its unit or zone); this
    subclass marks one the library made itself, so ``attrs.evolve`` can pass it back.
    """

    __slots__ = ()


def checked(value: Any, field: str) -> Seconds:
    """``value`` as ``Seconds``, accepting what ``epoch`` accepts."""
    return value if isinstance(value, Seconds) else Seconds(epoch(value, field))


# pendulum.from_timestamp converts through several layers; the constructor from the
# broken-down time is about nine times faster, and plans build many instants.
def from_epoch(seconds: int) -> pendulum.DateTime:
    """The pendulum ``DateTime`` in UTC for integer seconds since the epoch."""
    return pendulum.DateTime(*time.gmtime(seconds)[:6], tzinfo=_UTC)


def local(seconds: int, zone: Zone) -> pendulum.DateTime:
    """The pendulum ``DateTime`` in ``zone`` for integer seconds since the epoch."""
    wall = zone.to_wall(seconds)
    # The second of two instants with the same wall time (clocks falling back) has fold 1.
    fold = 0 if zone.from_wall(wall) == seconds else 1
    return pendulum.DateTime(*time.gmtime(wall)[:6], tzinfo=_timezone(zone.name), fold=fold)


_UTC = pendulum.UTC


@functools.cache
def _timezone(name: str) -> pendulum.Timezone | pendulum.FixedTimezone:
    return pendulum.timezone(name)


def _parse(text: str, field: str) -> dt.datetime:
    if re.search(r"[+-]\d\d:?\d\d:?\d\d\.\d+$", text.strip()):
        raise TimeError(
            "has a UTC offset with a fraction of a second",
            field=field,
            value=text,
            hint="no time zone has one; give the offset in whole seconds or minutes",
        )
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeError("is not an ISO 8601 instant", field=field, value=text, hint=_HINT) from None
    if parsed.tzinfo is None:
        raise TimeError(
            "has no UTC offset; the library never guesses its time zone",
            field=field,
            value=text,
            hint=_HINT,
        )
    return parsed


_UNITS = {
    "year": ("months", 12),
    "month": ("months", 1),
    "week": ("days", 7),
    "day": ("days", 1),
    "hour": ("seconds", 3_600),
    "minute": ("seconds", 60),
    "second": ("seconds", 1),
}
_WORDS = re.compile(r"\s*(-?\d+)\s*(year|month|week|day|hour|minute|second)s?\s*(?:,|and)?", re.I)
_ISO = re.compile(
    r"(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.I,
)
_DURATION_HINT = "write it as '3 days', '2 hours 30 minutes', '1 year' or ISO 8601 such as 'P3D'"


def _whole(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not is_whole(value):
        raise TimeError("must be a whole number", field=f"duration.{attribute.name}", value=value)


@attrs.frozen(kw_only=True)
class Duration:
    """A length of time: calendar months, calendar days and exact seconds.

    Months (a year is 12) and days are counted on the customer's own calendar, as pendulum
    does: three days after 14:00 is 14:00 local time, across a change of clocks too. Hours,
    minutes and seconds are exact. A duration may be negative ("3 days before").
    """

    months: int = attrs.field(default=0, validator=_whole)
    days: int = attrs.field(default=0, validator=_whole)
    seconds: int = attrs.field(default=0, validator=_whole)

    @seconds.validator
    def _one_direction(self, _: attrs.Attribute[int], seconds: int) -> None:
        signs = {part > 0 for part in (self.months, self.days, seconds) if part}
        if len(signs) > 1:
            raise TimeError(
                "mixes forward and backward parts",
                field="duration",
                value=(self.months, self.days, seconds),
                hint="a duration goes one way: write '-3 days', not '1 month -3 days'",
            )

    @classmethod
    def of(
        cls,
        *,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
    ) -> Duration:
        """Build a duration from the usual units."""
        return cls(
            months=12 * years + months,
            days=7 * weeks + days,
            seconds=3_600 * hours + 60 * minutes + seconds,
        )

    @classmethod
    def parse(cls, text: str, field: str = "duration") -> Duration:
        """Read ``'3 days'``, ``'1 year 2 months'``, ``'-3 days'`` or ISO 8601 ``'P3D'``."""
        if isinstance(text, Duration):
            return text
        if not isinstance(text, str) or not text.strip():
            raise TimeError("is not a duration", field=field, value=text, hint=_DURATION_HINT)
        stripped = text.strip()
        iso = _ISO.fullmatch(stripped)
        if iso and stripped.upper() not in ("P", "-P", "PT", "-PT"):
            parts = {k: int(v) for k, v in iso.groupdict().items() if k != "sign" and v}
            found = cls.of(**parts)
            return found.negated() if iso.group("sign") else found
        totals = {"months": 0, "days": 0, "seconds": 0}
        position = 0
        # A leading minus sign turns the whole duration around, as str() writes it and as
        # in ISO 8601's '-P1Y2M': '-1 year 2 months' is 14 months back, not 10.
        backward = stripped.startswith("-")
        for match in _WORDS.finditer(stripped):
            if match.start() != position:
                break
            unit, factor = _UNITS[match.group(2).lower()]
            amount = int(match.group(1))
            totals[unit] += (-abs(amount) if backward else amount) * factor
            position = match.end()
        if position == 0 or position != len(stripped):
            raise TimeError("is not a duration", field=field, value=text, hint=_DURATION_HINT)
        return cls(**totals)

    @property
    def is_exact(self) -> bool:
        """True when the duration has no calendar months, so it is a fixed number of seconds
        once days are counted as 24 hours."""
        return self.months == 0

    def total_seconds(self) -> int:
        """The length in seconds, counting a day as 24 hours; months have no fixed length."""
        if self.months:
            raise TimeError(
                "has calendar months, which have no fixed length",
                field="duration",
                value=str(self),
                hint="write it in days, such as '365 days'",
            )
        return self.days * DAY + self.seconds

    def negated(self) -> Duration:
        """The same length in the other direction."""
        return Duration(months=-self.months, days=-self.days, seconds=-self.seconds)

    def add_to(self, instant: int, zone: Zone, times: int = 1) -> int:
        """``instant`` moved by this duration ``times`` over, calendar parts counted in ``zone``."""
        months, days = self.months * times, self.days * times
        if months:
            wall = zone.to_wall(instant)
            date = _add_months(date_of_wall(wall), months)
            instant = zone.from_wall(wall_of_date(date) + days * DAY + wall % DAY)
        elif days:
            instant = zone.from_wall(zone.to_wall(instant) + days * DAY)
        return instant + self.seconds * times

    def __str__(self) -> str:
        return _text(self.months, self.days, self.seconds)


@functools.lru_cache(maxsize=1024)
def _text(months: int, days: int, seconds: int) -> str:
    parts = []
    years, months_left = divmod(abs(months), 12)
    weeks, days_left = divmod(abs(days), 7) if days % 7 == 0 else (0, abs(days))
    hours, rest = divmod(abs(seconds), 3_600)
    minutes, secs = divmod(rest, 60)
    for amount, unit in (
        (years, "year"),
        (months_left, "month"),
        (weeks, "week"),
        (days_left, "day"),
        (hours, "hour"),
        (minutes, "minute"),
        (secs, "second"),
    ):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    negative = months < 0 or days < 0 or seconds < 0
    text = " ".join(parts) or "0 seconds"
    return f"-{text}" if negative and parts else text


def _add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return date.replace(year=year, month=month, day=min(date.day, last_day))
