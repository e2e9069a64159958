"""Hostile input is refused quickly, with the library's error, never a traceback or a hang.

Issue 21, items 4 to 6: a YAML alias bomb, nesting 100,000 levels deep and integers of
thousands of digits, in policy files (TOML, YAML, JSON) and in the lines of the data
contract, on each planning core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from outreach_rules import InputError, Policy, PolicyError
from outreach_rules._compile import json_data
from outreach_rules._cores import rust_module
from outreach_rules._sources import MAX_POLICY_BYTES
from outreach_rules._strict_json import MAX_DEPTH, MAX_DIGITS, TooDeep, TooLong, loads
from outreach_rules.contract import Line

from conftest import refused_with

NOW = "2026-12-14T09:30:00Z"
AT = "2026-12-01T14:00:00Z"
CUSTOMER = {"id": "c1", "timezone": "Europe/London", "country": "GB", "since": AT}
HUGE = "1" * 5_000
DEEP = 100_000


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach_rules", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def nested(depth: int, inner: str = "1") -> str:
    """JSON text of ``depth`` arrays, one in another."""
    return "[" * depth + inner + "]" * depth


def event_line(data: str, eid: str = "e-bad") -> str:
    return (
        f'{{"id": "{eid}", "customer": "c1", "kind": "order_placed", "at": "{AT}", '
        f'"ref": "o9", "data": {data}}}'
    )


def good_event() -> str:
    return json.dumps(
        {"id": "e1", "customer": "c1", "kind": "order_delivered", "at": AT, "ref": "o1"}
    )


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


# -- the limits, as the strict JSON reader keeps them -----------------------------------------


def test_nesting_up_to_the_limit_reads_and_one_level_more_is_refused() -> None:
    assert loads(nested(MAX_DEPTH - 1, "{}")) is not None
    with pytest.raises(TooDeep):
        loads(nested(MAX_DEPTH, "{}"))
    with pytest.raises(TooDeep) as deep:
        loads(f'{{"data": {{"a": {nested(DEEP)}}}}}')
    assert deep.value.key == "data"


def test_whole_numbers_up_to_the_limit_read_and_longer_ones_are_refused() -> None:
    assert loads("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)
    assert loads("-" + "9" * MAX_DIGITS) == -int("9" * MAX_DIGITS)
    # A float of more digits is a float, and no risk (one too large for a float is no
    # JSON number: tests/test_input_mistakes.py).
    long_float = "1" * (3 * MAX_DIGITS) + ".5"
    assert loads(long_float) == float(long_float)
    with pytest.raises(TooLong) as long:
        loads(f'{{"data": {{"items": [1, {{"n": -{HUGE}}}]}}}}')
    assert long.value.key == "data.items[1].n"


def test_a_string_of_brackets_or_digits_is_only_text() -> None:
    text = json.dumps({"data": {"a": "[" * 500, "b": HUGE}})
    assert loads(text) == json.loads(text)


def test_what_the_reader_takes_the_core_can_carry() -> None:
    # The core's compiled form nests data three levels down in a group; json_data keeps
    # the same limit, so a record read from a line always crosses.
    record = loads(f'{{"data": {nested(MAX_DEPTH - 2)}}}')
    assert json_data(record["data"]) == record["data"]


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (nested(DEEP), "data", f"more than {MAX_DEPTH} levels deep"),
        (f'{{"total": {HUGE}}}', "data.total", f"more than {MAX_DIGITS} digits"),
    ],
    ids=["deep", "huge"],
)
def test_a_hostile_line_is_an_input_error_that_says_where(
    data: str, field: str, problem: str
) -> None:
    error = refused_with(InputError, lambda: Line("events.jsonl", 7, event_line(data)).record())
    assert (error.file, error.line, error.field) == ("events.jsonl", 7, field)
    assert problem in str(error)


# -- on the command line, on each core --------------------------------------------------------

LINES = {
    "deep event data": ("events", event_line(nested(DEEP))),
    "deep just past the limit": ("events", event_line(nested(MAX_DEPTH))),
    "huge integer in event data": ("events", event_line(f'{{"total": {HUGE}}}')),
    "integer just past the limit": ("events", event_line(f'{{"n": {"9" * (MAX_DIGITS + 1)}}}')),
    "deep customer attributes": (
        "customers",
        json.dumps(CUSTOMER | {"id": "c2"})[:-1] + f', "attributes": {{"a": {nested(DEEP)}}}}}',
    ),
    "huge integer in attributes": (
        "customers",
        json.dumps(CUSTOMER | {"id": "c2"})[:-1] + f', "attributes": {{"n": {HUGE}}}}}',
    ),
}


def files(tmp_path: Path, which: str, bad: str, first: bool = False) -> tuple[Path, Path]:
    customers = [json.dumps(CUSTOMER)]
    events = [good_event()]
    lines = customers if which == "customers" else events
    lines.insert(0 if first else 1, bad)
    return write(tmp_path / "customers.jsonl", customers), write(tmp_path / "events.jsonl", events)


def plan(customers: Path, events: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run("plan", "--customers", str(customers), "--events", str(events), "--now", NOW, *more)


@pytest.mark.usefixtures("each_core")
@pytest.mark.parametrize("case", sorted(LINES))
@pytest.mark.parametrize("first", [False, True], ids=["second-line", "first-line"])
def test_a_hostile_line_stops_the_run_with_exit_2(tmp_path: Path, case: str, first: bool) -> None:
    which, bad = LINES[case]
    customers, events = files(tmp_path, which, bad, first)
    done = plan(customers, events)
    no_traceback(done)
    assert done.returncode == 2, done.stderr[-2000:]
    line = 1 if first else 2
    assert f"{which}.jsonl:{line}" in done.stderr
    assert ("levels deep" in done.stderr) or ("digits" in done.stderr)


@pytest.mark.usefixtures("each_core")
@pytest.mark.parametrize("case", sorted(LINES))
def test_a_hostile_line_is_skipped_with_its_reason(tmp_path: Path, case: str) -> None:
    which, bad = LINES[case]
    customers, events = files(tmp_path, which, bad)
    rejects = tmp_path / "rejects.jsonl"
    done = plan(customers, events, "--on-error", "skip", "--rejects", str(rejects))
    no_traceback(done)
    assert done.returncode == 0, done.stderr[-2000:]
    (rejected,) = [json.loads(text) for text in rejects.read_text().splitlines()]
    assert rejected["file"].endswith(f"{which}.jsonl")
    assert rejected["line"] == 2
    assert ("levels deep" in rejected["reason"]) or ("digits" in rejected["reason"])
    assert {json.loads(text)["customer"] for text in done.stdout.splitlines()} == {"c1"}


@pytest.mark.skipif(rust_module() is None, reason="the Rust core is not built here")
def test_both_cores_word_a_hostile_line_alike(tmp_path: Path) -> None:
    outputs: dict[str, Any] = {}
    for case, (which, bad) in sorted(LINES.items()):
        customers, events = files(tmp_path, which, bad)
        for core in ("python", "rust"):
            done = subprocess.run(
                [sys.executable, "-m", "outreach_rules", "plan", "--customers", str(customers),
                 "--events", str(events), "--now", NOW],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
                env={**os.environ, "OUTREACH_RULES_CORE": core},
            )  # fmt: skip
            outputs[case, core] = (done.returncode, done.stdout, done.stderr)
        assert outputs[case, "python"] == outputs[case, "rust"], case


# -- policy files -----------------------------------------------------------------------------

HEAD = {
    ".toml": 'name = "shop"\nversion = "1"\n',
    ".yaml": 'name: shop\nversion: "1"\n',
    ".json": '{"name": "shop",\n"version": "1",\n',
}


def policy_file(folder: Path, suffix: str, body: str) -> Path:
    path = folder / f"policy{suffix}"
    text = HEAD[suffix] + body + ("}\n" if suffix == ".json" else "\n")
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> PolicyError:
    error = refused_with(PolicyError, lambda: Policy.from_file(path))
    assert isinstance(error, PolicyError)
    assert error.file == str(path)
    return error


def checked(path: Path) -> subprocess.CompletedProcess[str]:
    done = run("check", str(path))
    no_traceback(done)
    assert done.returncode == 2, done.stdout + done.stderr[-2000:]
    return done


BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
description: *i"""


