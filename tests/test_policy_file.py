"""Policy files: round trips through TOML, YAML and JSON, mistakes that say where, extends.

Every bad file must raise :class:`~outreach_rules.PolicyError` whose message names the
file, the line where the format gives one, the path inside the policy and the fix. In the
files below, ``# <-`` marks the line the error must name.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import yaml
from hypothesis import given, settings

from outreach_rules import (
    AnnualBlackout,
    AnyOf,
    Duration,
    FrequencyCap,
    GuardRule,
    Intent,
    InWindow,
    Policy,
    PolicyError,
    Trigger,
)
from outreach_rules.testing import policies

WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    ".toml": tomli_w.dumps,
    # Keys in the order given: intents are a table by name, but a policy's intents are in
    # order, and safe_dump would sort them (see test_intents_keep_their_order_in_a_file).
    ".yaml": lambda data: yaml.safe_dump(data, sort_keys=False),
    ".yml": lambda data: yaml.safe_dump(data, sort_keys=False),
    ".json": json.dumps,
}
PLAIN = (str, int, float, bool, list, dict)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def marked_line(path: Path) -> int:
    """The number of the line marked ``# <-``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if "# <-" in line)


def refusal(path: Path) -> str:
    with pytest.raises(PolicyError) as info:
        Policy.from_file(path)
    return str(info.value)


def assert_refused(path: Path, *, line: int | None, says: list[str]) -> str:
    """Loading ``path`` fails; the message starts at the file (and line) and says ``says``."""
    message = refusal(path)
    where = str(path) if line is None else f"{path}:{line}"
    assert re.match(re.escape(where) + r"[,:] ", message), message
    for part in says:
        assert part in message, message
    return message


def plain_only(data: Any) -> bool:
    if isinstance(data, dict):
        return all(isinstance(k, str) and plain_only(v) for k, v in data.items())
    if isinstance(data, list):
        return all(plain_only(item) for item in data)
    return isinstance(data, PLAIN)


# -- round trips -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(policies())
def test_a_policy_round_trips_through_its_data(policy: Policy) -> None:
    assert Policy.from_dict(policy.to_dict()) == policy


@settings(max_examples=60, deadline=None)
@given(policies())
def test_to_dict_is_deterministic_plain_data(policy: Policy) -> None:
    data = policy.to_dict()
    assert plain_only(data)
    assert json.dumps(data) == json.dumps(policy.to_dict())
    assert json.dumps(Policy.from_dict(data).to_dict()) == json.dumps(data)


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_policy_round_trips_through_each_file_format(
    suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("round-trip")

    @settings(max_examples=60, deadline=None)
    @given(policies())
    def round_trip(policy: Policy) -> None:
        path = folder / f"policy{suffix}"
        path.write_text(WRITERS[suffix](policy.to_dict()), encoding="utf-8")
        assert Policy.from_file(path) == policy

    round_trip()


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_window_of_the_basis_round_trips_through_each_file_format(
    suffix: str, tmp_path: Path
) -> None:
    gift = Policy.default().rule("gift-season")
    assert isinstance(gift, GuardRule)
    (season,) = gift.when
    assert isinstance(season, AnyOf)
    assert InWindow(start=(11, 15), end=(12, 26), of="basis") in season.conditions
    path = tmp_path / f"policy{suffix}"
    path.write_text(WRITERS[suffix](Policy.default().to_dict()), encoding="utf-8")
    assert Policy.from_file(path) == Policy.default()
    # Written only when it is not the default: a window of the anchor reads as before.
    (data,) = [g for g in Policy.default().to_dict()["guards"] if g["id"] == "gift-season"]
    windows = data["when"][0]["any"][1:]
    assert windows == [
        {"in_window": {"start": "11-15", "end": "12-26"}},
        {"in_window": {"start": "11-15", "end": "12-26", "of": "basis"}},
    ]


def test_policies_keep_to_the_intents_and_kinds_given() -> None:
    given_intents = [Intent(name="ping", category="service", channels=["sms"])]

    @settings(max_examples=40, deadline=None)
    @given(policies(intents=given_intents, min_rules=1, max_rules=3, kinds=["poked"]))
    def check(policy: Policy) -> None:
        assert policy.intents == tuple(given_intents)
        assert 1 <= len(policy.triggers) + len(policy.guards) <= 3
        assert {t.on for t in policy.triggers} <= {"customer", "poked"}
        for guard in policy.guards:
            assert guard.intents <= {"ping"}

    check()


def test_intents_keep_their_order_in_a_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "order.yaml",
        """
        name: order
        intents:
          zebra: {category: service, channels: [email]}
          apple: {category: service, channels: [sms]}
        """,
    )
    assert [i.name for i in Policy.from_file(path).intents] == ["zebra", "apple"]


