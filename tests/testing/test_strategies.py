"""The strategies of ``outreach_rules.testing``: the planner accepts what they draw, and the
histories they draw hang together as the host's events would."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from outreach_rules import (
    Channel,
    Customer,
    Event,
    InputError,
    MaxIterationsReached,
    Plan,
    Policy,
    plan,
)
from outreach_rules.policy import EVENT_KINDS
from outreach_rules.testing import (
    ZONE_NAMES,
    customers,
    epoch_instants,
    events,
    histories,
    instants,
    policies,
    zones,
)
from outreach_rules.timeline.zone import zone

PLAYBOOK = Policy.default()
PLANNED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# What follows what, about the same ref: the story each follow-up belongs to.
FOLLOWS = {
    "order_delivered": "order_placed",
    "review_submitted": "order_delivered",
    "complaint_resolved": "complaint_opened",
    "concern_answered": "concern_raised",
    "incident_resolved": "incident_caused",
    "channel_restored": "channel_down",
    "payment_received": "invoice_scheduled",
}
# The event a contact about a ref answers.
ANSWERS = {
    "review_request": ("order_delivered",),
    "concern_reply": ("complaint_opened", "concern_raised"),
    "alternative_offer": ("request_declined",),
    "apology_call": ("incident_caused",),
    "invoice_explainer": ("invoice_scheduled",),
    "thank_you": ("info_volunteered",),
    "success_call": ("milestone_reached",),
    "outage_notice": ("channel_down",),
    "restored_notice": ("channel_restored",),
}


def a_year_from(customer: Customer) -> st.SearchStrategy[pendulum.DateTime]:
    return instants(customer.timezone, start=customer.since, end=customer.since.add(years=1))


# --- every strategy's output is accepted by the planner -------------------------------------


@PLANNED
@given(customers(), st.data())
def test_customers_histories_and_instants_are_planned_by_the_playbook(customer, data):
    history = data.draw(histories(customer), label="history")
    now = data.draw(a_year_from(customer), label="now")

    result = plan(PLAYBOOK, customer, history, now=now)

    assert isinstance(result, Plan)
    assert result.customer == customer
    assert all(d.intent in {i.name for i in PLAYBOOK.intents} for d in result)


def test_the_first_invoice_does_not_depend_on_the_order_of_events_at_one_instant():
    customer = Customer(
        id="c1", timezone="Europe/London", country="GB", since="2026-01-01T00:00:00Z"
    )
    history = [
        Event(
            kind="invoice_scheduled",
            at="2026-06-01T10:00:00Z",
            customer="c1",
            ref=ref,
            data={"due": "2026-06-20T10:00:00Z"},
        )
        for ref in ("inv1", "inv2")
    ]
    now = "2026-06-01T10:00:00Z"
    assert plan(PLAYBOOK, customer, history, now=now) == plan(
        PLAYBOOK, customer, history[::-1], now=now
    )


@PLANNED
@given(customers(), st.data())
def test_single_events_are_planned_by_the_playbook(customer, data):
    drawn = data.draw(st.lists(events(customer), max_size=6), label="events")
    now = data.draw(a_year_from(customer), label="now")
    assert isinstance(plan(PLAYBOOK, customer, drawn, now=now), Plan)


@PLANNED
@given(zones(), st.data())
def test_every_zone_gives_customers_the_planner_can_call(name, data):
    # Phone calls consult the country's public holidays: every country drawn has a calendar.
    customer = data.draw(customers(zones=[name], channels=["phone"]), label="customer")
    history = [Event(kind="incident_caused", at=customer.since, ref="i1", customer=customer.id)]
    result = plan(PLAYBOOK, customer, history, now=customer.since)
    assert result.decision("apology_call", "i1") is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), customers(), st.data())
def test_drawn_policies_are_planned_or_refused_with_the_bounded_error(policy, customer, data):
    history = data.draw(histories(customer), label="history")
    now = data.draw(a_year_from(customer), label="now")
    try:
        result = plan(policy, customer, history, now=now)
    except MaxIterationsReached:
        # A valid policy may still leave no instant allowed (business days on Monday only,
        # and on Tuesday only): the planner says so with its named, bounded error.
        return
    except InputError as error:
        refused = error.field or ""
    else:
        assert {d.intent for d in result} <= {i.name for i in policy.intents}
        return
    # A drawn trigger may measure from a data field (data.x) that the drawn events, made
    # for the kinds of DESIGN.md, do not carry: the planner names the field.
    assert refused.startswith("data."), refused


@given(epoch_instants(), instants(), zones())
def test_instant_strategies_give_what_the_planner_reads_as_now(seconds, instant, name):
    customer = Customer(id="c1", timezone=name, country="GB", since="2000-01-01T00:00:00Z")
    assert isinstance(plan(PLAYBOOK, customer, [], now=pendulum.from_timestamp(seconds)), Plan)
    assert isinstance(plan(PLAYBOOK, customer, [], now=instant), Plan)


# --- histories hang together ------------------------------------------------------------------


def check_coherent(customer: Customer, history: list[Event], low: int, high: int) -> None:
    assert [e.epoch for e in history] == sorted(e.epoch for e in history)
    for event in history:
        assert low <= event.epoch <= high, event
        if event.customer is None:
            assert event.kind in ("channel_down", "channel_restored"), event
        else:
            assert event.customer == customer.id, event
    roots = Counter((e.kind, e.ref) for e in history if e.kind not in FOLLOWS)
    for (kind, ref), count in roots.items():
        if ref is not None and kind != "contact_sent":
            assert count == 1, f"two stories share {kind} {ref}"
    for event in history:
        before = [e for e in history if e.epoch < event.epoch]
        if event.kind in FOLLOWS:
            # Deliveries after orders, resolutions after complaints, and so on.
            assert any(e.kind == FOLLOWS[event.kind] and e.ref == event.ref for e in before), event
        if event.kind == "channel_restored":
            down = next(e for e in before if e.kind == "channel_down" and e.ref == event.ref)
            assert event.data == down.data
        if event.kind == "invoice_scheduled":
            assert pendulum.parse(event.data["due"]) >= event.at
        if event.kind == "contact_sent":
            assert Channel(event.data["channel"]) in customer.channels
            if event.ref is not None:
                # Contacts after their triggers.
                wanted = ANSWERS[event.data["intent"]]
                assert any(e.kind in wanted and e.ref == event.ref for e in before), event


@settings(max_examples=300)
@given(customers(), st.data())
def test_histories_hang_together(customer, data):
    history = data.draw(histories(customer))
    since = customer.since.int_timestamp
    check_coherent(customer, history, since, since + 365 * 86_400)


@settings(max_examples=200)
@given(customers(), st.data())
def test_histories_keep_to_the_kinds_and_the_window_asked_for(customer, data):
    kinds = data.draw(
        st.lists(st.sampled_from([*EVENT_KINDS, "payment_received", "subscription_renewed"]))
        .map(lambda chosen: [*chosen, "order_placed"])
        .map(lambda chosen: sorted(set(chosen)))
    )
    start = pendulum.datetime(2026, 3, 1, tz="UTC")
    history = data.draw(histories(customer, kinds=kinds, start=start, span=dt.timedelta(days=30)))

    assert {event.kind for event in history} <= set(kinds)
    check_coherent(customer, history, start.int_timestamp, start.add(days=30).int_timestamp)


def seen_in(strategy: st.SearchStrategy[Any], examples: int = 300) -> list[Any]:
    """What ``strategy`` draws in a fixed run of ``examples`` draws, without shrinking."""
    drawn: list[Any] = []

    @settings(max_examples=examples, derandomize=True, database=None, phases=[Phase.generate])
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_histories_tell_every_kind_of_story():
    customer = Customer(
        id="c1",
        timezone="Europe/London",
        country="GB",
        since="2020-01-01T00:00:00Z",
        channels={"email": True, "sms": True, "phone": True},
    )
    kinds = [*EVENT_KINDS, "payment_received"]
    drawn = seen_in(histories(customer, kinds=kinds))
    assert {event.kind for history in drawn for event in history} == set(kinds)
    broadcasts = {e.kind for history in drawn for e in history if e.customer is None}
    assert broadcasts == {"channel_down", "channel_restored"}


def test_histories_find_the_changes_of_clocks():
    customer = Customer(
        id="c1", timezone="Europe/London", country="GB", since="2026-01-01T00:00:00Z"
    )
    spring = pendulum.datetime(2026, 3, 29, 1, tz="UTC").int_timestamp
    near = [
        history
        for history in seen_in(histories(customer))
        if any(abs(e.epoch - spring) <= 3 * 3_600 for e in history)
    ]
    # Uniform draws over a year would put an event within 3 hours of it once in 1,460.
    assert len(near) >= 10


def test_histories_refuse_kinds_that_start_no_story():
    customer = Customer(id="c1", timezone="UTC", country="GB", since="2026-01-01T00:00:00Z")
    with pytest.raises(InvalidArgument, match="order_placed before order_delivered"):
        histories(customer, kinds=["order_delivered"]).example()
    with pytest.raises(InvalidArgument, match="end or span"):
        histories(customer, end="2026-02-01T00:00:00Z", span=dt.timedelta(days=3)).example()
    with pytest.raises(InvalidArgument, match="must come before"):
        histories(customer, start="2026-02-01T00:00:00Z", end="2026-01-01T00:00:00Z").example()


# --- single events ----------------------------------------------------------------------------


@given(customers(), st.data())
def test_single_events_carry_what_their_kind_carries(customer, data):
    event = data.draw(events(customer, span=dt.timedelta(days=10)))
    assert event.customer == customer.id
    assert customer.since <= event.at <= customer.since.add(days=10)
    if event.kind == "order_placed":
        assert set(event.data) <= {"gift"}
    if event.kind == "invoice_scheduled":
        assert pendulum.parse(event.data["due"]) >= event.at
    if event.kind in ("channel_down", "channel_restored"):
        assert event.data["channel"] in [*Channel, "web"]
    if event.kind in ("opted_out", "opted_in"):
        assert len(event.data) == 1
    if event.kind == "contact_sent":
        assert {"intent", "channel"} == set(event.data)


@given(customers(), st.data())
def test_single_events_keep_to_the_kinds_asked_for(customer, data):
    event = data.draw(events(customer, kinds=["complaint_opened", "meter_read"]))
    assert event.kind in ("complaint_opened", "meter_read")


# --- customers --------------------------------------------------------------------------------


def test_customers_come_from_both_hemispheres_odd_offsets_and_subdivisions():
    drawn = seen_in(customers())
    assert any(c.subdivision is not None for c in drawn)
    assert any(c.timezone.startswith("Australia/") for c in drawn)
    assert any(c.timezone.startswith("America/") for c in drawn)
    assert any(zone(c.timezone).offset_at(c.since.int_timestamp) % 3_600 != 0 for c in drawn), (
        "no half- or quarter-hour offset"
    )
    assert all(c.country.startswith("AU") for c in drawn if c.timezone.startswith("Australia/"))


@given(customers())
def test_customers_are_reachable_and_in_a_known_zone(customer):
    assert customer.timezone in ZONE_NAMES
    assert customer.channels
    assert pendulum.datetime(2010, 1, 1, tz="UTC") <= customer.since
    assert customer.since <= pendulum.datetime(2030, 1, 1, tz="UTC")


@given(
    customers(
        id="ada",
        zones=["Asia/Kathmandu", "Pacific/Chatham"],
        countries=["NP"],
        since=("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        channels={"email": True, "sms": False},
        consents=st.just({"marketing": True}),
        attributes={"value_tier": "high"},
    )
)
def test_customers_narrow_to_what_is_asked(customer):
    assert customer.id == "ada"
    assert customer.timezone in ("Asia/Kathmandu", "Pacific/Chatham")
    assert customer.country == "NP"
    assert pendulum.datetime(2026, 1, 1, tz="UTC") <= customer.since
    assert customer.since <= pendulum.datetime(2026, 2, 1, tz="UTC")
    assert customer.channels == {Channel.EMAIL}
    assert customer.consents == {"marketing": True}
    assert customer.attributes == {"value_tier": "high"}


def test_customers_refuse_an_unknown_zone_and_empty_lists():
    with pytest.raises(ValueError, match="time zone"):
        customers(zones=["Mars/Olympus_Mons"]).example()
    with pytest.raises(InvalidArgument, match="non-empty"):
        customers(countries=[]).example()