def test_a_yaml_alias_bomb_is_refused_at_the_alias_that_repeats_too_much(tmp_path: Path) -> None:
    path = policy_file(tmp_path, ".yaml", BOMB)
    error = refusal(path)
    # The aliases of a to d repeat 8,289 values; the first *d of line 7, past 10,000.
    assert error.line == 7
    assert "aliases" in str(error)
    assert "10,000" in str(error)
    checked(path)


def test_a_yaml_alias_to_the_value_that_holds_it_is_refused(tmp_path: Path) -> None:
    path = policy_file(tmp_path, ".yaml", "description: &loop [1, *loop]")
    error = refusal(path)
    assert error.line == 3
    assert "holds it" in str(error)


def test_yaml_aliases_that_repeat_a_little_still_read(tmp_path: Path) -> None:
    body = """\
intents:
  review_request: {category: relationship, channels: &usual [email, sms]}
  feedback_survey: {category: relationship, channels: *usual}
"""
    policy = Policy.from_file(policy_file(tmp_path, ".yaml", body))
    assert policy.intent("feedback_survey").channels == policy.intent("review_request").channels


DEEP_POLICIES = {
    ".toml": "description = " + nested(DEEP),
    ".yaml": "description: " + nested(DEEP),
    ".json": '"description": ' + nested(DEEP),
}


