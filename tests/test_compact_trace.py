"""The compact trace level: reason codes in place of sentences, rendered back exactly.

Both cores write the same compact bytes (JSON Lines and CSV), and :func:`full_record`
turns each compact record into the full one, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach_rules import (
    AllowedHours,
    Customer,
    Event,
    GuardRule,
    InputError,
    Intent,
    Policy,
    Trigger,
    _rust,
    full_record,
)
from outreach_rules._compile import Uncompilable
from outreach_rules._cores import rust_module, using
from outreach_rules._parts import TRACES, plan_files, write_records
from outreach_rules.batch import Group, record_groups
from outreach_rules.contract import Line, customer_from_record
from outreach_rules.errors import OutreachRulesError
from outreach_rules.planner import plan_records
from outreach_rules.testing import customers, histories, policies

from conftest import shop_policy

EXAMPLES = 200
NOW = "2027-01-04T21:00:00Z"


def hello_policy(*, quiet_on: list[str]) -> Policy:
    """One intent on email then sms, proposed when the customer starts, for two hours;
    quiet hours on ``quiet_on`` (no channel: on every channel)."""
    return Policy(
        name="hello",
        version="1",
        intents=[
            Intent(name="hello", category="relationship", channels=["email", "sms"], priority=1)
        ],
        triggers=[
            Trigger(
                id="hello-new", intent="hello", on="customer", expires="2 hours", practices="P11"
            )
        ],
        guards=[
            GuardRule(
                id="quiet",
                channels=quiet_on,
                practices="P16",
                spec=AllowedHours.between("09:00", "20:00"),
            )
        ],
    )


def customer(since: str, channels: tuple[str, ...] = ("email", "sms"), **more: Any) -> Customer:
    return Customer(
        id="c1",
        timezone="Europe/London",
        country="GB",
        since=since,
        channels=dict.fromkeys(channels, True),
        **more,
    )


def planned(policy: Policy, person: Customer, history: list[Any], now: str, trace: str) -> Any:
    return plan_records(policy, person, history, now=now, trace=trace)


def assert_renders_back(policy: Policy, person: Customer, history: list[Any], now: str) -> Any:
    """The compact records, having checked that they render to the full ones exactly."""
    compact = planned(policy, person, history, now, "compact")
    full = planned(policy, person, history, now, "full")
    read = [orjson.loads(orjson.dumps(record)) for record in compact]
    rendered = [full_record(record, policy, person) for record in read]
    assert orjson.dumps(rendered) == orjson.dumps(full)
    return compact


EVENING, MORNING = "2027-01-04T21:00:00Z", "2027-01-04T10:00:00Z"
LAPSES = "2027-01-04T23:00:00+00:00"
SCENARIOS: dict[str, tuple[Any, ...]] = {
    # name: policy, customer, now, the codes of the trace, one step in full
    "chose the first channel": (
        hello_policy(quiet_on=["email"]),
        customer(MORNING),
        MORNING,
        ["proposed", "guard", "chose"],
        {
            "rule": "hello-new",
            "effect": "proposed",
            "from": None,
            "to": "2027-01-04T10:00:00+00:00",
            "code": "proposed",
            "params": {"basis": "customer", "at": "2027-01-04T10:00:00+00:00"},
        },
    ),
    "a guard of one channel allowed it": (
        hello_policy(quiet_on=["email"]),
        customer(MORNING),
        MORNING,
        ["proposed", "guard", "chose"],
        {
            "rule": "quiet",
            "effect": "allowed",
            "from": None,
            "to": None,
            "code": "guard",
            "params": {"channel": "email"},
        },
    ),
    "the earliest time had passed": (
        hello_policy(quiet_on=["email"]),
        customer(MORNING),
        "2027-01-04T11:00:00Z",
        ["proposed", "plan_now", "guard", "chose"],
        {
            "rule": "plan-now",
            "effect": "deferred",
            "from": "2027-01-04T10:00:00+00:00",
            "to": "2027-01-04T11:00:00+00:00",
            "code": "plan_now",
            "params": {},
        },
    ),
    "lapses on one channel, chose the next": (
        hello_policy(quiet_on=["email"]),
        customer(EVENING),
        EVENING,
        ["proposed", "skipped", "chose"],
        {
            "rule": "quiet",
            "effect": "skipped_channel",
            "from": None,
            "to": None,
            "code": "skipped",
            "params": {
                "on": "email",
                "stop": "lapses",
                "at": LAPSES,
                "channel": "email",
                "moved": True,
            },
        },
    ),
    "chose after passing one": (
        hello_policy(quiet_on=["email"]),
        customer(EVENING),
        EVENING,
        ["proposed", "skipped", "chose"],
        {
            "rule": "channel",
            "effect": "chose_channel",
            "from": None,
            "to": "2027-01-04T21:00:00+00:00",
            "code": "chose",
            "params": {"passed": ["email"]},
        },
    ),
    "lapses on every channel": (
        hello_policy(quiet_on=["email"]),
        customer(EVENING, ("email",)),
        EVENING,
        ["proposed", "skipped", "skipped", "lapsed_everywhere"],
        {
            "rule": "expiry",
            "effect": "expired",
            "from": None,
            "to": None,
            "code": "lapsed_everywhere",
            "params": {"at": LAPSES},
        },
    ),
    "a channel blocked": (
        hello_policy(quiet_on=["email"]),
        customer(EVENING, ("email",)),
        EVENING,
        ["proposed", "skipped", "skipped", "lapsed_everywhere"],
        {
            "rule": "channel-available",
            "effect": "skipped_channel",
            "from": None,
            "to": None,
            "code": "skipped",
            "params": {"on": "sms", "stop": "blocked", "channel": "sms", "waits_for": None},
        },
    ),
    "no channel": (
        hello_policy(quiet_on=["email"]),
        customer(MORNING, ()),
        MORNING,
        ["proposed", "skipped", "skipped", "no_channel"],
        {
            "rule": "channel",
            "effect": "blocked",
            "from": None,
            "to": None,
            "code": "no_channel",
            "params": {},
        },
    ),
    "blocked on every channel": (
        hello_policy(quiet_on=["email"]),
        customer(MORNING, consents={"relationship": False}),
        MORNING,
        ["proposed", "blocked"],
        {
            "rule": "category-consent",
            "effect": "blocked",
            "from": None,
            "to": None,
            "code": "blocked",
            "params": {"channel": None, "waits_for": "opted_in"},
        },
    ),
    "deferred by a guard of every channel": (
        hello_policy(quiet_on=[]),
        customer(EVENING),
        EVENING,
        ["proposed", "guard", "lapses"],
        {
            "rule": "quiet",
            "effect": "deferred",
            "from": "2027-01-04T21:00:00+00:00",
            "to": "2027-01-05T09:00:00+00:00",
            "code": "guard",
            "params": {"channel": None},
        },
    ),
    "lapses whatever the channel": (
        hello_policy(quiet_on=[]),
        customer(EVENING),
        EVENING,
        ["proposed", "guard", "lapses"],
        {
            "rule": "quiet",
            "effect": "expired",
            "from": None,
            "to": None,
            "code": "lapses",
            "params": {"at": LAPSES, "channel": None, "moved": True},
        },
    ),
}


def seconds(text: str | None) -> int | None:
    return None if text is None else int(dt.datetime.fromisoformat(text).timestamp())


def as_written(step: dict[str, Any]) -> list[Any]:
    """A step given by name, as a compact trace writes it: one array, instants as seconds."""
    params = [seconds(v) if k == "at" else v for k, v in step["params"].items()]
    times = [seconds(step["from"]), seconds(step["to"])]
    return [step["rule"], step["effect"], *times, step["code"], *params]


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_reason_code(each_core: str, scenario: tuple[Any, ...]) -> None:
    policy, person, now, codes, step = scenario
    (record,) = assert_renders_back(policy, person, [], now)
    assert [s[4] for s in record["trace"]] == codes
    assert as_written(step) in record["trace"]


def test_waits_for_the_event_it_needs(each_core: str) -> None:
    policy = shop_policy()
    person = customer("2026-01-01T00:00:00Z")
    placed = Event(kind="order_placed", at="2027-01-02T10:00:00Z", ref="o1", customer="c1")
    records = assert_renders_back(policy, person, [placed], "2027-01-03T10:00:00Z")
    (review,) = [r for r in records if r["intent"] == "review_request"]
    assert review["trace"] == [
        ["review-after-delivery", "proposed", None, None, "proposed", "order_delivered", None],
        ["review-after-delivery", "waiting", None, None, "waits", "order_delivered (o1)"],
    ]


def test_the_playbook_renders_back(each_core: str) -> None:
    placed = Event(kind="order_placed", at="2026-12-01T10:00:00Z", ref="o1", customer="c1")
    delivered = Event(kind="order_delivered", at="2026-12-03T10:00:00Z", ref="o1", customer="c1")
    person = customer("2024-01-01T00:00:00Z", ("email", "sms", "phone"))
    assert assert_renders_back(
        Policy.default(), person, [placed, delivered], "2026-12-04T08:00:00Z"
    )


# --- both cores, byte for byte ------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, ...]:
    policy = draw(st.one_of(policies(), st.just(Policy.default()), st.just(shop_policy())))
    person = draw(customers())
    history = draw(histories(person))
    times = [event.epoch for event in history] or [person.since_epoch]
    now = draw(st.integers(min(times) - 86_400, max(times) + 90 * 86_400))
    return policy, person, history, now


def records_of(core: str, policy: Policy, person: Customer, history: Any, now: int) -> Any:
    with using(core):  # type: ignore[arg-type]
        try:
            found = {
                trace: plan_records(policy, person, history, now=now, trace=trace)
                for trace in ("compact", "full")
            }
        except OutreachRulesError as error:
            return (type(error).__name__, str(error))
    return found


def csv_of(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    write_records([records], "csv", out, trace="compact")
    return out.getvalue()


@pytest.mark.skipif(rust_module() is None, reason="the Rust core is not built here")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_both_cores_write_the_same_compact_records_and_they_render_back(
    case: tuple[Any, ...],
) -> None:
    policy, person, history, now = case
    python = records_of("python", *case)
    rust = records_of("rust", *case)
    if isinstance(python, tuple):
        assert rust == python
        return
    assert orjson.dumps(rust["compact"]) == orjson.dumps(python["compact"])
    # Rendered back, every compact record is the full one, from either core.
    for records in (python["compact"], rust["compact"]):
        rendered = [full_record(orjson.loads(orjson.dumps(r)), policy, person) for r in records]
        assert orjson.dumps(rendered) == orjson.dumps(python["full"])
    # The CSV rows of the Rust core, the trace in the last cell.
    with using("rust"):
        core = _rust.compiled(policy)
        try:
            group = _rust.wire_group(person, history) if core is not None else None
        except Uncompilable:
            group = None
    if core is not None and group is not None:
        (rows,) = core.plan_records(group, now, form="csv", trace="compact")
        assert rows.decode("utf-8") == csv_of(python["compact"])


def _write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_plan_files_writes_compact_traces_alike_on_both_cores(
    tmp_path: Path, form: str, each_core: str
) -> None:
    people = [
        {
            "id": "c1",
            "timezone": "Europe/London",
            "country": "GB",
            "since": EVENING,
            "channels": {"email": True},
        },
        {
            "id": "c2",
            "timezone": "America/New_York",
            "country": "US",
            "since": MORNING,
            "channels": {"email": True, "sms": True},
        },
    ]
    customers_file = _write_lines(tmp_path / "customers.jsonl", people)
    events_file = _write_lines(tmp_path / "events.jsonl", [])
    policy = hello_policy(quiet_on=["email"])
    written = {}
    for trace in ("compact", "full"):
        out = io.StringIO()
        plan_files(policy, customers_file, events_file, out, now=EVENING, form=form, trace=trace)
        written[trace] = out.getvalue()
    with using("python"):
        out = io.StringIO()
        plan_files(
            policy, customers_file, events_file, out, now=EVENING, form=form, trace="compact"
        )
    assert written["compact"] == out.getvalue()
    if form == "jsonl":
        people_by_id = {p["id"]: customer_from_record(p) for p in people}
        rendered = [
            full_record(record, policy, people_by_id[record["customer"]])
            for record in map(orjson.loads, written["compact"].splitlines())
        ]
        assert [orjson.dumps(r).decode() for r in rendered] == written["full"].splitlines()


# --- what is refused ----------------------------------------------------------------------


def test_the_trace_levels() -> None:
    assert TRACES == ("full", "compact", "none")


@pytest.mark.parametrize("trace", ["brief", "", None, "FULL"])
def test_a_trace_level_that_is_not_one_is_refused(tmp_path: Path, trace: Any) -> None:
    policy = hello_policy(quiet_on=["email"])
    attempts = [
        lambda: plan_records(policy, customer(MORNING), [], now=MORNING, trace=trace),
        lambda: list(
            record_groups(
                policy,
                [Group(customer(MORNING), Line("c.jsonl", 1, "{}"), ())],
                now=MORNING,
                trace=trace,
            )
        ),
        lambda: plan_files(
            policy,
            tmp_path / "c.jsonl",
            tmp_path / "e.jsonl",
            io.StringIO(),
            now=MORNING,
            trace=trace,
        ),
        lambda: write_records([], "jsonl", io.StringIO(), trace=trace),
    ]
    for attempt in attempts:
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.field == "trace"
        assert "full, compact, none" in str(refused.value)


def test_a_record_without_a_trace_comes_back_as_it_is() -> None:
    policy = hello_policy(quiet_on=["email"])
    person = customer(MORNING)
    (record,) = plan_records(policy, person, [], now=MORNING, trace="none")
    assert "trace" not in record
    assert full_record(record, policy, person) == record
    (full,) = plan_records(policy, person, [], now=MORNING)
    assert full_record(full, policy, person) == full


def test_a_record_of_another_policy_is_refused_with_the_step() -> None:
    policy = hello_policy(quiet_on=["email"])
    person = customer(MORNING)
    (record,) = plan_records(policy, person, [], now=MORNING, trace="compact")
    record["trace"][1][0] = "no-such-rule"
    with pytest.raises(InputError) as refused:
        full_record(record, policy, person)
    assert refused.value.field == "trace[1].rule"
    record["trace"][1][4] = "no-such-code"
    with pytest.raises(InputError) as refused:
        full_record(record, policy, person)
    assert refused.value.field == "trace[1].code"
    record["trace"][1][4:] = ["guard", "email", "one too many"]
    with pytest.raises(InputError) as refused:
        full_record(record, policy, person)
    assert refused.value.field == "trace[1].params"
    assert "guard takes channel" in str(refused.value)
    record["trace"][1] = {"rule": "quiet", "code": "guard"}
    with pytest.raises(InputError) as refused:
        full_record(record, policy, person)
    assert refused.value.field == "trace[1]"
    with pytest.raises(InputError) as refused:
        full_record({**record, "intent": "nope"}, policy, person)
    assert refused.value.field == "intent"
