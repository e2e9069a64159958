"""Planning whole files on both cores: the same bytes out, the same rejects, the same errors.

Generated customers and histories (``outreach_rules.testing``) are written as files of the
data contract, sorted by customer or shuffled, with bad lines among them; ``plan_files``
plans them on the Python planner (one process: the reference) and on the Rust core's
batch path (one thread and two), failing on the first bad line and skipping them.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach_rules import Policy
from outreach_rules._cores import rust_module, using
from outreach_rules._parts import plan_files
from outreach_rules._reading import Rejected
from outreach_rules.contract import customer_record, event_record
from outreach_rules.errors import OutreachRulesError
from outreach_rules.model import Event
from outreach_rules.testing import customers, histories
from outreach_rules.timeline.instants import from_epoch

from conftest import shop_policy

pytestmark = pytest.mark.skipif(rust_module() is None, reason="the Rust core is not built here")

# Examples per run: each plans its files twelve times, within a minute or so.
EXAMPLES = 120
POLICIES = [Policy.default(), shop_policy()]
AT = "2026-12-10T14:00:00Z"
DEEP = "[" * 200 + "]" * 200

# -- the files ------------------------------------------------------------------------------

# Bad or odd lines, by file: each a function of the good records drawn (which it may copy).
Maker = Callable[[list[dict[str, Any]], list[dict[str, Any]]], str]


def _some(records: list[dict[str, Any]], fallback: dict[str, Any]) -> dict[str, Any]:
    return dict(records[len(records) // 2]) if records else dict(fallback)


def _customer(**fields: Any) -> dict[str, Any]:
    record = {"id": "c-new", "timezone": "Europe/London", "country": "GB", "since": AT}
    return record | fields


def _event(**fields: Any) -> dict[str, Any]:
    return {"kind": "order_placed", "at": AT} | fields


def _reused(_: Any, events: list[dict[str, Any]]) -> str:
    """An event with the id of another, different one."""
    with_id = [e for e in events if "id" in e] or [_event(id="e-x", customer="c-new")]
    return json.dumps(with_id[0] | {"at": "2026-12-11T14:00:00Z"})


def _repeated(_: Any, events: list[dict[str, Any]]) -> str:
    """The same event delivered twice: one event."""
    return json.dumps(_some(events, _event(id="e-y")))


def _broadcast_reusing(_: Any, events: list[dict[str, Any]]) -> str:
    """A broadcast with the id of a customer's event: that customer cannot be planned."""
    owned = [e for e in events if "id" in e and e.get("customer")] or [_event(id="e-z")]
    return json.dumps({"id": owned[0]["id"], "kind": "channel_down", "at": AT})


def _unplannable(customers_: list[dict[str, Any]], _: Any) -> str:
    """An invoice without its due date: the customer's plan fails."""
    owner = _some(customers_, _customer())["id"]
    return json.dumps({"customer": owner, "kind": "invoice_scheduled", "at": AT, "ref": "i-1"})


