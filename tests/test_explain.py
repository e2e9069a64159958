"""Rendering explanations: records in the output contract, local wall times, and text.

Decisions, plans and trace steps are built directly here; no planner is involved.
"""

from __future__ import annotations

import datetime as dt
import html
import html.parser
import json
import sys
import zoneinfo

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach_rules import (
    Customer,
    Decision,
    MissingDependency,
    OutreachRulesError,
    Plan,
    TraceStep,
)
from outreach_rules.explain import (
    decision_html,
    decision_record,
    decision_text,
    format_local,
    plan_html,
    plan_text,
)
from outreach_rules.timeline.zone import zone

LONDON = "Europe/London"
DECISION_KEYS = [
    "id",
    "customer",
    "intent",
    "ref",
    "status",
    "send_at",
    "local_send_at",
    "channel",
    "trace",
]
STEP_KEYS = ["rule", "effect", "from", "to", "why"]


def seconds(text: str) -> int:
    """Seconds since the epoch of an ISO 8601 text with an offset, by the standard library."""
    return int(dt.datetime.fromisoformat(text).timestamp())


def customer(timezone: str = LONDON) -> Customer:
    return Customer(id="c1", timezone=timezone, country="GB", since="2019-05-01T00:00:00Z")


def review_steps() -> tuple[TraceStep, ...]:
    return (
        TraceStep(
            rule="ask-for-review",
            effect="proposed",
            why="review request: order o1 delivered on Sat 26 Dec",
        ),
        TraceStep(
            rule="gift-season",
            effect="deferred",
            why="not from 20 Dec to 26 Dec, in the customer's calendar",
            before="2026-12-26T14:00:00Z",
            after="2026-12-27T00:00:00Z",
        ),
        TraceStep(
            rule="quiet-hours",
            effect="deferred",
            why="only 09:00-20:00 every day, in the customer's time zone",
            before="2026-12-27T00:00:00Z",
            after="2026-12-27T09:00:00Z",
        ),
        TraceStep(
            rule="channels",
            effect="chose_channel",
            why="email, the first channel for review_request the customer can receive",
        ),
    )


def scheduled(
    send_at: str = "2026-12-27T09:00:00Z",
    timezone: str = LONDON,
    trace: tuple[TraceStep, ...] | None = None,
) -> Decision:
    at = pendulum.parse(send_at)
    assert isinstance(at, pendulum.DateTime)
    return Decision(
        id="d-5f1c",
        customer="c1",
        intent="review_request",
        category="relationship",
        ref="o1",
        status="scheduled",
        send_at=at.in_timezone("UTC"),
        local_send_at=at.in_timezone(timezone),
        channel="email",
        expires=pendulum.datetime(2027, 1, 25, 14, tz="UTC"),
        trace=review_steps() if trace is None else trace,
    )


def waiting() -> Decision:
    return Decision(
        id="d-9a0b",
        customer="c1",
        intent="thank_you",
        category="relationship",
        ref="o2",
        status="waiting",
        waiting_for="order_delivered",
        trace=(
            TraceStep(
                rule="thank-after-delivery",
                effect="waiting",
                why="thank you: waits for order_delivered (o2)",
            ),
        ),
    )


def suppressed() -> Decision:
    return Decision(
        id="d-77aa",
        customer="c1",
        intent="loyalty_reward",
        category="marketing",
        ref=None,
        status="suppressed",
        trace=(
            TraceStep(
                rule="marketing-consent",
                effect="blocked",
                why="needs the customer's consent to marketing messages",
            ),
        ),
    )


# decision_record: the output contract of DESIGN.md


def test_decision_record_has_exactly_the_keys_of_the_output_contract_in_order() -> None:
    record = decision_record(scheduled())
    assert list(record) == DECISION_KEYS
    assert [list(step) for step in record["trace"]] == [STEP_KEYS] * 4