def test_both_forms_of_duration_give_the_same_policy(tmp_path: Path) -> None:
    text = """
    name = "shop"
    [intents.review_request]
    category = "relationship"
    channels = ["email"]
    [[triggers]]
    id = "review"
    intent = "review_request"
    on = "order_delivered"
    delay = "{delay}"
    """
    words = Policy.from_file(write(tmp_path, "words.toml", text.format(delay="3 days")))
    iso = Policy.from_file(write(tmp_path, "iso.toml", text.format(delay="P3D")))
    hours = Policy.from_file(write(tmp_path, "hours.toml", text.format(delay="72 hours")))
    assert words == iso
    assert words.triggers[0].delay == Duration.of(days=3)
    # Days count on the customer's calendar, hours exactly: 72 hours is another duration.
    assert hours != words


# -- mistakes, and where they are --------------------------------------------------------

TOML_HEAD = """
name = "shop"

[intents.review_request]
category = "relationship"
channels = ["email", "sms"]
"""

TOML_MISTAKES = {
    "unknown key in an inline table": (
        """
        [[guards]]
        id = "quiet"
        allowed_hours = [{ start = "09:00", end = "20:00" }]

        [[guards]]
        id = "pressure"
        frequency_cap = { limt = 3, period = "7 days" }  # <-
        """,
        ["guards[1].frequency_cap.limt", "is not a key here", "did you mean 'limit'?"],
    ),
    "unknown key on its own line": (
        """
        [[guards]]
        id = "pressure"
        [guards.frequency_cap]
        limt = 3  # <-
        period = "7 days"
        """,
        ["guards[0].frequency_cap.limt", "did you mean 'limit'?"],
    ),
    "a number where a duration goes": (
        """
        [[triggers]]
        id = "review"
        intent = "review_request"
        on = "order_delivered"
        delay = 3  # <-
        """,
        ["triggers[0].delay=3", "must be a duration written as text", "such as '3 days'"],
    ),
    "text where a number goes": (
        """
        [[guards]]
        id = "pressure"
        frequency_cap = { limit = "three", period = "7 days" }  # <-
        """,
        ["guards[0].frequency_cap.limit='three'", "must be a whole number, not text"],
    ),
    "a table where a list goes": (
        """
        [triggers]  # <-
        id = "review"
        intent = "review_request"
        on = "order_delivered"
        """,
        ["triggers: must be a list, not a table", "write [[triggers]] tables"],
    ),
    "a bad duration": (
        """
        [[triggers]]
        id = "review"
        intent = "review_request"
        on = "order_delivered"
        delay = "3 dayz"  # <-
        """,
        ["triggers[0].delay='3 dayz'", "is not a duration", "such as 'P3D'"],
    ),
    "an unknown channel": (
        """
        [intents.apology_call]
        category = "service"
        channels = ["phone", "emial"]  # <-
        """,
        ["intents.apology_call.channels[1]='emial'", "did you mean 'email'?"],
    ),
    "an unknown category": (
        """
        [intents.loyalty_reward]
        category = "marketting"  # <-
        channels = ["email"]
        """,
        ["intents.loyalty_reward.category", "'marketting'", "did you mean 'marketing'?"],
    ),
    "an unknown category in a guard's scope": (
        """
        [[guards]]
        id = "consent"
        categories = ["marketting"]  # <-
        requires_consent = {}
        """,
        ["guards[0].categories[0]='marketting'", "did you mean 'marketing'?"],
    ),
    "a duplicate rule id": (
        """
        [[triggers]]
        id = "review"
        intent = "review_request"
        on = "order_delivered"

        [[guards]]
        id = "review"  # <-
        requires_consent = {}
        """,
        ["guards[0].id='review'", "is the id of triggers[0] too", "ids must be unique"],
    ),
    "a trigger for an undeclared intent": (
        """
        [[triggers]]
        id = "review"
        intent = "review_requst"  # <-
        on = "order_delivered"
        """,
        ["triggers[0].intent='review_requst'", "did you mean 'review_request'?"],
    ),
    "a guard scoped to an undeclared intent": (
        """
        [[guards]]
        id = "consent"
        intents = ["review_requests"]  # <-
        requires_consent = {}
        """,
        ["guards[0].intents", "'review_requests'", "did you mean 'review_request'?"],
    ),
    "a guard with two spec keys": (
        """
        [[guards]]  # <-
        id = "both"
        business_days = {}
        requires_consent = {}
        """,
        ["guards[0]: must have exactly one guard spec, found 2", "use one of allowed_hours"],
    ),
    "a guard with no spec key": (
        """
        [[guards]]  # <-
        id = "none"
        intents = ["review_request"]
        """,
        ["guards[0]: must have exactly one guard spec, found 0", "use one of allowed_hours"],
    ),
    "month 13": (
        """
        [[guards]]
        id = "season"
        annual_blackout = { start = "13-01", end = "12-26" }  # <-
        """,
        ["guards[0].annual_blackout.start='13-01'", "is not a month and day", "'MM-DD'"],
    ),
    "December 32": (
        """
        [[guards]]
        id = "season"
        [guards.annual_blackout]
        start = "11-15"
        end = "12-32"  # <-
        """,
        ["guards[0].annual_blackout.end='12-32'", "is not a month and day", "'MM-DD'"],
    ),
    "25 o'clock": (
        """
        [[guards]]
        id = "quiet"
        allowed_hours = [{ start = "25:00", end = "20:00" }]  # <-
        """,
        ["guards[0].allowed_hours[0].start='25:00'", "is not a time of day", "'09:00'"],
    ),
    "25 o'clock in an array of tables": (
        """
        [[guards]]
        id = "quiet"
        [[guards.allowed_hours]]
        start = "09:00"
        end = "25:00"  # <-
        """,
        ["guards[0].allowed_hours[0].end='25:00'", "is not a time of day", "'24:00'"],
    ),
    "bad weekdays for hours": (
        """
        [[guards]]
        id = "quiet"
        allowed_hours = [{ start = "09:00", end = "17:00", days = "mon-fry" }]  # <-
        """,
        ["guards[0].allowed_hours[0].days='mon-fry'", "is not a set of weekdays", "'mon-fri'"],
    ),
    "bad weekdays for business days": (
        """
        [[guards]]
        id = "working"
        business_days = { weekdays = "mon-fry" }  # <-
        """,
        ["guards[0].business_days.weekdays='mon-fry'", "is not a set of weekdays", "'mon-fri'"],
    ),
    "a cap period in months": (
        """
        [[guards]]
        id = "pressure"
        frequency_cap = { limit = 3, period = "1 month" }  # <-
        """,
        ["guards[0].frequency_cap.period='1 month'", "exact", "'365 days'"],
    ),
    "a recurring trigger on an event": (
        """
        [[triggers]]
        id = "yearly"
        intent = "review_request"
        on = "order_placed"  # <-
        every = "1 year"
        """,
        ["triggers[0].on='order_placed'", "recurring", "on = 'customer'"],
    ),
    "remove without extends": (
        """
        name = "shop"
        remove = ["gift-season"]  # <-
        """,
        ["remove: only makes sense with extends", "extends = 'default'"],
    ),
    "a window of an instant that is neither the anchor nor the basis": (
        """
        [[guards]]
        id = "gift-season"
        when = [{ in_window = { start = "11-15", end = "12-26", of = "basic" } }]  # <-
        annual_blackout = { start = "11-15", end = "12-26" }
        """,
        [
            "guards[0].when[0].in_window.of='basic'",
            "is not an instant a window can test",
            "did you mean 'basis'?",
        ],
    ),
    "a trigger's window of the basis": (
        """
        [[triggers]]
        id = "review"
        intent = "review_request"
        on = "order_placed"
        requires = "order_delivered"
        when = [{ in_window = { start = "11-15", end = "12-26", of = "basis" } }]  # <-
        """,
        [
            "triggers[0].when[0]",
            "rule 'review'",
            "tests the proposal's basis, which a trigger does not know yet",
            "move the test to a guard's 'when'",
        ],
    ),
    "TOML syntax": (
        """
        [[triggers]]
        id = "review
        intent = "review_request"
        """,
        ["is not valid TOML"],
    ),
}


