"""Lint findings: each provoked on purpose, and none on a clean policy."""

from __future__ import annotations

from typing import Any

import pytest

from outreach_rules import Finding, Policy, Severity
from outreach_rules.lint import lint

from conftest import shop_policy


def findings(overrides: dict[str, Any]) -> list[Finding]:
    return list(shop_policy().with_overrides(overrides).lint())


def codes(overrides: dict[str, Any]) -> set[tuple[str, str, Severity]]:
    return {(f.code, f.subject, f.severity) for f in findings(overrides)}


def test_a_clean_policy_has_no_findings():
    assert shop_policy().lint() == ()


def test_trigger_on_an_event_kind_no_source_produces_is_an_error_with_the_likely_kind():
    found = findings({"triggers": [{"id": "review-after-delivery", "requires": "order_delivred"}]})
    assert len(found) == 1
    finding = found[0]
    assert (finding.code, finding.subject, finding.severity) == (
        "unknown-event-kind",
        "review-after-delivery",
        Severity.ERROR,
    )
    assert "'order_delivred'" in str(finding)
    assert "did you mean 'order_delivered'?" in str(finding)


def test_declaring_the_kind_as_an_event_source_silences_it():
    events = [*shop_policy().events, "parcel_scanned"]
    overrides = {
        "events": events,
        "triggers": [{"id": "review-after-delivery", "requires": "parcel_scanned"}],
    }
    assert findings(overrides) == []


def test_guard_looking_for_an_unknown_kind_is_a_warning():
    overrides = {"guards": [{"id": "not-on-order-day", "not_on_day_of": {"kind": "order_placd"}}]}
    assert codes(overrides) == {("unknown-event-kind", "not-on-order-day", Severity.WARNING)}


def test_expiry_shorter_than_the_delay_can_never_fire():
    overrides = {
        "triggers": [{"id": "review-after-delivery", "delay": "3 days", "expires": "2 days"}]
    }
    assert codes(overrides) == {("lapses-before-delay", "review-after-delivery", Severity.ERROR)}


def test_expiry_in_months_is_compared_at_its_shortest():
    late = {"triggers": [{"id": "review-after-delivery", "delay": "30 days", "expires": "1 month"}]}
    assert codes(late) == set()
    early = {
        "triggers": [{"id": "review-after-delivery", "delay": "32 days", "expires": "1 month"}]
    }
    assert codes(early) == {("lapses-before-delay", "review-after-delivery", Severity.ERROR)}


@pytest.mark.parametrize(("start", "end"), [("01-01", "12-31"), ("03-01", "02-29")])
def test_blackout_over_the_whole_year_never_allows(start, end):
    overrides = {"guards": [{"id": "gift-season", "annual_blackout": {"start": start, "end": end}}]}
    found = findings(overrides)
    assert [(f.code, f.subject) for f in found] == [("never-allows", "gift-season")]
    assert "review_request" in found[0].message


def test_blackout_leaving_feb_29_open_is_not_the_whole_year():
    overrides = {
        "guards": [{"id": "gift-season", "annual_blackout": {"start": "03-01", "end": "02-28"}}]
    }
    assert findings(overrides) == []


def test_cap_of_zero_closes_what_it_covers():
    overrides = {
        "guards": [{"id": "contact-pressure", "frequency_cap": {"limit": 0, "period": "7 days"}}]
    }
    assert ("never-allows", "contact-pressure", Severity.ERROR) in codes(overrides)


def test_cap_that_never_binds_beside_a_stricter_one_over_the_same_contacts():
    overrides = {
        "guards": [
            {
                "id": "loose-pressure",
                "categories": ["relationship", "marketing"],
                "frequency_cap": {"limit": 3, "period": "7 days"},
            }
        ]
    }
    found = findings(overrides)
    assert [(f.code, f.subject, f.severity) for f in found] == [
        ("cap-never-binds", "loose-pressure", Severity.WARNING)
    ]
    assert "'contact-pressure' allows only 2 in 1 week" in found[0].message


