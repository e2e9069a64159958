"""Properties of whole plans over generated histories, checked independently of the planner."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import holidays
import pendulum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach_rules import Category, Channel, Contact, Customer, Event, Plan, Policy, Status, plan
from outreach_rules.planner import plan_records

from conftest import shop_policy

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/St_Johns",
]
COUNTRIES = {
    "Europe/London": "GB",
    "America/New_York": "US-NY",
    "Australia/Sydney": "AU-NSW",
    "Australia/Lord_Howe": "AU-NSW",
    "Asia/Kolkata": "IN",
    "America/St_Johns": "CA-NL",
}
START = pendulum.datetime(2025, 9, 1, tz="UTC")
WEEK = dt.timedelta(days=7)
POLICY = shop_policy()
PLAYBOOK = Policy.default()


def minutes(low: int, high: int) -> st.SearchStrategy[pendulum.DateTime]:
    return st.integers(low, high).map(lambda m: START.add(minutes=m))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Customer, list[Any], pendulum.DateTime]:
    zone = draw(st.sampled_from(ZONES))
    customer = Customer(
        id="c1",
        timezone=zone,
        country=COUNTRIES[zone],
        since=draw(minutes(-3 * 365 * 1440, 0)),
        channels=draw(
            st.fixed_dictionaries(
                {"email": st.booleans(), "sms": st.booleans(), "phone": st.booleans()}
            )
        ),
        consents={"marketing": draw(st.booleans())},
    )
    history: list[Any] = []
    span = 200 * 1440
    for number in range(draw(st.integers(0, 4))):
        ref = f"o{number}"
        # Half the orders fall in the weeks around the gift season, where P3 bites.
        season = st.integers(70 * 1440, 120 * 1440)
        placed = START.add(minutes=draw(season)) if draw(st.booleans()) else draw(minutes(0, span))
        data = {"gift": True} if draw(st.booleans()) else {}
        history.append(Event(kind="order_placed", at=placed, ref=ref, customer="c1", data=data))
        if draw(st.booleans()):
            delivered = placed.add(minutes=draw(st.integers(60, 10 * 1440)))
            history.append(Event(kind="order_delivered", at=delivered, ref=ref, customer="c1"))
            if draw(st.integers(0, 3)) == 0:
                reviewed = delivered.add(minutes=draw(st.integers(0, 20 * 1440)))
                history.append(Event(kind="review_submitted", at=reviewed, ref=ref, customer="c1"))
    for number in range(draw(st.integers(0, 2))):
        opened = draw(minutes(0, span))
        history.append(Event(kind="complaint_opened", at=opened, ref=f"k{number}", customer="c1"))
        if draw(st.booleans()):
            closed = opened.add(minutes=draw(st.integers(1, 20 * 1440)))
            history.append(
                Event(kind="complaint_resolved", at=closed, ref=f"k{number}", customer="c1")
            )
    for number in range(draw(st.integers(0, 2))):
        at = draw(minutes(0, span))
        history.append(Event(kind="incident_caused", at=at, ref=f"i{number}", customer="c1"))
    for _ in range(draw(st.integers(0, 3))):
        intent = draw(st.sampled_from(["welcome", "review_request", "feedback_survey"]))
        history.append(Contact(intent=intent, channel="email", at=draw(minutes(0, span))))
    # Now near an event more often than not: that is where decisions are still open.
    moments = [item.at for item in history]
    if moments and draw(st.booleans()):
        now = draw(st.sampled_from(moments)).add(minutes=draw(st.integers(0, 10 * 1440)))
    else:
        now = draw(minutes(0, span + 30 * 1440))
    return customer, history, now


def local(moment: pendulum.DateTime, zone: str) -> pendulum.DateTime:
    return moment.in_timezone(zone)


def check_hours(result: Plan) -> None:
    zone = result.customer.timezone
    country, _, subdivision = result.customer.country.partition("-")
    calendar = holidays.country_holidays(country, subdiv=subdivision or None)
    for decision in result.scheduled():
        assert decision.send_at is not None
        wall = local(decision.send_at, zone)
        if decision.channel is Channel.PHONE:
            assert wall.weekday() < 5, decision.explain()
            assert dt.time(10) <= wall.time() < dt.time(18), decision.explain()
            assert wall.date() not in calendar, decision.explain()
        else:
            assert dt.time(9) <= wall.time() < dt.time(20), decision.explain()


def check_reviews(result: Plan, history: list[Any]) -> None:
    zone = result.customer.timezone
    events = [e for e in history if isinstance(e, Event)]
    for decision in result:
        if decision.intent != "review_request":
            continue
        ref = decision.ref
        assert not any(e.kind == "review_submitted" and e.ref == ref for e in events)
        if decision.send_at is None:
            continue
        wall = local(decision.send_at, zone)
        placed = next(e for e in events if e.kind == "order_placed" and e.ref == ref)
        delivered = min(e.at for e in events if e.kind == "order_delivered" and e.ref == ref)
        # P1: three local calendar days after the delivery; P2: never on the order's day.
        assert wall >= local(delivered, zone).add(days=3), decision.explain()
        assert wall.date() != local(placed.at, zone).date(), decision.explain()
        # P3: never inside the gift season for a gift-likely order.
        placed_day = local(placed.at, zone)
        in_season = (11, 15) <= (placed_day.month, placed_day.day) <= (12, 26)
        if placed.data.get("gift") or in_season:
            assert not (11, 15) <= (wall.month, wall.day) <= (12, 26), decision.explain()


def check_cap(result: Plan, history: list[Any], limit: int = 2) -> None:
    counted = {Category.RELATIONSHIP, Category.MARKETING}
    sent = [c.at for c in history if isinstance(c, Contact)]
    placed = [d.send_at for d in result.scheduled() if d.category in counted and d.send_at]
    times = sorted([*sent, *placed])
    # The fullest window can always start at a contact; check each one holding a decision.
    for start in times:
        window = [t for t in times if start <= t < start + WEEK]
        if any(start <= t < start + WEEK for t in placed):
            assert len(window) <= limit, result.explain()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_scheduled_decision_respects_every_guard(scenario):
    customer, history, now = scenario
    result = plan(POLICY, customer, history, now=now)

    keys = [(d.intent, d.ref) for d in result]
    assert len(keys) == len(set(keys))
    for decision in result:
        assert decision.trace[0].effect == "proposed"
        if decision.status is Status.SCHEDULED:
            assert decision.send_at is not None
            assert decision.send_at >= now
            assert decision.channel in customer.channels
            assert decision.trace[-1].effect == "chose_channel"
        else:
            assert decision.send_at is None
            assert decision.channel is None
    check_hours(result)
    check_reviews(result, history)
    check_cap(result, history)
    assert plan(POLICY, customer, list(reversed(history)), now=now) == result


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_records_straight_from_the_planner_are_those_of_the_value_objects(scenario):
    # The batch paths render records without building Decisions; they must not differ.
    customer, history, now = scenario
    for policy in (POLICY, PLAYBOOK):
        expected = json.dumps(plan(policy, customer, history, now=now).to_records())
        assert json.dumps(plan_records(policy, customer, history, now=now)) == expected
