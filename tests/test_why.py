"""A decision's ``why`` names its cause, and its explanation shows the customer's clock.

``Decision.why`` is the ``why`` of the step that moved the send time the most (of equal
moves, the first in the trace), or of the trigger when nothing moved it; for a waiting or
suppressed decision, of the step that stopped it. ``explain()`` shows every instant in the
customer's zone, whatever the status, and names that zone once in the headline.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from outreach_rules import (
    Customer,
    Decision,
    Effect,
    Event,
    Plan,
    Policy,
    Status,
    TraceStep,
    plan,
    simulate,
)
from outreach_rules.explain import decision_html, decision_record
from outreach_rules.session import Session
from outreach_rules.testing import customers, histories

from conftest import shop_policy

PLAYBOOK = Policy.default()
GIFT_SEASON = "not from 15 Nov to 26 Dec, in the customer's calendar"
SYDNEY = "Australia/Sydney"


def london() -> Customer:
    return Customer(
        id="c1",
        timezone="Europe/London",
        country="GB",
        since="2019-05-01T00:00:00Z",
        channels={"email": True},
    )


def december_order() -> list[Event]:
    return [
        Event(kind="order_placed", at="2026-12-10T14:00:00Z", ref="o1", customer="c1"),
        Event(kind="order_delivered", at="2026-12-12T14:00:00Z", ref="o1", customer="c1"),
    ]


def review_in_the_gift_season() -> Decision:
    review = plan(PLAYBOOK, london(), december_order(), now="2026-12-13T10:00:00Z").decision(
        "review_request", "o1"
    )
    assert review is not None
    return review


def sydney_loyalist() -> Customer:
    # Two years a customer at local midnight on 1 May; no consent to marketing.
    return Customer(
        id="c9",
        timezone=SYDNEY,
        country="AU-NSW",
        since="2024-04-30T14:00:00Z",
        channels={"email": True},
    )


def waiting_reward() -> tuple[Plan, Decision]:
    # Planned at 00:00 UTC, 10:00 in Sydney, ten hours after the reward fell due.
    result = plan(PLAYBOOK, sydney_loyalist(), [], now="2026-05-01T00:00:00Z")
    reward = result.decision("loyalty_reward", "2026-05-01")
    assert reward is not None
    return result, reward


def step(why: str, effect: str = "deferred", hours: float | None = None) -> TraceStep:
    start = pendulum.datetime(2026, 12, 1, tz="UTC")
    if hours is None:
        return TraceStep(rule=why, effect=effect, why=why)
    return TraceStep(
        rule=why, effect=effect, why=why, before=start, after=start.add(minutes=int(hours * 60))
    )


def decision(*trace: TraceStep, status: str = "scheduled") -> Decision:
    at = pendulum.datetime(2026, 12, 27, 9, tz="UTC")
    when: dict[str, Any] = (
        {"send_at": at, "local_send_at": at.in_timezone("Europe/London"), "channel": "email"}
        if status == "scheduled"
        else {}
    )
    return Decision(
        id="d-1",
        customer="c1",
        intent="review_request",
        category="relationship",
        ref="o1",
        status=status,
        trace=trace,
        **when,
    )


# -- why: the step that moved the send time the most, or that stopped the decision ------


def test_review_request_deferred_by_the_gift_season_says_the_gift_season(each_core) -> None:
    review = review_in_the_gift_season()
    # Quiet hours moved it last, by nine hours; the gift season by eleven days before.
    deferred = [s.rule for s in review.trace if s.effect is Effect.DEFERRED]
    assert deferred == ["gift-season", "quiet-hours"]
    assert review.why == GIFT_SEASON


def test_the_dataframe_why_of_a_gift_season_review_request_is_the_gift_season() -> None:
    pytest.importorskip("pandas")
    result = plan(PLAYBOOK, london(), december_order(), now="2026-12-13T10:00:00Z")
    frame = result.to_pandas()
    row = frame[frame["intent"] == "review_request"].iloc[0]
    assert row["why"] == GIFT_SEASON


def test_a_backtest_says_the_gift_season_held_back_the_review_request() -> None:
    pytest.importorskip("pandas")
    result = simulate(
        PLAYBOOK,
        [london()],
        december_order(),
        start="2026-12-01T00:00:00Z",
        end="2027-01-15T00:00:00Z",
    )
    review = next(d for d in result.sent if d.intent == "review_request")
    assert review.why == GIFT_SEASON
    frame = result.to_pandas()
    assert frame[frame["intent"] == "review_request"]["why"].tolist() == [GIFT_SEASON]


def test_a_rule_that_moved_it_explains_it_rather_than_the_time_already_past(each_core) -> None:
    history = [
        Event(kind="order_placed", at="2026-05-28T10:00:00Z", ref="o1", customer="c1"),
        Event(kind="order_delivered", at="2026-06-01T10:00:00Z", ref="o1", customer="c1"),
    ]
    # Due on 4 June, planned on 20 June at 22:00 in London: plan-now moves it sixteen
    # days, to now; quiet hours then move it eleven hours, and are why it waits.
    result = plan(PLAYBOOK, london(), history, now="2026-06-20T21:00:00Z")
    review = result.decision("review_request", "o1")
    assert review is not None
    assert [(s.rule, s.effect) for s in review.trace if s.effect is Effect.DEFERRED] == [
        ("plan-now", Effect.DEFERRED),
        ("quiet-hours", Effect.DEFERRED),
    ]
    assert review.why.startswith("only 09:00-20:00 every day")
    # With no rule to move it, the time already past is the reason it goes now.
    alone = plan(PLAYBOOK, london(), history, now="2026-06-20T09:00:00Z").decision(
        "review_request", "o1"
    )
    assert alone is not None
    assert alone.why == "the earliest time has passed: it can go out from now"


def test_of_equal_moves_the_first_in_the_trace_is_the_cause() -> None:
    assert decision(step("first", hours=9), step("second", hours=9)).why == "first"
    assert decision(step("small", hours=1), step("big", hours=9), step("also", hours=9)).why == (
        "big"
    )


def test_the_largest_move_wins_wherever_it_stands_in_the_trace() -> None:
    trace = (step("proposed", "proposed"), step("days", hours=72), step("hours", hours=9))
    assert decision(*trace).why == "days"
    assert decision(*reversed(trace)).why == "days"


def test_a_scheduled_decision_nothing_moved_is_explained_by_its_trigger() -> None:
    trace = (
        step("the trigger", "proposed"),
        step("a guard", "allowed"),
        step("email", "chose_channel"),
    )
    assert decision(*trace).why == "the trigger"


def test_a_deferred_step_without_both_instants_counts_as_no_move() -> None:
    assert decision(step("no instants"), step("an hour", hours=1)).why == "an hour"
    assert decision(step("no instants"), step("not at all", hours=0)).why == "no instants"


def test_a_waiting_or_suppressed_decision_is_explained_by_what_stopped_it() -> None:
    moved = step("days", hours=72)
    blocked = step("needs consent", "blocked")
    expired = step("lapses first", "expired")
    assert decision(moved, blocked, status="waiting").why == "needs consent"
    assert decision(moved, expired, status="suppressed").why == "lapses first"
    waits = step("waits for order_delivered", "waiting")
    assert decision(step("proposed", "proposed"), waits, status="waiting").why == waits.why
    # Not a channel skipped after it, nor anything else that did not stop it.
    skipped = step("not sms", "skipped_channel")
    assert decision(moved, blocked, skipped, status="suppressed").why == "needs consent"
    # A trace with no such step (built by hand) falls back to its last word.
    assert decision(moved, skipped, status="suppressed").why == "not sms"
    assert decision(status="waiting").why == ""


def test_the_waiting_reward_in_sydney_is_explained_by_the_missing_consent(each_core) -> None:
    _, reward = waiting_reward()
    assert reward.status is Status.WAITING
    assert reward.why.startswith("needs the customer's consent to marketing messages")


# -- explain(): every instant in the customer's zone, whatever the status --------------


def test_a_waiting_decision_in_sydney_explains_itself_in_sydney_time(each_core) -> None:
    result, reward = waiting_reward()
    assert reward.timezone == SYDNEY
    text = reward.explain()
    lines = text.splitlines()
    assert (
        lines[0]
        == "loyalty_reward for 2026-05-01: waiting for opted_in (times in Australia/Sydney)"
    )
    # 00:00 UTC is 10:00 in Sydney (AEST, UTC+10); the reward fell due at local midnight.
    assert "plan-now                 Fri 1 May 00:00 -> Fri 1 May 10:00:" in text
    assert "Thu 30 Apr 14:00" not in text
    # The plan shows the decision exactly as the decision shows itself.
    assert text in result.explain()


def test_the_concepts_page_shows_what_the_waiting_reward_explains(each_core) -> None:
    page = (Path(__file__).parent.parent / "docs" / "concepts.md").read_text(encoding="utf-8")
    shown = re.search(r"```\n(loyalty_reward for 2026-05-01.*?)\n```", page, re.S)
    assert shown is not None
    assert shown.group(1) == waiting_reward()[1].explain()


def test_a_waiting_decision_in_sydney_shows_its_trace_in_sydney_time_in_html(each_core) -> None:
    _, reward = waiting_reward()
    page = decision_html(reward)
    assert "(times in Australia/Sydney)" in page
    assert "<td>Fri 1 May 2026 00:00</td><td>Fri 1 May 2026 10:00</td>" in page
    assert "Thu 30 Apr 2026 14:00" not in page


def test_a_scheduled_decision_names_its_zone_in_its_send_time_only(each_core) -> None:
    review = review_in_the_gift_season()
    assert review.timezone == "Europe/London"
    headline = review.explain().splitlines()[0]
    assert headline.endswith("on Sun 27 Dec 2026 09:00 Europe/London (2026-12-27T09:00:00+00:00)")
    assert "times in" not in review.explain()


def test_a_decision_cancelled_in_a_session_explains_itself_in_local_time() -> None:
    customer = Customer(
        id="c1",
        timezone=SYDNEY,
        country="AU-NSW",
        since="2019-05-01T00:00:00Z",
        channels={"email": True},
    )
    session = Session(shop_policy())
    session.add_customer(customer, now="2026-06-01T00:00:00Z")
    for kind in ("order_placed", "order_delivered"):
        at = "2026-06-01T00:00:00Z" if kind == "order_placed" else "2026-06-03T00:00:00Z"
        session.post(Event(kind=kind, at=at, ref="o1", customer="c1"), now=at)
    review = Event(kind="review_submitted", at="2026-06-04T00:00:00Z", ref="o1", customer="c1")
    cancelled = session.post(review, now="2026-06-04T00:00:00Z").cancelled
    request = next(d for d in cancelled if d.intent == "review_request")
    assert request.timezone == SYDNEY
    # Delivered at 10:00 in Sydney, asked three local days later: Sat 6 Jun 10:00 there.
    assert "Sat 6 Jun 2026 10:00 Australia/Sydney" in request.explain()


def test_a_decision_built_without_a_zone_says_its_times_are_in_utc() -> None:
    waiting = decision(step("held", "deferred", hours=1), step("stop", "blocked"), status="waiting")
    assert waiting.timezone is None
    assert waiting.explain().splitlines()[0] == "review_request for o1: waiting (times in UTC)"
    assert "Tue 1 Dec 00:00 -> Tue 1 Dec 01:00" in waiting.explain()


def test_the_zone_a_decision_carries_is_not_in_its_record() -> None:
    _, reward = waiting_reward()
    assert "timezone" not in decision_record(reward)


# -- the property: why is the text of a step that moved the time the most --------------


def moved(step: TraceStep) -> float:
    if step.before is None or step.after is None:
        return 0.0
    return step.after.timestamp() - step.before.timestamp()


def check_why(decision: Decision) -> None:
    trace = decision.trace
    if not trace:
        assert decision.why == ""
        return
    if decision.status is Status.SCHEDULED:
        deferred = [s for s in trace if s.effect is Effect.DEFERRED]
        # plan-now only brings a past earliest time up to now: a rule, if any moved it.
        deferred = [s for s in deferred if s.rule != "plan-now"] or deferred
        if not deferred:
            assert decision.why == trace[0].why, decision.explain()
            return
        most = max(moved(s) for s in deferred)
        first = next(s for s in deferred if moved(s) == most)
        assert decision.why == first.why, decision.explain()
        return
    stops = [s for s in trace if s.effect in (Effect.BLOCKED, Effect.EXPIRED, Effect.WAITING)]
    # The planner ends every waiting or suppressed decision with the step that stopped it.
    assert stops, decision.explain()
    assert stops[-1] is trace[-1], decision.explain()
    assert decision.why == trace[-1].why, decision.explain()


@st.composite
def playbook_cases(draw: st.DrawFn) -> tuple[Policy, Customer, list[Event], pendulum.DateTime]:
    policy = draw(st.sampled_from([PLAYBOOK, shop_policy()]))
    customer = draw(customers(since=("2015-01-01T00:00:00Z", "2024-01-01T00:00:00Z")))
    # Half the histories fall around a gift season, where several guards move one request.
    year = draw(st.integers(2024, 2027))
    around = {"start": f"{year}-10-20T00:00:00Z", "span": dt.timedelta(days=75)}
    history = draw(histories(customer, **(around if draw(st.booleans()) else {})))
    times = [event.epoch for event in history] or [customer.since_epoch]
    # Now soon after an event more often than not: that is where decisions are still open.
    if draw(st.booleans()):
        now = draw(st.sampled_from(times)) + draw(st.integers(0, 3 * 86_400))
    else:
        now = draw(st.integers(min(times) - 86_400, max(times) + 90 * 86_400))
    return policy, customer, history, pendulum.from_timestamp(now)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(playbook_cases())
def test_why_is_the_text_of_a_step_that_moved_the_time_the_most(case: Any) -> None:
    policy, customer, history, now = case
    result = plan(policy, customer, history, now=now)
    for made in result:
        assert made.timezone == customer.timezone
        check_why(made)
        deferred = sum(s.effect is Effect.DEFERRED for s in made.trace)
        event(f"{made.status}, {min(deferred, 2)} deferred step(s)")


_EFFECTS = st.sampled_from(list(Effect))
_STEPS = st.builds(
    TraceStep,
    rule=st.sampled_from(["r", "plan-now"]),
    effect=_EFFECTS,
    why=st.text(max_size=5),
    before=st.none() | st.integers(0, 10**9).map(pendulum.from_timestamp),
    after=st.none() | st.integers(0, 10**9).map(pendulum.from_timestamp),
)


@given(st.lists(_STEPS, max_size=8), st.sampled_from(["scheduled", "waiting", "suppressed"]))
def test_why_of_any_trace_names_the_step_that_moved_it_most_or_stopped_it(
    trace: list[TraceStep], status: str
) -> None:
    made = decision(*trace, status=status)
    if status == "scheduled":
        check_why(made)
        return
    stops = [s for s in trace if s.effect in (Effect.BLOCKED, Effect.EXPIRED, Effect.WAITING)]
    expected = stops[-1] if stops else (trace[-1] if trace else None)
    assert made.why == ("" if expected is None else expected.why)
