"""The next-allowed operators and their fixpoint, against minute-by-minute oracles.

Each oracle says whether one instant is allowed, straight from the guard's definition; the
least allowed instant is then found by trying every minute in turn.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach_rules.errors import MaxIterationsReached, OutreachRulesError
from outreach_rules.testing import epoch_instants, zones
from outreach_rules.timeline.calendar import Hours, HourSpan, LocalTime
from outreach_rules.timeline.operators import (
    Blocked,
    Cap,
    Intervals,
    Never,
    NotBefore,
    Settlement,
    settle,
)
from outreach_rules.timeline.zone import zone

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from outreach_rules.timeline.operators import Guard

MINUTE, HOUR, DAY = 60, 3_600, 86_400
RANGE = {"start": "2024-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def never_dead(_: int) -> bool:
    return False


@attrs.frozen
class Case:
    """A guard with its oracle: whether an instant is allowed, and whether none is from then on."""

    guard: Guard
    allowed: Callable[[int], bool] = attrs.field(repr=False)
    dead: Callable[[int], bool] = attrs.field(default=never_dead, repr=False)


def first_allowed(cases: Sequence[Case], t: int, horizon: int) -> int | None:
    """The first minute from ``t`` that every case allows, or None if none does."""
    for x in range(t, t + horizon + 1, MINUTE):
        if any(case.dead(x) for case in cases):
            return None
        if all(case.allowed(x) for case in cases):
            return x
    raise AssertionError(f"the oracle's horizon of {horizon} s is too short")


def check_guard(case: Case, t: int, later: int, *, horizon: int) -> None:
    """The guard's answer from ``t`` is the oracle's, and the guard is a closure operator."""
    result = case.guard.next_allowed(t)
    expected = first_allowed([case], t, horizon)
    if expected is None:
        assert isinstance(result, Blocked)
        assert result.reason == case.guard.why
        assert isinstance(case.guard.next_allowed(max(t, later)), Blocked)
        return
    assert result == expected
    assert case.guard.next_allowed(result) == result
    moved = case.guard.next_allowed(later)
    assert isinstance(moved, Blocked) or moved >= result


# --- oracles and strategies for each guard -------------------------------------------------

offsets = st.integers(-300, 300).map(lambda minutes: minutes * MINUTE)


def not_before_case(instant: int) -> Case:
    return Case(NotBefore("not-before", "wait", instant), lambda x: x >= instant)


@st.composite
def interval_cases(draw: st.DrawFn, t: int, *, open_spans: bool = True) -> Case:
    spans: list[tuple[int, int | None]] = []
    for _ in range(draw(st.integers(0, 4))):
        start = t + draw(offsets)
        length = draw(st.integers(0, 300)) * MINUTE
        is_open = open_spans and draw(st.integers(0, 4)) == 0
        spans.append((start, None if is_open else start + length))
    closed = [(s, e) for s, e in spans if e is not None]
    opened = [s for s, e in spans if e is None]
    return Case(
        Intervals("blackout", "a blackout period", spans, waiting_for="incident_resolved"),
        lambda x: not any(s <= x < e for s, e in closed) and not any(s <= x for s in opened),
        lambda x: any(s <= x for s in opened),
    )


def cap_oracle(times: Sequence[int], limit: int, period: int) -> Callable[[int], bool]:
    """Whether one more contact at x keeps every window [s, s + period) that holds it legal.

    With contacts and period in whole minutes, windows that start between two whole minutes
    hold the same contacts as the one starting at the later minute.
    """

    @functools.cache
    def held(s: int) -> int:
        return sum(1 for c in times if s <= c < s + period)

    def allowed(x: int) -> bool:
        return all(held(s) + 1 <= limit for s in range(x - period + MINUTE, x + MINUTE, MINUTE))

    return allowed


@st.composite
def cap_cases(draw: st.DrawFn, t: int, *, min_limit: int = 0) -> Case:
    limit = draw(st.integers(min_limit, 4))
    period = draw(st.integers(1, 180)) * MINUTE
    times = draw(st.lists(st.integers(-240, 240).map(lambda m: t + m * MINUTE), max_size=8))
    return Case(
        Cap("pressure", "too many contacts", limit, period, times),
        cap_oracle(times, limit, period),
        lambda _: limit <= 0,
    )


@st.composite
def hours_cases(draw: st.DrawFn, name: str) -> Case:
    """Allowed hours of an hour or more a day, so that every day has some allowed minutes."""
    spans = []
    for _ in range(draw(st.integers(1, 2))):
        start = draw(st.integers(0, 1_440 - 61))
        end = draw(st.integers(start + 61, 1_440))
        days = draw(st.frozensets(st.integers(0, 6), min_size=1))
        spans.append(HourSpan(days, start * MINUTE, end * MINUTE))
    rule = Hours(tuple(spans))
    tz = zoneinfo.ZoneInfo(name)

    def allowed(x: int) -> bool:
        moment = dt.datetime.fromtimestamp(x, tz)
        seconds = moment.hour * HOUR + moment.minute * MINUTE + moment.second
        return any(moment.weekday() in s.days and s.start <= seconds < s.end for s in rule.spans)

    return Case(LocalTime("quiet-hours", "outside calling hours", zone(name), rule), allowed)


def never_case() -> Case:
    return Case(
        Never("consent", "no marketing consent", "opted_in"),
        lambda _: False,
        lambda _: True,
    )


# --- each guard --------------------------------------------------------------------------------


def test_never_allows_nothing_and_says_what_it_waits_for() -> None:
    guard = Never("consent", "no marketing consent", waiting_for="opted_in")
    assert guard.next_allowed(START) == Blocked("no marketing consent", "opted_in")


@given(t=epoch_instants(**RANGE), instant=offsets, later=offsets)
def test_not_before(t: int, instant: int, later: int) -> None:
    check_guard(not_before_case(t + instant), t, t + abs(later), horizon=6 * HOUR)


@settings(max_examples=200)
@given(t=epoch_instants(**RANGE), later=offsets, data=st.data())
def test_intervals(t: int, later: int, data: st.DataObject) -> None:
    case = data.draw(interval_cases(t), label="case")
    check_guard(case, t, t + abs(later), horizon=11 * HOUR)


def test_intervals_carry_over_overlapping_and_adjacent_spans() -> None:
    guard = Intervals("blackout", "why", [(START + 50, START + 80), (START, START + 60)])
    assert guard.spans == ((START, START + 60), (START + 50, START + 80))
    assert guard.next_allowed(START + 10) == START + 80
    adjacent = Intervals("blackout", "why", [(START, START + 60), (START + 60, START + 120)])
    assert adjacent.next_allowed(START) == START + 120
    assert adjacent.next_allowed(START - 1) == START - 1


def test_an_open_interval_waits_for_its_event() -> None:
    guard = Intervals("complaint", "an open complaint", [(START, None)], "complaint_resolved")
    assert guard.next_allowed(START - 1) == START - 1
    assert guard.next_allowed(START + 5) == Blocked("an open complaint", "complaint_resolved")


@settings(max_examples=200)
@given(t=epoch_instants(**RANGE), later=offsets, data=st.data())
def test_cap(t: int, later: int, data: st.DataObject) -> None:
    case = data.draw(cap_cases(t), label="case")
    check_guard(case, t, t + abs(later), horizon=8 * HOUR)


@pytest.mark.parametrize("limit", [0, -1])
def test_a_cap_of_zero_blocks(limit: int) -> None:
    cap = Cap("pressure", "no contacts allowed", limit, DAY, ())
    assert cap.next_allowed(START) == Blocked("no contacts allowed")


@settings(max_examples=200)
@given(
    t=epoch_instants(**RANGE),
    limit=st.integers(1, 4),
    period=st.integers(1, 180),
    requests=st.lists(st.integers(0, 600), min_size=1, max_size=10),
)
def test_cap_places_contacts_greedily_and_no_window_overflows(
    t: int, limit: int, period: int, requests: list[int]
) -> None:
    period *= MINUTE
    placed: list[int] = []
    for request in requests:
        wanted = t + request * MINUTE
        got = Cap("pressure", "too many", limit, period, placed).next_allowed(wanted)
        allowed = cap_oracle(placed, limit, period)
        least = wanted
        while not allowed(least):
            least += MINUTE
        assert got == least
        placed.append(got)
    for s in range(min(placed) - period, max(placed) + MINUTE, MINUTE):
        assert sum(1 for c in placed if s <= c < s + period) <= limit


def test_cap_examples() -> None:
    # Two contacts a day at most; contacts at 09:00 and 15:00 on day one.
    cap = Cap("pressure", "two a day", 2, DAY, (START + 9 * HOUR, START + 15 * HOUR))
    assert cap.next_allowed(START + 16 * HOUR) == START + DAY + 9 * HOUR
    assert cap.next_allowed(START + 8 * HOUR - DAY) == START + 8 * HOUR - DAY
    # The window is half-open: a day after the first contact, it has left the window.
    assert cap.next_allowed(START + DAY + 9 * HOUR) == START + DAY + 9 * HOUR
    # Before both, a third contact would fill a window with the two later ones.
    assert cap.next_allowed(START) == START + DAY + 9 * HOUR


# --- settle ------------------------------------------------------------------------------------


@st.composite
def guard_sets(draw: st.DrawFn, t: int) -> list[Case]:
    name = draw(zones())
    kinds = st.sampled_from(["not before", "intervals", "cap", "hours"] * 3 + ["never"])
    drawn = draw(st.lists(kinds, min_size=1, max_size=4))
    # One set of allowed hours at most: two could leave no hour allowed by both.
    if drawn.count("hours") > 1:
        drawn = [kind for kind in drawn if kind != "hours"] + ["hours"]
    cases = []
    for kind in drawn:
        if kind == "not before":
            cases.append(not_before_case(t + draw(offsets)))
        elif kind == "intervals":
            cases.append(draw(interval_cases(t)))
        elif kind == "cap":
            cases.append(draw(cap_cases(t, min_limit=1)))
        elif kind == "hours":
            cases.append(draw(hours_cases(name)))
        else:
            cases.append(never_case())
    return cases


def check_moves(result: Settlement, start: int) -> None:
    """The moves chain from ``start``, each later than the one before."""
    t = start
    for move in result.moves:
        assert move.start == t
        assert move.end > t
        t = move.end
    if result.at is not None:
        assert result.at == t


@settings(max_examples=150, deadline=None)
@given(
    start=epoch_instants(**RANGE),
    data=st.data(),
    expiry=st.one_of(st.none(), st.integers(-5, 3 * 1_440)),
)
def test_settle_finds_the_least_instant_every_guard_allows(
    start: int, data: st.DataObject, expiry: int | None
) -> None:
    cases = data.draw(guard_sets(start), label="cases")
    guards = [case.guard for case in cases]
    expires = None if expiry is None else start + expiry * MINUTE
    answer = first_allowed(cases, start, 9 * DAY)
    permuted = data.draw(st.permutations(guards), label="permuted")
    for result in (
        settle(guards, start, expires=expires),
        settle(permuted, start, expires=expires),
    ):
        check_moves(result, start)
        if expires is not None and start > expires:
            assert result == Settlement(None, (), expired=True)
        elif answer is None:
            assert result.at is None
            assert result.expired or result.blocked is not None
            if expires is None:
                assert result.blocked is not None
            if result.blocked is not None:
                guard, blocked = result.blocked
                assert guard in guards
                assert blocked.reason == guard.why
        elif expires is not None and answer > expires:
            assert result.at is None
            assert result.expired
        else:
            assert result.at == answer
            assert not result.expired
            assert result.blocked is None


def test_settle_without_guards_keeps_the_start() -> None:
    assert settle([], START) == Settlement(START, ())


def test_settle_expiry_is_inclusive() -> None:
    wait = NotBefore("not-before", "wait", START + HOUR)
    assert settle([wait], START, expires=START + HOUR).at == START + HOUR
    late = settle([wait], START, expires=START + HOUR - 1)
    assert (late.at, late.expired) == (None, True)
    assert settle([wait], START, expires=START - 1) == Settlement(None, (), expired=True)


def test_settle_reports_the_blocking_guard() -> None:
    never = Never("consent", "no marketing consent", "opted_in")
    result = settle([NotBefore("not-before", "wait", START + HOUR), never], START)
    assert result.at is None
    assert result.blocked == (never, Blocked("no marketing consent", "opted_in"))
    assert not result.expired


def test_settle_leapfrogs_quiet_hours_and_a_cap() -> None:
    hours = Hours((HourSpan(range(7), 9 * HOUR, 20 * HOUR),))
    london = LocalTime("quiet-hours", "between 09:00 and 20:00", zone("Europe/London"), hours)
    cap = Cap("pressure", "one a day", 1, DAY, (START + 10 * HOUR,))
    # 2026-01-01 10:00 GMT holds a contact: the next is a day later, inside the hours.
    result = settle([london, cap], START + 21 * HOUR)
    assert result.at == START + DAY + 10 * HOUR
    assert [move.guard for move in result.moves] == [london, cap]


@attrs.frozen
class Creep:
    """A guard that breaks the contract: it never allows the instant it is given."""

    rule: str = "creep"
    why: str = "always a minute more"

    def next_allowed(self, t: int, /) -> int:
        return t + MINUTE


@pytest.mark.parametrize("others", [[], [NotBefore("not-before", "wait", START + HOUR)]])
def test_settle_raises_when_a_guard_never_agrees(others: list[Guard]) -> None:
    with pytest.raises(MaxIterationsReached) as raised:
        settle([*others, Creep()], START, max_moves=50)
    assert isinstance(raised.value, OutreachRulesError)
    assert isinstance(raised.value, RuntimeError)
    assert "creep" in str(raised.value)
    assert "50 times" in str(raised.value)
