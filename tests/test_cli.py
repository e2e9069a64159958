"""The command line, run as a user runs it: a real process, its exit code, stdout and stderr."""

from __future__ import annotations

import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from outreach_rules import Policy
from outreach_rules._parts import plan_files
from outreach_rules.batch import groups, plan_groups
from outreach_rules.cli import _Progress

# Both planning cores, one behaviour: each test runs on every core built here.
pytestmark = pytest.mark.usefixtures("each_core")

NOW = "2026-12-14T09:30:00Z"
SCRIPT = shutil.which("outreach-rules", path=str(Path(sys.executable).parent))


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach_rules", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def write(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def customer(cid: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "timezone": "Europe/London",
        "country": "GB",
        "since": "2019-05-01T00:00:00Z",
        "channels": {"email": True, "sms": True, "phone": True},
        **fields,
    }


def event(
    eid: str, cid: str | None, kind: str, at: str, ref: str | None = None, **data: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {"id": eid, "kind": kind, "at": at}
    if cid is not None:
        record["customer"] = cid
    if ref is not None:
        record["ref"] = ref
    if data:
        record["data"] = data
    return record


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, Path]:
    customers = write(
        tmp_path / "customers.jsonl",
        [
            customer("c1"),
            customer("c2", timezone="America/New_York", country="US-NY", channels={"email": True}),
            customer(
                "c3", timezone="Australia/Sydney", country="AU-NSW", since="2026-12-01T00:00:00Z"
            ),
        ],
    )
    events = write(
        tmp_path / "events.jsonl",
        [
            event("e1", "c1", "order_placed", "2026-12-01T14:00:00Z", "o1"),
            event("e2", "c2", "concern_raised", "2026-12-14T02:10:00Z", "q1"),
            event("e3", "c1", "order_delivered", "2026-12-03T14:00:00Z", "o1"),
            event("e4", "c3", "incident_caused", "2026-12-13T23:00:00Z", "i1"),
            event("e5", None, "channel_down", "2026-12-14T08:00:00Z", None, channel="sms"),
        ],
    )
    return customers, events


def plan_args(customers: Path, events: Path, *more: str) -> list[str]:
    return ["plan", "--customers", str(customers), "--events", str(events), "--now", NOW, *more]


def test_plan_writes_the_output_contract_sorted_by_customer_then_time(shop):
    done = run(*plan_args(*shop))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["customer"] for r in records} == {"c1", "c2", "c3"}
    keys = [(r["customer"], r["send_at"] is None, r["send_at"] or "", r["intent"]) for r in records]
    assert keys == sorted(keys)
    assert list(records[0]) == [
        "id", "customer", "intent", "ref", "status", "send_at", "local_send_at", "channel", "trace",
    ]  # fmt: skip
    reply = next(r for r in records if r["intent"] == "concern_reply")
    assert (reply["customer"], reply["local_send_at"]) == ("c2", "2026-12-14T09:00:00-05:00")
    assert done.stderr == ""


def test_output_is_the_same_bytes_every_time_and_in_any_order(shop, tmp_path):
    customers, events = shop
    first = run(*plan_args(customers, events)).stdout
    lines = events.read_text().splitlines()
    for seed in range(3):
        random.Random(seed).shuffle(lines)
        shuffled = tmp_path / f"shuffled-{seed}.jsonl"
        shuffled.write_text("\n".join(lines) + "\n")
        assert run(*plan_args(customers, shuffled)).stdout == first


def test_sorted_and_unsorted_inputs_of_many_customers_give_the_same_bytes(tmp_path):
    rng = random.Random(7)
    zones = [("Europe/London", "GB"), ("America/New_York", "US-NY"), ("Asia/Kolkata", "IN")]
    customers, events = [], []
    for number in range(300):
        cid = f"c{number:04d}"
        zone, country = rng.choice(zones)
        customers.append(customer(cid, timezone=zone, country=country))
        placed = f"2026-12-{rng.randint(1, 12):02d}T{rng.randint(0, 23):02d}:00:00Z"
        events.append(
            event(f"e{number}a", cid, "order_placed", placed, f"o{number}", gift=rng.random() < 0.3)
        )
        if rng.random() < 0.7:
            events.append(
                event(f"e{number}b", cid, "order_delivered", "2026-12-13T10:00:00Z", f"o{number}")
            )
    in_order = write(tmp_path / "sorted-events.jsonl", events)
    sorted_customers = write(tmp_path / "sorted-customers.jsonl", customers)
    rng.shuffle(events)
    rng.shuffle(customers)
    shuffled = write(tmp_path / "shuffled-events.jsonl", events)
    shuffled_customers = write(tmp_path / "shuffled-customers.jsonl", customers)
    side_by_side = run(*plan_args(sorted_customers, in_order))
    indexed = run(*plan_args(shuffled_customers, shuffled))
    assert side_by_side.returncode == indexed.returncode == 0
    assert side_by_side.stdout == indexed.stdout
    assert len(side_by_side.stdout.splitlines()) >= 300


