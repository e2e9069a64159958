"""Two planning cores, one behaviour: the Rust core against the Python planner.

Generated policies, customers and histories (``outreach_rules.testing``), across changes
of clocks, planned by both cores: the same records to the byte, the same raw decisions,
or the same error, of the same class, in the same words.
"""

from __future__ import annotations

import datetime as dt
import pickle
import zoneinfo
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from outreach_rules import (
    AnnualBlackout,
    AnyOf,
    Contact,
    Customer,
    Event,
    GuardRule,
    Intent,
    InWindow,
    Policy,
    Trigger,
)
from outreach_rules._cores import rust_module, using
from outreach_rules.errors import OutreachRulesError
from outreach_rules.planner import plan_raw, plan_records
from outreach_rules.testing import customers, epoch_instants, histories, policies, zones
from outreach_rules.timeline.instants import epoch, from_epoch

from conftest import shop_policy

pytestmark = pytest.mark.skipif(rust_module() is None, reason="the Rust core is not built here")

# Examples per run: enough to meet every guard kind and condition, within a minute.
EXAMPLES = 300
PLAYBOOK = Policy.default()


def outcome(core: str, policy: Policy, customer: Customer, history: Any, now: int) -> Any:
    """What a core gives: the records as JSON bytes and the raw decisions, or the error."""
    with using(core):  # type: ignore[arg-type]
        try:
            records = orjson.dumps(plan_records(policy, customer, history, now=from_epoch(now)))
            raw = plan_raw(policy, customer, history, now=now)
        except OutreachRulesError as error:
            return ("error", type(error).__name__, str(error))
    return ("planned", records, raw)


def assert_agree(policy: Policy, customer: Customer, history: Any, now: int) -> str:
    """Both cores give the same outcome; returns whether it was a plan or an error."""
    python = outcome("python", policy, customer, history, now)
    rust = outcome("rust", policy, customer, history, now)
    assert rust == python
    return python[0]


@st.composite
def cases(draw: st.DrawFn, policy: st.SearchStrategy[Policy]) -> tuple[Any, ...]:
    chosen = draw(policy)
    customer = draw(customers())
    history = draw(histories(customer))
    times = [event.epoch for event in history] or [customer.since_epoch]
    now = draw(st.integers(min(times) - 86_400, max(times) + 90 * 86_400))
    return chosen, customer, history, now


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(policies()))
def test_cores_agree_on_generated_policies(case: tuple[Any, ...]) -> None:
    event(assert_agree(*case))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(st.sampled_from([PLAYBOOK, shop_policy()])))
def test_cores_agree_on_the_playbook(case: tuple[Any, ...]) -> None:
    # Generated customers and histories are valid: both cores must plan them.
    assert assert_agree(*case) == "planned"


CUSTOMER = Customer(
    id="c1",
    timezone="America/St_Johns",
    country="CA-NL",
    since="2024-01-01T00:00:00Z",
    channels={"email": True, "phone": True},
)
NOW = epoch("2026-12-13T10:00:00Z")


def order(ref: str, at: str, **fields: Any) -> Event:
    return Event(kind="order_placed", at=at, ref=ref, customer="c1", **fields)


DAY_ONE, DAY_TWO = "2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z"
ODD_HISTORIES = {
    "two orders at one instant": [order("o1", DAY_ONE), order("o2", DAY_ONE)],
    "one id, two events": [order("o1", DAY_ONE, id="e1"), order("o2", DAY_TWO, id="e1")],
    "one event delivered twice": [order("o1", DAY_ONE, id="e1"), order("o1", DAY_ONE, id="e1")],
    "someone else's": [Event(kind="order_placed", at=DAY_ONE, customer="c2")],
    "a contact": [Contact(intent="review_request", channel="email", at=DAY_ONE)],
    "not an event": ["not an event"],
    "a contact on no channel": [
        Event(kind="contact_sent", at=DAY_ONE, data={"channel": "fax"}),
    ],
}


