"""Assertions about plans, whose failure messages show why the plan says what it says.

Each raises ``AssertionError`` with the decision's trace (every rule consulted, what it
did and why), or the whole plan's explanation when the decision is missing, so a failing
test says which rule put the message where it is::

    from outreach_rules.testing import assert_scheduled

    assert_scheduled(result, "review_request", ref="o1", channel="email",
                     between=("2026-06-06 09:00", "2026-06-06 20:00"))

Times in ``between`` and ``before`` take three forms, told apart by how they are written:

- ``"HH:MM"`` (``between`` only): a time of day on the customer's clock, any day. A pair
  whose start is later than its end runs past midnight (``("20:00", "09:00")``);
- a date and time **without** an offset (``"2026-06-06 09:00"`` or ``"2026-06-06T09:00"``):
  what the customer's clock shows, in the plan's customer's time zone. Nothing is
  guessed: the zone is the customer's, always;
- an instant: an aware ``datetime`` or an ISO 8601 string **with** an offset
  (``"2026-06-06T08:00:00Z"``). A naive ``datetime`` is refused, as everywhere in the
  library: write its local time as a string instead.

``between`` is a closed range: both ends are included, so ``("09:00", "09:00")`` pins a
send time to 09:00 sharp. ``assert_within_hours`` reads like a policy's allowed hours
instead: from ``start`` up to, not including, ``end``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from outreach_rules.errors import InputError, VocabularyError
from outreach_rules.explain import decision_text, format_local
from outreach_rules.model import Channel, Decision, Effect, Plan, Status, vocabulary
from outreach_rules.timeline.instants import epoch
from outreach_rules.timeline.zone import DAY, Zone, wall_of_date

__all__ = [
    "ABSENT",
    "Expectation",
    "assert_not_scheduled",
    "assert_scheduled",
    "assert_within_hours",
]

ABSENT = "absent"
"""The status an ``Expectation`` gives for "no decision at all"."""

_CLOCK = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)|(?P<midnight>24:00)")
_TIME_HINT = (
    "write 'HH:MM' for a time of day, '2026-06-06 09:00' for the customer's local clock, or "
    "an instant with an offset such as '2026-06-06T08:00:00Z'"
)


@attrs.frozen
class _Point:
    """A moment to compare send times with: an instant, or a reading of the customer's clock."""

    seconds: int
    local: bool
    text: str

    def of(self, decision: Decision, zone: Zone) -> int:
        """The decision's send time in the same terms (instant or local wall seconds)."""
        assert decision.send_at is not None
        moment = epoch(decision.send_at)
        return zone.to_wall(moment) if self.local else moment

    def describe(self, zone: Zone) -> str:
        return f"{self.text} local time ({zone.name})" if self.local else self.text


@attrs.frozen
class _Clock:
    """A time of day, in seconds after midnight on the customer's clock."""

    seconds: int
    text: str


def _clock(value: Any) -> _Clock | None:
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match:
            if match.group("midnight"):
                return _Clock(DAY, "24:00")
            return _Clock(3_600 * int(match["hour"]) + 60 * int(match["minute"]), value.strip())
    return None


def _point(value: Any, field: str) -> _Point:
    if _clock(value) is not None:
        raise InputError(
            "is a time of day, which names no particular day",
            field=field,
            value=value,
            hint="write the date too, such as '2026-06-06 09:00'",
        )
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(
                "is a naive datetime; the library never guesses its time zone",
                field=field,
                value=value,
                hint="give an aware datetime, or the customer's local time as a string "
                "such as '2026-06-06 09:00'",
            )
        return _Point(epoch(value, field), local=False, text=value.isoformat())
    if not isinstance(value, str):
        raise InputError(
            f"must be a time, not {type(value).__name__}", field=field, value=value, hint=_TIME_HINT
        )
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            "is not a time I can read", field=field, value=value, hint=_TIME_HINT
        ) from None
    if parsed.tzinfo is not None:
        return _Point(epoch(text, field), local=False, text=text)
    wall = wall_of_date(parsed.date()) + 3_600 * parsed.hour + 60 * parsed.minute + parsed.second
    return _Point(wall, local=True, text=parsed.strftime("%Y-%m-%d %H:%M"))