def test_formats_csv_and_table(shop, tmp_path):
    out = tmp_path / "decisions.csv"
    done = run(*plan_args(*shop, "--format", "csv", "--output", str(out)))
    assert done.returncode == 0
    assert done.stdout == ""
    header, *rows = out.read_text().splitlines()
    assert header == "id,customer,intent,ref,status,send_at,local_send_at,channel,trace"
    assert rows
    table = run(*plan_args(*shop, "--format", "table"), COLUMNS="200").stdout
    assert table.splitlines()[0].split() == [
        "customer",
        "intent",
        "ref",
        "status",
        "local",
        "time",
        "channel",
        "why",
    ]
    assert "apology_call" in table


def test_the_installed_script_is_the_same_program(shop):
    assert SCRIPT is not None
    script = subprocess.run(
        [SCRIPT, *plan_args(*shop)], capture_output=True, text=True, check=False
    )
    assert script.returncode == 0
    assert script.stdout == run(*plan_args(*shop)).stdout


def test_now_is_required_with_a_clear_message(shop):
    customers, events = shop
    done = run("plan", "--customers", str(customers), "--events", str(events))
    assert done.returncode == 2
    assert "--now is required" in done.stderr
    assert "never reads the clock" in done.stderr


def test_now_without_an_offset_is_refused(shop):
    done = run(*plan_args(*shop)[:-1], "2026-12-14T09:30:00")
    assert done.returncode == 2
    assert "--now='2026-12-14T09:30:00': has no UTC offset" in done.stderr


NAIVE = event("e9", "c1", "order_placed", "2026-12-10T14:00:00")
STRANGER = event("e9", "c9", "order_placed", "2026-12-10T14:00:00Z")
NO_KIND = event("e9", "c1", "order_placed", "2026-12-10T14:00:00Z") | {"kind": ""}
BAD_LINES = [
    ("events", "{not json", "is not valid JSON", 2),
    ("events", NAIVE, "at='2026-12-10T14:00:00': has no UTC offset", 2),
    (
        "customers",
        customer("c4", timezone="Europe/Londn"),
        "timezone='Europe/Londn': is not a known",
        4,
    ),
    ("events", STRANGER, "customer='c9': names a customer", 2),
    (
        "customers",
        {**customer("c4"), "timzone": "UTC"},
        "timzone: is not a field of this record",
        4,
    ),
    ("events", NO_KIND, "kind='': must be a non-empty string", 2),
    ("customers", customer("c4", channels={"emial": True}), "(did you mean 'email'?)", 4),
    ("events", [1, 2], "must be a JSON object", 2),
    # The standard library would keep the last "kind" and drop the first without a word.
    (
        "events",
        (
            '{"id": "e9", "customer": "c1", "kind": "order_placed", "kind": "order_delivered",'
            ' "at": "2026-12-10T14:00:00Z"}'
        ),
        "kind: is given twice in one object",
        2,
    ),
    (
        "customers",
        (
            '{"id": "c4", "timezone": "UTC", "country": "GB", "since": "2024-01-01T00:00:00Z",'
            ' "attributes": {"tier": "high", "tier": "low"}}'
        ),
        "tier: is given twice in one object",
        4,
    ),
    # An escaped half of a surrogate pair: no UTF-8 output could carry the customer's id.
    (
        "events",
        (
            '{"id": "e9", "customer": "c\\ud800", "kind": "order_placed",'
            ' "at": "2026-12-10T14:00:00Z"}'
        ),
        "customer: holds a lone surrogate",
        2,
    ),
    (
        "customers",
        (
            '{"id": "c4", "timezone": "UTC", "country": "GB", "since": "2024-01-01T00:00:00Z",'
            ' "attributes": {"na\\udc00me": "x"}}'
        ),
        "attributes.na\\udc00me: holds a lone surrogate",
        4,
    ),
]