@pytest.mark.parametrize("history", ODD_HISTORIES.values(), ids=ODD_HISTORIES.keys())
def test_cores_agree_on_histories_that_are_refused_or_odd(history: list[Any]) -> None:
    assert_agree(PLAYBOOK, CUSTOMER, history, NOW)


def test_a_policy_only_python_can_carry_plans_the_same_on_both() -> None:
    """A condition comparing with a Python object is not JSON: the Python planner plans it."""
    data = PLAYBOOK.to_dict()
    data["triggers"][0]["when"] = [{"field": "data.when", "op": "eq", "value": "x"}]
    policy = Policy.from_dict(data)
    assert_agree(policy, CUSTOMER, [order("o1", "2026-12-01T10:00:00Z")], NOW)


@example(dt.timedelta(0))
@given(st.timedeltas(min_value=dt.timedelta(days=-400), max_value=dt.timedelta(days=400)))
@settings(max_examples=50, deadline=None)
def test_cores_agree_on_each_day_around_a_fall_back(shift: dt.timedelta) -> None:
    placed = dt.datetime(2010, 11, 6, 23, 0, tzinfo=dt.UTC) + shift
    history = [order("o1", placed.isoformat(), data={"gift": False})]
    assert_agree(PLAYBOOK, CUSTOMER, history, epoch(placed) + 3600)


def test_a_policy_that_planned_on_the_core_still_pickles() -> None:
    """The compiled core a policy keeps goes with it, as multiprocessing and Spark need."""
    policy = Policy.from_dict(PLAYBOOK.to_dict())
    history = [order("o1", DAY_ONE)]
    with using("rust"):
        before = plan_raw(policy, CUSTOMER, history, now=NOW)
        copy = pickle.loads(pickle.dumps(policy))
        assert before
        assert plan_raw(copy, CUSTOMER, history, now=NOW) == before


# --- the day of an event, where clocks fall back across midnight --------------------------

DAY_OF = Policy.from_dict(
    {
        "name": "day-of",
        "intents": {"note": {"category": "transactional", "channels": ["email"], "priority": 1}},
        "triggers": [{"id": "note", "intent": "note", "on": "visit", "expires": "3 days"}],
        "guards": [
            {
                "id": "not-on-order-day",
                "not_on_day_of": {"kind": "order_placed", "correlate": False},
            }
        ],
    }
)


def day_of_case(timezone: str, placed: int, visit: int) -> tuple[Customer, list[Event]]:
    """A customer in ``timezone`` who placed an order, then visited (which proposes a note)."""
    customer = Customer(
        id="c1",
        timezone=timezone,
        country="GB",
        since="1999-01-01T00:00:00Z",
        channels={"email": True},
    )
    history = [
        Event(kind="order_placed", at=from_epoch(placed), customer="c1"),
        Event(kind="visit", at=from_epoch(visit), customer="c1"),
    ]
    return customer, history


def sent_at(core: str, timezone: str, placed: int, visit: int) -> int:
    """When a core sends the note proposed at ``visit``, after an order ``placed``."""
    customer, history = day_of_case(timezone, placed, visit)
    with using(core):  # type: ignore[arg-type]
        (decision,) = plan_raw(DAY_OF, customer, history, now=visit)
    assert decision.send_at is not None
    return decision.send_at


def first_minute_of_another_day(timezone: str, placed: int, t: int) -> int:
    """The first whole minute from ``t`` whose local date is not the order's, by zoneinfo."""
    tz = zoneinfo.ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(placed, tz).date()
    while dt.datetime.fromtimestamp(t, tz).date() == day:
        t += 60
    return t


def test_a_saturday_that_comes_back_after_a_fall_back_is_still_the_order_day() -> None:
    # America/St_Johns fell back at 00:01 on Sunday 7 November 2010 (02:31 UTC): 02:45 UTC
    # was 23:15 on Saturday again. A note after a Saturday order waits for Sunday's second
    # midnight (03:30 UTC), on both cores, to the byte.
    placed, visit = epoch("2010-11-06T15:00:00Z"), epoch("2010-11-07T02:45:00Z")
    for core in ("python", "rust"):
        assert sent_at(core, "America/St_Johns", placed, visit) == epoch("2010-11-07T03:30:00Z")
    customer, history = day_of_case("America/St_Johns", placed, visit)
    assert assert_agree(DAY_OF, customer, history, visit) == "planned"


