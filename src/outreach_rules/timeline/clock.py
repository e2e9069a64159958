"""Where ``now`` comes from: always from the caller, never from the library's own wall clock."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, runtime_checkable

import pendulum

from outreach_rules.timeline.instants import as_datetime, epoch

__all__ = ["Clock", "FrozenClock", "now_epoch"]


@runtime_checkable
class Clock(Protocol):
    """Anything that can say what time it is, as an aware datetime."""

    def now(self) -> dt.datetime:
        """The current instant."""


def now_epoch(now: Any) -> int:
    """Epoch seconds of ``now``: an accepted instant, or a ``Clock`` to ask."""
    # Every datetime has a now() classmethod, so it would pass for a Clock: the wall clock
    # must never be read here, hence instants first.
    if isinstance(now, dt.datetime | str) or not isinstance(now, Clock):
        return epoch(now, "now")
    return epoch(now.now(), "now")


class FrozenClock:
    """A clock that stands still until told to move: for tests and simulations."""

    __slots__ = ("_at",)

    def __init__(self, at: Any) -> None:
        self._at = as_datetime(at, "now")

    def __repr__(self) -> str:
        return f"FrozenClock({self._at.isoformat()!r})"

    def now(self) -> pendulum.DateTime:
        """The instant the clock stands at."""
        return self._at

    def set(self, at: Any) -> None:
        """Stand the clock at ``at``."""
        self._at = as_datetime(at, "now")

    def advance(self, **units: int) -> pendulum.DateTime:
        """Move the clock forward by pendulum units (``days=3``, ``hours=2``)."""
        self._at = self._at.add(**units)
        return self._at