@pytest.mark.parametrize("suffix", sorted(DEEP_POLICIES))
def test_a_policy_nested_too_deep_is_refused_with_its_line(tmp_path: Path, suffix: str) -> None:
    path = policy_file(tmp_path, suffix, DEEP_POLICIES[suffix])
    error = refusal(path)
    assert error.line == 3
    assert f"more than {MAX_DEPTH} levels deep" in str(error)
    assert f"{path}:3" in checked(path).stderr


@pytest.mark.parametrize("suffix", sorted(DEEP_POLICIES))
def test_a_policy_nested_just_past_the_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    # The policy itself is the first level: MAX_DEPTH arrays inside it are one too many.
    body = DEEP_POLICIES[suffix].replace(nested(DEEP), nested(MAX_DEPTH))
    error = refusal(policy_file(tmp_path, suffix, body))
    assert f"more than {MAX_DEPTH} levels deep" in str(error)
    inside = DEEP_POLICIES[suffix].replace(nested(DEEP), nested(MAX_DEPTH - 1))
    with pytest.raises(PolicyError, match="description"):
        # Read, then refused for what it says, not for its depth.
        Policy.from_file(policy_file(tmp_path, suffix, inside))


def test_toml_tables_nested_too_deep_are_refused(tmp_path: Path) -> None:
    path = policy_file(tmp_path, ".toml", "[" + ".".join(["a"] * 2 * MAX_DEPTH) + "]\nb = 1")
    error = refusal(path)
    assert error.field == "a"
    assert f"more than {MAX_DEPTH} levels deep" in str(error)


def huge_limit(suffix: str, digits: str) -> str:
    if suffix == ".toml":
        return f'[[guards]]\nid = "cap"\nfrequency_cap = {{ limit = {digits}, period = "7 days" }}'
    if suffix == ".yaml":
        return f"guards:\n  - id: cap\n    frequency_cap: {{limit: {digits}, period: 7 days}}"
    cap = f'"frequency_cap": {{"limit": {digits}, "period": "7 days"}}'
    return f'"guards": [{{"id": "cap",\n{cap}}}]'


@pytest.mark.parametrize("digits", [HUGE, "9" * (MAX_DIGITS + 1)], ids=["5000", "limit+1"])
@pytest.mark.parametrize("suffix", sorted(HEAD))
def test_a_huge_whole_number_in_a_policy_names_its_field(
    tmp_path: Path, suffix: str, digits: str
) -> None:
    path = policy_file(tmp_path, suffix, huge_limit(suffix, digits))
    error = refusal(path)
    assert error.field == "guards[0].frequency_cap.limit"
    assert error.line == {".toml": 5, ".yaml": 5, ".json": 4}[suffix]
    assert f"more than {MAX_DIGITS} digits" in str(error)
    assert "guards[0].frequency_cap.limit" in checked(path).stderr


def test_a_policy_file_past_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = policy_file(tmp_path, ".toml", "# " + "x" * MAX_POLICY_BYTES)
    error = refused_with(PolicyError, lambda: Policy.from_file(path))
    assert (error.field, error.value) == ("file", str(path))
    assert "256 KiB" in str(error)
    checked(path)