@pytest.mark.parametrize("case", sorted(TOML_MISTAKES))
def test_a_mistake_in_toml_names_file_line_path_and_fix(case: str, tmp_path: Path) -> None:
    body, says = TOML_MISTAKES[case]
    body = textwrap.dedent(body)
    # A case that names the policy is the whole file.
    path = write(tmp_path, "policy.toml", body if "name =" in body else TOML_HEAD + body)
    if case == "TOML syntax":
        line = next(
            n for n, text in enumerate(path.read_text().splitlines(), 1) if 'id = "review' in text
        )
    else:
        line = marked_line(path)
    assert_refused(path, line=line, says=says)


YAML_HEAD = """
name: shop
intents:
  review_request:
    category: relationship
    channels: [email, sms]
"""

YAML_MISTAKES = {
    "unknown key": (
        """
        guards:
          - id: quiet
            allowed_hours: [{start: "09:00", end: "20:00"}]
          - id: pressure
            frequency_cap:
              limt: 3  # <-
              period: 7 days
        """,
        ["guards[1].frequency_cap.limt", "did you mean 'limit'?"],
    ),
    "a table where a list goes": (
        """
        name: shop
        intents:
          apology_call:
            category: service
            channels: {phone: true}  # <-
        """,
        ["intents.apology_call.channels", "must be a list of strings, not a table"],
    ),
    "a number where a duration goes": (
        """
        triggers:
          - id: review
            intent: review_request
            on: order_delivered
            delay: 3  # <-
        """,
        ["triggers[0].delay=3", "must be a duration written as text"],
    ),
    "a bad duration": (
        """
        triggers:
          - id: review
            intent: review_request
            on: order_delivered
            delay: 3 dayz  # <-
        """,
        ["triggers[0].delay='3 dayz'", "is not a duration"],
    ),
    "an unknown channel": (
        """
        name: shop
        intents:
          apology_call:
            category: service
            channels:
              - phone
              - emial  # <-
        """,
        ["intents.apology_call.channels[1]='emial'", "did you mean 'email'?"],
    ),
    "a duplicate rule id": (
        """
        triggers:
          - id: review
            intent: review_request
            on: order_delivered
        guards:
          - id: review  # <-
            requires_consent: {}
        """,
        ["guards[0].id='review'", "is the id of triggers[0] too"],
    ),
    "a trigger for an undeclared intent": (
        """
        triggers:
          - id: review
            intent: review_requst  # <-
            on: order_delivered
        """,
        ["triggers[0].intent='review_requst'", "did you mean 'review_request'?"],
    ),
    "a guard with two spec keys": (
        """
        guards:
          - id: both  # <-
            business_days: {}
            requires_consent: {}
        """,
        ["guards[0]: must have exactly one guard spec, found 2"],
    ),
    "25 o'clock": (
        """
        guards:
          - id: quiet
            allowed_hours:
              - start: "25:00"  # <-
                end: "20:00"
        """,
        ["guards[0].allowed_hours[0].start='25:00'", "is not a time of day"],
    ),
    "25 o'clock at the end": (
        """
        guards:
          - id: quiet
            allowed_hours:
              - start: "09:00"
                end: "25:00"  # <-
        """,
        ["guards[0].allowed_hours[0].end='25:00'", "is not a time of day"],
    ),
    "a recurring trigger on an event": (
        """
        triggers:
          - id: yearly
            intent: review_request
            on: order_placed  # <-
            every: 1 year
        """,
        ["triggers[0].on='order_placed'", "recurring", "on = 'customer'"],
    ),
    "YAML syntax": (
        """
        triggers:
          - id: review
            intent: [review_request  # <-
        """,
        ["is not valid YAML"],
    ),
}


