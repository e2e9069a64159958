"""Policy scenarios and ``outreach-rules test``: the playbook passes its own scenarios, a
failing scenario exits 1 with the trace, ``--junit-xml`` writes XML a CI system reads, and
a bad file exits 2 naming the file, the scenario and the field."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from outreach_rules import Policy
from outreach_rules.cli import main
from outreach_rules.testing.scenarios import (
    ScenarioError,
    junit_xml,
    load_scenarios,
    run_scenarios,
)

LONDON = """
[defaults.customer]
id = "c1"
timezone = "Europe/London"
country = "GB"
since = "2019-05-01T00:00:00Z"
channels = { email = true, sms = true, phone = true }
"""

REVIEW = (
    LONDON
    + """
[[scenarios]]
name = "review after delivery"
now = "2026-06-03T13:00:00Z"
events = [
  { kind = "order_placed", at = "2026-06-01T10:00:00Z", ref = "o1" },
  { kind = "order_delivered", at = "2026-06-03T13:00:00Z", ref = "o1" },
]

[[scenarios.expect]]
intent = "review_request"
ref = "o1"
channel = "email"
at = "{at}"
"""
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach_rules", *args], check=False, capture_output=True, text=True
    )


# --- the playbook's own scenarios -------------------------------------------------------------


def test_the_playbook_passes_its_own_scenarios_on_the_command_line():
    done = cli("test", "default", "default")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    count = len(load_scenarios("default"))
    assert done.stdout.rstrip().endswith(f"{count} passed, 0 failed")
    assert done.stderr == ""


def test_the_playbook_scenarios_cover_every_practice():
    names = [scenario.name for scenario in load_scenarios("default")]
    cited = {name.split(":", 1)[0] for name in names}
    assert cited == {f"P{number}" for number in range(1, 18)}


def test_the_playbook_scenario_file_is_shipped_in_the_package():
    shipped = Path(load_scenarios("default")[0].file)
    assert shipped.name == "scenarios.toml"
    assert shipped.parent.name == "playbook"


# --- failures ---------------------------------------------------------------------------------


def test_a_failing_scenario_exits_1_and_prints_the_trace(tmp_path):
    path = write(tmp_path, "review.toml", REVIEW.replace("{at}", "2026-06-06 09:00"))
    done = cli("test", "default", str(path))
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL  review after delivery  (line" in out
    assert f"--- FAIL: review after delivery ({path}:" in out
    assert "expected review_request for o1 scheduled by email at 2026-06-06 09:00" in out
    assert "is scheduled by email on Sat 6 Jun 2026 14:00 (Europe/London)" in out
    assert "1. proposed        review-after-delivery" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_a_passing_file_exits_0(tmp_path, capsys):
    path = write(tmp_path, "review.toml", REVIEW.replace("{at}", "2026-06-06 14:00"))
    assert main(["test", "default", str(path)]) == 0
    assert "PASS  review after delivery" in capsys.readouterr().out


def test_your_policy_against_the_playbooks_scenarios(tmp_path, capsys):
    # Quiet hours from 10:00 move every message the playbook sends at 09:00.
    policy = write(
        tmp_path,
        "late-riser.toml",
        """
        name = "late-riser"
        extends = "default"

        [[guards]]
        id = "quiet-hours"
        channels = ["email", "sms", "push", "in_app"]
        allowed_hours = [{ start = "10:00", end = "20:00", days = "every day" }]
        """,
    )
    assert main(["test", str(policy), "default"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("policy 'late-riser' version 2:")
    assert "FAIL  P3: an order placed in gift season is asked about after Christmas" in out
    assert "PASS  P8: after a mistake on Friday evening" in out


def test_junit_xml_for_ci(tmp_path):
    path = write(
        tmp_path,
        "review.toml",
        REVIEW.replace("{at}", "2026-06-06 09:00")
        + """