def test_caps_over_different_contacts_do_not_contradict():
    overrides = {
        "guards": [
            {
                "id": "review-cap",
                "intents": ["review_request"],
                "frequency_cap": {"limit": 3, "period": "7 days"},
            }
        ]
    }
    assert findings(overrides) == []


def test_intent_no_trigger_proposes():
    overrides = {
        "intents": {
            "thank_you": {"category": "relationship", "channels": ["email"], "priority": 99}
        }
    }
    assert codes(overrides) == {("intent-never-proposed", "thank_you", Severity.WARNING)}


def test_intent_whose_every_channel_is_closed():
    overrides = {
        "guards": [
            {
                "id": "no-email",
                "channels": ["email"],
                "frequency_cap": {"limit": 0, "period": "1 day"},
            },
            {
                "id": "no-sms",
                "channels": ["sms"],
                "business_days": {"weekdays": "mon", "holidays": True},
            },
        ]
    }
    # sms is still open on Mondays: only the email-only intents lose every channel.
    found = codes(overrides)
    assert ("no-usable-channel", "invoice_explainer", Severity.ERROR) in found
    assert ("no-usable-channel", "feedback_survey", Severity.ERROR) in found
    assert not any(
        code == "no-usable-channel" and subject == "review_request" for code, subject, _ in found
    )


def test_priorities_that_tie():
    overrides = {"intents": {"welcome": {"priority": 50}}}
    found = findings(overrides)
    assert [(f.code, f.subject) for f in found] == [("priority-tie", "review_request, welcome")]


def test_offer_for_new_customers_only_goes_against_p13():
    overrides = {
        "triggers": [
            {
                "id": "newcomer-discount",
                "intent": "loyalty_reward",
                "on": "order_placed",
                "when": [{"tenure": {"at_most": "30 days"}}],
            }
        ]
    }
    found = findings(overrides)
    assert [(f.code, f.subject) for f in found] == [("new-customers-only", "newcomer-discount")]
    assert "P13" in str(found[0])


def test_errors_come_before_warnings():
    overrides = {
        "intents": {"welcome": {"priority": 50}},
        "triggers": [{"id": "review-after-delivery", "delay": "3 days", "expires": "2 days"}],
    }
    severities = [f.severity for f in findings(overrides)]
    assert severities == sorted(severities, key=lambda s: s != Severity.ERROR)
    assert severities[0] is Severity.ERROR


def test_policy_lint_is_the_lint_function():
    policy: Policy = shop_policy().with_overrides({"intents": {"welcome": {"priority": 50}}})
    assert policy.lint() == lint(policy)


def test_a_condition_on_a_time_zone_that_does_not_exist_is_a_warning():
    when = [{"field": "customer.timezone", "op": "eq", "value": "Europe/Londn"}]
    found = findings({"triggers": [{"id": "review-after-delivery", "when": when}]})
    assert [(f.code, f.subject, f.severity) for f in found] == [
        ("unknown-time-zone", "review-after-delivery", Severity.WARNING)
    ]
    assert "compares customer.timezone with 'Europe/Londn'" in str(found[0])
    assert found[0].hint == "did you mean 'Europe/London'?"


def test_each_unknown_zone_of_a_list_is_named_and_known_zones_are_not():
    zones = ["UTC", "America/New_York", "Mars/Olympus_Mons", "Etc/GMT+5"]
    when = [{"any": [{"field": "customer.timezone", "op": "in", "value": zones}]}]
    found = findings({"guards": [{"id": "quiet-hours", "when": when}]})
    assert [(f.code, f.subject) for f in found] == [("unknown-time-zone", "quiet-hours")]
    assert "'Mars/Olympus_Mons'" in found[0].message


def test_zones_in_other_fields_and_presence_tests_are_left_alone():
    when = [
        {"field": "customer.attributes.zone", "op": "eq", "value": "Nowhere/Land"},
        {"field": "customer.timezone", "op": "exists"},
    ]
    assert findings({"triggers": [{"id": "review-after-delivery", "when": when}]}) == []
