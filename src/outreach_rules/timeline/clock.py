"""Where ``now`` comes from: always from the caller, never from the library's own wall clock."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, runtime_checkable

import pendulum

from outreach_rules.timeline.instants import as_datetime

__all__ = ["Clock", "FrozenClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that can say what time it is, as an aware datetime."""

    def now(self) -> dt.datetime:
        """The current instant."""


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
