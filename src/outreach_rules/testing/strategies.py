"""Hypothesis strategies for time zones and instants, biased towards tricky local times.

Local-time rules break where the local calendar is irregular: around a change of clocks
(a skipped or a repeated hour), at the end of a month and on February 29. The instant
strategies pick such moments much more often than a uniform draw would, and ordinary
instants too, so that a property that holds on them holds everywhere.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from outreach_rules.timeline.instants import epoch, from_epoch
from outreach_rules.timeline.zone import DAY, Zone, date_of_wall, wall_of_date
from outreach_rules.timeline.zone import zone as zone_named

if TYPE_CHECKING:
    import pendulum

    from outreach_rules.timeline.instants import InstantLike

__all__ = ["ZONE_NAMES", "epoch_instants", "instants", "zones"]

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

    The names are :data:`ZONE_NAMES`; pass one to :func:`outreach_rules.timeline.zone.zone`
    for its :class:`~outreach_rules.timeline.zone.Zone`.
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
    Without ``zone``, a zone is drawn from :func:`zones` for each instant.
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

    They are drawn as by :func:`epoch_instants`, which describes the arguments.
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