class _Window:
    """The ``between`` of an expectation: two times of day, or two points, both included."""

    def __init__(self, between: Any) -> None:
        if isinstance(between, str) or not isinstance(between, Sequence) or len(between) != 2:
            raise InputError(
                "must be a pair (start, end)",
                field="between",
                value=between,
                hint="such as ('09:00', '12:00') or ('2026-06-06 09:00', '2026-06-06 12:00')",
            )
        start, end = between
        first, last = _clock(start), _clock(end)
        self.clocks: tuple[_Clock, _Clock] | None = None
        self.points: tuple[_Point, _Point] | None = None
        if first is not None and last is not None:
            self.clocks = (first, last)
            return
        if first is not None or last is not None:
            raise InputError(
                "mixes a time of day with a date",
                field="between",
                value=list(between),
                hint="give two times of day ('09:00', '12:00') or two dates and times",
            )
        low, high = _point(start, "between[0]"), _point(end, "between[1]")
        if low.local != high.local:
            raise InputError(
                "mixes a local time with an instant",
                field="between",
                value=list(between),
                hint="write both ends on the customer's clock, or both with an offset",
            )
        if low.seconds > high.seconds:
            raise InputError("ends before it starts", field="between", value=list(between))
        self.points = (low, high)

    def holds(self, decision: Decision, zone: Zone) -> bool:
        assert decision.send_at is not None
        if self.clocks is not None:
            start, end = self.clocks
            return _in_day(zone.to_wall(epoch(decision.send_at)) % DAY, start, end, closed=True)
        assert self.points is not None
        low, high = self.points
        return low.seconds <= low.of(decision, zone) <= high.seconds

    def describe(self, zone: Zone) -> str:
        if self.clocks is not None:
            start, end = self.clocks
            return f"between {start.text} and {end.text} local time ({zone.name})"
        assert self.points is not None
        low, high = self.points
        if low.text == high.text:
            return f"at {low.describe(zone)}"
        if low.local:
            return f"between {low.text} and {high.text} local time ({zone.name})"
        return f"between {low.text} and {high.text}"


def _in_day(second: int, start: _Clock, end: _Clock, *, closed: bool) -> bool:
    """Whether a second of the day lies from ``start`` to ``end``, across midnight if need be."""
    before_end = second <= end.seconds if closed else second < end.seconds
    if start.seconds <= end.seconds:
        return start.seconds <= second and before_end
    return second >= start.seconds or before_end


def _channel(value: Any) -> Channel | None:
    return None if value is None else vocabulary(Channel, "channel")(value)


def _status(value: Any) -> Status | str:
    if value == ABSENT:
        return ABSENT
    if isinstance(value, Status):
        return value
    names = [*(s.value for s in Status), ABSENT]
    if value in names:
        return Status(value)
    close = difflib.get_close_matches(str(value), names, n=1)
    raise VocabularyError(
        "is not a status",
        field="status",
        value=value,
        hint=f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}",
    )


def _pair(value: Any) -> Any:
    # A list from a scenario file, or any sequence: kept as a tuple; anything else is left
    # for _Window to refuse with a message.
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(value)
    return value


_STEP = re.compile(r"\s*(?P<rule>[^:]+?)\s*(?::\s*(?P<effect>[a-z_]+)\s*)?")


def _trace_step(text: Any) -> tuple[str, Effect | None]:
    match = _STEP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            "must name a rule, optionally with an effect",
            field="trace",
            value=text,
            hint="such as 'gift-season' or 'gift-season: deferred'",
        )
    effect = match.group("effect")
    return match.group("rule"), None if effect is None else vocabulary(Effect, "trace")(effect)


def _about(intent: str, ref: str | None) -> str:
    return intent if ref is None else f"{intent} for {ref}"


def _zone(plan: Plan) -> Zone:
    """The plan's customer's zone; anything but a plan is refused."""
    if not isinstance(plan, Plan):
        raise TypeError(f"plan must be a Plan, as plan() returns, not {type(plan).__name__}")
    return plan.customer.zone


def _candidates(plan: Plan, intent: str, ref: str | None) -> list[Decision]:
    return [d for d in plan if d.intent == intent and (ref is None or d.ref == ref)]


def _traces(decisions: Iterable[Decision], zone: Zone) -> str:
    return "\n\n".join(decision_text(d, zone.name) for d in decisions)