def test_decision_record_of_a_scheduled_decision() -> None:
    assert decision_record(scheduled()) == {
        "id": "d-5f1c",
        "customer": "c1",
        "intent": "review_request",
        "ref": "o1",
        "status": "scheduled",
        "send_at": "2026-12-27T09:00:00+00:00",
        "local_send_at": "2026-12-27T09:00:00+00:00",
        "channel": "email",
        "trace": [
            {
                "rule": "ask-for-review",
                "effect": "proposed",
                "from": None,
                "to": None,
                "why": "review request: order o1 delivered on Sat 26 Dec",
            },
            {
                "rule": "gift-season",
                "effect": "deferred",
                "from": "2026-12-26T14:00:00+00:00",
                "to": "2026-12-27T00:00:00+00:00",
                "why": "not from 20 Dec to 26 Dec, in the customer's calendar",
            },
            {
                "rule": "quiet-hours",
                "effect": "deferred",
                "from": "2026-12-27T00:00:00+00:00",
                "to": "2026-12-27T09:00:00+00:00",
                "why": "only 09:00-20:00 every day, in the customer's time zone",
            },
            {
                "rule": "channels",
                "effect": "chose_channel",
                "from": None,
                "to": None,
                "why": "email, the first channel for review_request the customer can receive",
            },
        ],
    }


def test_decision_record_gives_local_send_at_with_the_customers_offset_in_summer() -> None:
    record = decision_record(scheduled("2026-06-27T08:00:00Z"))
    assert record["send_at"] == "2026-06-27T08:00:00+00:00"
    assert record["local_send_at"] == "2026-06-27T09:00:00+01:00"


@pytest.mark.parametrize(
    "decision", [scheduled(), waiting(), suppressed()], ids=["scheduled", "waiting", "suppressed"]
)
def test_decision_record_instants_are_iso_strings_with_an_offset(decision: Decision) -> None:
    record = decision_record(decision)
    instants = [record["send_at"], record["local_send_at"]]
    instants += [step[key] for step in record["trace"] for key in ("from", "to")]
    for instant in instants:
        if instant is not None:
            assert type(instant) is str
            assert dt.datetime.fromisoformat(instant).utcoffset() is not None, instant


@pytest.mark.parametrize(
    "decision", [scheduled(), waiting(), suppressed()], ids=["scheduled", "waiting", "suppressed"]
)
def test_decision_record_holds_only_plain_json_values(decision: Decision) -> None:
    record = decision_record(decision)
    # Plain str, not the StrEnum members: a record must not carry library types.
    for key in ("status", "channel"):
        assert record[key] is None or type(record[key]) is str
    assert all(type(step["effect"]) is str for step in record["trace"])
    assert json.loads(json.dumps(record)) == record


def test_decision_record_of_waiting_and_suppressed_decisions_has_no_send_time() -> None:
    for decision, status in ((waiting(), "waiting"), (suppressed(), "suppressed")):
        record = decision_record(decision)
        assert list(record) == DECISION_KEYS
        assert record["status"] == status
        assert (record["send_at"], record["local_send_at"], record["channel"]) == (None, None, None)
    assert decision_record(suppressed())["ref"] is None


def test_json_of_a_decision_record_is_the_same_bytes_however_the_decision_was_built() -> None:
    from_strings = scheduled()
    from_objects = Decision(
        id="d-5f1c",
        customer="c1",
        intent="review_request",
        category="relationship",
        ref="o1",
        status="scheduled",
        send_at=pendulum.datetime(2026, 12, 27, 9, tz="UTC"),
        local_send_at=pendulum.datetime(2026, 12, 27, 9, tz=LONDON),
        channel="email",
        expires=pendulum.datetime(2027, 1, 25, 14, tz="UTC"),
        trace=review_steps(),
    )
    first = json.dumps(decision_record(from_strings))
    assert first == json.dumps(decision_record(from_objects))
    assert first == json.dumps(decision_record(scheduled()))
    assert first.startswith(
        '{"id": "d-5f1c", "customer": "c1", "intent": "review_request", "ref": "o1", '
        '"status": "scheduled", "send_at": "2026-12-27T09:00:00+00:00", '
        '"local_send_at": "2026-12-27T09:00:00+00:00", "channel": "email", "trace": '
        '[{"rule": "ask-for-review", "effect": "proposed", "from": null, "to": null, '
    )