EVENT_LINES: list[Maker] = [
    lambda c, e: '{"kind": "order_placed", "at": ',
    lambda c, e: '{"kind": "a", "kind": "b", "at": "2026-12-10T14:00:00Z"}',
    lambda c, e: json.dumps(_event(when="later")),
    lambda c, e: json.dumps(_event(at="2026-12-10T14:00:00", customer="c1")),
    lambda c, e: json.dumps(_event(customer="zz-nobody")),
    lambda c, e: json.dumps({"kind": "channel_down", "at": AT, "data": {"channel": "sms"}}),
    lambda c, e: "[1, 2]",
    lambda c, e: "   ",
    lambda c, e: '{"kind": "k", "at": "2026-12-10T14:00:00Z", "customer": "c\\ud800"}',
    # Python's reader takes an integer beyond 64 bits, the core not: the run is Python's
    # then. NaN, and nesting past the readers' limit (MAX_DEPTH), are refused by both.
    lambda c, e: '{"kind": "k", "at": "2026-12-10T14:00:00Z", "data": {"x": 36893488147419103232}}',
    lambda c, e: '{"kind": "k", "at": "2026-12-10T14:00:00Z", "data": {"x": NaN}}',
    lambda c, e: '{"kind": "k", "at": "2026-12-10T14:00:00Z", "data": {"a": ' + DEEP + "}}",
    _reused,
    _repeated,
    _broadcast_reusing,
    _unplannable,
]
CUSTOMER_LINES: list[Maker] = [
    lambda c, e: '{"id": "c-broken", ',
    lambda c, e: json.dumps(_customer(timezone="Mars/Base")),
    lambda c, e: json.dumps(_customer(timzone="UTC")),
    lambda c, e: '{"id": "c-d", "id": "c-e", "timezone": "UTC", "country": "GB", "since": "x"}',
    lambda c, e: json.dumps(_customer(since="2026-01-01T00:00:00")),
    lambda c, e: json.dumps(_some(c, _customer())),
    lambda c, e: json.dumps(_customer(id="c-attr", attributes={"big": 10**30})),
    lambda c, e: "",
]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Customers and events as the lines of two files, bad ones among them."""
    people = draw(st.lists(customers(), max_size=6, unique_by=lambda c: c.id))
    stories = [draw(histories(person, max_stories=3)) for person in people]
    events = [_numbered(event, n, draw(st.booleans())) for n, event in enumerate(_all(stories))]
    customer_records = [customer_record(person) for person in people]
    if draw(st.booleans()):
        customer_records.sort(key=lambda r: r["id"])
        events.sort(key=lambda r: (r.get("customer") is not None, r.get("customer") or ""))
    else:
        customer_records = draw(st.permutations(customer_records))
        events = draw(st.permutations(events))
    customer_lines = [json.dumps(r) for r in customer_records]
    event_lines = [json.dumps(r) for r in events]
    for makers, lines in ((CUSTOMER_LINES, customer_lines), (EVENT_LINES, event_lines)):
        for make in draw(st.lists(st.sampled_from(makers), max_size=3)):
            line = make(customer_records, events)
            lines.insert(draw(st.integers(0, len(lines))), line)
    times = [event.epoch for event in _all(stories)] or [0]
    now = draw(st.integers(min(times) - 86_400, max(times) + 90 * 86_400))
    return {
        "customers": customer_lines,
        "events": event_lines,
        "now": from_epoch(max(now, 0)).isoformat(),
        "policy": draw(st.sampled_from(POLICIES)),
        "trace": draw(st.sampled_from(["full", "compact", "none"])),
    }


def _all(stories: list[list[Event]]) -> list[Event]:
    return [event for story in stories for event in story]


def _numbered(event: Event, number: int, with_id: bool) -> dict[str, Any]:
    record = event_record(event)
    return record | {"id": f"e{number}"} if with_id else record


def _write(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# -- planning them on each core --------------------------------------------------------------


def outcome(core: str, case: dict[str, Any], paths: tuple[Path, Path], **options: Any) -> Any:
    """What ``plan_files`` does on a core: the output, the rejects, the count or the error."""
    out = io.StringIO()
    rejected: list[Rejected] = []
    with using(core):  # type: ignore[arg-type]
        try:
            planned: Any = plan_files(
                case["policy"],
                *paths,
                out,
                now=case["now"],
                trace=case["trace"],
                reject=rejected.append,
                **options,
            )
        except OutreachRulesError as error:
            planned = (type(error).__name__, str(error))
    return planned, out.getvalue(), [r.to_record() for r in rejected]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_both_cores_plan_files_alike(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = (
            _write(Path(folder), "customers.jsonl", case["customers"]),
            _write(Path(folder), "events.jsonl", case["events"]),
        )
        for on_error in ("fail", "skip"):
            for form in ("jsonl", "csv"):
                options = {"on_error": on_error, "form": form}
                python = outcome("python", case, paths, workers=1, **options)
                for workers in (1, 2):
                    rust = outcome("rust", case, paths, workers=workers, **options)
                    assert rust == python, (on_error, form, workers)


def test_a_line_that_is_not_utf8_stops_both_cores_alike(tmp_path: Path) -> None:
    customers_file = tmp_path / "customers.jsonl"
    customers_file.write_text(json.dumps(_customer(id="c1")) + "\n", encoding="utf-8")
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(
        b'{"kind": "order_placed", "at": "2026-12-10T14:00:00Z", "customer": "zz"}\n'
        b'{"kind": "order_placed", "at": "2026-12-10T14:00:00Z", "ref": "\xff"}\n'
    )
    case = {"policy": POLICIES[0], "now": AT, "trace": "full"}
    for on_error in ("fail", "skip"):
        python = outcome("python", case, (customers_file, events_file), on_error=on_error)
        rust = outcome("rust", case, (customers_file, events_file), on_error=on_error)
        assert rust == python
        assert "events.jsonl:2, line: is not UTF-8 text" in rust[0][1]


# -- the command line on the Rust core -------------------------------------------------------


def run(*args: str, core: str = "rust") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach_rules", *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"OUTREACH_RULES_CORE": core},
    )


@pytest.fixture
def shop(tmp_path: Path) -> list[str]:
    """Files of a few customers, events shuffled, with a bad line in each file."""
    people = [_customer(id=f"c{n}", timezone=z) for n, z in enumerate(["UTC", "Asia/Tokyo"] * 3)]
    events = [
        _event(id=f"e{n}", customer=f"c{n % 6}", ref=f"o{n}", at=f"2026-12-0{n % 9 + 1}T10:00:00Z")
        for n in range(20)
    ]
    events += [_event(id=f"d{n}", customer=f"c{n}", kind="order_delivered") for n in range(6)]
    people.insert(2, _customer(id="c9", timezone="Mars/Base"))
    events.reverse()
    events.insert(5, _event(customer="c1", at="2026-12-10T14:00:00"))
    return [
        "--customers",
        str(_write(tmp_path, "customers.jsonl", [json.dumps(p) for p in people])),
        "--events",
        str(_write(tmp_path, "events.jsonl", [json.dumps(e) for e in events])),
        "--now",
        "2026-12-14T09:30:00Z",
    ]


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_without_trace_the_records_leave_it_out_on_both_cores(
    shop: list[str], tmp_path: Path, form: str
) -> None:
    options = ["plan", *shop, "--on-error", "skip", "--format", form, "--trace", "none"]
    rust = run(*options, "--rejects", str(tmp_path / "rust.jsonl"))
    python = run(*options, "--rejects", str(tmp_path / "python.jsonl"), core="python")
    assert rust.returncode == python.returncode == 0, rust.stderr
    assert rust.stdout == python.stdout
    assert (tmp_path / "rust.jsonl").read_text() == (tmp_path / "python.jsonl").read_text()
    assert "trace" not in (rust.stdout if form == "jsonl" else rust.stdout.split("\n", 1)[1])
    if form == "csv":
        assert all(row.endswith(",") for row in rust.stdout.splitlines()[1:])


def test_threads_write_the_same_bytes_as_one(shop: list[str], tmp_path: Path) -> None:
    options = ["plan", *shop, "--on-error", "skip", "--rejects", str(tmp_path / "r.jsonl")]
    one = run(*options, "--workers", "1")
    three = run(*options, "--workers", "3")
    assert one.returncode == three.returncode == 0, three.stderr
    assert one.stdout == three.stdout
    assert one.stdout.count('"customer":"c') > 10
    assert "2 lines rejected" in three.stderr


def test_the_first_bad_line_stops_the_run_as_on_the_python_core(shop: list[str]) -> None:
    rust = run("plan", *shop)
    python = run("plan", *shop, core="python")
    assert rust.returncode == python.returncode == 2
    assert rust.stderr == python.stderr
    assert "customers.jsonl:3, timezone='Mars/Base'" in rust.stderr


def test_input_only_python_reads_is_planned_the_same(tmp_path: Path) -> None:
    """An integer beyond 64 bits in an event's data: the Rust core hands the run to the
    Python planner."""
    people = _write(tmp_path, "c.jsonl", [json.dumps(_customer(id="c1"))])
    big = '{"customer": "c1", "kind": "order_placed", "at": "2026-12-01T10:00:00Z", "data": {"x": '
    big += "36893488147419103232}}"
    events = _write(tmp_path, "e.jsonl", [big])
    options = ["plan", "--customers", str(people), "--events", str(events), "--now", AT]
    rust, python = run(*options), run(*options, core="python")
    assert rust.returncode == python.returncode == 0, rust.stderr
    assert rust.stdout == python.stdout != ""


def test_customers_of_a_bad_sort_go_through_the_runs_alike(tmp_path: Path) -> None:
    """Sorted for a while, then not: both cores start again the same way."""
    people = [_customer(id=f"c{n:03d}") for n in range(300)]
    people[250], people[251] = people[251], people[250]
    events = [_event(customer=f"c{n:03d}", id=f"e{n}", ref=f"o{n}") for n in range(300)]
    files = ["--customers", str(_write(tmp_path, "c.jsonl", [json.dumps(p) for p in people]))]
    files += ["--events", str(_write(tmp_path, "e.jsonl", [json.dumps(e) for e in events]))]
    options = ["plan", *files, "--now", AT, "--workers", "2"]
    rust, python = run(*options), run(*options, core="python")
    assert rust.returncode == python.returncode == 0, rust.stderr
    assert rust.stdout == python.stdout
    assert len({json.loads(line)["customer"] for line in rust.stdout.splitlines()}) == 300


# -- a file of its own: the core writes straight into it ---------------------------------------


def _plan_into(path: Path, held: str, options: list[str], form: str, **more: Any) -> Any:
    """``plan_files`` into the file at ``path`` that already holds ``held``; what it raised."""
    path.write_text(held, encoding="utf-8")
    named = dict(zip(options[::2], options[1::2], strict=True))
    with path.open("a", encoding="utf-8", newline="") as out:
        try:
            plan_files(
                Policy.default(),
                named["--customers"],
                named["--events"],
                out,
                now=named["--now"],
                form=form,
                **more,
            )
        except OutreachRulesError as error:
            return error
        out.write("after\n")
    return None


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_a_file_of_its_own_gets_the_bytes_a_stream_gets(
    shop: list[str], tmp_path: Path, form: str
) -> None:
    stream = io.StringIO()
    named = dict(zip(shop[::2], shop[1::2], strict=True))
    plan_files(
        Policy.default(),
        named["--customers"],
        named["--events"],
        stream,
        now=named["--now"],
        form=form,
        on_error="skip",
    )
    path = tmp_path / f"out.{form}"
    assert _plan_into(path, "held\n", shop, form, on_error="skip") is None
    assert path.read_text(encoding="utf-8") == f"held\n{stream.getvalue()}after\n"


def test_a_run_that_fails_leaves_a_file_as_it_was(shop: list[str], tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    error = _plan_into(path, "held\n", shop, "jsonl")
    assert "Mars/Base" in str(error)
    assert path.read_text(encoding="utf-8") == "held\n"


def test_a_run_the_core_hands_to_python_writes_a_file_once(tmp_path: Path) -> None:
    people = _write(tmp_path, "c.jsonl", [json.dumps(_customer(id="c1"))])
    big = '{"customer": "c1", "kind": "order_placed", "at": "2026-12-01T10:00:00Z", "data": {"x": '
    big += "36893488147419103232}}"
    events = _write(tmp_path, "e.jsonl", [big])
    options = ["--customers", str(people), "--events", str(events), "--now", AT]
    path = tmp_path / "out.jsonl"
    assert _plan_into(path, "held\n", options, "jsonl") is None
    with using("python"):
        assert _plan_into(tmp_path / "python.jsonl", "held\n", options, "jsonl") is None
    assert path.read_text(encoding="utf-8") == (tmp_path / "python.jsonl").read_text("utf-8")
    assert path.read_text(encoding="utf-8").count('"customer":"c1"') >= 1


def test_a_file_in_another_encoding_gets_its_text_in_that_encoding(tmp_path: Path) -> None:
    people = _write(tmp_path, "c.jsonl", [json.dumps(_customer(id="c-é"))])
    events = _write(tmp_path, "e.jsonl", [])
    stream = io.StringIO()
    plan_files(Policy.default(), people, events, stream, now=AT)
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="latin-1", newline="") as out:
        plan_files(Policy.default(), people, events, out, now=AT)
    assert "c-é" in stream.getvalue()
    assert path.read_bytes() == stream.getvalue().encode("latin-1")
