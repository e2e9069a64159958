"""The built-in playbook, practice by practice: each test is a realistic history and what the
playbook decides about it, in the customer's own time zone, with the rules in its trace.

The practices are those of PRACTICES.md; the tests are named after them (``test_p1_...``).
"""

from __future__ import annotations

import re
from typing import Any

import pendulum
import pytest

from outreach_rules import (
    Category,
    Channel,
    Contact,
    Customer,
    Decision,
    Effect,
    Event,
    Plan,
    Policy,
    Status,
    plan,
)
from outreach_rules.testing import assert_not_scheduled, assert_scheduled, assert_within_hours

from conftest import order

# Both planning cores, one behaviour: each test runs on every core built here.
pytestmark = pytest.mark.usefixtures("each_core")


@pytest.fixture(scope="module")
def playbook() -> Policy:
    return Policy.default()


def customer(**fields: Any) -> Customer:
    """Customer c1: by default in London, reachable by email, sms and phone."""
    values: dict[str, Any] = {
        "id": "c1",
        "timezone": "Europe/London",
        "country": "GB",
        "since": "2019-05-01T00:00:00Z",
        "channels": {"email": True, "sms": True, "phone": True},
    }
    values.update(fields)
    return Customer(**values)


def event(kind: str, at: str, ref: str | None = None, **data: Any) -> Event:
    return Event(kind=kind, at=at, ref=ref, customer="c1", data=data)


def the(result: Plan, intent: str, ref: str | None = None) -> Decision:
    found = result.decision(intent, ref)
    assert found is not None, result.explain()
    return found


def local(decision: Decision) -> str:
    """When the decision goes out, on the customer's clock."""
    assert decision.local_send_at is not None, decision.explain()
    return decision.local_send_at.format("YYYY-MM-DD HH:mm")


def steps(decision: Decision) -> list[tuple[str, Effect]]:
    return [(step.rule, step.effect) for step in decision.trace]


def step(decision: Decision, rule: str) -> Any:
    return next(s for s in decision.trace if s.rule == rule)


def utc(text: str) -> Any:
    return pendulum.parse(text)


# --- the playbook as a whole ----------------------------------------------------------------


def test_every_practice_is_cited_by_a_rule(playbook):
    rules = [*playbook.triggers, *playbook.guards]
    cited = {practice for rule in rules for practice in rule.practices}
    assert cited == {f"P{number}" for number in range(1, 18)}


def test_every_rule_has_a_one_line_description_and_practices(playbook):
    for rule in [*playbook.triggers, *playbook.guards]:
        assert rule.description.strip(), rule.id
        assert "\n" not in rule.description, rule.id
        assert rule.practices, rule.id
        assert all(re.fullmatch(r"P([1-9]|1[0-7])", p) for p in rule.practices), rule.id


def test_all_thirteen_intents_with_their_categories(playbook):
    categories = {intent.name: intent.category for intent in playbook.intents}
    assert categories == {
        "invoice_explainer": Category.TRANSACTIONAL,
        "payment_reminder": Category.TRANSACTIONAL,
        "outage_notice": Category.TRANSACTIONAL,
        "restored_notice": Category.TRANSACTIONAL,
        "concern_reply": Category.SERVICE,
        "apology_call": Category.SERVICE,
        "alternative_offer": Category.SERVICE,
        "welcome": Category.RELATIONSHIP,
        "thank_you": Category.RELATIONSHIP,
        "success_call": Category.RELATIONSHIP,
        "review_request": Category.RELATIONSHIP,
        "feedback_survey": Category.RELATIONSHIP,
        "loyalty_reward": Category.MARKETING,
    }
    assert all(intent.description for intent in playbook.intents)


def test_service_and_transactional_intents_are_placed_first(playbook):
    priorities = [intent.priority for intent in playbook.intents]
    assert len(set(priorities)) == len(priorities)
    needed = [Category.SERVICE, Category.TRANSACTIONAL]
    first = max(i.priority for i in playbook.intents if i.category in needed)
    then = min(i.priority for i in playbook.intents if i.category not in needed)
    assert first < then


def test_playbook_knows_every_event_kind_of_the_design(playbook):
    design = {
        "order_placed",
        "order_delivered",
        "review_submitted",
        "complaint_opened",
        "complaint_resolved",
        "concern_raised",
        "concern_answered",
        "request_declined",
        "incident_caused",
        "incident_resolved",
        "invoice_scheduled",
        "info_volunteered",
        "milestone_reached",
        "channel_down",
        "channel_restored",
        "contact_sent",
        "opted_out",
        "opted_in",
    }
    assert design <= set(playbook.events)
    for trigger in playbook.triggers:
        used = {trigger.on, *trigger.unless, *([trigger.requires] if trigger.requires else [])}
        assert used - {"customer"} <= set(playbook.events), trigger.id


def test_playbook_is_named_default_and_lint_clean(playbook):
    assert playbook.name == "default"
    # No rule that never fires, no cap that never binds, no tied priorities.
    assert playbook.lint() == ()


# --- P1 no review request before delivery ---------------------------------------------------


