"""The assertions of ``outreach_rules.testing``: they pass when the plan says what they
expect, and otherwise fail with the decision's trace in the message.

The customers, histories and policy come from the library's pytest plugin, as in a user's
project: ``make_customer``, ``make_history``, ``outreach_policy`` and ``frozen_now``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from outreach_rules import Channel, Decision, InputError, Status, VocabularyError, plan
from outreach_rules.testing import (
    FrozenClock,
    assert_not_scheduled,
    assert_scheduled,
    assert_within_hours,
)
from outreach_rules.testing.assertions import Expectation

# Delivered on Wednesday 3 June at 14:00 in London: the review request goes on Saturday
# 6 June at 14:00 (13:00 UTC) by email; the survey two weeks after the delivery.
DELIVERED = "2026-06-03T13:00:00Z"
REVIEW_TRACE = "1. proposed        review-after-delivery"


@pytest.fixture
def delivered(outreach_policy, make_customer, make_history):
    history = make_history(
        ("order_placed", "2026-06-01T10:00:00Z", "o1"),
        ("order_delivered", DELIVERED, "o1"),
    )
    return plan(outreach_policy, make_customer(), history, now=DELIVERED)


@pytest.fixture
def undelivered(outreach_policy, make_customer, make_history):
    history = make_history(("order_placed", "2026-06-01T10:00:00Z", "o1"))
    return plan(outreach_policy, make_customer(), history, now=DELIVERED)


# --- assert_scheduled -------------------------------------------------------------------------


def test_assert_scheduled_returns_the_decision(delivered):
    decision = assert_scheduled(delivered, "review_request")
    assert isinstance(decision, Decision)
    assert decision.ref == "o1"
    assert assert_scheduled(delivered, "review_request", ref="o1", channel="email") == decision
    assert assert_scheduled(delivered, "review_request", channel=Channel.EMAIL) == decision


@pytest.mark.parametrize(
    "between",
    [
        ("14:00", "14:00"),
        ("09:00", "20:00"),
        # A window across midnight.
        ("13:00", "02:00"),
        ("2026-06-06 14:00", "2026-06-06 14:00"),
        ("2026-06-06T00:00", "2026-06-07T00:00"),
        ("2026-06-06T13:00:00Z", "2026-06-06T13:00:00Z"),
        ("2026-06-06T14:00:00+01:00", "2026-06-06T14:30:00+01:00"),
        (
            dt.datetime(2026, 6, 6, 14, tzinfo=ZoneInfo("Europe/London")),
            dt.datetime(2026, 6, 6, 15, tzinfo=ZoneInfo("Europe/London")),
        ),
    ],
)
def test_assert_scheduled_between_times_of_day_local_times_and_instants(delivered, between):
    assert_scheduled(delivered, "review_request", "o1", "email", between)


@pytest.mark.parametrize(
    ("between", "said"),
    [
        (("09:00", "12:00"), "between 09:00 and 12:00 local time (Europe/London)"),
        (("14:01", "13:59"), "between 14:01 and 13:59 local time (Europe/London)"),
        (("2026-06-06 09:00", "2026-06-06 13:59"), "between 2026-06-06 09:00 and 2026-06-06 13:59"),
        (("2026-06-06T14:00:00Z", "2026-06-06T15:00:00Z"), "between 2026-06-06T14:00:00Z"),
        (("2026-06-07 14:00", "2026-06-07 14:00"), "at 2026-06-07 14:00 local time"),
    ],
)
def test_assert_scheduled_at_another_time_fails_with_the_trace(delivered, between, said):
    with pytest.raises(AssertionError) as failed:
        assert_scheduled(delivered, "review_request", "o1", between=between)
    message = str(failed.value)
    assert said in message
    assert "is scheduled by email on Sat 6 Jun 2026 14:00 (Europe/London)" in message
    assert REVIEW_TRACE in message
    assert "chose_channel   channel" in message


def test_assert_scheduled_on_another_channel_fails_with_the_trace(delivered):
    with pytest.raises(AssertionError, match="scheduled by sms") as failed:
        assert_scheduled(delivered, "review_request", "o1", channel="sms")
    assert REVIEW_TRACE in str(failed.value)


def test_assert_scheduled_fails_on_a_waiting_decision_with_what_it_waits_for(undelivered):
    with pytest.raises(AssertionError) as failed:
        assert_scheduled(undelivered, "review_request", "o1")
    message = str(failed.value)
    assert "is waiting for order_delivered (o1)" in message
    assert "2. waiting         review-after-delivery" in message


def test_assert_scheduled_without_the_decision_shows_the_whole_plan(delivered):
    with pytest.raises(AssertionError) as failed:
        assert_scheduled(delivered, "apology_call")
    message = str(failed.value)
    assert "the plan has no decision for it" in message
    assert "customer c1 (Europe/London, GB), planned at 2026-06-03T13:00:00+00:00" in message
    assert REVIEW_TRACE in message

    with pytest.raises(AssertionError, match=r"\(it has review_request for o1\)"):
        assert_scheduled(delivered, "review_request", ref="o2")


def test_assert_scheduled_without_a_ref_takes_any_decision_that_fits(
    outreach_policy, make_customer, make_history
):
    history = make_history(
        ("order_placed", "2026-05-28T10:00:00Z", "o1"),
        ("order_delivered", "2026-06-01T10:00:00Z", "o1"),
        ("order_placed", "2026-05-28T11:00:00Z", "o2"),
        ("order_delivered", "2026-06-01T11:00:00Z", "o2"),
    )
    result = plan(outreach_policy, make_customer(), history, now="2026-06-01T12:00:00Z")
    # One review request a month: o2's goes a month after o1's.
    later = assert_scheduled(result, "review_request", between=("2026-07-01", "2026-08-01"))
    assert later.ref == "o2"
    with pytest.raises(AssertionError) as failed:
        assert_scheduled(result, "review_request", between=("2026-06-10", "2026-06-20"))
    # Both candidates are shown, each with its trace.
    assert str(failed.value).count(REVIEW_TRACE) == 2


def test_a_frozen_clock_is_a_now(outreach_policy, make_customer, make_history, frozen_now):
    assert frozen_now.now().isoformat() == "2026-06-01T09:00:00+00:00"
    history = make_history(("concern_raised", "2026-06-01T08:30:00Z", "q1"))

    result = plan(outreach_policy, make_customer(), history, now=frozen_now)
    assert_scheduled(result, "concern_reply", "q1", "email", between=("10:00", "10:00"))

    frozen_now.advance(hours=12)
    later = plan(outreach_policy, make_customer(), history, now=frozen_now)
    assert_scheduled(later, "concern_reply", "q1", between=("2026-06-02 09:00", "2026-06-02 09:00"))


# --- assert_not_scheduled ---------------------------------------------------------------------


def test_assert_not_scheduled_passes_on_none_waiting_or_later(delivered, undelivered):
    assert_not_scheduled(delivered, "apology_call")
    assert_not_scheduled(undelivered, "review_request", "o1")
    assert_not_scheduled(delivered, "review_request", before="2026-06-06 14:00")
    assert_not_scheduled(delivered, "review_request", before="2026-06-06T13:00:00Z")


def test_assert_not_scheduled_fails_with_the_trace(delivered):
    with pytest.raises(AssertionError) as failed:
        assert_not_scheduled(delivered, "review_request")
    message = str(failed.value)
    assert "expected review_request not to be scheduled, but" in message
    assert "review_request for o1 is scheduled by email on Sat 6 Jun 2026 14:00" in message
    assert REVIEW_TRACE in message

    with pytest.raises(AssertionError, match="before 2026-06-06 14:01 local time") as failed:
        assert_not_scheduled(delivered, "review_request", "o1", before="2026-06-06 14:01")
    assert REVIEW_TRACE in str(failed.value)


def test_assert_not_scheduled_wants_a_day_with_its_time(delivered):
    with pytest.raises(InputError, match="names no particular day"):
        assert_not_scheduled(delivered, "review_request", before="09:00")


# --- assert_within_hours ----------------------------------------------------------------------


def test_assert_within_hours_passes_when_every_decision_is_inside(delivered):
    assert_within_hours(delivered, "09:00", "20:00")
    assert_within_hours(delivered, "14:00", "24:00")
    # Across midnight.
    assert_within_hours(delivered, "12:00", "01:00")


def test_assert_within_hours_by_channel(outreach_policy, make_customer, make_history):
    history = make_history(
        ("incident_caused", "2026-06-05T17:30:00Z", "i1"),
        ("concern_raised", "2026-06-05T17:30:00Z", "q1"),
    )
    result = plan(outreach_policy, make_customer(), history, now="2026-06-05T17:30:00Z")
    assert_within_hours(result, "10:00", "18:00", channel="phone")
    with pytest.raises(AssertionError, match="concern_reply for q1 is scheduled by email"):
        assert_within_hours(result, "10:00", "18:00")


def test_assert_within_hours_excludes_the_end_and_shows_the_traces(delivered):
    with pytest.raises(AssertionError) as failed:
        assert_within_hours(delivered, "09:00", "14:00")
    message = str(failed.value)
    assert "from 09:00 to 14:00 local time (Europe/London, 14:00 excluded)" in message
    assert "review_request for o1 is scheduled by email on Sat 6 Jun 2026 14:00" in message
    assert REVIEW_TRACE in message
    # The survey, at 14:00 too, is outside as well; the welcome-free plan has nothing else.
    assert "feedback_survey for o1" in message


# --- arguments that make no sense are refused, not failed --------------------------------------


@pytest.mark.parametrize(
    ("between", "complaint"),
    [
        (("09:00",), "must be a pair"),
        ("09:00-12:00", "must be a pair"),
        (("09:00", "2026-06-06 12:00"), "mixes a time of day with a date"),
        (("2026-06-06 09:00", "2026-06-06T12:00:00Z"), "mixes a local time with an instant"),
        (("2026-06-07 09:00", "2026-06-06 12:00"), "ends before it starts"),
        (("soon", "later"), "is not a time I can read"),
        (("25:00", "26:00"), "is not a time I can read"),
        ((dt.datetime(2026, 6, 6, 9), dt.datetime(2026, 6, 6, 12)), "naive datetime"),
        ((9, 12), "must be a time, not int"),
    ],
)
def test_a_bad_between_is_an_input_error(delivered, between, complaint):
    with pytest.raises(InputError, match=complaint):
        assert_scheduled(delivered, "review_request", between=between)


def test_bad_channels_hours_and_plans_are_refused(delivered):
    with pytest.raises(VocabularyError, match="did you mean 'email'"):
        assert_scheduled(delivered, "review_request", channel="emial")
    with pytest.raises(InputError, match=r"end=.*must be a time of day"):
        assert_within_hours(delivered, "09:00", "8pm")
    with pytest.raises(TypeError, match="must be a Plan"):
        assert_scheduled(list(delivered), "review_request")
    with pytest.raises(TypeError, match="must be a Plan"):
        assert_within_hours(list(delivered), "09:00", "20:00")


# --- the expectation behind them, as scenario files use it ------------------------------------


def test_expectations_of_every_status(delivered, undelivered):
    assert Expectation(intent="apology_call", status="absent").failure(delivered) is None
    waits = Expectation(
        intent="review_request", status="waiting", waiting_for="order_delivered (o1)"
    )
    assert waits.failure(undelivered) is None
    assert "is scheduled by email" in (waits.failure(delivered) or "")
    present = Expectation(intent="review_request", status="absent").failure(delivered)
    assert present is not None
    assert REVIEW_TRACE in present
    suppressed = Expectation(intent="review_request", status=Status.SUPPRESSED)
    assert "is waiting for" in (suppressed.failure(undelivered) or "")


def test_expectations_of_the_trace(delivered):
    met = Expectation(
        intent="review_request", trace=["review-after-delivery: proposed", "quiet-hours"]
    )
    assert met.failure(delivered) is None
    unmet = Expectation(intent="review_request", trace=["gift-season: deferred"])
    failure = unmet.failure(delivered) or ""
    assert "has no step 'gift-season: deferred' in its trace" in failure
    assert REVIEW_TRACE in failure
    with pytest.raises(VocabularyError, match="trace"):
        Expectation(intent="review_request", trace=["gift-season: postponed"])


def test_expectations_refuse_what_only_a_scheduled_decision_has():
    with pytest.raises(InputError, match=r"between.*only makes sense for a scheduled"):
        Expectation(intent="welcome", status="waiting", between=("09:00", "10:00"))
    with pytest.raises(InputError, match=r"channel.*only makes sense for a scheduled"):
        Expectation(intent="welcome", status="absent", channel="email")
    with pytest.raises(VocabularyError, match="did you mean 'waiting'"):
        Expectation(intent="welcome", status="waitng")


def test_the_clock_types_are_the_librarys():
    import outreach_rules  # noqa: PLC0415

    assert FrozenClock is outreach_rules.FrozenClock