def test_plan_to_records_is_the_decision_records_in_plan_order() -> None:
    decisions = (scheduled(), waiting(), suppressed())
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=decisions)
    assert plan.to_records() == [decision_record(d) for d in decisions]
    assert [r["id"] for r in plan.to_records()] == ["d-5f1c", "d-9a0b", "d-77aa"]


# format_local: the customer's wall time


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Spring forward: at 01:00 UTC on 29 March 2026 London goes from GMT to BST.
        ("2026-03-29T00:30:00Z", "Sun 29 Mar 2026 00:30"),
        ("2026-03-29T00:59:00Z", "Sun 29 Mar 2026 00:59"),
        ("2026-03-29T01:00:00Z", "Sun 29 Mar 2026 02:00"),
        ("2026-03-29T12:00:00Z", "Sun 29 Mar 2026 13:00"),
        ("2026-03-28T23:30:00Z", "Sat 28 Mar 2026 23:30"),
        # Fall back: at 01:00 UTC on 25 October 2026 London goes from BST to GMT, and
        # the hour from 01:00 to 02:00 local is lived twice.
        ("2026-10-24T23:30:00Z", "Sun 25 Oct 2026 00:30"),
        ("2026-10-25T00:30:00Z", "Sun 25 Oct 2026 01:30"),
        ("2026-10-25T01:30:00Z", "Sun 25 Oct 2026 01:30"),
        ("2026-10-25T12:00:00Z", "Sun 25 Oct 2026 12:00"),
        ("2026-12-27T09:00:00Z", "Sun 27 Dec 2026 09:00"),
    ],
)
def test_format_local_shows_the_london_wall_time_across_a_change_of_clocks(
    instant: str, expected: str
) -> None:
    assert format_local(seconds(instant), zone(LONDON)) == expected


def test_format_local_crosses_the_date_line_with_the_customer() -> None:
    instant = seconds("2026-12-31T12:00:00Z")
    assert format_local(instant, zone("Pacific/Kiritimati")) == "Fri 1 Jan 2027 02:00"
    assert format_local(instant, zone("Pacific/Pago_Pago")) == "Thu 31 Dec 2026 01:00"


ORACLE_ZONES = [
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Africa/Casablanca",
]


@given(
    instant=st.integers(seconds("2000-01-01T00:00:00Z"), seconds("2060-01-01T00:00:00Z")),
    name=st.sampled_from(ORACLE_ZONES),
)
def test_format_local_agrees_with_zoneinfo(instant: int, name: str) -> None:
    local = dt.datetime.fromtimestamp(instant, zoneinfo.ZoneInfo(name))
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
        local.month - 1
    ]
    expected = f"{weekday} {local.day} {month} {local.year} {local.hour:02d}:{local.minute:02d}"
    assert format_local(instant, zone(name)) == expected


# decision_text and plan_text: for a terminal or a support agent


def test_decision_text_names_intent_ref_channel_and_every_rule_and_why() -> None:
    decision = scheduled()
    text = decision_text(decision)
    headline = text.splitlines()[0]
    assert "review_request" in headline
    assert "o1" in headline
    assert "email" in headline
    for step in decision.trace:
        assert step.rule in text
        assert step.why in text
    assert decision.explain() == text


def test_decision_text_numbers_one_line_per_step_in_trace_order() -> None:
    decision = scheduled()
    lines = decision_text(decision).splitlines()
    assert len(lines) == 1 + len(decision.trace)
    for number, (line, step) in enumerate(zip(lines[1:], decision.trace, strict=True), 1):
        assert line.lstrip().startswith(f"{number}. {step.effect}")
        assert step.rule in line
        assert line.endswith(step.why)


def test_decision_text_shows_the_send_time_in_the_customers_zone_and_in_utc() -> None:
    headline = decision_text(scheduled("2026-06-27T08:00:00Z")).splitlines()[0]
    assert headline == (
        "review_request for o1: scheduled by email on Sat 27 Jun 2026 09:00 Europe/London "
        "(2026-06-27T08:00:00+00:00)"
    )


