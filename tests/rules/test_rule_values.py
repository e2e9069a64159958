"""Rule value objects built through the Python API refuse bad input as a file would.

A policy tried out in a notebook is built from these classes directly, with no file reader
in front: every field is checked where the object is made, and the error is the library's,
naming the field, the value and, on a rule, the rule's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach_rules import (
    AfterEvent,
    AllowedHours,
    AnnualBlackout,
    AnyOf,
    Blackout,
    BusinessDaysOnly,
    Count,
    FrequencyCap,
    GuardRule,
    HourSpan,
    InputError,
    Intent,
    InWindow,
    Match,
    NotOnDayOf,
    NotWithinAfter,
    OutreachRulesError,
    Policy,
    PolicyError,
    RequiresConsent,
    Sent,
    Tenure,
    Trigger,
    WhileOpen,
)
from outreach_rules.model import with_article

from conftest import refused_with

INTENT = Intent(name="welcome", category="relationship", channels=["email"])


def trigger(**changes: Any) -> Trigger:
    return Trigger(**{"id": "t1", "intent": "welcome", "on": "customer", **changes})


def guard(**changes: Any) -> GuardRule:
    return GuardRule(**{"id": "g1", "spec": BusinessDaysOnly(), **changes})


def policy(**changes: Any) -> Policy:
    fields: dict[str, Any] = {"name": "p", "intents": [INTENT], "triggers": [trigger()]}
    return Policy(**{**fields, **changes})


# name: (build, error class, field, value, rule id or None)
BAD: dict[str, tuple[Callable[[], object], type[OutreachRulesError], str, Any, str | None]] = {
    "trigger.id a number": (lambda: trigger(id=5), PolicyError, "id", 5, None),
    "trigger.id blank": (lambda: trigger(id=" "), PolicyError, "id", " ", None),
    "trigger.intent None": (lambda: trigger(intent=None), PolicyError, "intent", None, "t1"),
    "trigger.on with a space": (
        lambda: trigger(on="order placed"),
        PolicyError,
        "on",
        "order placed",
        "t1",
    ),
    "trigger.description a number": (
        lambda: trigger(description=3),
        PolicyError,
        "description",
        3,
        "t1",
    ),
    "trigger.description a lone surrogate": (
        lambda: trigger(description="a\ud800"),
        PolicyError,
        "description",
        "a\ud800",
        "t1",
    ),
    "trigger.correlate a string": (
        lambda: trigger(correlate="no"),
        PolicyError,
        "correlate",
        "no",
        "t1",
    ),
    "trigger.first_only 1": (lambda: trigger(first_only=1), PolicyError, "first_only", 1, "t1"),
    "trigger.when a string": (lambda: trigger(when="gift"), PolicyError, "when", "gift", "t1"),
    "trigger.when a dict item": (
        lambda: trigger(when=[{"field": "data.gift"}]),
        PolicyError,
        "when[0]",
        {"field": "data.gift"},
        "t1",
    ),
    "trigger.unless a number": (lambda: trigger(unless=3), PolicyError, "unless", 3, "t1"),
    "trigger.unless a bad kind": (
        lambda: trigger(unless=["review_submitted", "no way"]),
        PolicyError,
        "unless[1]",
        "no way",
        "t1",
    ),
    "trigger.practices a number item": (
        lambda: trigger(practices=["P1", 2]),
        PolicyError,
        "practices[1]",
        2,
        "t1",
    ),
    "trigger.requires empty": (lambda: trigger(requires=""), PolicyError, "requires", "", "t1"),
    "trigger.measured_from a number": (
        lambda: trigger(measured_from=7),
        PolicyError,
        "measured_from",
        7,
        "t1",
    ),
    "guard.id None": (lambda: guard(id=None), PolicyError, "id", None, None),
    "guard.spec a string": (lambda: guard(spec="quiet"), PolicyError, "spec", "quiet", "g1"),
    "guard.intents a number item": (
        lambda: guard(intents=["welcome", 5]),
        PolicyError,
        "intents",
        5,
        "g1",
    ),
    "guard.channels a number": (lambda: guard(channels=5), PolicyError, "channels", 5, "g1"),
    "guard.when a string item": (
        lambda: guard(when=["x"]),
        PolicyError,
        "when[0]",
        "x",
        "g1",
    ),
    "guard.description a lone surrogate": (
        lambda: guard(description="\udfff"),
        PolicyError,
        "description",
        "\udfff",
        "g1",
    ),
    "frequency_cap.limit a string": (
        lambda: FrequencyCap(limit="3", period="7 days"),
        PolicyError,
        "limit",
        "3",
        None,
    ),
    "frequency_cap.limit true": (
        lambda: FrequencyCap(limit=True, period="7 days"),
        PolicyError,
        "limit",
        True,
        None,
    ),
    "frequency_cap.limit negative": (
        lambda: FrequencyCap(limit=-1, period="7 days"),
        PolicyError,
        "limit",
        -1,
        None,
    ),
    "business_days.holidays a string": (
        lambda: BusinessDaysOnly(holidays="no"),
        PolicyError,
        "holidays",
        "no",
        None,
    ),
    "business_days.weekdays 7": (
        lambda: BusinessDaysOnly(weekdays=[0, 7]),
        InputError,
        "days",
        [0, 7],
        None,
    ),
    "business_days.weekdays a number": (
        lambda: BusinessDaysOnly(weekdays=5),
        InputError,
        "days",
        5,
        None,
    ),
    "allowed_hours no spans": (lambda: AllowedHours(spans=[]), PolicyError, "spans", (), None),
    "allowed_hours a tuple for a span": (
        lambda: AllowedHours(spans=[(0, 9, 17)]),
        PolicyError,
        "spans[0]",
        (0, 9, 17),
        None,
    ),
    "hour_span.start a string": (
        lambda: HourSpan(range(7), "09:00", 72_000),
        InputError,
        "hours",
        ("09:00", 72_000),
        None,
    ),
    "annual_blackout.start 30 February": (
        lambda: AnnualBlackout(start=(2, 30), end=(3, 1)),
        InputError,
        "start",
        (2, 30),
        None,
    ),
    "annual_blackout.end a string": (
        lambda: AnnualBlackout(start=(12, 24), end="12-26"),
        InputError,
        "end",
        "12-26",
        None,
    ),
    "blackout.end before start": (
        lambda: Blackout(start="2026-12-27T00:00:00Z", end="2026-12-24T00:00:00Z"),
        PolicyError,
        "end",
        "2026-12-24T00:00:00+00:00",
        None,
    ),
    "after_event.kind a number": (lambda: AfterEvent(kind=1), PolicyError, "kind", 1, None),
    "not_on_day_of.correlate None": (
        lambda: NotOnDayOf(kind="order_delivered", correlate=None),
        PolicyError,
        "correlate",
        None,
        None,
    ),
    "not_within_after.kind empty": (
        lambda: NotWithinAfter(kind="", period="1 day"),
        PolicyError,
        "kind",
        "",
        None,
    ),
    "while_open.opened a number": (
        lambda: WhileOpen(opened=5, closed="complaint_resolved"),
        PolicyError,
        "opened",
        5,
        None,
    ),
    "count.at_least a string": (
        lambda: Count(kind="order_placed", at_least="2"),
        PolicyError,
        "at_least",
        "2",
        None,
    ),
    "count.at_most negative": (
        lambda: Count(kind="order_placed", at_most=-1),
        PolicyError,
        "at_most",
        -1,
        None,
    ),
    "count.kind None": (lambda: Count(kind=None), PolicyError, "kind", None, None),
    "sent.intent with a space": (
        lambda: Sent(intent="a b"),
        PolicyError,
        "sent.intent",
        "a b",
        None,
    ),
    "match.field a number": (lambda: Match(field=5), PolicyError, "field", 5, None),
    "match.op a list": (lambda: Match(field="ref", op=["eq"]), PolicyError, "op", ["eq"], None),
    "in_window.start 13th month": (
        lambda: InWindow(start=(13, 1), end=(1, 6)),
        InputError,
        "start",
        (13, 1),
        None,
    ),
    "any.conditions empty": (lambda: AnyOf(conditions=[]), PolicyError, "any", (), None),
    "any.conditions a string item": (
        lambda: AnyOf(conditions=["x"]),
        PolicyError,
        "any[0]",
        "x",
        None,
    ),
    "intent.priority true": (
        lambda: Intent(name="x", category="service", channels=["email"], priority=True),
        InputError,
        "priority",
        True,
        None,
    ),
    "intent.description a number": (
        lambda: Intent(name="x", category="service", channels=["email"], description=5),
        InputError,
        "description",
        5,
        None,
    ),
    "policy.name a number": (lambda: policy(name=5), PolicyError, "name", 5, None),
    "policy.version a number": (lambda: policy(version=2), PolicyError, "version", 2, None),
    "policy.triggers a dict item": (
        lambda: policy(triggers=[{"id": "t1"}]),
        PolicyError,
        "triggers[0]",
        {"id": "t1"},
        None,
    ),
    "policy.intents one intent, not a list": (
        lambda: policy(intents=INTENT),
        PolicyError,
        "intents",
        INTENT,
        None,
    ),
    "policy.guards a spec, not a rule": (
        lambda: policy(guards=[RequiresConsent()]),
        PolicyError,
        "guards[0]",
        RequiresConsent(),
        None,
    ),
    "policy.events a bad kind": (
        lambda: policy(events=["order_placed", "not a kind"]),
        PolicyError,
        "events[1]",
        "not a kind",
        None,
    ),
}


@pytest.mark.parametrize(("build", "kind", "field", "value", "rule"), BAD.values(), ids=BAD)
def test_bad_rule_values_are_refused_naming_field_value_and_rule(
    build: Callable[[], object],
    kind: type[OutreachRulesError],
    field: str,
    value: Any,
    rule: str | None,
) -> None:
    error = refused_with(kind, build)
    assert (error.field, error.value, error.rule) == (field, value, rule)
    str(error).encode("utf-8")


def test_a_set_of_intents_or_weekdays_is_taken_as_given() -> None:
    rule = GuardRule(id="g", spec=BusinessDaysOnly(weekdays={0, 1}), intents={"welcome"})
    assert rule.intents == frozenset({"welcome"})
    assert rule.spec.weekdays == frozenset({0, 1})  # type: ignore[attr-defined]


def test_one_string_stands_for_a_list_of_one() -> None:
    assert trigger(unless="review_submitted", practices="P1").unless == ("review_submitted",)
    assert guard(intents="welcome", channels="email").intents == frozenset({"welcome"})


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1),
    st.lists(st.one_of(st.integers(), st.text()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)

BUILDERS: dict[str, tuple[Callable[..., object], dict[str, Any]]] = {
    "Trigger": (Trigger, {"id": "t1", "intent": "welcome", "on": "customer"}),
    "GuardRule": (GuardRule, {"id": "g1", "spec": BusinessDaysOnly()}),
    "FrequencyCap": (FrequencyCap, {"limit": 1, "period": "7 days"}),
    "BusinessDaysOnly": (BusinessDaysOnly, {}),
    "AnnualBlackout": (AnnualBlackout, {"start": (12, 24), "end": (12, 26)}),
    "AfterEvent": (AfterEvent, {"kind": "order_delivered"}),
    "NotWithinAfter": (NotWithinAfter, {"kind": "contact_sent", "period": "1 day"}),
    "WhileOpen": (WhileOpen, {"opened": "complaint_opened", "closed": "complaint_resolved"}),
    "Count": (Count, {"kind": "order_placed"}),
    "InWindow": (InWindow, {"start": (12, 1), "end": (1, 6)}),
    "Match": (Match, {"field": "data.gift"}),
    "Policy": (Policy, {"name": "p", "intents": [INTENT], "triggers": [trigger()]}),
    "NotOnDayOf": (NotOnDayOf, {"kind": "order_delivered"}),
    "Sent": (Sent, {"intent": "outage_notice"}),
    "AnyOf": (AnyOf, {"conditions": [Sent(intent="outage_notice")]}),
    "AllowedHours": (AllowedHours, {"spans": [HourSpan(range(7), 0, 3_600)]}),
    "HourSpan": (HourSpan, {"days": range(7), "start": 0, "end": 3_600}),
    "Intent": (Intent, {"name": "x", "category": "service", "channels": ["email"]}),
    "Tenure": (Tenure, {"at_least": "1 year"}),
    "Blackout": (Blackout, {"start": "2026-12-24T00:00:00Z", "end": "2026-12-27T00:00:00Z"}),
}


@given(
    builder=st.sampled_from(sorted(BUILDERS)),
    data=st.data(),
    value=ANYTHING,
)
def test_any_value_in_any_field_is_taken_or_refused_with_the_librarys_own_error(
    builder: str, data: st.DataObject, value: Any
) -> None:
    build, fields = BUILDERS[builder]
    import attrs  # noqa: PLC0415 - only this test walks the fields

    names = [a.name.lstrip("_") for a in attrs.fields(build) if a.init]  # type: ignore[arg-type]
    field = data.draw(st.sampled_from(names), label="field")
    error = _refusal(lambda: build(**{**fields, field: value}))
    if error is not None:
        assert isinstance(error, ValueError)
        str(error).encode("utf-8")


def _refusal(build: Callable[[], object]) -> OutreachRulesError | None:
    """The library's error, or None if the value was taken; any other exception escapes."""
    try:
        build()
    except OutreachRulesError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("opened", "said"),
    [("incident_caused", "an incident_caused"), ("complaint_opened", "a complaint_opened")],
)
def test_while_open_says_a_or_an(opened: str, said: str) -> None:
    spec = WhileOpen(opened=opened, closed="resolved")
    assert spec.describe(None, None) == f"not while {said} is open (until resolved)"  # type: ignore[arg-type]
    assert with_article("Order") == "a Order"
