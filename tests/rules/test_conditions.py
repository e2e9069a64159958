"""Conditions in every engine and core: ``sent`` (a contact of an intent about the anchor's
ref) and ``in_window`` of the proposal's basis (an order delivered in the gift season)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
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
    PolicyError,
    Sent,
    Status,
    Trigger,
    plan,
)
from outreach_rules.lint import lint
from outreach_rules.rules.conditions import Context
from outreach_rules.rules.history import History

CUSTOMER = Customer(id="c1", timezone="UTC", country="GB", since="2024-01-01T00:00:00Z")
INTENTS = {"told": Intent(name="told", category="transactional", channels=["email"])}
DOWN = Event(id="d1", kind="channel_down", at="2026-06-02T09:00:00Z", ref="out1")


def told(ref: str | None, at: str = "2026-06-02T09:30:00Z", intent: str = "told") -> Contact:
    return Contact(intent=intent, channel="email", at=at, ref=ref)


def holds(condition: Sent, anchor: Event | None, *history: Event | Contact) -> bool:
    events = [*history, *([anchor] if anchor is not None else [])]
    known = History(CUSTOMER, events, INTENTS)
    at = known.since if anchor is None else anchor.epoch
    return condition.holds(Context(CUSTOMER, known, at, anchor))


def test_a_contact_about_the_anchors_ref_counts_and_one_about_another_does_not():
    sent = Sent(intent="told")
    assert holds(sent, DOWN, told("out1"))
    assert not holds(sent, DOWN, told("out2"))
    assert not holds(sent, DOWN)
    assert not holds(Sent(intent="other"), DOWN, told("out1"))


def test_a_contact_recorded_after_the_anchor_counts():
    # The host may record the send late; the customer was told all the same.
    assert holds(Sent(intent="told"), DOWN, told("out1", at="2026-06-03T00:00:00Z"))


def test_without_a_ref_any_contact_of_the_intent_counts():
    bare = Event(id="d2", kind="channel_down", at="2026-06-02T09:00:00Z")
    assert holds(Sent(intent="told"), bare, told("out7"))
    assert holds(Sent(intent="told"), None, told(None))
    assert not holds(Sent(intent="told"), bare)


@settings(max_examples=60)
@given(
    refs=st.lists(st.sampled_from(["out1", "out2", None]), max_size=4),
    intents=st.lists(st.sampled_from(["told", "other"]), min_size=4, max_size=4),
)
def test_it_holds_exactly_when_a_matching_contact_is_in_the_history(
    refs: list[str | None], intents: list[str]
) -> None:
    contacts = [
        told(ref, at=f"2026-06-0{3 + i}T00:00:00Z", intent=intent)
        for i, (ref, intent) in enumerate(zip(refs, intents, strict=False))
    ]
    want = any(c.intent == "told" and c.ref == "out1" for c in contacts)
    assert holds(Sent(intent="told"), DOWN, *contacts) is want


def policy_with(condition: dict[str, Any], **trigger: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "intents": {"told": {"category": "transactional", "channels": ["email"]}},
        "triggers": [{"id": "t", "intent": "told", "on": "channel_down", "when": [condition]}]
        if not trigger
        else [{"id": "t", "intent": "told", "when": [condition], **trigger}],
    }


def test_it_round_trips_through_the_policy_format():
    policy = Policy.from_dict(policy_with({"sent": {"intent": "told"}}))
    assert policy.triggers[0].when == (Sent(intent="told"),)
    assert Policy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ({"sent": {}}, "triggers[0].when[0].sent.intent: is required"),
        ({"sent": {"intent": ""}}, "triggers[0].when[0].sent.intent='': must be a non-empty"),
        (
            {"sent": {"intent": "told", "ref": "x"}},
            "triggers[0].when[0].sent.ref: is not a key here",
        ),
        ({"sent": "told"}, "triggers[0].when[0].sent"),
    ],
)
def test_a_malformed_sent_names_its_path(condition: dict[str, Any], says: str) -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.from_dict(policy_with(condition))
    assert says in str(refused.value)


def test_a_recurring_trigger_cannot_start_from_it():
    with pytest.raises(PolicyError, match="does not stay true once it holds"):
        Policy.from_dict(policy_with({"sent": {"intent": "told"}}, on="customer", every="1 year"))


def test_an_empty_intent_is_refused_when_built_in_python():
    with pytest.raises(PolicyError, match=r"sent\.intent"):
        Sent(intent="")


def test_lint_warns_of_an_intent_the_policy_does_not_declare():
    policy = Policy.from_dict(policy_with({"sent": {"intent": "tol"}}))
    (finding,) = [f for f in lint(policy) if f.code == "unknown-sent-intent"]
    assert finding.subject == "t"
    assert "'tol'" in finding.message
    assert finding.hint == "did you mean 'told'?"


def test_a_follow_up_goes_only_where_the_first_word_went():
    # engine="durable" tests conditions with the same code; the differential test in
    # tests/engines draws Sent conditions among the others.
    intents = [*INTENTS.values(), Intent(name="back", category="transactional", channels=["email"])]
    follow = Trigger(id="t", intent="back", on="channel_restored", when=[Sent(intent="told")])
    policy = Policy(name="p", intents=intents, triggers=[follow])
    history = [
        Event(id=f"{kind}-{ref}", kind=kind, at="2026-06-02T09:00:00Z", ref=ref)
        for kind in ("channel_down", "channel_restored")
        for ref in ("out1", "out2")
    ]
    result = plan(policy, CUSTOMER, [*history, told("out1")], now="2026-06-02T10:00:00Z")
    assert [(d.intent, d.ref) for d in result.decisions] == [("back", "out1")]


# -- in_window of the basis --------------------------------------------------------------

SEASON = {"start": (11, 15), "end": (12, 26)}
PLACED = Event(id="p1", kind="order_placed", at="2026-11-12T10:00:00Z", ref="o1")


def window_holds(window: InWindow, basis_at: str | None) -> bool:
    known = History(CUSTOMER, [PLACED], INTENTS)
    basis = None if basis_at is None else Event(kind="x", at=basis_at).epoch
    return window.holds(Context(CUSTOMER, known, PLACED.epoch, PLACED, basis))


def test_a_window_of_the_basis_tests_the_basis_not_the_anchor():
    # Placed on 12 November, before the season; delivered on 8 December, inside it.
    assert window_holds(InWindow(**SEASON, of="basis"), "2026-12-08T10:00:00Z")
    assert not window_holds(InWindow(**SEASON, of="basis"), "2026-12-27T00:00:00Z")
    assert not window_holds(InWindow(**SEASON), "2026-12-08T10:00:00Z")
    assert InWindow(**SEASON) == InWindow(**SEASON, of="anchor")


def test_a_window_of_a_basis_not_yet_known_does_not_hold():
    assert not window_holds(InWindow(**SEASON, of="basis"), None)
    # Nor in a trigger's context, which has no basis.
    known = History(CUSTOMER, [PLACED], INTENTS)
    inside = Event(id="p2", kind="order_placed", at="2026-12-01T10:00:00Z", ref="o2")
    assert not InWindow(**SEASON, of="basis").holds(Context(CUSTOMER, known, inside.epoch, inside))


def test_of_is_the_anchor_or_the_basis():
    with pytest.raises(PolicyError, match=r"of='delivery': is not an instant a window can test"):
        InWindow(**SEASON, of="delivery")  # type: ignore[arg-type]


REVIEW = Intent(name="review_request", category="relationship", channels=["email"])
ASK = Trigger(
    id="review",
    intent="review_request",
    on="order_placed",
    requires="order_delivered",
    delay="3 days",
    expires="60 days",
)


def gift_season(*conditions: InWindow) -> Policy:
    guard = GuardRule(
        id="gift-season",
        spec=AnnualBlackout(**SEASON),
        intents=["review_request"],
        when=[AnyOf(conditions=conditions)],
    )
    return Policy(name="shop", intents=[REVIEW], triggers=[ASK], guards=[guard])


BUYER = Customer(
    id="c1", timezone="UTC", country="GB", since="2024-01-01T00:00:00Z", channels={"email": True}
)


def delivered(at: str) -> Event:
    return Event(id="d1", kind="order_delivered", at=at, ref="o1")


@pytest.mark.usefixtures("each_core")
def test_an_order_delivered_in_the_season_is_deferred_past_it_on_each_core():
    policy = gift_season(InWindow(**SEASON), InWindow(**SEASON, of="basis"))
    history = [PLACED, delivered("2026-12-08T10:00:00Z")]
    (review,) = plan(policy, BUYER, history, now="2026-12-08T10:00:00Z").decisions
    assert review.status is Status.SCHEDULED
    assert review.send_at.isoformat() == "2026-12-27T00:00:00+00:00"
    # Without the window of the basis, the order placed before the season is asked
    # about 3 days after its delivery.
    anchor_only = gift_season(InWindow(**SEASON))
    (review,) = plan(anchor_only, BUYER, history, now="2026-12-08T10:00:00Z").decisions
    assert review.send_at.isoformat() == "2026-12-11T10:00:00+00:00"


@pytest.mark.usefixtures("each_core")
def test_an_order_delivered_before_the_season_is_asked_about_in_it_on_each_core():
    # Placed on 1 and delivered on 13 November: not a likely gift, so asked on the 16th,
    # although that is inside the season.
    policy = gift_season(InWindow(**SEASON, of="basis"))
    placed = Event(id="p1", kind="order_placed", at="2026-11-01T10:00:00Z", ref="o1")
    history = [placed, delivered("2026-11-13T10:00:00Z")]
    (review,) = plan(policy, BUYER, history, now="2026-11-13T10:00:00Z").decisions
    assert review.send_at.isoformat() == "2026-11-16T10:00:00+00:00"
    assert "gift-season" not in [step.rule for step in review.trace]


@pytest.mark.usefixtures("each_core")
def test_a_review_waiting_for_its_delivery_is_not_held_by_the_window_on_each_core():
    policy = gift_season(InWindow(**SEASON, of="basis"))
    (review,) = plan(policy, BUYER, [PLACED], now="2026-12-01T10:00:00Z").decisions
    assert review.status is Status.WAITING
    assert "gift-season" not in [step.rule for step in review.trace]


@pytest.mark.parametrize(
    "when",
    [
        [InWindow(**SEASON, of="basis")],
        [Sent(intent="told"), AnyOf(conditions=[Sent(intent="x"), InWindow(**SEASON, of="basis")])],
    ],
)
def test_a_trigger_cannot_test_the_basis(when: list[Any]) -> None:
    trigger = Trigger(id="review", intent="review_request", on="order_placed", when=when)
    with pytest.raises(PolicyError) as refused:
        Policy(name="shop", intents=[REVIEW], triggers=[trigger])
    error = refused.value
    assert error.rule == "review"
    assert error.field == f"triggers[0].when[{len(when) - 1}]"
    assert "tests the proposal's basis, which a trigger does not know yet" in str(error)


def test_a_window_of_the_basis_round_trips_through_the_policy_format():
    policy = gift_season(InWindow(**SEASON), InWindow(**SEASON, of="basis"))
    data = policy.to_dict()
    (guard,) = data["guards"]
    assert guard["when"] == [
        {
            "any": [
                {"in_window": {"start": "11-15", "end": "12-26"}},
                {"in_window": {"start": "11-15", "end": "12-26", "of": "basis"}},
            ]
        }
    ]
    assert Policy.from_dict(data) == policy