def _plan_shown(plan: Plan) -> str:
    return f"the plan:\n{plan.explain()}"


@attrs.frozen(kw_only=True)
class Expectation:
    """What one decision of a plan should be: the test behind every assertion here, and
    behind each ``expect`` entry of a scenario file.

    ``status`` is a [`Status`][outreach_rules.Status] or ``"absent"`` (no decision at all);
    ``channel``, ``between`` and ``waiting_for`` are checked when given; ``trace`` names
    rules that must appear in the decision's trace, each optionally with the effect it
    had (``"gift-season: deferred"``). With ``ref`` None, any decision for the intent
    that meets the expectation will do.
    """

    intent: str
    ref: str | None = None
    status: Status | str = attrs.field(default=Status.SCHEDULED, converter=_status)
    channel: Channel | None = attrs.field(default=None, converter=_channel)
    between: tuple[Any, ...] | None = attrs.field(default=None, converter=_pair)
    waiting_for: str | None = None
    trace: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    _window: _Window | None = attrs.field(init=False, eq=False, repr=False)
    _steps: tuple[tuple[str, Effect | None], ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.between is not None and self.status is not Status.SCHEDULED:
            raise InputError(
                "only makes sense for a scheduled decision",
                field="between",
                hint=f"drop it, or expect status {Status.SCHEDULED.value!r}",
            )
        if self.channel is not None and self.status is not Status.SCHEDULED:
            raise InputError(
                "only makes sense for a scheduled decision",
                field="channel",
                hint=f"drop it, or expect status {Status.SCHEDULED.value!r}",
            )
        window = None if self.between is None else _Window(self.between)
        object.__setattr__(self, "_window", window)
        object.__setattr__(self, "_steps", tuple(_trace_step(t) for t in self.trace))

    def describe(self, zone: Zone) -> str:
        """The expectation in words, such as ``review_request for o1 scheduled by email``."""
        about = _about(self.intent, self.ref)
        if self.status == ABSENT:
            return f"no decision for {about}"
        words = [str(self.status)]
        if self.channel is not None:
            words.append(f"by {self.channel}")
        if self._window is not None:
            words.append(self._window.describe(zone))
        if self.waiting_for is not None:
            words.append(f"for {self.waiting_for}")
        if self.trace:
            words.append(f"with {', '.join(repr(t) for t in self.trace)} in its trace")
        return f"{about} {' '.join(words)}"

    def failure(self, plan: Plan) -> str | None:
        """Why ``plan`` does not meet the expectation, with the traces; None when it does."""
        zone = _zone(plan)
        found = _candidates(plan, self.intent, self.ref)
        expected = f"expected {self.describe(zone)}"
        if self.status == ABSENT:
            if not found:
                return None
            return f"{expected}, but the plan has:\n\n{_traces(found, zone)}"
        if not found:
            refs = sorted({d.ref or "(no ref)" for d in plan if d.intent == self.intent})
            others = f" (it has {self.intent} for {', '.join(refs)})" if refs else ""
            return f"{expected}, but the plan has no decision for it{others}\n\n{_plan_shown(plan)}"
        problems = [(decision, self._problem(decision, zone)) for decision in found]
        if any(problem is None for _, problem in problems):
            return None
        lines = [f"{expected}, but"]
        lines += [f"  {_about(d.intent, d.ref)} {problem}" for d, problem in problems]
        return "\n".join(lines) + f"\n\n{_traces(found, zone)}"

    def _problem(self, decision: Decision, zone: Zone) -> str | None:
        if decision.status is not self.status:
            return f"is {_state(decision, zone)}"
        if self.channel is not None and decision.channel is not self.channel:
            return f"is {_state(decision, zone)}"
        if self._window is not None and not self._window.holds(decision, zone):
            return f"is {_state(decision, zone)}"
        if self.waiting_for is not None and decision.waiting_for != self.waiting_for:
            return f"is {_state(decision, zone)}"
        taken = [(step.rule, step.effect) for step in decision.trace]
        for rule, effect in self._steps:
            if not any(r == rule and (effect is None or e is effect) for r, e in taken):
                what = rule if effect is None else f"{rule}: {effect}"
                return f"has no step {what!r} in its trace"
        return None


def _state(decision: Decision, zone: Zone) -> str:
    if decision.status is Status.SCHEDULED and decision.send_at is not None:
        when = format_local(epoch(decision.send_at), zone)
        return f"scheduled by {decision.channel} on {when} ({zone.name})"
    if decision.status is Status.WAITING:
        return f"waiting for {decision.waiting_for}"
    return str(decision.status)


def assert_scheduled(
    plan: Plan,
    intent: str,
    ref: str | None = None,
    channel: Channel | str | None = None,
    between: Sequence[Any] | None = None,
) -> Decision:
    """Assert that ``plan`` schedules ``intent`` (for ``ref``, when given), and return the
    decision.

    ``channel`` is the channel it must go on; ``between`` a pair of times its send time
    must lie within, both included: two ``"HH:MM"`` times of day, two dates and times
    on the customer's clock (``"2026-06-06 09:00"``), or two instants (aware datetimes,
    or ISO strings with an offset). With ``ref`` None, any decision for the intent that
    fits will do. On failure, the message shows the decision's trace.
    """
    __tracebackhide__ = True
    expectation = Expectation(intent=intent, ref=ref, channel=channel, between=between)
    failure = expectation.failure(plan)
    if failure is not None:
        raise AssertionError(failure)
    zone = _zone(plan)
    for decision in _candidates(plan, intent, ref):
        if expectation._problem(decision, zone) is None:
            return decision
    raise AssertionError("unreachable")  # pragma: no cover


def assert_not_scheduled(
    plan: Plan, intent: str, ref: str | None = None, before: Any = None
) -> None:
    """Assert that ``plan`` does not schedule ``intent`` (for ``ref``, when given).

    A decision that waits or is suppressed passes, as does none at all. With ``before``,
    only a send time earlier than it fails: ``before`` is a date and time on the
    customer's clock (``"2026-12-27 00:00"``) or an instant (an aware datetime, or an ISO
    string with an offset). On failure, the message shows the offending decision's trace.
    """
    __tracebackhide__ = True
    zone = _zone(plan)
    limit = None if before is None else _point(before, "before")
    offending = [
        decision
        for decision in _candidates(plan, intent, ref)
        if decision.status is Status.SCHEDULED
        and (limit is None or limit.of(decision, zone) < limit.seconds)
    ]
    if offending:
        when = "" if limit is None else f" before {limit.describe(zone)}"
        lines = [f"expected {_about(intent, ref)} not to be scheduled{when}, but"]
        lines += [f"  {_about(d.intent, d.ref)} is {_state(d, zone)}" for d in offending]
        raise AssertionError("\n".join(lines) + f"\n\n{_traces(offending, zone)}")


def assert_within_hours(
    plan: Plan, start: str, end: str, *, channel: Channel | str | None = None
) -> None:
    """Assert that every decision ``plan`` schedules (on ``channel``, when given) goes out
    between ``start`` and ``end`` on the customer's clock, ``"HH:MM"`` each.

    As a policy's allowed hours: from ``start`` up to, not including, ``end`` (``"24:00"``
    is the end of the day); a start later than the end runs past midnight. On failure, the
    message shows the trace of every decision outside the hours.
    """
    __tracebackhide__ = True
    first, last = _clock(start), _clock(end)
    if first is None:
        raise InputError("must be a time of day", field="start", value=start, hint="'HH:MM'")
    if last is None:
        raise InputError("must be a time of day", field="end", value=end, hint="'HH:MM'")
    only = _channel(channel)
    zone = _zone(plan)

    def inside(decision: Decision) -> bool:
        assert decision.send_at is not None
        return _in_day(zone.to_wall(epoch(decision.send_at)) % DAY, first, last, closed=False)

    outside = [
        decision
        for decision in plan.scheduled()
        if (only is None or decision.channel is only) and not inside(decision)
    ]
    if outside:
        on = "" if only is None else f" on {only}"
        head = (
            f"expected every decision{on} from {first.text} to {last.text} local time "
            f"({zone.name}, {last.text} excluded), but"
        )
        lines = [head]
        lines += [f"  {_about(d.intent, d.ref)} is {_state(d, zone)}" for d in outside]
        raise AssertionError("\n".join(lines) + f"\n\n{_traces(outside, zone)}")