def _with_bad_line(tmp_path: Path, which: str, bad: Any) -> tuple[Path, Path]:
    customers = [customer("c1"), customer("c2"), customer("c3")]
    events = [event("e1", "c1", "order_placed", "2026-12-01T14:00:00Z", "o1")]
    if which == "customers":
        customers.append(bad)
    else:
        events.append(bad)
    return write(tmp_path / "customers.jsonl", customers), write(tmp_path / "events.jsonl", events)


@pytest.mark.parametrize(("which", "bad", "message", "line"), BAD_LINES)
def test_a_bad_line_stops_with_file_line_and_field(tmp_path, which, bad, message, line):
    customers, events = _with_bad_line(tmp_path, which, bad)
    output = tmp_path / "decisions.jsonl"
    done = run(*plan_args(customers, events, "--output", str(output)))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{which}.jsonl:{line}" in done.stderr
    assert message in done.stderr
    # Nothing half-written: the output file appears only when the whole run succeeds.
    assert not output.exists()
    assert list(tmp_path.glob("*.part")) == []


@pytest.mark.parametrize(("which", "bad", "message", "line"), BAD_LINES)
def test_skip_goes_on_and_writes_every_rejected_line_with_its_reason(
    tmp_path, which, bad, message, line
):
    customers, events = _with_bad_line(tmp_path, which, bad)
    rejects = tmp_path / "rejects.jsonl"
    done = run(*plan_args(customers, events, "--on-error", "skip", "--rejects", str(rejects)))
    assert done.returncode == 0, done.stderr
    assert "1 line rejected" in done.stderr
    (rejected,) = [json.loads(text) for text in rejects.read_text().splitlines()]
    assert rejected["file"].endswith(f"{which}.jsonl")
    assert rejected["line"] == line
    assert message in rejected["reason"]
    assert rejected["text"] is not None
    planned = {json.loads(text)["customer"] for text in done.stdout.splitlines()}
    assert "c1" in planned


def test_the_same_event_twice_counts_once_but_different_content_names_both_lines(tmp_path):
    customers = write(tmp_path / "customers.jsonl", [customer("c1")])
    once = event("e1", "c1", "concern_raised", "2026-12-13T10:00:00Z", "q1")
    events = write(tmp_path / "events.jsonl", [once, once])
    records = [json.loads(line) for line in run(*plan_args(customers, events)).stdout.splitlines()]
    assert [r["ref"] for r in records if r["intent"] == "concern_reply"] == ["q1"]
    changed = {**once, "at": "2026-12-13T11:00:00Z"}
    events = write(tmp_path / "events.jsonl", [once, changed])
    done = run(*plan_args(customers, events))
    assert done.returncode == 2
    assert "events.jsonl:2" in done.stderr
    assert "the other at" in done.stderr
    assert "events.jsonl:1" in done.stderr


def test_ids_are_compared_within_a_history_not_across_customers(tmp_path):
    # As docs/cli.md says: each customer's plan uses only their own events; a broadcast
    # belongs to every history, so its id is compared with every customer's events.
    customers = write(tmp_path / "customers.jsonl", [customer("c1"), customer("c2")])
    mine = event("e1", "c1", "concern_raised", "2026-12-13T10:00:00Z", "q1")
    theirs = event("e1", "c2", "concern_raised", "2026-12-13T10:00:00Z", "q2")
    events = write(tmp_path / "events.jsonl", [mine, theirs])
    done = run(*plan_args(customers, events))
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["customer"], r["ref"]) for r in replies if r["intent"] == "concern_reply"] == [
        ("c1", "q1"),
        ("c2", "q2"),
    ]
    broadcast = {k: v for k, v in theirs.items() if k != "customer"}
    events = write(tmp_path / "events.jsonl", [broadcast, mine])
    done = run(*plan_args(customers, events))
    assert done.returncode == 2
    assert "id='e1': is used by two different events" in done.stderr


def test_a_customer_given_twice_is_refused(tmp_path):
    customers = write(tmp_path / "customers.jsonl", [customer("c1"), customer("c1")])
    events = write(tmp_path / "events.jsonl", [])
    done = run(*plan_args(customers, events))
    assert done.returncode == 2
    assert "customers.jsonl:2, id='c1': is given twice" in done.stderr