def test_decision_text_shows_moves_in_local_time_across_the_spring_change_of_clocks() -> None:
    trace = (
        TraceStep(
            rule="quiet-hours",
            effect="deferred",
            why="only 09:00-20:00",
            before="2026-03-29T00:30:00Z",
            after="2026-03-29T08:00:00Z",
        ),
    )
    text = decision_text(scheduled("2026-03-29T08:00:00Z", trace=trace))
    # 00:30 UTC is 00:30 GMT; 08:00 UTC is 09:00 BST, after the clocks went forward.
    assert "Sun 29 Mar 00:30 -> Sun 29 Mar 09:00: only 09:00-20:00" in text
    assert "Sun 29 Mar 2026 09:00 Europe/London (2026-03-29T08:00:00+00:00)" in text


def test_decision_text_shows_moves_in_the_zone_it_is_given() -> None:
    text = decision_text(scheduled(), "America/New_York")
    # The send time names London; the trace is in New York, and the headline says so.
    assert text.splitlines()[0].endswith("(times in America/New_York)")
    # 2026-12-27T00:00Z -> 09:00Z is 19:00 -> 04:00 in New York (EST, UTC-5).
    assert "Sat 26 Dec 19:00 -> Sun 27 Dec 04:00: only 09:00-20:00" in text


def test_decision_text_of_a_waiting_decision_shows_its_times_in_its_customers_zone() -> None:
    trace = (
        TraceStep(
            rule="plan-now",
            effect="deferred",
            why="the earliest time has passed: it can go out from now",
            before="2026-04-30T14:00:00Z",
            after="2026-05-01T00:00:00Z",
        ),
        TraceStep(rule="marketing-consent", effect="blocked", why="needs consent"),
    )
    held = attrs.evolve(waiting(), timezone="Australia/Sydney", trace=trace)
    assert decision_text(held) == (
        "thank_you for o2: waiting for order_delivered (times in Australia/Sydney)\n"
        "  1. deferred        plan-now                 Fri 1 May 00:00 -> Fri 1 May 10:00: "
        "the earliest time has passed: it can go out from now\n"
        "  2. blocked         marketing-consent        needs consent"
    )
    caption = decision_html(held).split("</p>")[0]
    assert caption.endswith("thank_you (times in Australia/Sydney)")


def test_decision_text_of_waiting_and_suppressed_decisions() -> None:
    assert decision_text(waiting()) == (
        "thank_you for o2: waiting for order_delivered (times in UTC)\n"
        "  1. waiting         thank-after-delivery     thank you: waits for order_delivered (o2)"
    )
    text = decision_text(suppressed())
    assert text.splitlines()[0] == "loyalty_reward: suppressed (times in UTC)"
    assert "marketing-consent" in text
    assert "needs the customer's consent to marketing messages" in text


def test_plan_text_has_the_customer_now_and_every_decision_with_its_trace() -> None:
    decisions = (scheduled(), waiting(), suppressed())
    plan = Plan(
        customer=customer(),
        now=pendulum.datetime(2026, 12, 15, 10),
        decisions=decisions,
        policy="default",
    )
    text = plan_text(plan)
    assert text.splitlines()[0] == (
        "customer c1 (Europe/London, GB), planned at 2026-12-15T10:00:00+00:00: 3 decisions"
    )
    for decision in decisions:
        assert decision_text(decision, LONDON) in text
        assert decision.intent in text
        for step in decision.trace:
            assert step.rule in text
            assert step.why in text
    assert "o1" in text
    assert "o2" in text
    assert "email" in text
    assert plan.explain() == text


def test_plan_text_of_an_empty_plan_says_so() -> None:
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=())
    assert plan_text(plan) == (
        "customer c1 (Europe/London, GB), planned at 2026-12-15T10:00:00+00:00: 0 decisions"
    )


# HTML, for notebooks: every text escaped, each trace folded under its decision