[[scenarios]]
name = "a reply to a <concern> & more"
now = "2026-06-02T10:00:00Z"
events = [{ kind = "concern_raised", at = "2026-06-02T10:00:00Z", ref = "q1" }]
expect = { intent = "concern_reply", ref = "q1", at = "11:00" }
""",
    )
    report = tmp_path / "reports" / "ci" / "scenarios.xml"
    done = cli("test", "default", str(path), "--junit-xml", str(report))
    assert done.returncode == 1

    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    [suite] = root.findall("testsuite")
    assert suite.get("name") == str(path)
    failed, passed = suite.findall("testcase")
    assert (failed.get("classname"), failed.get("name")) == ("review", "review after delivery")
    assert failed.get("file") == str(path)
    assert failed.get("line") == "9"
    failure = failed.find("failure")
    assert failure is not None
    assert "1. proposed        review-after-delivery" in (failure.text or "")
    assert passed.get("name") == "a reply to a <concern> & more"
    assert list(passed) == []


def test_a_policy_that_breaks_the_planner_is_an_error_in_the_report(tmp_path):
    # Messages on Mondays only, and on Tuesdays only: no instant is ever allowed, and a
    # reply to a concern never lapses, so the guards leapfrog until the planner's bound.
    policy = write(
        tmp_path,
        "never.toml",
        """
        name = "never"
        extends = "default"

        [[guards]]
        id = "mondays"
        business_days = { weekdays = "mon", holidays = false }

        [[guards]]
        id = "tuesdays"
        business_days = { weekdays = "tue", holidays = false }
        """,
    )
    scenarios = [s for s in load_scenarios("default") if s.name.startswith("P7: a reply is never")]
    report = run_scenarios(Policy.from_file(policy), scenarios)
    assert not report.ok
    [outcome] = report.outcomes
    assert outcome.error is not None
    assert outcome.error.startswith("MaxIterationsReached")
    root = ET.fromstring(junit_xml(report))
    assert root.get("errors") == "1"
    assert root.find("testsuite/testcase/error") is not None


# --- the file format --------------------------------------------------------------------------


def test_yaml_scenarios_and_toml_dates(tmp_path, capsys):
    yaml_file = write(
        tmp_path,
        "kolkata.yaml",
        """
        defaults:
          now: "2026-06-06T16:30:00Z"
        scenarios:
          - name: a late concern, answered in the morning
            customer: {id: c1, timezone: Asia/Kolkata, country: IN, since: "2019-05-01T00:00:00Z",
                       channels: {email: true}}
            events:
              - {kind: concern_raised, at: "2026-06-06T16:30:00Z", ref: q1}
            expect:
              - intent: concern_reply
                ref: q1
                between: [09:00, 09:30]
                trace: ["quiet-hours: deferred"]
              - intent: review_request
                status: absent
        """,
    )
    # TOML's own date-times: with an offset an instant, without one the customer's clock.
    toml_file = write(
        tmp_path,
        "dates.toml",
        LONDON
        + """
[[scenarios]]
name = "toml dates"
now = 2026-06-02T10:00:00Z
events = [{ kind = "concern_raised", at = 2026-06-02T10:00:00Z, ref = "q1" }]

[[scenarios.expect]]
intent = "concern_reply"
between = [2026-06-02T11:00:00, 2026-06-02T11:00:00]

[[scenarios.expect]]
intent = "concern_reply"
between = [11:00:00, 11:00:00]
""",
    )
    assert main(["test", "default", str(yaml_file), str(toml_file)]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_scenarios_load_with_their_lines(tmp_path):
    path = write(tmp_path, "review.toml", REVIEW.replace("{at}", "2026-06-06 14:00"))
    [scenario] = load_scenarios(path)
    assert (scenario.name, scenario.line, scenario.now) == (
        "review after delivery",
        9,
        "2026-06-03T13:00:00Z",
    )
    assert scenario.where == f"{path}:9"
    assert scenario.customer.timezone == "Europe/London"
    assert [e.kind for e in scenario.events] == ["order_placed", "order_delivered"]


BAD_FILES = [
    (
        "status.toml",
        LONDON
        + """
[[scenarios]]
name = "misspelt"
now = "2026-06-01T10:00:00Z"
[[scenarios.expect]]
intent = "welcome"
status = "sheduled"
""",
        (
            "status.toml:14, scenario 'misspelt', scenarios[0].expect[0].status='sheduled': "
            "is not a status (did you mean 'scheduled'?)"
        ),
    ),
    (
        "zone.toml",
        """
[[scenarios]]
name = "nowhere"
now = "2026-06-01T10:00:00Z"
customer = { id = "c1", timezone = "Europe/Londn", country = "GB", since = "2019-05-01T00:00:00Z" }
expect = { intent = "welcome" }
""",
        "zone.toml:5, scenario 'nowhere', scenarios[0].customer.timezone='Europe/Londn'",
    ),
    (
        "naive.yaml",
        """