@pytest.mark.parametrize("case", sorted(YAML_MISTAKES))
def test_a_mistake_in_yaml_names_file_line_path_and_fix(case: str, tmp_path: Path) -> None:
    body, says = YAML_MISTAKES[case]
    body = textwrap.dedent(body)
    # A case that declares its own intents is the whole file.
    path = write(tmp_path, "policy.yaml", body if "name:" in body else YAML_HEAD + body)
    line = marked_line(path) + (1 if case == "YAML syntax" else 0)
    assert_refused(path, line=line, says=says)


def test_a_mistake_in_json_names_file_path_and_fix(tmp_path: Path) -> None:
    data = {
        "name": "shop",
        "intents": {"review_request": {"category": "relationship", "channels": ["emial"]}},
    }
    path = write(tmp_path, "policy.json", json.dumps(data, indent=2))
    assert_refused(
        path,
        line=None,
        says=["intents.review_request.channels[0]='emial'", "did you mean 'email'?"],
    )


def test_json_syntax_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.json", '{\n  "name": "shop",\n  "triggers": [,]\n}\n')
    assert_refused(path, line=3, says=["is not valid JSON"])


def test_a_key_given_twice_in_json_is_refused_not_overwritten(tmp_path: Path) -> None:
    text = '{"name": "shop", "name": "other", "intents": {}}'
    path = write(tmp_path, "policy.json", text)
    assert_refused(path, line=None, says=["name: is given twice in one object"])