class _Tags(html.parser.HTMLParser):
    """The tags of an HTML fragment, checked to nest properly, and its text."""

    VOID = frozenset({"br"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, tag
        assert self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> _Tags:
    tags = _Tags()
    tags.feed(fragment)
    tags.close()
    assert tags.open == [], f"unclosed: {tags.open}"
    return tags


def hostile() -> Decision:
    return attrs.evolve(
        scheduled(),
        customer='c1 <script>alert("x")</script>',
        ref="o1 & <b>bold</b>",
        trace=(
            TraceStep(
                rule="<i>rule</i>",
                effect="deferred",
                why="because 'a' < \"b\" & c",
                before="2026-12-26T14:00:00Z",
                after="2026-12-27T09:00:00Z",
            ),
        ),
    )


def test_decision_html_folds_the_trace_under_the_decision_in_details() -> None:
    fragment = decision_html(scheduled())
    tags = parse(fragment)
    assert tags.seen.count("details") == 1
    assert tags.seen.count("summary") == 1
    assert "<summary>trace: 4 steps</summary>" in fragment
    text = "".join(tags.text)
    for step in review_steps():
        assert step.rule in text
        assert step.why in text
    # Times in the customer's zone, as the text explanation shows them.
    assert "Sun 27 Dec 2026 09:00 Europe/London" in text
    assert "Sat 26 Dec 2026 14:00" in text


def test_plan_html_has_one_decision_row_and_one_folded_trace_per_decision() -> None:
    decisions = (scheduled(), waiting(), suppressed())
    plan = Plan(
        customer=customer(),
        now=pendulum.datetime(2026, 12, 15, 10),
        decisions=decisions,
        policy="default",
    )
    fragment = plan_html(plan)
    tags = parse(fragment)
    assert tags.seen.count("details") == len(decisions)
    assert fragment.count('<td colspan="6"><details>') == len(decisions)
    text = "".join(tags.text)
    assert "customer c1 (Europe/London, GB), planned at 2026-12-15T10:00:00+00:00" in text
    assert "waiting for order_delivered" in text
    assert "needs the customer's consent to marketing messages" in text
    assert plan._repr_html_() == fragment
    assert scheduled()._repr_html_() == decision_html(scheduled())


def test_html_escapes_every_text_that_comes_from_data() -> None:
    decision = hostile()
    who = attrs.evolve(customer(), id='c1 <script>alert("x")</script>')
    plan = Plan(customer=who, now=pendulum.datetime(2026, 12, 15, 10), decisions=(decision,))
    for fragment in (decision_html(decision), plan_html(plan)):
        assert "<script>" not in fragment
        assert "<b>bold</b>" not in fragment
        assert "<i>rule</i>" not in fragment
        assert "c1 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in fragment
        assert "&lt;i&gt;rule&lt;/i&gt;" in fragment
        assert "o1 &amp; &lt;b&gt;bold&lt;/b&gt;" in fragment
        assert "because &#x27;a&#x27; &lt; &quot;b&quot; &amp; c" in fragment
        # Parsed back, the text is what the data said.
        text = "".join(parse(fragment).text)
        assert "o1 & <b>bold</b>" in text
        assert "because 'a' < \"b\" & c" in text


@given(st.text())
def test_html_of_any_text_parses_back_to_that_text(why: str) -> None:
    step = TraceStep(rule="r", effect="blocked", why=why)
    decision = attrs.evolve(suppressed(), trace=(step,))
    text = "".join(parse(decision_html(decision)).text)
    assert html.escape(why) in decision_html(decision)
    assert why.replace("\r\n", "\n").replace("\r", "\n") in text.replace("\r\n", "\n").replace(
        "\r", "\n"
    )


# pandas, for notebooks: one row per decision


def test_plan_to_pandas_gives_one_row_per_decision_in_plan_order() -> None:
    decisions = (scheduled(), waiting(), suppressed())
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=decisions)
    frame = plan.to_pandas()
    assert len(frame) == len(decisions)
    assert list(frame["id"]) == [d.id for d in decisions]
    assert list(frame["status"]) == ["scheduled", "waiting", "suppressed"]
    assert list(frame.columns[:8]) == [
        "id",
        "customer",
        "intent",
        "category",
        "ref",
        "status",
        "send_at_utc",
        "send_at_local",
    ]
    assert str(frame["send_at_utc"].dtype).startswith("datetime64")
    assert "UTC" in str(frame["send_at_utc"].dtype)
    assert frame["send_at_utc"][0].isoformat() == "2026-12-27T09:00:00+00:00"
    assert frame["send_at_local"][0] == "2026-12-27T09:00:00+00:00"
    assert frame["trace"][0] == decision_record(scheduled())["trace"]
    assert frame["why"][1] == "thank you: waits for order_delivered (o2)"


def test_an_empty_plan_gives_an_empty_frame_with_the_columns() -> None:
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=())
    frame = plan.to_pandas()
    assert len(frame) == 0
    assert "intent" in frame.columns