scenarios:
  - name: no offset
    now: "2026-06-01T10:00:00Z"
    customer: {id: c1, timezone: UTC, country: GB, since: "2019-05-01T00:00:00Z"}
    events:
      - {kind: order_placed, at: "2026-06-01 10:00", ref: o1}
    expect:
      - intent: review_request
""",
        (
            "naive.yaml:7, scenario 'no offset', scenarios[0].events[0].at='2026-06-01 10:00': "
            "has no UTC offset"
        ),
    ),
    (
        "field.toml",
        LONDON + '\n[[scenarios]]\nname = "typo"\nnw = "2026-06-01T10:00:00Z"\n',
        (
            "field.toml:11, scenario 'typo', scenarios[0].nw: is not a field here "
            "(did you mean 'now'?)"
        ),
    ),
    (
        "now.toml",
        LONDON + '\n[[scenarios]]\nname = "when"\nexpect = { intent = "welcome" }\n',
        "scenario 'when', scenarios[0].now: is required",
    ),
    (
        "expect.toml",
        LONDON + '\n[[scenarios]]\nname = "what"\nnow = "2026-06-01T10:00:00Z"\n',
        "scenario 'what', scenarios[0].expect: must list one expected decision or more",
    ),
    (
        "between.toml",
        LONDON
        + """
[[scenarios]]
name = "mixed"
now = "2026-06-01T10:00:00Z"
[[scenarios.expect]]
intent = "welcome"
between = ["09:00", "2026-06-01 12:00"]
""",
        "between.toml:14, scenario 'mixed', scenarios[0].expect[0].between=",
    ),
    (
        "twice.toml",
        LONDON
        + """
[[scenarios]]
name = "same"
now = "2026-06-01T10:00:00Z"
expect = { intent = "welcome" }
[[scenarios]]
name = "same"
now = "2026-06-01T10:00:00Z"
expect = { intent = "welcome" }
""",
        "twice.toml:14, scenario 'same', scenarios[1].name='same': names a scenario twice",
    ),
    ("syntax.toml", "[[scenarios]\n", "syntax.toml:1: is not valid TOML"),
    ("empty.yaml", "scenarios: []\n", "empty.yaml:1, scenarios: must be a list of one scenario"),
    ("notes.txt", "scenarios = []\n", "is not a scenario file I can read"),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_scenario_file_exits_2_naming_the_file_scenario_and_field(
    tmp_path, capsys, monkeypatch, case
):
    name, text, said = case
    monkeypatch.chdir(tmp_path)
    write(tmp_path, name, text)
    assert main(["test", "default", name]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert said in captured.err
    assert captured.err.startswith("outreach-rules: error: ")
    with pytest.raises(ScenarioError):
        load_scenarios(tmp_path / name)


def test_bad_input_on_the_command_line_exits_2(tmp_path):
    missing = cli("test", "default", str(tmp_path / "missing.toml"))
    assert missing.returncode == 2
    assert "missing.toml" in missing.stderr
    assert "cannot be read" in missing.stderr
    bad_policy = cli("test", str(tmp_path / "nope.toml"), "default")
    assert bad_policy.returncode == 2
    assert "nope.toml" in bad_policy.stderr
    # A scenario whose customer has no public-holiday calendar fails when planned.
    path = write(
        tmp_path,
        "atlantis.toml",
        """
        [[scenarios]]
        name = "atlantis"
        now = "2026-06-05T17:30:00Z"
        events = [{ kind = "incident_caused", at = "2026-06-05T17:30:00Z", ref = "i1" }]
        expect = { intent = "apology_call" }

        [scenarios.customer]
        id = "c1"
        timezone = "UTC"
        country = "ZZ"
        since = "2019-05-01T00:00:00Z"
        channels = { phone = true }
        """,
    )
    done = cli("test", "default", str(path))
    assert done.returncode == 2
    # Refused where the customer is read, at the line of the country.
    assert "atlantis.toml:11, scenario 'atlantis', scenarios[0].customer.country='ZZ': is not" in (
        done.stderr
    )


def test_the_help_documents_every_option_with_an_example():
    done = cli("test", "--help")
    assert done.returncode == 0
    text = done.stdout
    for option in ("POLICY", "SCENARIOS", "--junit-xml FILE"):
        assert option in text
    assert text.count("(e.g.") >= 3
    assert "outreach-rules test default default" in text
    assert "exit codes: 0 every scenario passed, 1 some failed, 2 a file could not be read" in text
    assert "test" in cli("--help").stdout