@st.composite
def days_of_orders(draw: st.DrawFn) -> tuple[str, int, int]:
    """A zone, an order and a later instant, both mostly near a change of its clocks."""
    timezone = draw(zones())
    around = draw(
        epoch_instants(timezone, start="2000-01-01T00:00:00Z", end="2031-01-01T00:00:00Z")
    )
    before = draw(st.integers(0, 26 * 60)) * 60
    after = draw(st.one_of(st.integers(0, 90), st.integers(0, 26 * 60))) * 60
    return timezone, around - before, around + after


@settings(max_examples=100, deadline=None)
@given(days_of_orders())
@example(("America/St_Johns", epoch("2010-11-06T15:00:00Z"), epoch("2010-11-07T02:45:00Z")))
@example(("America/St_Johns", epoch("2010-11-06T15:00:00Z"), epoch("2010-11-07T02:30:00Z")))
@example(("America/St_Johns", epoch("2010-11-07T02:30:00Z"), epoch("2010-11-07T02:45:00Z")))
@example(("Pacific/Apia", epoch("2011-12-29T12:00:00Z"), epoch("2011-12-30T09:59:00Z")))
def test_not_on_day_of_holds_exactly_while_the_local_date_is_the_orders(
    case: tuple[str, int, int],
) -> None:
    timezone, placed, visit = case
    expected = first_minute_of_another_day(timezone, placed, visit)
    assert sent_at("python", timezone, placed, visit) == expected
    assert sent_at("rust", timezone, placed, visit) == expected


# -- in_window of the proposal's basis -----------------------------------------------------


@st.composite
def windows_of_the_basis(draw: st.DrawFn) -> Policy:
    """A review request measured from the delivery, held by a window of the delivery's
    date: the basis is known in a guard's context only once the order is delivered."""
    day = st.tuples(st.integers(1, 12), st.integers(1, 28))
    start, end = draw(day), draw(day)
    of = draw(st.sampled_from(["anchor", "basis"]))
    season = InWindow(start=start, end=end, of="basis")
    other = InWindow(start=start, end=end, of=of)
    review = Intent(name="review_request", category="relationship", channels=["email"])
    ask = Trigger(
        id="review",
        intent="review_request",
        on="order_placed",
        requires="order_delivered",
        delay=draw(st.sampled_from(["0 days", "3 days", "20 hours"])),
        expires="60 days",
    )
    guard = GuardRule(
        id="season",
        spec=AnnualBlackout(start=start, end=end),
        when=[AnyOf(conditions=[season, other])],
    )
    return Policy(name="gifts", intents=[review], triggers=[ask], guards=[guard])


@st.composite
def orders_and_deliveries(draw: st.DrawFn) -> tuple[Any, ...]:
    """A policy of windows of the basis, and orders most of which are delivered, some
    across the window's ends, the plan asked for before or after each delivery."""
    policy = draw(windows_of_the_basis())
    customer = draw(customers())
    history: list[Event] = []
    start = epoch("2026-01-01T00:00:00Z")
    for ref in draw(st.lists(st.sampled_from(["o1", "o2", "o3"]), max_size=3, unique=True)):
        placed = start + draw(st.integers(0, 2 * 365 * 86_400))
        history.append(Event(kind="order_placed", at=from_epoch(placed), ref=ref, customer="c1"))
        if draw(st.integers(0, 4)):
            delivered = placed + draw(st.integers(0, 60 * 86_400))
            at = from_epoch(delivered)
            history.append(Event(kind="order_delivered", at=at, ref=ref, customer="c1"))
    customer = attrs.evolve(customer, id="c1")
    times = [e.epoch for e in history] or [start]
    now = draw(st.integers(min(times) - 86_400, max(times) + 90 * 86_400))
    return policy, customer, history, now


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders_and_deliveries())
def test_cores_agree_on_windows_of_the_basis(case: tuple[Any, ...]) -> None:
    event(assert_agree(*case))