def test_a_missing_file_is_a_clear_error(tmp_path, shop):
    customers, _ = shop
    done = run(*plan_args(customers, tmp_path / "nowhere.jsonl"))
    assert done.returncode == 2
    assert "nowhere.jsonl" in done.stderr
    assert "cannot be read" in done.stderr


def test_explain_lays_out_one_customers_trace(shop):
    customers, events = shop
    done = run(
        "explain", "c1", "--customers", str(customers), "--events", str(events), "--now", NOW
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("customer c1 (Europe/London, GB)")
    assert "review_request for o1: scheduled by email" in done.stdout
    assert "proposed" in done.stdout


def test_explain_an_unknown_customer(shop):
    customers, events = shop
    done = run(
        "explain", "c9", "--customers", str(customers), "--events", str(events), "--now", NOW
    )
    assert done.returncode == 2
    assert "'c9' is not in" in done.stderr


def test_check_a_good_policy(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'name = "mine"\nextends = "default"\n\n[intents.review_request]\npriority = 85\n'
    )
    done = run("check", str(policy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "policy 'mine'" in done.stdout
    assert "0 errors" in done.stdout


def test_check_a_policy_with_lint_errors_exits_1(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'name = "mine"\nextends = "default"\n\n[[triggers]]\nid = "review-after-delivery"\n'
        'requires = "order_delivred"\n'
    )
    done = run("check", str(policy))
    assert done.returncode == 1
    assert "did you mean 'order_delivered'?" in done.stdout


def test_check_a_broken_policy_exits_2_naming_file_line_and_path(tmp_path):
    policy = tmp_path / "policy.toml"
    lines = ['name = "mine"', "", "[intents.review_request]", 'category = "relationship"']
    policy.write_text("\n".join([*lines, 'channels = ["emial"]', ""]))
    done = run("check", str(policy))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{policy}:5" in done.stderr
    assert "intents.review_request.channels[0]='emial'" in done.stderr
    assert "did you mean 'email'?" in done.stderr


OPTIONS = {
    "plan": ["--customers", "--events", "--now", "--policy", "--format", "--output", "--on-error"],
    "explain": ["--customers", "--events", "--now", "--policy"],
    "check": ["POLICY"],
    "demo": ["--format"],
}


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_command_documents_its_options_with_an_example(command):
    done = run(command, "--help")
    assert done.returncode == 0
    assert "example" in done.stdout
    for option in OPTIONS[command]:
        assert option in done.stdout


def test_no_progress_bar_when_stderr_is_not_a_terminal(shop):
    assert run(*plan_args(*shop)).stderr == ""


def _many(tmp_path: Path, count: int, *, shuffle: bool, bad: bool = False) -> tuple[Path, Path]:
    rng = random.Random(11)
    customers, events = (
        [],
        [event("b1", None, "channel_down", "2026-12-13T22:00:00Z", "web-1", channel="web")],
    )
    for number in range(count):
        cid = f"c{number:05d}"
        customers.append(
            customer(cid, timezone=rng.choice(["Europe/Paris", "Asia/Tokyo", "America/Chicago"]))
        )
        events.append(
            event(
                f"e{number}a",
                cid,
                "order_placed",
                f"2026-12-0{rng.randint(1, 9)}T10:00:00Z",
                f"o{number}",
            )
        )
        if rng.random() < 0.6:
            events.append(
                event(f"e{number}b", cid, "order_delivered", "2026-12-11T10:00:00Z", f"o{number}")
            )
        if bad and number % 97 == 0:
            events.append(event(f"e{number}x", cid, "order_placed", "2026-12-10T10:00:00"))
    if shuffle:
        rng.shuffle(customers)
        rng.shuffle(events)
    return write(tmp_path / "customers.jsonl", customers), write(tmp_path / "events.jsonl", events)


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_two_workers_write_the_same_bytes_as_one(tmp_path, shuffle):
    customers, events = _many(tmp_path, 400, shuffle=shuffle)
    one = run(*plan_args(customers, events, "--workers", "1"))
    two = run(*plan_args(customers, events, "--workers", "2"))
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    assert len({json.loads(line)["customer"] for line in one.stdout.splitlines()}) == 400


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_two_workers_reject_the_same_lines_as_one(tmp_path, shuffle):
    customers, events = _many(tmp_path, 300, shuffle=shuffle, bad=True)
    outputs = []
    for workers in ("1", "2"):
        rejects = tmp_path / f"rejects-{workers}.jsonl"
        done = run(
            *plan_args(
                customers,
                events,
                "--workers",
                workers,
                "--on-error",
                "skip",
                "--rejects",
                str(rejects),
            )
        )
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout, rejects.read_text()))
    assert outputs[0] == outputs[1]
    assert len(outputs[0][1].splitlines()) == 4


def test_with_workers_the_first_bad_line_still_stops_the_run(tmp_path):
    customers, events = _many(tmp_path, 300, shuffle=False, bad=True)
    done = run(*plan_args(customers, events, "--workers", "2"))
    assert done.returncode == 2
    assert "has no UTC offset" in done.stderr
    assert "Traceback" not in done.stderr


def test_workers_must_be_at_least_one(shop):
    done = run(*plan_args(*shop, "--workers", "0"))
    assert done.returncode == 2
    assert "workers=0: must be at least 1" in done.stderr


def test_version_names_the_core_in_use(each_core: str) -> None:
    done = run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("outreach-rules ")
    assert done.stdout.rstrip().endswith(f"core: {each_core}")


def test_a_core_that_is_no_core_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_RULES_CORE", "java")
    done = run("--version")
    assert done.returncode == 2
    assert "OUTREACH_RULES_CORE='java': is not a planning core (use rust or python)" in done.stderr
    assert "Traceback" not in done.stderr


# -- command-line conventions -----------------------------------------------------------------


@pytest.mark.parametrize("which", ["--customers", "--events"])
def test_a_dash_reads_standard_input(shop, which):
    customers, events = shop
    expected = run(*plan_args(customers, events)).stdout
    piped = customers if which == "--customers" else events
    args = plan_args(customers, events, "--output", "-")
    args[args.index(which) + 1] = "-"
    done = run(*args, stdin=piped.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_errors_and_rejects_from_standard_input_name_it(shop, tmp_path):
    customers, events = shop
    piped = '{"id": "x-1", "timezone": "UTC"}\n' + customers.read_text(encoding="utf-8")
    args = plan_args(Path("-"), events)
    done = run(*args, stdin=piped)
    assert done.returncode == 2
    assert "error: <stdin>:1, country: is required" in done.stderr
    rejects = tmp_path / "rejects.jsonl"
    skipped = run(*args, "--on-error", "skip", "--rejects", str(rejects), stdin=piped)
    assert skipped.returncode == 0
    assert "rejected <stdin>:1:" in skipped.stderr
    assert json.loads(rejects.read_text(encoding="utf-8"))["file"] == "<stdin>"


def test_only_one_input_can_be_standard_input(shop):
    done = run(*plan_args(Path("-"), Path("-")), stdin="")
    assert done.returncode == 2
    assert "--customers and --events are both -" in done.stderr
    assert "Traceback" not in done.stderr


def test_explain_reads_standard_input_too(shop):
    customers, events = shop
    args = ["explain", "c1", "--customers", "-", "--events", str(events), "--now", NOW]
    done = run(*args, stdin=customers.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == run(*args[:3], str(customers), *args[4:]).stdout


def test_output_into_a_folder_that_does_not_exist_is_bad_input(shop, tmp_path):
    target = tmp_path / "missing" / "decisions.jsonl"
    done = run(*plan_args(*shop, "--output", str(target)))
    assert done.returncode == 2
    assert f"the folder {str(target.parent)!r} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.parent.exists()


def test_the_usage_line_shows_now_as_required():
    done = run("plan", "--help")
    assert "--events FILE --now ISO" in " ".join(done.stdout.split())


def test_ctrl_c_ends_with_130_and_one_line(tmp_path, each_core):
    # Enough customers that the run is still going when the interrupt comes.
    count = 60_000 if each_core == "rust" else 5_000
    customers, events = _many(tmp_path, count, shuffle=True)
    output = tmp_path / "decisions.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "outreach_rules",
            *plan_args(customers, events, "--output", str(output)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Interrupt once it has started planning: the part files appear in the output's folder.
    deadline = 600
    while process.poll() is None and not list(tmp_path.glob("*.part")) and deadline:
        time.sleep(0.05)
        deadline -= 1
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run ended before the interrupt reached it")
    assert process.returncode == 130
    assert stderr.strip().splitlines() == ["outreach-rules: interrupted"]
    assert not output.exists()
    assert not list(tmp_path.glob("*.part"))


# -- tables for people, and the progress bar --------------------------------------------------

# A colour in a Select Graphic Rendition code: 30-37, 90-97 or 38;... (bold and dim are not).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m")


def _demo_plans() -> list[Any]:
    demo = resources.files("outreach_rules") / "demo"
    with resources.as_file(demo) as path:
        source = groups(path / "customers.jsonl", path / "events.jsonl")
        return list(plan_groups(Policy.default(), source, now=NOW))


def _column(lines: list[str], head: str, start: str, end: str | None) -> str:
    """The text of the column between the headings ``start`` and ``end``, all rows joined."""
    left = head.index(start)
    right = None if end is None else head.index(end)
    return " ".join(" ".join(line[left:right].strip() for line in lines).split())


@pytest.mark.parametrize(("columns", "layout"), [("80", "narrow"), ("200", "wide")])
def test_the_demo_table_fits_the_terminal_and_wraps_why_whole(columns, layout):
    done = run("demo", COLUMNS=columns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    *drawn, command = lines
    assert command.startswith("  outreach-rules explain ")
    assert max(len(line.rstrip()) for line in drawn) <= int(columns)
    assert "…" not in done.stdout
    head = lines[2]
    body = lines[4 : lines.index("", 4)]
    if layout == "narrow":
        assert head.split()[:4] == ["customer", "decision", "and", "why"]
        text = _column(body, head, "decision and why", "status")
    else:
        assert head.split()[-1] == "why"
        text = _column(body, head, "why", None)
    # Every decision's reason, whole, in the order of the rows (where a line breaks
    # aside: a word longer than the column, such as a zone's name, is folded).
    text, position = "".join(text.split()), 0
    for plan in _demo_plans():
        for decision in plan:
            position = text.index("".join(decision.why.split()), position)


def test_the_summary_counts_the_rows_by_status_and_intent():
    records = [json.loads(line) for line in run("demo", "--format", "jsonl").stdout.splitlines()]
    by_status = Counter(r["status"] for r in records)
    by_intent = Counter(r["intent"] for r in records)
    table = run("demo", COLUMNS="100").stdout
    customers = len({r["customer"] for r in records})
    statuses = ", ".join(
        f"{by_status[s]} {s}" for s in ("scheduled", "waiting", "suppressed") if by_status[s]
    )
    assert f"{len(records)} decisions for {customers} customers: {statuses}." in table
    lines = table.splitlines()
    summary = lines[lines.index(next(line for line in lines if line.startswith("by intent"))) :]
    head = summary[0].split()
    assert head == ["by", "intent", *(s for s in by_status if s in head), "total"]
    for intent, count in by_intent.items():
        (row,) = [line.split() for line in summary if line.startswith(f"{intent} ")]
        assert int(row[-1]) == count
    (total,) = [line.split() for line in summary if line.startswith("total ")]
    assert int(total[-1]) == len(records)


def test_no_escape_codes_where_stdout_is_no_terminal_and_no_colour_with_no_color():
    plain = run("demo")
    assert "\x1b" not in plain.stdout
    forced = run("demo", FORCE_COLOR="1")
    assert COLOUR.search(forced.stdout), "status in colour on a terminal"
    uncoloured = run("demo", FORCE_COLOR="1", NO_COLOR="1")
    assert not COLOUR.search(uncoloured.stdout)
    assert "scheduled" in uncoloured.stdout


def test_the_table_ends_with_an_explain_command_that_runs(shop):
    done = run(*plan_args(*shop, "--format", "table"), COLUMNS="80")
    assert done.returncode == 0, done.stderr
    program, *argv = shlex.split(done.stdout.splitlines()[-1])
    assert (program, argv[0]) == ("outreach-rules", "explain")
    explained = run(*argv)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith(f"customer {argv[1]} ")
    demo = run("demo").stdout.splitlines()[-1]
    assert run(*shlex.split(demo)[1:]).returncode == 0


def test_counts_agree_with_their_nouns(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('name = "mine"\nextends = "default"\n')
    done = run("check", str(policy))
    assert re.search(
        r": \d+ intents, \d+ triggers, \d+ guards; 0 errors, \d+ warnings?$", done.stdout
    )
    assert "(s)" not in done.stdout


def _bar(path: Path, *, quiet: bool = False, terminal: bool = True) -> tuple[Any, io.StringIO]:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=terminal, width=120, color_system=None)
    return _Progress(str(path), quiet=quiet, console=console), screen


def test_the_progress_bar_shows_customers_rate_and_time_left(shop):
    customers, _ = shop
    progress, screen = _bar(customers)
    with progress:
        progress.add(1)
        progress.bar.refresh()
        # The rate and the time left may still be unknown ("…"): rich says once it knows.
        assert re.search(
            r"1 of 3 customers planned, (…|[\d,]+)/s, (…|\d+:\d\d:\d\d) left", screen.getvalue()
        )
        progress.add(2)
    assert re.search(r"3 of 3 customers planned, (…|[\d,]+)/s, done", screen.getvalue())


def test_the_progress_bar_counts_as_customers_are_planned_not_per_part(tmp_path, each_core):
    customers, events = _many(tmp_path, 300, shuffle=False)
    told: list[int] = []
    planned = plan_files(
        Policy.default(), customers, events, io.StringIO(), now=NOW, progress=told.append
    )
    assert sum(told) == planned == 300
    if each_core == "python":
        # One part, told every 50 customers: the bar moves long before the part ends.
        assert len(told) == 6


@pytest.mark.parametrize(("quiet", "terminal"), [(True, True), (False, False)])
def test_the_progress_bar_is_silent_when_quiet_or_not_on_a_terminal(shop, quiet, terminal):
    customers, _ = shop
    progress, screen = _bar(customers, quiet=quiet, terminal=terminal)
    with progress:
        progress.add(3)
    assert not progress.shown
    assert screen.getvalue() == ""


# -- event kinds the policy does not know ------------------------------------------------------


def _with_misspelt_kinds(tmp_path: Path, count: int) -> tuple[Path, Path]:
    customers = write(tmp_path / "customers.jsonl", [customer("c1")])
    events = [
        event(f"e{n}", "c1", "order_delivred", "2026-12-10T14:00:00Z", f"o{n}")
        for n in range(count)
    ]
    return customers, write(tmp_path / "events.jsonl", events)


def test_a_misspelt_kind_is_named_with_the_likely_one_and_counted(tmp_path):
    done = run(*plan_args(*_with_misspelt_kinds(tmp_path, 1)))
    assert done.returncode == 0, done.stderr
    warning = (
        f"outreach-rules: warning: {tmp_path / 'events.jsonl'}:1: kind 'order_delivred' is not "
        "an event kind the policy knows (did you mean 'order_delivered'?)"
    )
    count = (
        "outreach-rules: 1 event of a kind the policy does not know, planned all the same; "
        "--unknown-kinds refuse refuses it"
    )
    assert done.stderr.splitlines() == [warning, count]


def test_many_misspelt_kinds_show_the_first_ten_and_the_count(tmp_path):
    done = run(*plan_args(*_with_misspelt_kinds(tmp_path, 12)))
    lines = done.stderr.splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("outreach-rules: 12 events of a kind the policy does not know")
    assert "(the first 10 above)" in lines[-1]


def test_unknown_kinds_refuse_makes_the_line_bad_input(tmp_path):
    customers, events = _with_misspelt_kinds(tmp_path, 1)
    done = run(*plan_args(customers, events, "--unknown-kinds", "refuse"))
    assert done.returncode == 2
    assert f"{events}:1, kind='order_delivred': is not an event kind" in done.stderr
    rejects = tmp_path / "rejected.jsonl"
    skipped = run(
        *plan_args(customers, events, "--unknown-kinds", "refuse", "--on-error", "skip"),
        *("--rejects", str(rejects)),
    )
    assert skipped.returncode == 0
    assert json.loads(rejects.read_text(encoding="utf-8"))["line"] == 1


def test_a_misspelt_kind_from_standard_input_is_named_there(tmp_path):
    customers, events = _with_misspelt_kinds(tmp_path, 1)
    done = run(*plan_args(customers, Path("-")), stdin=events.read_text(encoding="utf-8"))
    assert done.stderr.startswith("outreach-rules: warning: <stdin>:1: kind 'order_delivred'")