def test_p1_review_request_three_days_after_delivery(playbook):
    history = order("o1", "2026-06-01T10:00:00Z", "2026-06-03T13:00:00Z")
    result = plan(playbook, customer(), history, now="2026-06-03T13:00:00Z")

    # Delivered at 14:00 BST: three calendar days later, at the same local time.
    review = assert_scheduled(
        result, "review_request", "o1", "email", between=("2026-06-06 14:00", "2026-06-06 14:00")
    )
    assert review.expires == utc("2026-08-02T13:00:00Z")
    assert steps(review) == [
        ("review-after-delivery", Effect.PROPOSED),
        ("not-on-order-day", Effect.ALLOWED),
        ("review-request-cap", Effect.ALLOWED),
        ("contact-pressure", Effect.ALLOWED),
        ("quiet-hours", Effect.ALLOWED),
        ("channel", Effect.CHOSE_CHANNEL),
    ]
    assert "order_delivered (o1)" in review.trace[0].why


def test_p1_review_request_waits_for_the_delivery(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY")
    history = order("o1", "2026-06-01T15:00:00Z")
    result = plan(playbook, new_york, history, now="2026-06-02T15:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.WAITING
    assert review.waiting_for == "order_delivered (o1)"
    assert review.send_at is None
    assert steps(review) == [
        ("review-after-delivery", Effect.PROPOSED),
        ("review-after-delivery", Effect.WAITING),
    ]


def test_p1_review_request_lapses_sixty_days_after_delivery(playbook):
    history = order("o1", "2026-02-27T10:00:00Z", "2026-03-02T10:00:00Z")

    late = plan(playbook, customer(), history, now="2026-04-30T10:00:00Z")
    review = the(late, "review_request", "o1")
    assert local(review) == "2026-04-30 11:00"
    assert ("plan-now", Effect.DEFERRED) in steps(review)

    too_late = plan(playbook, customer(), history, now="2026-05-02T10:00:00Z")
    assert too_late.decision("review_request", "o1") is None


# --- P2 no review request on the day of ordering ----------------------------------------------


def test_p2_no_review_request_on_a_day_the_customer_orders(playbook):
    sydney = customer(timezone="Australia/Sydney", country="AU-NSW")
    history = [
        *order("o1", "2026-05-25T00:00:00Z", "2026-06-01T00:00:00Z"),
        # 22:30 UTC on the 3rd is 08:30 on the 4th in Sydney: the customer's order day.
        *order("o2", "2026-06-03T22:30:00Z"),
    ]
    result = plan(playbook, sydney, history, now="2026-06-03T23:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    assert local(review) == "2026-06-05 09:00"
    assert steps(review)[:3] == [
        ("review-after-delivery", Effect.PROPOSED),
        ("not-on-order-day", Effect.DEFERRED),
        ("quiet-hours", Effect.DEFERRED),
    ]
    moved = step(review, "not-on-order-day")
    assert moved.before == utc("2026-06-04T00:00:00Z")  # 10:00 on the 4th in Sydney
    assert moved.after == utc("2026-06-04T14:00:00Z")  # midnight starting the 5th
    assert the(result, "review_request", "o2").status is Status.WAITING


# --- P3 gift season ---------------------------------------------------------------------------


def test_p3_review_for_an_order_placed_in_gift_season_waits_until_after_christmas(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY")
    history = order("o1", "2026-12-10T15:00:00Z", "2026-12-14T20:00:00Z")
    result = plan(playbook, new_york, history, now="2026-12-14T20:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    assert review.channel is Channel.EMAIL
    # Deferred past 26 December, not dropped, then out of the night.
    assert local(review) == "2026-12-27 09:00"
    assert steps(review)[:3] == [
        ("review-after-delivery", Effect.PROPOSED),
        ("gift-season", Effect.DEFERRED),
        ("quiet-hours", Effect.DEFERRED),
    ]
    gift = step(review, "gift-season")
    assert gift.before == utc("2026-12-17T20:00:00Z")
    assert gift.after == utc("2026-12-27T05:00:00Z")  # midnight in New York
    assert "15 Nov to 26 Dec" in gift.why


def test_p3_gift_flag_defers_an_order_placed_before_the_season(playbook):
    sydney = customer(timezone="Australia/Sydney", country="AU-NSW")
    gift = order("o1", "2026-11-01T00:00:00Z", "2026-11-12T00:00:00Z", gift=True)
    plain = order("o1", "2026-11-01T00:00:00Z", "2026-11-12T00:00:00Z")

    flagged = the(plan(playbook, sydney, gift, now="2026-11-12T00:00:00Z"), "review_request")
    assert local(flagged) == "2026-12-27 09:00"
    assert ("gift-season", Effect.DEFERRED) in steps(flagged)

    # Placed on 1 and delivered on 12 November, not flagged: not a likely gift, so asked
    # 3 days after delivery, although that is inside the season.
    unflagged = the(plan(playbook, sydney, plain, now="2026-11-12T00:00:00Z"), "review_request")
    assert local(unflagged) == "2026-11-15 11:00"
    assert "gift-season" not in [rule for rule, _ in steps(unflagged)]


def test_p3_an_order_placed_before_the_season_and_delivered_in_it_waits_until_after_christmas(
    playbook,
):
    # Seen in real orders: placed on 12 November, delivered on 8 December, as likely a
    # present as one placed on 16 November.
    history = order("o1", "2026-11-12T10:00:00Z", "2026-12-08T10:00:00Z")
    result = plan(playbook, customer(), history, now="2026-12-08T10:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    assert local(review) == "2026-12-27 09:00"
    assert ("gift-season", Effect.DEFERRED) in steps(review)


def test_p3_gift_delivered_after_the_season_is_asked_about_at_once(playbook):
    history = order("o1", "2026-12-20T10:00:00Z", "2027-01-05T10:00:00Z")
    result = plan(playbook, customer(), history, now="2027-01-05T10:00:00Z")

    review = the(result, "review_request", "o1")
    assert local(review) == "2027-01-08 10:00"
    assert ("gift-season", Effect.ALLOWED) in steps(review)


# --- P4 one request per order -----------------------------------------------------------------


def test_p4_a_submitted_review_ends_the_matter(playbook):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        event("review_submitted", "2026-06-04T10:00:00Z", "o1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-04T11:00:00Z")
    assert result.decision("review_request", "o1") is None
    assert the(result, "feedback_survey", "o1").status is Status.SCHEDULED


def test_p4_a_request_already_sent_for_the_order_is_not_sent_again(playbook):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        *order("o2", "2026-06-01T11:00:00Z", "2026-06-03T11:00:00Z"),
        Contact(intent="review_request", channel="email", at="2026-06-06T10:00:00Z", ref="o1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-07T10:00:00Z")
    assert result.decision("review_request", "o1") is None
    # The other order's request keeps a month's distance from the one just sent.
    other = the(result, "review_request", "o2")
    assert local(other) == "2026-07-06 11:00"
    assert ("review-request-cap", Effect.DEFERRED) in steps(other)


def test_p4_review_requests_are_capped_per_customer(playbook):
    history = [
        *order("o1", "2026-05-28T10:00:00Z", "2026-06-01T10:00:00Z"),
        *order("o2", "2026-05-28T11:00:00Z", "2026-06-01T11:00:00Z"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-01T12:00:00Z")

    first, second = the(result, "review_request", "o1"), the(result, "review_request", "o2")
    assert local(first) == "2026-06-04 11:00"
    # One review request a month: the second waits 30 days after the first.
    assert local(second) == "2026-07-04 11:00"
    capped = step(second, "review-request-cap")
    assert capped.effect is Effect.DEFERRED
    assert capped.before == utc("2026-06-04T11:00:00Z")
    assert capped.after == utc("2026-07-04T10:00:00Z")


# --- P5 reviews never outrank relations -------------------------------------------------------


def test_p5_open_complaint_holds_back_review_until_resolved(playbook):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        event("complaint_opened", "2026-06-04T10:00:00Z", "k1"),
    ]
    held = plan(playbook, customer(), history, now="2026-06-04T11:00:00Z")

    review = the(held, "review_request", "o1")
    assert review.status is Status.WAITING
    assert review.waiting_for == "complaint_resolved"
    assert steps(review)[-1] == ("hold-for-open-complaint", Effect.BLOCKED)
    # The complaint itself is answered at once (P7).
    reply = the(held, "concern_reply", "k1")
    assert local(reply) == "2026-06-04 12:00"

    resolved = [*history, event("complaint_resolved", "2026-06-10T10:00:00Z", "k1")]
    released = plan(playbook, customer(), resolved, now="2026-06-10T10:00:00Z")
    review = the(released, "review_request", "o1")
    assert review.status is Status.SCHEDULED
    assert local(review) == "2026-06-10 11:00"
    assert released.decision("concern_reply", "k1") is None


def test_p5_unanswered_concern_holds_back_review_and_survey(playbook):
    kolkata = customer(timezone="Asia/Kolkata", country="IN")
    history = [
        *order("o1", "2026-06-01T04:30:00Z", "2026-06-02T04:30:00Z"),
        event("concern_raised", "2026-06-04T08:00:00Z", "q1"),
    ]
    result = plan(playbook, kolkata, history, now="2026-06-04T08:00:00Z")

    for intent in ("review_request", "feedback_survey"):
        held = the(result, intent, "o1")
        assert held.status is Status.WAITING
        assert held.waiting_for == "concern_answered"
        assert steps(held)[-1] == ("hold-for-open-concern", Effect.BLOCKED)
    reply = the(result, "concern_reply", "q1")
    assert reply.status is Status.SCHEDULED
    assert local(reply) == "2026-06-04 13:30"


# --- P6 genuine dialogue, not survey spam -----------------------------------------------------


def test_p6_survey_at_most_once_a_quarter(playbook):
    history = [
        Contact(intent="feedback_survey", channel="email", at="2026-03-25T09:00:00Z", ref="o0"),
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-03T10:00:00Z")

    survey = the(result, "feedback_survey", "o1")
    assert survey.status is Status.SCHEDULED
    # Two weeks after delivery would be 17 June; 91 days after the last survey is the 24th.
    assert local(survey) == "2026-06-24 10:00"
    quarter = step(survey, "survey-once-a-quarter")
    assert quarter.effect is Effect.DEFERRED
    assert quarter.before == utc("2026-06-17T10:00:00Z")
    assert quarter.after == utc("2026-06-24T09:00:00Z")


def test_p6_survey_that_cannot_keep_the_quarter_lapses(playbook):
    history = [
        Contact(intent="feedback_survey", channel="email", at="2026-05-01T09:00:00Z", ref="o0"),
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-03T10:00:00Z")

    survey = the(result, "feedback_survey", "o1")
    assert survey.status is Status.SUPPRESSED
    assert survey.send_at is None
    assert steps(survey)[-1] == ("survey-once-a-quarter", Effect.EXPIRED)
    assert "lapses on Fri 3 Jul 2026 11:00" in survey.why


def test_p6_survey_keeps_its_distance_from_any_other_contact(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY")
    history = [
        *order("o1", "2026-06-01T14:00:00Z", "2026-06-03T14:00:00Z"),
        Contact(intent="payment_reminder", channel="email", at="2026-06-16T15:00:00Z"),
    ]
    result = plan(playbook, new_york, history, now="2026-06-03T14:00:00Z")

    survey = the(result, "feedback_survey", "o1")
    # Due on 17 June at 10:00; a payment reminder went out the day before at 11:00.
    assert local(survey) == "2026-06-19 11:00"
    spacing = step(survey, "survey-spacing")
    assert spacing.effect is Effect.DEFERRED
    assert spacing.before == utc("2026-06-17T14:00:00Z")
    assert spacing.after == utc("2026-06-19T15:00:00Z")


def test_p6_no_survey_while_a_complaint_is_open(playbook):
    history = [
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        Contact(intent="review_request", channel="email", at="2026-06-06T10:00:00Z", ref="o1"),
        event("complaint_opened", "2026-06-10T10:00:00Z", "k1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-10T10:00:00Z")

    survey = the(result, "feedback_survey", "o1")
    assert survey.status is Status.WAITING
    assert survey.waiting_for == "complaint_resolved"
    assert steps(survey)[-1] == ("hold-for-open-complaint", Effect.BLOCKED)


# --- P7 every concern gets a reply ------------------------------------------------------------


def test_p7_every_concern_gets_a_prompt_reply(playbook):
    kolkata = customer(timezone="Asia/Kolkata", country="IN")
    # Raised on Saturday at 22:00 in Kolkata (UTC+05:30): answered first thing next morning.
    history = [event("concern_raised", "2026-06-06T16:30:00Z", "q1")]
    result = plan(playbook, kolkata, history, now="2026-06-06T16:30:00Z")

    reply = assert_scheduled(result, "concern_reply", "q1", "email", between=("09:00", "09:00"))
    assert local(reply) == "2026-06-07 09:00"
    assert reply.send_at == utc("2026-06-07T03:30:00Z")
    assert reply.expires is None
    assert steps(reply) == [
        ("reply-to-concern", Effect.PROPOSED),
        ("quiet-hours", Effect.DEFERRED),
        ("channel", Effect.CHOSE_CHANNEL),
    ]


def test_p7_a_complaint_gets_a_reply_too(playbook):
    sydney = customer(timezone="Australia/Sydney", country="AU-NSW")
    history = [event("complaint_opened", "2026-06-02T03:00:00Z", "k1")]
    result = plan(playbook, sydney, history, now="2026-06-02T03:00:00Z")

    reply = the(result, "concern_reply", "k1")
    assert local(reply) == "2026-06-02 13:00"
    assert steps(reply)[0] == ("reply-to-complaint", Effect.PROPOSED)


def test_p7_a_reply_is_never_dropped(playbook):
    history = [event("concern_raised", "2026-01-10T10:00:00Z", "q1")]
    result = plan(playbook, customer(), history, now="2026-04-01T10:00:00Z")

    reply = the(result, "concern_reply", "q1")
    assert reply.status is Status.SCHEDULED
    assert local(reply) == "2026-04-01 11:00"
    assert ("plan-now", Effect.DEFERRED) in steps(reply)


def test_p7_each_concern_without_a_ref_gets_its_own_reply(playbook):
    history = [
        Event(kind="concern_raised", at="2026-06-02T10:00:00Z", customer="c1", id="e1"),
        Event(kind="concern_raised", at="2026-06-02T10:05:00Z", customer="c1", id="e2"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-02T10:05:00Z")
    replies = [d for d in result if d.intent == "concern_reply"]
    assert [(d.ref, local(d)) for d in replies] == [
        ("e1", "2026-06-02 11:05"),
        ("e2", "2026-06-02 11:05"),
    ]


def test_p7_an_answered_concern_needs_no_further_reply(playbook):
    history = [
        event("concern_raised", "2026-06-02T10:00:00Z", "q1"),
        event("concern_answered", "2026-06-02T10:30:00Z", "q1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-02T10:00:00Z")
    assert result.decision("concern_reply", "q1") is None


# --- P8 own mistakes, by phone ----------------------------------------------------------------


def test_p8_apology_call_in_the_next_calling_hours(playbook):
    # A mistake on Friday at 18:30 in London: the call is on Monday at 10:00.
    history = [event("incident_caused", "2026-06-05T17:30:00Z", "i1")]
    result = plan(playbook, customer(), history, now="2026-06-05T17:30:00Z")

    call = the(result, "apology_call", "i1")
    assert call.status is Status.SCHEDULED
    assert call.channel is Channel.PHONE
    assert local(call) == "2026-06-08 10:00"
    assert steps(call) == [
        ("apology-after-mistake", Effect.PROPOSED),
        ("calling-hours", Effect.DEFERRED),
        ("calling-days", Effect.ALLOWED),
        ("channel", Effect.CHOSE_CHANNEL),
    ]
    moved = step(call, "calling-hours")
    assert moved.before == utc("2026-06-05T17:30:00Z")
    assert moved.after == utc("2026-06-08T09:00:00Z")


def test_p8_apology_by_email_when_the_customer_cannot_be_phoned(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY", channels={"email": True})
    history = [event("incident_caused", "2026-06-06T14:00:00Z", "i1")]
    result = plan(playbook, new_york, history, now="2026-06-06T14:00:00Z")

    apology = the(result, "apology_call", "i1")
    assert apology.channel is Channel.EMAIL
    # Saturday 10:00 in New York: no calling hours needed for an email.
    assert local(apology) == "2026-06-06 10:00"
    skipped = [s for s in apology.trace if s.effect is Effect.SKIPPED_CHANNEL]
    assert [s.rule for s in skipped] == ["channel-available"]


def test_p8_marketing_pauses_until_the_incident_is_resolved(playbook):
    loyal = customer(since="2023-03-10T12:00:00Z", consents={"marketing": True})
    history = [event("incident_caused", "2026-03-09T09:00:00Z", "i1")]
    paused = plan(playbook, loyal, history, now="2026-03-11T10:00:00Z")

    reward = the(paused, "loyalty_reward", "2026-03-10")
    assert reward.status is Status.WAITING
    assert reward.waiting_for == "incident_resolved"
    assert steps(reward)[-1] == ("pause-marketing-after-mistake", Effect.BLOCKED)
    assert local(the(paused, "apology_call", "i1")) == "2026-03-11 10:00"

    resolved = [*history, event("incident_resolved", "2026-03-12T15:00:00Z", "i1")]
    released = plan(playbook, loyal, resolved, now="2026-03-12T15:00:00Z")
    reward = the(released, "loyalty_reward", "2026-03-10")
    assert reward.status is Status.SCHEDULED
    assert local(reward) == "2026-03-12 15:00"
    assert ("pause-marketing-after-mistake", Effect.ALLOWED) in steps(reward)


# --- P9 offer an alternative ------------------------------------------------------------------


def test_p9_a_declined_request_is_followed_by_an_alternative(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY")
    # Declined at 21:00 in New York: the alternative goes at 09:00 the next morning.
    history = [event("request_declined", "2026-06-10T01:00:00Z", "r1")]
    result = plan(playbook, new_york, history, now="2026-06-10T01:00:00Z")

    offer = the(result, "alternative_offer", "r1")
    assert offer.status is Status.SCHEDULED
    assert offer.channel is Channel.EMAIL
    assert local(offer) == "2026-06-10 09:00"
    assert offer.expires == utc("2026-06-17T01:00:00Z")
    assert steps(offer)[0] == ("alternative-after-decline", Effect.PROPOSED)


# --- P10 celebrate success too ----------------------------------------------------------------


def test_p10_a_high_value_customer_gets_a_success_call(playbook):
    sydney = customer(
        timezone="Australia/Sydney", country="AU-NSW", attributes={"value_tier": "high"}
    )
    # Friday 19:00 in Sydney; Monday 8 June is the King's Birthday holiday in New South Wales.
    history = [event("milestone_reached", "2026-06-05T09:00:00Z", "m1")]
    result = plan(playbook, sydney, history, now="2026-06-05T09:00:00Z")

    call = the(result, "success_call", "m1")
    assert call.status is Status.SCHEDULED
    assert call.channel is Channel.PHONE
    assert local(call) == "2026-06-09 10:00"
    assert ("calling-hours", Effect.DEFERRED) in steps(call)
    holiday = step(call, "calling-days")
    assert holiday.effect is Effect.DEFERRED
    assert holiday.before == utc("2026-06-08T00:00:00Z")
    assert holiday.after == utc("2026-06-08T14:00:00Z")
    assert result.decision("thank_you", "m1") is None


@pytest.mark.parametrize("attributes", [{"value_tier": "standard"}, {}])
def test_p10_other_customers_get_a_personal_note(playbook, attributes):
    sydney = customer(timezone="Australia/Sydney", country="AU-NSW", attributes=attributes)
    history = [event("milestone_reached", "2026-06-05T09:00:00Z", "m1")]
    result = plan(playbook, sydney, history, now="2026-06-05T09:00:00Z")

    note = the(result, "thank_you", "m1")
    assert note.channel is Channel.EMAIL
    assert local(note) == "2026-06-05 19:00"
    assert steps(note)[0] == ("celebrate-with-note", Effect.PROPOSED)
    assert result.decision("success_call", "m1") is None


# --- P11 early days ---------------------------------------------------------------------------


def test_p11_welcome_for_a_new_customer(playbook):
    # Adelaide is UTC+09:30 in June: joined at 21:30, welcomed at 09:00 the next morning.
    adelaide = customer(
        timezone="Australia/Adelaide", country="AU-SA", since="2026-06-01T12:00:00Z"
    )
    result = plan(playbook, adelaide, [], now="2026-06-01T12:00:00Z")

    welcome = the(result, "welcome")
    assert welcome.status is Status.SCHEDULED
    assert local(welcome) == "2026-06-02 09:00"
    assert welcome.send_at == utc("2026-06-01T23:30:00Z")
    assert welcome.expires == utc("2026-07-01T12:00:00Z")
    assert steps(welcome)[0] == ("welcome-new-customer", Effect.PROPOSED)
    assert ("quiet-hours", Effect.DEFERRED) in steps(welcome)

    established = customer(timezone="Australia/Adelaide", country="AU-SA")
    assert plan(playbook, established, [], now="2026-06-01T12:00:00Z").decision("welcome") is None


def test_p11_first_invoice_explained_three_days_before_it_is_issued(playbook):
    invoices = [
        event("invoice_scheduled", "2026-06-01T10:00:00Z", "inv1", due="2026-06-20T10:00:00Z"),
        event("invoice_scheduled", "2026-07-01T10:00:00Z", "inv2", due="2026-07-20T10:00:00Z"),
    ]
    result = plan(playbook, customer(), invoices, now="2026-06-01T10:00:00Z")

    explainer = the(result, "invoice_explainer", "inv1")
    assert explainer.status is Status.SCHEDULED
    assert local(explainer) == "2026-06-17 11:00"
    assert explainer.expires == utc("2026-06-20T10:00:00Z")
    assert "3 days before" in explainer.trace[0].why
    assert result.decision("invoice_explainer", "inv2") is None


def test_p11_explainer_lapses_once_the_invoice_is_out(playbook):
    # Scheduled late: the evening before an invoice issued at 07:00, quiet hours until 09:00.
    invoice = event("invoice_scheduled", "2026-06-19T19:00:00Z", "inv1", due="2026-06-20T06:00:00Z")
    result = plan(playbook, customer(), [invoice], now="2026-06-19T20:00:00Z")

    explainer = the(result, "invoice_explainer", "inv1")
    assert explainer.status is Status.SUPPRESSED
    assert explainer.send_at is None
    assert steps(explainer)[-1] == ("expiry", Effect.EXPIRED)
    assert "lapses on Sat 20 Jun 2026 07:00" in explainer.why
    by_email = step(explainer, "quiet-hours")
    assert by_email.effect is Effect.SKIPPED_CHANNEL
    assert "lapses on Sat 20 Jun 2026 07:00" in by_email.why


# --- P12 thank volunteers, don't bill them ----------------------------------------------------


def test_p12_a_volunteer_is_thanked_before_any_demand(playbook):
    new_york = customer(timezone="America/New_York", country="US-NY")
    history = [
        event("invoice_scheduled", "2026-06-01T14:00:00Z", "inv1", due="2026-06-08T14:00:00Z"),
        event("info_volunteered", "2026-06-10T14:00:00Z", "v1"),
    ]
    result = plan(playbook, new_york, history, now="2026-06-10T14:00:00Z")

    thanks = the(result, "thank_you", "v1")
    assert local(thanks) == "2026-06-10 10:00"
    assert steps(thanks)[0] == ("thank-volunteer", Effect.PROPOSED)
    reminder = the(result, "payment_reminder", "inv1")
    # Due on the 8th, a reminder on the 11th; it waits 7 days after the volunteered reading.
    assert local(reminder) == "2026-06-17 10:00"
    waits = step(reminder, "no-demand-after-volunteering")
    assert waits.effect is Effect.DEFERRED
    assert waits.before == utc("2026-06-11T14:00:00Z")
    assert waits.after == utc("2026-06-17T14:00:00Z")
    assert [d.intent for d in result.scheduled()] == ["thank_you", "payment_reminder"]


def test_p12_a_paid_invoice_needs_no_reminder(playbook):
    history = [
        event("invoice_scheduled", "2026-06-01T10:00:00Z", "inv1", due="2026-06-08T10:00:00Z"),
        event("payment_received", "2026-06-09T10:00:00Z", "inv1"),
    ]
    unpaid = plan(playbook, customer(), history[:1], now="2026-06-09T10:00:00Z")
    assert local(the(unpaid, "payment_reminder", "inv1")) == "2026-06-11 11:00"

    paid = plan(playbook, customer(), history, now="2026-06-09T10:00:00Z")
    assert paid.decision("payment_reminder", "inv1") is None


# --- P13 long-term customers are recognised ---------------------------------------------------


def test_p13_long_standing_customer_gets_a_yearly_reward(playbook):
    loyal = customer(since="2023-03-10T12:00:00Z", consents={"marketing": True})
    result = plan(playbook, loyal, [], now="2026-03-12T00:00:00Z")

    rewards = [d for d in result if d.intent == "loyalty_reward"]
    assert [(d.ref, d.status, local(d)) for d in rewards] == [
        ("2026-03-10", Status.SCHEDULED, "2026-03-12 09:00"),
        # At most one in any 365 days: next year's waits for this year's, sent late.
        ("2027-03-10", Status.SCHEDULED, "2027-03-12 09:00"),
    ]
    assert steps(rewards[0])[0] == ("yearly-loyalty", Effect.PROPOSED)
    assert ("loyalty-once-a-year", Effect.DEFERRED) in steps(rewards[1])


def test_p13_repeat_buyer_rewarded_from_the_third_order(playbook):
    sydney = customer(
        timezone="Australia/Sydney",
        country="AU-NSW",
        since="2026-01-01T00:00:00Z",
        consents={"marketing": True},
    )
    history = [
        *order("o1", "2026-01-05T00:00:00Z"),
        *order("o2", "2026-02-05T00:00:00Z"),
    ]
    # Two orders: not yet a repeat buyer, and the second anniversary is years away, so
    # nothing is planned yet; within a year of it, the reward appears.
    two = plan(playbook, sydney, history, now="2026-03-05T00:00:00Z")
    assert [d for d in two if d.intent == "loyalty_reward"] == []
    later = plan(playbook, sydney, history, now="2027-03-05T00:00:00Z")
    assert [(d.ref, local(d)) for d in later if d.intent == "loyalty_reward"] == [
        ("2028-01-01", "2028-01-01 11:00")
    ]

    three = [*history, *order("o3", "2026-03-05T00:00:00Z")]
    result = plan(playbook, sydney, three, now="2026-03-05T00:00:00Z")
    reward = the(result, "loyalty_reward", "2026-03-05")
    assert reward.status is Status.SCHEDULED
    assert reward.channel is Channel.EMAIL
    assert local(reward) == "2026-03-05 11:00"


def test_p13_rewards_stay_a_year_apart_however_late_the_last_one_went(playbook):
    loyal = customer(since="2023-03-10T12:00:00Z", consents={"marketing": True})
    history = [
        Contact(
            intent="loyalty_reward", channel="email", at="2025-04-01T10:00:00Z", ref="2025-03-10"
        )
    ]
    result = plan(playbook, loyal, history, now="2026-03-10T12:00:00Z")

    reward = the(result, "loyalty_reward", "2026-03-10")
    assert local(reward) == "2026-04-01 11:00"
    capped = step(reward, "loyalty-once-a-year")
    assert capped.effect is Effect.DEFERRED
    assert capped.after == utc("2026-04-01T10:00:00Z")


# --- P14 tell them when things break ----------------------------------------------------------


def test_p14_an_outage_is_told_on_a_channel_that_works(playbook):
    down = Event(
        kind="channel_down", at="2026-06-02T09:00:00Z", ref="out1", data={"channel": "email"}
    )
    result = plan(playbook, customer(), [down], now="2026-06-02T09:00:00Z")

    notice = the(result, "outage_notice", "out1")
    assert notice.status is Status.SCHEDULED
    assert notice.channel is Channel.SMS
    assert local(notice) == "2026-06-02 10:00"
    skipped = [s for s in notice.trace if s.effect is Effect.SKIPPED_CHANNEL]
    assert [s.rule for s in skipped] == ["channel-down"]


def test_p14_website_down_is_told_by_email(playbook):
    sydney = customer(timezone="Australia/Sydney", country="AU-NSW")
    down = Event(
        kind="channel_down", at="2026-06-02T12:00:00Z", ref="out2", data={"channel": "web"}
    )
    result = plan(playbook, sydney, [down], now="2026-06-02T12:00:00Z")

    notice = the(result, "outage_notice", "out2")
    assert notice.channel is Channel.EMAIL
    # Down at 22:00 in Sydney: told at 09:00, within the day the notice is worth sending.
    assert local(notice) == "2026-06-03 09:00"
    assert notice.expires == utc("2026-06-03T12:00:00Z")


def test_p14_customers_are_told_when_it_is_back(playbook):
    down = Event(
        kind="channel_down", at="2026-06-02T09:00:00Z", ref="out1", data={"channel": "email"}
    )
    told = Contact(intent="outage_notice", channel="sms", at="2026-06-02T09:00:00Z", ref="out1")
    back = Event(
        kind="channel_restored", at="2026-06-02T12:00:00Z", ref="out1", data={"channel": "email"}
    )
    result = plan(playbook, customer(), [down, told, back], now="2026-06-02T12:00:00Z")

    restored = the(result, "restored_notice", "out1")
    assert restored.channel is Channel.EMAIL
    assert local(restored) == "2026-06-02 13:00"
    assert result.decision("outage_notice", "out1") is None


def test_p14_an_outage_over_before_it_was_told_is_not_told(playbook):
    down = Event(
        kind="channel_down", at="2026-06-02T22:00:00Z", ref="out1", data={"channel": "web"}
    )
    back = Event(
        kind="channel_restored", at="2026-06-02T23:00:00Z", ref="out1", data={"channel": "web"}
    )
    result = plan(playbook, customer(), [down, back], now="2026-06-02T23:00:00Z")

    assert result.decision("outage_notice", "out1") is None
    # Nor is "it is back" sent to someone who never heard it was down.
    assert result.decision("restored_notice", "out1") is None


def test_p14_only_the_outage_they_were_told_of_is_followed_up(playbook):
    told = Contact(intent="outage_notice", channel="email", at="2026-06-02T09:30:00Z", ref="out1")
    events = [
        Event(kind=kind, at=at, ref=ref, data={"channel": "web"})
        for kind, at, ref in [
            ("channel_down", "2026-06-02T09:00:00Z", "out1"),
            ("channel_restored", "2026-06-02T11:00:00Z", "out1"),
            ("channel_down", "2026-06-02T22:00:00Z", "out2"),
            ("channel_restored", "2026-06-02T23:00:00Z", "out2"),
        ]
    ]
    result = plan(playbook, customer(), [*events, told], now="2026-06-02T23:00:00Z")

    back = the(result, "restored_notice", "out1")
    assert local(back) == "2026-06-03 09:00"
    assert "who heard of an outage" in back.trace[0].why
    assert result.decision("restored_notice", "out2") is None


# --- P15 many ways in, the right way out ------------------------------------------------------


def test_p15_preferred_channel_first_but_a_mistake_is_owned_by_phone(playbook):
    texter = customer(attributes={"preferred_channel": "sms"})
    history = [
        event("concern_raised", "2026-06-02T10:00:00Z", "q1"),
        event("incident_caused", "2026-06-02T10:00:00Z", "i1"),
    ]
    result = plan(playbook, texter, history, now="2026-06-02T10:00:00Z")

    reply = the(result, "concern_reply", "q1")
    assert (reply.channel, local(reply)) == (Channel.SMS, "2026-06-02 11:00")
    call = the(result, "apology_call", "i1")
    assert (call.channel, local(call)) == (Channel.PHONE, "2026-06-02 11:00")


def test_p15_intents_for_mistakes_and_successes_are_personal_and_phone_first(playbook):
    personal = {i.name: i.channels[0] for i in playbook.intents if i.personal}
    assert personal == {"apology_call": Channel.PHONE, "success_call": Channel.PHONE}


# --- P16 contact pressure ---------------------------------------------------------------------


def test_p16_at_most_two_relationship_contacts_a_week(playbook):
    history = [
        Contact(intent="thank_you", channel="email", at="2026-06-01T10:00:00Z", ref="v1"),
        Contact(intent="welcome", channel="email", at="2026-06-04T10:00:00Z"),
        *order("o1", "2026-06-01T09:00:00Z", "2026-06-03T10:00:00Z"),
        event("request_declined", "2026-06-06T10:00:00Z", "r1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-03T10:00:00Z")

    review = the(result, "review_request", "o1")
    # Due on the 6th; two contacts in the 7 days before: it waits for the first to age out.
    assert local(review) == "2026-06-08 11:00"
    pressure = step(review, "contact-pressure")
    assert pressure.effect is Effect.DEFERRED
    assert pressure.before == utc("2026-06-06T10:00:00Z")
    assert pressure.after == utc("2026-06-08T10:00:00Z")
    # A service message is outside the cap.
    assert local(the(result, "alternative_offer", "r1")) == "2026-06-06 11:00"


def test_p16_quiet_hours_in_a_half_hour_zone(playbook):
    kolkata = customer(timezone="Asia/Kolkata", country="IN")
    # Delivered at 21:45 in Kolkata: three days later is past 20:00, so 09:00 the day after.
    history = order("o1", "2026-06-01T04:30:00Z", "2026-06-02T16:15:00Z")
    result = plan(playbook, kolkata, history, now="2026-06-02T16:15:00Z")

    assert_within_hours(result, "09:00", "20:00")
    review = the(result, "review_request", "o1")
    assert local(review) == "2026-06-06 09:00"
    quiet = step(review, "quiet-hours")
    assert quiet.effect is Effect.DEFERRED
    assert quiet.before == utc("2026-06-05T16:15:00Z")
    assert quiet.after == utc("2026-06-06T03:30:00Z")
    assert "09:00-20:00" in quiet.why
    assert "Asia/Kolkata" in quiet.why


def test_p16_calls_keep_the_stricter_french_calling_hours(playbook):
    paris = customer(timezone="Europe/Paris", country="FR")
    # Tuesday 13:10 in Paris: French law keeps the lunch hour free of calls.
    history = [event("incident_caused", "2026-06-02T11:10:00Z", "i1")]
    result = plan(playbook, paris, history, now="2026-06-02T11:10:00Z")

    call = assert_scheduled(result, "apology_call", "i1", "phone", between=("14:00", "14:00"))
    assert_not_scheduled(result, "apology_call", "i1", before="2026-06-02 14:00")
    french = step(call, "calling-hours-fr")
    assert french.effect is Effect.DEFERRED
    assert french.after == utc("2026-06-02T12:00:00Z")

    # The same mistake for a customer in London (12:10 there) is called about at once.
    london = plan(playbook, customer(), history, now="2026-06-02T11:10:00Z")
    call = the(london, "apology_call", "i1")
    assert local(call) == "2026-06-02 12:10"
    assert "calling-hours-fr" not in [rule for rule, _ in steps(call)]


# --- P17 consent ------------------------------------------------------------------------------


def test_p17_marketing_waits_for_consent(playbook):
    since = "2023-03-10T12:00:00Z"
    result = plan(playbook, customer(since=since), [], now="2026-03-12T10:00:00Z")
    reward = the(result, "loyalty_reward", "2026-03-10")
    assert reward.status is Status.WAITING
    assert reward.waiting_for == "opted_in"
    assert steps(reward)[-1] == ("marketing-consent", Effect.BLOCKED)

    opted_in = Event(
        kind="opted_in", at="2026-03-12T10:00:00Z", customer="c1", data={"category": "marketing"}
    )
    result = plan(playbook, customer(since=since), [opted_in], now="2026-03-12T10:00:00Z")
    reward = the(result, "loyalty_reward", "2026-03-10")
    assert reward.status is Status.SCHEDULED
    assert local(reward) == "2026-03-12 10:00"


def test_p17_an_opted_out_channel_is_never_used(playbook):
    history = [
        Event(
            kind="opted_out", at="2026-06-01T10:00:00Z", customer="c1", data={"channel": "email"}
        ),
        event("concern_raised", "2026-06-02T10:00:00Z", "q1"),
    ]
    result = plan(playbook, customer(), history, now="2026-06-02T10:00:00Z")

    reply = the(result, "concern_reply", "q1")
    assert reply.channel is Channel.SMS
    skipped = [s for s in reply.trace if s.effect is Effect.SKIPPED_CHANNEL]
    assert [s.rule for s in skipped] == ["channel-consent"]


def test_p17_service_needs_no_consent_but_an_opted_out_category_waits(playbook):
    refuses = customer(consents={"marketing": False})
    history = [
        Event(
            kind="opted_out",
            at="2026-06-01T10:00:00Z",
            customer="c1",
            data={"category": "relationship"},
        ),
        *order("o1", "2026-06-01T10:00:00Z", "2026-06-03T10:00:00Z"),
        event("request_declined", "2026-06-03T10:00:00Z", "r1"),
    ]
    result = plan(playbook, refuses, history, now="2026-06-03T10:00:00Z")

    review = the(result, "review_request", "o1")
    assert review.status is Status.WAITING
    assert review.waiting_for == "opted_in"
    assert steps(review)[-1] == ("category-consent", Effect.BLOCKED)
    offer = the(result, "alternative_offer", "r1")
    assert offer.status is Status.SCHEDULED
    assert local(offer) == "2026-06-03 11:00"
