"""Example tests of the pure planner: each decision, its time in the customer's zone, its trace."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pendulum
import pytest

from outreach_rules import (
    Channel,
    Contact,
    Customer,
    Decision,
    Effect,
    Event,
    FrozenClock,
    InputError,
    Plan,
    Status,
    decision_id,
    plan,
)
from outreach_rules.planner import plan_records

from conftest import order, shop_policy

# Both planning cores, one behaviour: each test runs on every core built here.
pytestmark = pytest.mark.usefixtures("each_core")

MakeCustomer = Callable[..., Customer]


def steps(decision: Decision | None) -> list[tuple[str, Effect]]:
    assert decision is not None
    return [(step.rule, step.effect) for step in decision.trace]


def local_time(decision: Decision | None) -> str:
    assert decision is not None
    assert decision.local_send_at is not None
    return decision.local_send_at.format("YYYY-MM-DD HH:mm Z")


def the(result: Plan, intent: str, ref: str | None = None) -> Decision:
    found = result.decision(intent, ref)
    assert found is not None, result.explain()
    return found


# --- a review request after a delivery (P1), and the guards that move it -------------------


def test_review_request_placed_three_days_after_delivery(policy, make_customer):
    history = order("o1", "2026-06-01T10:00:00Z", "2026-06-03T13:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-06-03T13:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    assert review.channel is Channel.EMAIL
    # 13:00 UTC is 14:00 BST; three calendar days later, same local time.
    assert local_time(review) == "2026-06-06 14:00 +01:00"
    assert review.send_at == pendulum.datetime(2026, 6, 6, 13, tz="UTC")
    assert steps(review)[0] == ("review-after-delivery", Effect.PROPOSED)
    assert "order_delivered (o1)" in review.trace[0].why
    assert steps(review)[-1] == ("channel", Effect.CHOSE_CHANNEL)
    assert ("quiet-hours", Effect.ALLOWED) in steps(review)


def test_review_request_deferred_out_of_the_december_window(policy, make_customer):
    history = order("o1", "2026-12-10T14:00:00Z", "2026-12-12T14:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-12-12T15:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    # Deferred to the end of the gift season, then out of the night.
    assert local_time(review) == "2026-12-27 09:00 +00:00"
    assert steps(review)[:3] == [
        ("review-after-delivery", Effect.PROPOSED),
        ("gift-season", Effect.DEFERRED),
        ("quiet-hours", Effect.DEFERRED),
    ]
    gift = review.trace[1]
    assert gift.before == pendulum.datetime(2026, 12, 15, 14, tz="UTC")
    assert gift.after == pendulum.datetime(2026, 12, 27, 0, tz="UTC")
    assert "15 Nov to 26 Dec" in gift.why


def test_gift_flag_defers_an_order_placed_before_the_season(policy, make_customer):
    history = order("o1", "2026-11-02T10:00:00Z", "2026-11-12T10:00:00Z", gift=True)
    result = plan(policy, make_customer(), history, now="2026-11-12T10:00:00Z")
    assert local_time(the(result, "review_request")) == "2026-12-27 09:00 +00:00"


def test_order_outside_the_season_without_gift_flag_is_not_deferred(policy, make_customer):
    history = order("o1", "2026-11-02T10:00:00Z", "2026-11-12T10:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-11-12T10:00:00Z")
    review = the(result, "review_request")
    assert local_time(review) == "2026-11-15 10:00 +00:00"
    assert ("gift-season", Effect.DEFERRED) not in steps(review)


def test_review_request_pushed_out_of_quiet_hours(policy, make_customer):
    # Delivered at 21:30 in New York: three days later is 21:30, after quiet hours begin.
    customer = make_customer(timezone="America/New_York", country="US-NY")
    history = order("o1", "2026-05-01T15:00:00Z", "2026-05-05T01:30:00Z")
    result = plan(policy, customer, history, now="2026-05-05T02:00:00Z")

    review = the(result, "review_request")
    assert local_time(review) == "2026-05-08 09:00 -04:00"
    quiet = next(step for step in review.trace if step.rule == "quiet-hours")
    assert quiet.effect is Effect.DEFERRED
    assert quiet.before == pendulum.datetime(2026, 5, 8, 1, 30, tz="UTC")
    assert "09:00-20:00" in quiet.why
    assert "America/New_York" in quiet.why


def test_review_request_suppressed_past_its_expiry(make_customer):
    policy = shop_policy(review_expires="10 days")
    history = order("o1", "2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-12-03T11:00:00Z")

    review = the(result, "review_request")
    assert review.status is Status.SUPPRESSED
    assert review.send_at is None
    assert review.channel is None
    last = review.trace[-1]
    assert (last.rule, last.effect) == ("gift-season", Effect.EXPIRED)
    assert "lapses on Sun 13 Dec 2026 10:00" in last.why
    assert "15 Nov to 26 Dec" in last.why


def test_review_request_that_lapsed_before_now_is_no_longer_a_decision(policy, make_customer):
    history = order("o1", "2026-01-01T10:00:00Z", "2026-01-03T10:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-06-01T10:00:00Z")
    assert result.decision("review_request") is None


def test_review_request_waits_for_the_delivery(policy, make_customer):
    history = order("o1", "2026-06-01T10:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-06-02T10:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.WAITING
    assert review.waiting_for == "order_delivered (o1)"
    assert steps(review) == [
        ("review-after-delivery", Effect.PROPOSED),
        ("review-after-delivery", Effect.WAITING),
    ]


def test_a_submitted_review_ends_the_matter(policy, make_customer):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Event(kind="review_submitted", at="2026-06-04T10:00:00Z", ref="o1", customer="c1"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-04T11:00:00Z")
    assert result.decision("review_request") is None


def test_a_review_request_already_sent_is_not_asked_again(policy, make_customer):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Contact(intent="review_request", channel="email", at="2026-06-06T10:00:00Z", ref="o1"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-07T10:00:00Z")
    assert result.decision("review_request") is None


def test_one_decision_per_intent_and_ref_even_with_two_deliveries(policy, make_customer):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Event(kind="order_delivered", at="2026-06-04T10:00:00Z", ref="o1", customer="c1"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-04T10:00:00Z")
    assert [d.ref for d in result if d.intent == "review_request"] == ["o1"]
    assert local_time(the(result, "review_request")) == "2026-06-06 11:00 +01:00"


# --- arbitration: caps count what was placed before -------------------------------------


def test_cap_counts_decisions_placed_earlier_in_the_plan(make_customer):
    policy = shop_policy(cap=1)
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        *order("o2", "2026-06-01T11:00:00Z", "2026-06-03T11:00:00Z"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-03T12:00:00Z")

    first, second = (the(result, "review_request", ref) for ref in ("o1", "o2"))
    assert local_time(first) == "2026-06-06 11:00 +01:00"
    # One relationship contact per 7 days: the second waits a week after the first.
    assert second.send_at == first.send_at.add(days=7)
    assert ("contact-pressure", Effect.DEFERRED) in steps(second)


def test_cap_counts_contacts_already_sent(make_customer):
    policy = shop_policy(cap=1)
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Contact(intent="welcome", channel="email", at="2026-06-05T10:00:00Z"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-03T12:00:00Z")
    assert the(result, "review_request").send_at == pendulum.datetime(2026, 6, 12, 10, tz="UTC")


def test_service_messages_are_outside_the_cap(make_customer):
    policy = shop_policy(cap=0)
    history = [Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1")]
    result = plan(policy, make_customer(), history, now="2026-06-02T10:00:00Z")
    reply = the(result, "concern_reply", "q1")
    assert reply.status is Status.SCHEDULED
    assert reply.send_at == pendulum.datetime(2026, 6, 2, 10, tz="UTC")


def test_survey_keeps_its_distance_from_another_contact(policy, make_customer):
    history = order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z")
    result = plan(policy, make_customer(), history, now="2026-06-03T10:00:00Z")
    review, survey = the(result, "review_request"), the(result, "feedback_survey")
    # The review goes out on the 6th at 11:00; the survey waits two days after it.
    assert survey.send_at == review.send_at.add(days=2)
    assert ("survey-spacing", Effect.DEFERRED) in steps(survey)


# --- channels, consent and outages -------------------------------------------------------


def test_apology_call_keeps_business_hours_and_skips_holidays(policy, make_customer):
    # An incident on Christmas Eve evening: the next business day in England is the 29th.
    history = [Event(kind="incident_caused", at="2026-12-24T19:00:00Z", ref="i1", customer="c1")]
    result = plan(policy, make_customer(), history, now="2026-12-24T19:00:00Z")

    call = the(result, "apology_call", "i1")
    assert call.channel is Channel.PHONE
    assert local_time(call) == "2026-12-29 10:00 +00:00"
    assert ("calling-days", Effect.DEFERRED) in steps(call)


def test_apology_by_email_when_the_customer_cannot_be_phoned(policy, make_customer):
    customer = make_customer(channels={"email": True, "phone": False})
    history = [Event(kind="incident_caused", at="2026-06-02T10:00:00Z", ref="i1", customer="c1")]
    result = plan(policy, customer, history, now="2026-06-02T10:00:00Z")

    call = the(result, "apology_call")
    assert call.channel is Channel.EMAIL
    skipped = [s for s in call.trace if s.effect is Effect.SKIPPED_CHANNEL]
    assert [s.rule for s in skipped] == ["channel-available"]
    assert "cannot be reached by phone" in skipped[0].why


def test_opt_out_of_a_channel_moves_to_the_next(policy, make_customer):
    history = [
        Event(
            kind="opted_out", at="2026-06-01T10:00:00Z", customer="c1", data={"channel": "email"}
        ),
        Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-02T10:00:00Z")
    assert the(result, "concern_reply").channel is Channel.SMS


def test_opt_in_after_opt_out_restores_the_channel(policy, make_customer):
    history = [
        Event(
            kind="opted_out", at="2026-06-01T10:00:00Z", customer="c1", data={"channel": "email"}
        ),
        Event(kind="opted_in", at="2026-06-01T11:00:00Z", customer="c1", data={"channel": "email"}),
        Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-02T10:00:00Z")
    assert the(result, "concern_reply").channel is Channel.EMAIL


def test_opt_out_of_a_category_holds_it_back(policy, make_customer):
    history = [
        Event(
            kind="opted_out",
            at="2026-06-01T10:00:00Z",
            customer="c1",
            data={"category": "relationship"},
        ),
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
    ]
    result = plan(policy, make_customer(), history, now="2026-06-03T10:00:00Z")
    review = the(result, "review_request")
    assert review.status is Status.WAITING
    assert review.waiting_for == "opted_in"
    assert steps(review)[-1] == ("category-consent", Effect.BLOCKED)


def test_marketing_needs_consent(policy, make_customer):
    customer = make_customer(since="2023-01-10T00:00:00Z")
    without = plan(policy, customer, [], now="2026-01-20T00:00:00Z")
    reward = the(without, "loyalty_reward")
    assert reward.status is Status.WAITING
    assert steps(reward)[-1] == ("marketing-consent", Effect.BLOCKED)

    consenting = make_customer(since="2023-01-10T00:00:00Z", consents={"marketing": True})
    granted = plan(policy, consenting, [], now="2026-01-20T00:00:00Z")
    assert the(granted, "loyalty_reward").status is Status.SCHEDULED


def test_open_complaint_holds_back_the_review_until_resolved(policy, make_customer):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Event(kind="complaint_opened", at="2026-06-04T10:00:00Z", ref="k1", customer="c1"),
    ]
    held = plan(policy, make_customer(), history, now="2026-06-04T11:00:00Z")
    review = the(held, "review_request")
    assert review.status is Status.WAITING
    assert review.waiting_for == "complaint_resolved"

    resolved = [
        *history,
        Event(kind="complaint_resolved", at="2026-06-10T10:00:00Z", ref="k1", customer="c1"),
    ]
    released = plan(policy, make_customer(), resolved, now="2026-06-10T10:30:00Z")
    review = the(released, "review_request")
    assert review.status is Status.SCHEDULED
    assert review.send_at == pendulum.datetime(2026, 6, 10, 10, 30, tz="UTC")


def test_channel_down_waits_for_restore_then_uses_it(policy, make_customer):
    customer = make_customer(channels={"email": True})
    down = Event(kind="channel_down", at="2026-06-02T09:00:00Z", data={"channel": "email"})
    concern = Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1")
    result = plan(policy, customer, [down, concern], now="2026-06-02T10:00:00Z")
    reply = the(result, "concern_reply")
    assert reply.status is Status.WAITING
    assert reply.waiting_for == "channel_restored"

    restored = Event(kind="channel_restored", at="2026-06-02T12:00:00Z", data={"channel": "email"})
    result = plan(policy, customer, [down, concern, restored], now="2026-06-02T10:00:00Z")
    assert the(result, "concern_reply").send_at == pendulum.datetime(2026, 6, 2, 12, tz="UTC")


def test_preferred_channel_goes_first_unless_the_intent_is_personal(policy, make_customer):
    customer = make_customer(attributes={"preferred_channel": "sms"})
    history = [
        Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1"),
        Event(kind="incident_caused", at="2026-06-02T10:00:00Z", ref="i1", customer="c1"),
    ]
    result = plan(policy, customer, history, now="2026-06-02T10:00:00Z")
    assert the(result, "concern_reply").channel is Channel.SMS
    assert the(result, "apology_call").channel is Channel.PHONE


# --- lifecycle triggers -------------------------------------------------------------------


def test_welcome_for_a_new_customer_only(policy, make_customer):
    new = make_customer(since="2026-06-01T08:00:00Z")
    assert (
        the(plan(policy, new, [], now="2026-06-01T08:00:00Z"), "welcome").status is Status.SCHEDULED
    )
    old = make_customer(since="2020-06-01T08:00:00Z")
    assert plan(policy, old, [], now="2026-06-01T08:00:00Z").decision("welcome") is None


def test_invoice_explainer_three_days_before_the_first_invoice(policy, make_customer):
    invoices = [
        Event(kind="invoice_scheduled", at=at, ref=ref, customer="c1", data={"due": due})
        for ref, at, due in (
            ("inv1", "2026-06-01T10:00:00Z", "2026-06-20T10:00:00Z"),
            ("inv2", "2026-07-01T10:00:00Z", "2026-07-20T10:00:00Z"),
        )
    ]
    result = plan(policy, make_customer(), invoices, now="2026-06-01T10:00:00Z")
    explainer = the(result, "invoice_explainer", "inv1")
    assert local_time(explainer) == "2026-06-17 11:00 +01:00"
    assert "3 days before" in explainer.trace[0].why
    assert result.decision("invoice_explainer", "inv2") is None


def test_invoice_without_a_due_date_is_a_clear_error(policy, make_customer):
    invoice = Event(kind="invoice_scheduled", at="2026-06-01T10:00:00Z", id="e7", customer="c1")
    with pytest.raises(InputError, match=r"e7.*data\.due"):
        plan(policy, make_customer(), [invoice], now="2026-06-01T10:00:00Z")


def test_loyalty_reward_recurs_yearly_with_stable_refs(policy, make_customer):
    customer = make_customer(since="2023-03-10T12:00:00Z", consents={"marketing": True})
    result = plan(policy, customer, [], now="2026-03-12T00:00:00Z")
    rewards = [d for d in result if d.intent == "loyalty_reward"]
    # Eligible from the second anniversary: this year's occurrence, and next year's.
    assert [d.ref for d in rewards] == ["2026-03-10", "2027-03-10"]
    assert rewards[0].send_at == pendulum.datetime(2026, 3, 12, 9, tz="UTC")


def test_loyalty_reward_from_the_third_order(policy, make_customer):
    customer = make_customer(since="2026-01-01T00:00:00Z", consents={"marketing": True})
    history = [
        *order("o1", "2026-01-05T10:00:00Z"),
        *order("o2", "2026-02-05T10:00:00Z"),
        *order("o3", "2026-03-05T10:00:00Z"),
    ]
    result = plan(policy, customer, history, now="2026-03-05T10:00:00Z")
    assert the(result, "loyalty_reward").ref == "2026-03-05"


# --- purity, determinism and bad input ----------------------------------------------------


def shop_history() -> list[Event]:
    return [
        *order("o1", "2026-12-10T14:00:00Z", "2026-12-12T14:00:00Z"),
        *order("o2", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Event(kind="concern_raised", at="2026-12-12T16:00:00Z", ref="q1", customer="c1"),
        Event(kind="incident_caused", at="2026-12-12T17:00:00Z", ref="i1", customer="c1"),
        Event(kind="complaint_opened", at="2026-06-05T10:00:00Z", ref="k1", customer="c1"),
        Event(kind="complaint_resolved", at="2026-06-06T10:00:00Z", ref="k1", customer="c1"),
    ]


def test_same_input_same_bytes_in_any_order(policy, make_customer):
    history = shop_history()
    baseline = json.dumps(
        plan(policy, make_customer(), history, now="2026-12-12T18:00:00Z").to_records()
    )
    for seed in range(5):
        shuffled = history[:]
        random.Random(seed).shuffle(shuffled)
        again = plan(policy, make_customer(), shuffled, now="2026-12-12T18:00:00Z").to_records()
        assert json.dumps(again) == baseline


def test_now_may_be_a_clock_or_any_offset(policy, make_customer):
    history = shop_history()
    by_string = plan(policy, make_customer(), history, now="2026-12-12T18:00:00Z")
    by_clock = plan(policy, make_customer(), history, now=FrozenClock("2026-12-12T19:00:00+01:00"))
    assert by_string == by_clock


def test_decision_ids_are_stable_per_customer_intent_and_ref(policy, make_customer):
    result = plan(policy, make_customer(), shop_history(), now="2026-12-12T18:00:00Z")
    review = the(result, "review_request", "o1")
    assert review.id == decision_id("c1", "review_request", "o1")
    assert decision_id("c1", "review_request", "o1") != decision_id("c2", "review_request", "o1")
    assert len({d.id for d in result}) == len(result)


def test_decisions_sorted_by_send_time_then_intent(policy, make_customer):
    result = plan(policy, make_customer(), shop_history(), now="2026-12-12T18:00:00Z")
    scheduled = [d.send_at for d in result if d.send_at is not None]
    assert scheduled == sorted(scheduled)
    assert all(d.send_at is None for d in result.decisions[len(scheduled) :])


def test_broadcast_events_belong_to_every_customer(policy, make_customer):
    customer = make_customer(channels={"email": True})
    down = Event(kind="channel_down", at="2026-06-02T09:00:00Z", data={"channel": "email"})
    concern = Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1")
    assert the(
        plan(policy, customer, [down, concern], now="2026-06-02T10:00:00Z"), "concern_reply"
    ).waiting_for


def test_event_of_another_customer_is_refused(policy, make_customer):
    stranger = Event(kind="order_placed", at="2026-06-01T10:00:00Z", ref="o9", customer="c2")
    with pytest.raises(InputError, match=r"history\[0\]\.customer.*'c2'"):
        plan(policy, make_customer(), [stranger], now="2026-06-02T10:00:00Z")


def test_event_delivered_twice_counts_once(policy, make_customer):
    event = Event(
        kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1", id="e1"
    )
    result = plan(policy, make_customer(), [event, event], now="2026-06-02T10:00:00Z")
    assert len([d for d in result if d.intent == "concern_reply"]) == 1


def test_same_event_id_with_different_content_is_refused(policy, make_customer):
    first = Event(
        kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="c1", id="e1"
    )
    second = Event(
        kind="concern_raised", at="2026-06-02T11:00:00Z", ref="q1", customer="c1", id="e1"
    )
    with pytest.raises(InputError, match=r"history\[1\]\.id='e1'"):
        plan(policy, make_customer(), [first, second], now="2026-06-02T10:00:00Z")


def test_naive_now_is_refused(policy, make_customer):
    with pytest.raises(InputError, match=r"now.*naive"):
        plan(policy, make_customer(), [], now=pendulum.naive(2026, 6, 2))


def test_unknown_engine_is_refused(policy, make_customer):
    with pytest.raises(InputError, match=r"engine='rete'"):
        plan(policy, make_customer(), [], now="2026-06-02T10:00:00Z", engine="rete")


@pytest.mark.parametrize(
    ("arguments", "field", "says"),
    [
        ({"policy": "default"}, "policy", "must be a Policy, not str"),
        ({"customer": {"id": "c1"}}, "customer", "must be a Customer, not dict"),
        ({"history": None}, "history", "must be a list of Events and Contacts, not NoneType"),
        ({"history": {"kind": "order_placed"}}, "history", "not dict"),
        ({"history": 3}, "history", "not int"),
    ],
)
@pytest.mark.parametrize("entry", [plan, plan_records], ids=["plan", "plan_records"])
def test_arguments_of_the_wrong_kind_are_refused_naming_which(
    policy, make_customer, *, entry, arguments, field, says
):
    given = {"policy": policy, "customer": make_customer(), "history": [], **arguments}
    with pytest.raises(InputError, match=says) as raised:
        entry(given["policy"], given["customer"], given["history"], now="2026-06-02T10:00:00Z")
    assert raised.value.field == field
    assert raised.value.hint


def test_a_datetime_is_never_taken_for_a_clock(policy, make_customer):
    # datetime has a now() classmethod; calling it would read the wall clock.
    when = pendulum.datetime(2001, 1, 1, tz="UTC")
    assert plan(policy, make_customer(), [], now=when).now == when