def yaml_policy(folder: Path, triggers: str) -> Path:
    """A policy file of ``YAML_HEAD`` and ``triggers``, written as YAML_MISTAKES are."""
    return write(folder, "policy.yaml", YAML_HEAD + textwrap.dedent(triggers))


def test_a_key_given_twice_in_yaml_names_both_lines(tmp_path: Path) -> None:
    path = yaml_policy(
        tmp_path,
        """
        triggers:
          - id: ask
            intent: review_request
            on: order_delivered
            delay: 3 days
            delay: 5 days  # <-
        """,
    )
    line = marked_line(path)
    assert_refused(
        path,
        line=line,
        says=[f"triggers[0].delay: is given twice in one mapping (first at line {line - 1})"],
    )


def test_equal_keys_in_different_mappings_are_not_twice(tmp_path: Path) -> None:
    path = yaml_policy(
        tmp_path,
        """
        triggers:
          - id: ask
            intent: review_request
            on: order_delivered
          - id: ask-again
            intent: review_request
            on: order_placed
        """,
    )
    assert [t.id for t in Policy.from_file(path).triggers] == ["ask", "ask-again"]


def test_a_lone_surrogate_in_json_is_refused_with_its_path(tmp_path: Path) -> None:
    text = '{"name": "shop", "description": "caf\\ud800"}'
    path = write(tmp_path, "policy.json", text)
    assert_refused(path, line=None, says=["description: holds a lone surrogate"])


def test_a_lone_surrogate_in_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = yaml_policy(
        tmp_path,
        """
        triggers:
          - id: ask
            intent: review_request
            on: order_delivered
            description: "caf\\ud800"  # <-
        """,
    )
    says = ["triggers[0].description: holds a lone surrogate", "both halves"]
    assert_refused(path, line=marked_line(path), says=says)
    # PyYAML also reads escapes in keys.
    path = yaml_policy(tmp_path, '\n"trig\\udfffers": []  # <-\n')
    assert_refused(path, line=marked_line(path), says=["trig\\udfffers: holds a lone"])


def test_a_lone_surrogate_in_toml_is_not_valid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", 'name = "caf\\ud800"  # <-\n')
    assert_refused(path, line=marked_line(path), says=["is not valid TOML"])