def test_to_pandas_without_pandas_says_which_extra_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=())
    with pytest.raises(MissingDependency) as caught:
        plan.to_pandas()
    error = caught.value
    assert isinstance(error, OutreachRulesError)
    assert isinstance(error, ImportError)
    assert (error.package, error.extra) == ("pandas", "notebook")
    assert str(error) == (
        "package='pandas': is not installed, and Plan.to_pandas() needs it "
        "(install the 'notebook' extra: pip install 'outreach-rules[notebook]')"
    )


def test_decision_html_of_a_decision_with_a_fixed_offset_shows_its_times_there() -> None:
    # Decisions read back from records carry their offset, not the zone's name.
    decision = attrs.evolve(scheduled(), local_send_at="2026-12-27T10:00:00+01:00")
    text = "".join(parse(decision_html(decision)).text)
    assert "Sun 27 Dec 2026 10:00 +01:00" in text
    assert "Sat 26 Dec 2026 15:00" in text  # the gift-season step, from 14:00 UTC


# Notebook views: one scoped <style> per view, and print() short


def test_each_html_view_carries_its_scoped_style_once() -> None:
    plan = Plan(
        customer=customer(),
        now=pendulum.datetime(2026, 12, 15, 10),
        decisions=(scheduled(), waiting(), suppressed()),
    )
    for fragment in (plan_html(plan), decision_html(scheduled())):
        assert fragment.startswith('<div class="outreach-rules"><style>')
        assert fragment.count("<style>") == 1
        css = fragment[fragment.index("<style>") + 7 : fragment.index("</style>")]
        rules = [rule for rule in css.split("}") if rule.strip()]
        assert rules
        for rule in rules:
            for selector in rule.split("{")[0].split(","):
                assert selector.strip().startswith("div.outreach-rules"), selector
    # Status in colour: a badge whose class names the status.
    fragment = plan_html(plan)
    for status in ("scheduled", "waiting", "suppressed"):
        assert f'<span class="or-status or-status-{status}">{status}</span>' in fragment


def test_html_views_escape_a_script_in_a_customer_id() -> None:
    who = attrs.evolve(customer(), id="<script>alert(1)</script>")
    decision = attrs.evolve(scheduled(), customer=who.id, ref="<script>x</script>")
    plan = Plan(customer=who, now=pendulum.datetime(2026, 12, 15, 10), decisions=(decision,))
    for fragment in (plan_html(plan), decision_html(decision)):
        assert "<script>" not in fragment
        assert "&lt;script&gt;" in fragment
        assert fragment.count("<style>") == 1
        parse(fragment)


def test_print_of_a_plan_is_a_few_lines_not_the_traces() -> None:
    decisions = (scheduled(), waiting(), suppressed())
    plan = Plan(
        customer=customer(),
        now=pendulum.datetime(2026, 12, 15, 10),
        decisions=decisions,
        policy="default",
    )
    lines = str(plan).splitlines()
    assert len(lines) <= len(decisions) + 3
    assert lines[0] == (
        "customer c1 (Europe/London, GB), planned at 2026-12-15T10:00:00+00:00 under policy default"
    )
    assert lines[1] == "3 decisions: 1 scheduled, 1 suppressed, 1 waiting"
    assert lines[2].startswith(
        "  review_request for o1: scheduled by email on Sun 27 Dec 2026 09:00 Europe/London; "
    )
    assert lines[2].endswith(scheduled().why)
    assert "waiting for order_delivered" in str(plan)
    for step in scheduled().trace:
        if step.why != scheduled().why:
            assert step.why not in str(plan)
    assert plan.explain() != str(plan)
    assert str(scheduled()) == lines[2].strip()
    assert "\n" not in str(scheduled())


def test_print_of_an_empty_plan_says_so_in_two_lines() -> None:
    plan = Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=())
    assert str(plan).splitlines()[1:] == ["0 decisions"]
