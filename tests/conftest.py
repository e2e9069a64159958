"""Shared fixtures: a small policy built in Python, and customers in several zones."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from outreach_rules import (
    AllowedHours,
    AnnualBlackout,
    AnyOf,
    BusinessDaysOnly,
    Count,
    Event,
    FrequencyCap,
    GuardRule,
    Intent,
    InWindow,
    Match,
    NotOnDayOf,
    NotWithinAfter,
    OutreachRulesError,
    Policy,
    RequiresConsent,
    Tenure,
    Trigger,
    WhileOpen,
)
from outreach_rules._cores import CORES, CoreName, rust_module, using

if rust_module() is None:
    # Said on purpose, so the suite runs quietly where the Rust core is not built.
    os.environ.setdefault("OUTREACH_RULES_CORE", "python")

CORES_HERE = [core for core in CORES if core == "python" or rust_module() is not None]


@pytest.fixture(params=CORES_HERE)
def each_core(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test runs once on each planning core built here (the processes it starts too)."""
    core: CoreName = request.param
    monkeypatch.setenv("OUTREACH_RULES_CORE", core)
    with using(core):
        yield core


def refused_with(kind: type[OutreachRulesError], build: Callable[[], object]) -> OutreachRulesError:
    """The error ``build()`` raises, which must be exactly ``kind``, and a ``ValueError``
    as every bad-input error of the library is."""
    with pytest.raises(OutreachRulesError) as raised:
        build()
    assert type(raised.value) is kind
    assert isinstance(raised.value, ValueError)
    return raised.value


def shop_policy(**overrides: Any) -> Policy:
    """A small policy in the spirit of the playbook, built from value objects."""
    intents = [
        Intent(name="concern_reply", category="service", channels=["email", "sms"], priority=5),
        Intent(
            name="apology_call",
            category="service",
            channels=["phone", "email"],
            priority=10,
            personal=True,
        ),
        Intent(name="invoice_explainer", category="transactional", channels=["email"], priority=20),
        Intent(name="welcome", category="relationship", channels=["email", "sms"], priority=30),
        Intent(
            name="review_request", category="relationship", channels=["email", "sms"], priority=50
        ),
        Intent(name="feedback_survey", category="relationship", channels=["email"], priority=60),
        Intent(
            name="loyalty_reward", category="marketing", channels=["email", "post"], priority=70
        ),
    ]
    triggers = [
        Trigger(
            id="review-after-delivery",
            intent="review_request",
            on="order_placed",
            requires="order_delivered",
            unless=["review_submitted"],
            delay="3 days",
            expires=overrides.pop("review_expires", "60 days"),
            practices=["P1", "P4"],
            description="Ask for a review once the order has arrived and settled in",
        ),
        Trigger(
            id="survey-after-delivery",
            intent="feedback_survey",
            on="order_placed",
            requires="order_delivered",
            delay="4 days",
            expires="30 days",
            practices="P6",
        ),
        Trigger(
            id="reply-to-concern",
            intent="concern_reply",
            on="concern_raised",
            unless=["concern_answered"],
            expires="30 days",
            practices="P7",
        ),
        Trigger(
            id="apology-after-mistake",
            intent="apology_call",
            on="incident_caused",
            unless=["incident_resolved"],
            expires="14 days",
            practices="P8",
        ),
        Trigger(
            id="welcome-new-customer",
            intent="welcome",
            on="customer",
            expires="30 days",
            practices="P11",
        ),
        Trigger(
            id="explain-first-invoice",
            intent="invoice_explainer",
            on="invoice_scheduled",
            first_only=True,
            measured_from="data.due",
            delay="-3 days",
            expires="3 days",
            practices="P11",
        ),
        Trigger(
            id="yearly-loyalty",
            intent="loyalty_reward",
            on="customer",
            when=[
                AnyOf(
                    conditions=[Tenure(at_least="2 years"), Count(kind="order_placed", at_least=3)]
                )
            ],
            every="1 year",
            expires="30 days",
            practices="P13",
        ),
    ]
    guards = [
        GuardRule(
            id="gift-season",
            intents=["review_request"],
            practices="P3",
            when=[
                AnyOf(
                    conditions=[
                        Match(field="data.gift", value=True),
                        InWindow(start=(11, 15), end=(12, 26)),
                    ]
                )
            ],
            spec=AnnualBlackout(start=(11, 15), end=(12, 26)),
        ),
        GuardRule(
            id="not-on-order-day",
            intents=["review_request"],
            practices="P2",
            spec=NotOnDayOf(kind="order_placed"),
        ),
        GuardRule(
            id="reviews-wait-for-complaints",
            intents=["review_request", "feedback_survey"],
            practices="P5",
            spec=WhileOpen(opened="complaint_opened", closed="complaint_resolved"),
        ),
        GuardRule(
            id="survey-spacing",
            intents=["feedback_survey"],
            practices="P6",
            spec=NotWithinAfter(kind="contact_sent", period="2 days"),
        ),
        GuardRule(
            id="marketing-consent",
            categories=["marketing"],
            practices="P17",
            spec=RequiresConsent(),
        ),
        GuardRule(
            id="contact-pressure",
            categories=["relationship", "marketing"],
            practices="P16",
            spec=FrequencyCap(limit=overrides.pop("cap", 2), period="7 days"),
        ),
        GuardRule(
            id="quiet-hours",
            channels=["email", "sms", "push", "in_app"],
            practices="P16",
            spec=AllowedHours.between("09:00", "20:00"),
        ),
        GuardRule(
            id="calling-hours",
            channels=["phone"],
            practices=["P8", "P16"],
            spec=AllowedHours.between("10:00", "18:00", days="mon-fri"),
        ),
        GuardRule(
            id="calling-days",
            channels=["phone"],
            practices=["P8", "P16"],
            spec=BusinessDaysOnly(),
        ),
    ]
    assert not overrides, f"unknown overrides {overrides}"
    return Policy(name="shop", intents=intents, triggers=triggers, guards=guards)


@pytest.fixture
def policy() -> Policy:
    return shop_policy()


# make_customer, make_history, frozen_now and outreach_policy come from the library's own
# pytest plugin (outreach_rules.testing.plugin), as they do in every user's project.


def order(ref: str, placed: str, delivered: str | None = None, **data: Any) -> list[Event]:
    """An order placed (and delivered) for customer c1."""
    events = [Event(kind="order_placed", at=placed, ref=ref, customer="c1", data=data)]
    if delivered is not None:
        events.append(Event(kind="order_delivered", at=delivered, ref=ref, customer="c1"))
    return events