def test_a_key_given_twice_in_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.toml", 'name = "shop"\nname = "other"  # <-\n')
    assert_refused(path, line=marked_line(path), says=["is not valid TOML"])


def test_yaml_reads_on_and_clock_times_as_text(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `on` as true, `10:00` as 600 (base 60) and an ISO instant as
    # a datetime: none of that may reach the policy.
    path = write(
        tmp_path,
        "policy.yaml",
        """
        name: shop
        intents:
          review_request: {category: relationship, channels: [email]}
        triggers:
          - id: review
            intent: review_request
            on: order_delivered
            delay: 3 days
            correlate: false
        guards:
          - id: quiet
            allowed_hours:
              - {start: 10:00, end: 18:00}
          - id: freeze
            blackout: {start: 2026-12-24T00:00:00Z, end: 2026-12-27T00:00:00+01:00}
        """,
    )
    policy = Policy.from_file(path)
    assert policy.triggers[0].on == "order_delivered"
    assert policy.triggers[0].correlate is False
    assert policy.to_dict()["guards"][0]["allowed_hours"][0]["start"] == "10:00"
    assert policy.to_dict()["guards"][1]["blackout"]["start"] == "2026-12-24T00:00:00+00:00"


def test_a_file_of_unknown_kind_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.txt", 'name = "shop"\n')
    message = refusal(path)
    assert str(path) in message
    assert "name it .toml, .yaml, .yml or .json" in message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    message = refusal(path)
    assert str(path) in message
    assert "cannot be read" in message


def test_unsafe_yaml_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(
        tmp_path,
        "policy.yaml",
        f"""
        name: shop
        description: !!python/object/apply:os.system ["touch {marker}"]  # <-
        """,
    )
    assert_refused(path, line=marked_line(path), says=["is not valid YAML"])
    assert not marker.exists()


# -- extends ----------------------------------------------------------------------------

BASE = """
name = "base"
version = "7"

[intents.review_request]
category = "relationship"
channels = ["email", "sms"]
priority = 50

[intents.welcome]
category = "relationship"
channels = ["email"]

[[triggers]]
id = "review"
intent = "review_request"
on = "order_delivered"
delay = "3 days"

[[triggers]]
id = "welcome"
intent = "welcome"
on = "customer"

[[guards]]
id = "pressure"
intents = ["review_request"]
frequency_cap = { limit = 2, period = "7 days" }

[[guards]]
id = "season"
annual_blackout = { start = "11-15", end = "12-26" }
"""

EXTENDING = """
name = "mine"
extends = "base.toml"
remove = ["welcome"]

[intents.review_request]
priority = 40

[[guards]]
id = "pressure"
annual_blackout = { start = "12-20", end = "12-31" }

[[triggers]]
id = "review-again"
intent = "review_request"
on = "order_delivered"
delay = "30 days"
"""

OVERRIDES: dict[str, Any] = {
    "name": "mine",
    "remove": ["welcome"],
    "intents": {"review_request": {"priority": 40}},
    "guards": [{"id": "pressure", "annual_blackout": {"start": "12-20", "end": "12-31"}}],
    "triggers": [
        {
            "id": "review-again",
            "intent": "review_request",
            "on": "order_delivered",
            "delay": "30 days",
        }
    ],
}


def test_an_extending_file_changes_adds_and_removes(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", BASE)
    policy = Policy.from_file(write(tmp_path, "mine.toml", EXTENDING))
    review = Intent(
        name="review_request", category="relationship", channels=["email", "sms"], priority=40
    )
    welcome = Intent(name="welcome", category="relationship", channels=["email"])
    expected = Policy(
        name="mine",
        version="7",
        intents=[review, welcome],
        triggers=[
            Trigger(id="review", intent="review_request", on="order_delivered", delay="3 days"),
            Trigger(
                id="review-again", intent="review_request", on="order_delivered", delay="30 days"
            ),
        ],
        guards=[
            # The spec is replaced as a whole; the scope is kept.
            GuardRule(
                id="pressure",
                intents=["review_request"],
                spec=AnnualBlackout(start=(12, 20), end=(12, 31)),
            ),
            GuardRule(id="season", spec=AnnualBlackout(start=(11, 15), end=(12, 26))),
        ],
    )
    assert policy == expected
    assert not isinstance(policy.guards[0].spec, FrequencyCap)


def test_with_overrides_is_the_extending_file_in_python(tmp_path: Path) -> None:
    base = Policy.from_file(write(tmp_path, "base.toml", BASE))
    extended = Policy.from_file(write(tmp_path, "mine.toml", EXTENDING))
    assert base.with_overrides(OVERRIDES) == extended


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ([{"remove": ["welcome"]}], "must be a table of changes, not list"),
        ({"guards": 5}, "guards=5: must be a list of rules, not int"),
        ({"triggers": {"id": "welcome"}}, "triggers={'id': 'welcome'}: must be a list of rules"),
    ],
)
def test_with_overrides_of_the_wrong_shape_is_refused(changes: Any, says: str) -> None:
    # A bare TypeError or AttributeError used to come from inside the merge.
    with pytest.raises(PolicyError, match=re.escape(says)):
        Policy.default().with_overrides(changes)


