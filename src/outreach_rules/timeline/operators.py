"""The next-allowed algebra: guards as operators on instants, and their least fixpoint.

A guard stands for a set of allowed instants. Its operator ``next_allowed(t)`` returns the
least allowed instant at or after ``t``, or ``Blocked`` when there is none. Such an
operator is extensive (``next_allowed(t) >= t``), monotone and idempotent, so applying a
set of guards in turn until none moves ``t`` reaches the least instant that all of them
allow: the fixpoint exists, is unique and is the earliest allowed instant, whatever the
order in which the guards are applied.

Instants here are integer seconds since the epoch; local-time guards live in
``outreach_rules.timeline.calendar``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Protocol

import attrs

from outreach_rules.errors import MaxIterationsReached

__all__ = [
    "Blocked",
    "Cap",
    "Guard",
    "Intervals",
    "Move",
    "Never",
    "NotBefore",
    "Settlement",
    "settle",
]


@attrs.frozen
class Blocked:
    """No allowed instant: for good, or until the event named by ``waiting_for`` happens."""

    reason: str
    waiting_for: str | None = None


class Guard(Protocol):
    """An operator on instants that only ever moves them later."""

    @property
    def rule(self) -> str:
        """The id of the rule the guard enforces."""

    @property
    def why(self) -> str:
        """What the guard enforces, in words a support agent understands."""

    def next_allowed(self, t: int, /) -> int | Blocked:
        """The least allowed instant at or after ``t``, or why there is none."""


@attrs.frozen
class Never:
    """A guard that allows nothing: a missing consent, a cap of zero."""

    rule: str
    why: str
    waiting_for: str | None = None

    def next_allowed(self, t: int, /) -> Blocked:
        return Blocked(self.why, self.waiting_for)


@attrs.frozen
class NotBefore:
    """Allows every instant from ``instant`` on."""

    rule: str
    why: str
    instant: int

    def next_allowed(self, t: int, /) -> int:
        return max(t, self.instant)


def _sorted_spans(spans: Iterable[tuple[int, int | None]]) -> tuple[tuple[int, int | None], ...]:
    return tuple(sorted(spans, key=_span_key))


def _sorted_times(times: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(times))


def _span_key(span: tuple[int, int | None]) -> tuple[int, float]:
    start, end = span
    return start, float("inf") if end is None else end


@attrs.frozen
class Intervals:
    """Allows every instant outside the half-open spans ``[start, end)``.

    A span whose end is ``None`` is open: from its start on nothing is allowed until the
    event named by ``waiting_for`` happens (a complaint that is still open).
    """

    rule: str
    why: str
    spans: tuple[tuple[int, int | None], ...] = attrs.field(converter=_sorted_spans)
    waiting_for: str | None = None

    def next_allowed(self, t: int, /) -> int | Blocked:
        # Spans are few and sorted by start; one sweep carries t over overlapping spans.
        for start, end in self.spans:
            if start > t:
                break
            if end is None:
                return Blocked(self.why, self.waiting_for)
            t = max(t, end)
        return t


@attrs.frozen
class Cap:
    """Allows an instant when one more contact there keeps every rolling window legal.

    A window is any half-open stretch ``[s, s + period)``; it may hold at most ``limit``
    contacts. ``times`` are the contacts already made or placed that the cap counts.
    """

    rule: str
    why: str
    limit: int
    period: int
    times: tuple[int, ...] = attrs.field(converter=_sorted_times)

    def next_allowed(self, t: int, /) -> int | Blocked:
        if self.limit <= 0:
            return Blocked(self.why)
        # Allowed turns from false to true only where a contact leaves the windows that
        # contain the candidate, so the candidates are t and each contact's time + period.
        start = bisect.bisect_right(self.times, t - self.period)
        for candidate in (t, *(time + self.period for time in self.times[start:])):
            if candidate >= t and self._fits(candidate):
                return candidate
        raise AssertionError(
            "a cap always allows the instant after its last window"
        )  # pragma: no cover

    def _fits(self, candidate: int) -> bool:
        times, period = self.times, self.period
        # The fullest window that contains the candidate starts at a contact inside
        # (candidate - period, candidate] or at the candidate itself.
        low = bisect.bisect_right(times, candidate - period)
        high = bisect.bisect_right(times, candidate)
        for start in (*times[low:high], candidate):
            inside = bisect.bisect_left(times, start + period) - bisect.bisect_left(times, start)
            if inside + 1 > self.limit:
                return False
        return True


@attrs.frozen
class Move:
    """One step of the fixpoint: ``guard`` moved the instant from ``start`` to ``end``."""

    guard: Guard
    start: int
    end: int


@attrs.frozen
class Settlement:
    """Where the fixpoint came to rest, and how it got there.

    Exactly one of ``at`` (the earliest instant every guard allows), ``blocked`` (the guard
    that allows nothing more, with its reason) and ``expired`` (the instant passed the
    expiry) describes the outcome.
    """

    at: int | None
    moves: tuple[Move, ...]
    blocked: tuple[Guard, Blocked] | None = None
    expired: bool = False


def settle(
    guards: Sequence[Guard],
    start: int,
    *,
    expires: int | None = None,
    max_moves: int = 1_000,
) -> Settlement:
    """Apply ``guards`` in turn from ``start`` until none moves the instant.

    The instant may not pass ``expires`` (inclusive). Raises
    [`MaxIterationsReached`][outreach_rules.MaxIterationsReached] when the guards have moved it
    ``max_moves`` times without agreeing, which only guards that break the contract of
    ``Guard``, or a calendar with no allowed day in years, can do.
    """
    t = start
    moves: list[Move] = []
    if expires is not None and t > expires:
        return Settlement(None, (), expired=True)
    count = len(guards)
    index = unmoved = 0
    while unmoved < count:
        guard = guards[index]
        result = guard.next_allowed(t)
        if isinstance(result, Blocked):
            return Settlement(None, tuple(moves), blocked=(guard, result))
        if result < t:
            raise AssertionError(f"guard {guard.rule!r} moved {t} back to {result}: not extensive")
        if result > t:
            moves.append(Move(guard, t, result))
            if len(moves) >= max_moves:
                raise MaxIterationsReached(
                    f"guards {sorted({m.guard.rule for m in moves})} moved the instant "
                    f"{max_moves} times without agreeing",
                    field="guards",
                    hint="check that the rules leave some instant allowed",
                )
            t = result
            # The guard that moved t must agree too: a guard that keeps moving its own
            # answer breaks the contract, and is caught by max_moves instead of trusted.
            unmoved = 0
            if expires is not None and t > expires:
                return Settlement(None, tuple(moves), expired=True)
        else:
            unmoved += 1
        index = (index + 1) % count
    return Settlement(t, tuple(moves))
