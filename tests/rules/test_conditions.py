"""The ``sent`` condition: a contact of an intent about the anchor's ref, in every engine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach_rules import (
    Contact,
    Customer,
    Event,
    Intent,
    Policy,
    PolicyError,
    Sent,
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