def test_removing_a_rule_the_base_lacks_suggests_the_closest(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", BASE)
    path = write(
        tmp_path,
        "mine.toml",
        """
        name = "mine"
        extends = "base.toml"
        remove = ["welcom"]  # <-
        """,
    )
    assert_refused(
        path,
        line=marked_line(path),
        says=["remove[0]='welcom'", "is not a rule of the base policy", "did you mean 'welcome'?"],
    )


def test_removing_a_rule_the_playbook_lacks_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.toml",
        """
        name = "mine"
        extends = "default"
        remove = ["no-such-rule"]  # <-
        """,
    )
    assert_refused(
        path,
        line=marked_line(path),
        says=["remove[0]='no-such-rule'", "is not a rule of the base policy"],
    )


def test_an_extends_cycle_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "a"\nextends = "b.toml"\n')
    b = write(tmp_path, "b.toml", 'name = "b"\nextends = "a.toml"  # <-\n')
    message = refusal(tmp_path / "a.toml")
    assert message.startswith(f"{b}:{marked_line(b)}, extends='a.toml'"), message
    assert "cycle" in message


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_a_merged_rules_mistake_points_into_the_extending_file(suffix: str, tmp_path: Path) -> None:
    # "pressure" is the base's guards[0], and the extending file's guards[1].
    write(tmp_path, "base.toml", BASE)
    text = {
        ".toml": """
            name = "mine"
            extends = "base.toml"

            [[guards]]
            id = "quiet"
            allowed_hours = [{ start = "09:00", end = "20:00" }]

            [[guards]]
            id = "pressure"
            frequency_cap = { limt = 3, period = "7 days" }  # <-
            """,
        ".yaml": """
            name: mine
            extends: base.toml
            guards:
              - id: quiet
                allowed_hours: [{start: "09:00", end: "20:00"}]
              - id: pressure
                frequency_cap:
                  limt: 3  # <-
                  period: 7 days
            """,
    }[suffix]
    path = write(tmp_path, f"mine{suffix}", text)
    assert_refused(
        path,
        line=marked_line(path),
        says=["guards[1].frequency_cap.limt", "did you mean 'limit'?"],
    )


def test_a_policy_wide_mistake_in_a_merged_rule_names_its_place_in_the_file(
    tmp_path: Path,
) -> None:
    # The base has two triggers, so the new one is triggers[2] of the merged policy; the
    # message names its place in the file that has it.
    write(tmp_path, "base.toml", BASE)
    path = write(
        tmp_path,
        "mine.toml",
        """
        name = "mine"
        extends = "base.toml"

        [[triggers]]
        id = "again"
        intent = "review_requst"  # <-
        on = "order_delivered"
        """,
    )
    assert_refused(
        path,
        line=marked_line(path),
        says=["triggers[0].intent='review_requst'", "did you mean 'review_request'?"],
    )
