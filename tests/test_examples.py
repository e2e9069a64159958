"""Every example in examples/ runs, and says what it should."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=EXAMPLES.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_every_example_script_is_tested():
    tested = {
        "spark_plan.py",  # run through spark-submit in tests/test_spark.py
        "plan_a_few_customers.py",
        "plan_from_python.py",
        "custom_policy.py",
        "explain_a_decision.py",
        "session_loop.py",
    }
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_plan_a_few_customers_builds_a_policy_in_python():
    out = run("plan_a_few_customers.py")
    assert "review_request for o-ada-1: scheduled by email on Sun 27 Dec 2026 09:00" in out
    assert "apology_call for inc-7: scheduled by phone on Tue 15 Dec 2026 10:00" in out
    assert "waiting for order_delivered (o-ben-1)" in out


def test_plan_from_python_plans_every_shop_customer():
    out = run("plan_from_python.py")
    assert "24 customers:" in out
    assert "scheduled" in out.splitlines()[-1]
    assert "c06-fikile     success_call       Thu 17 Dec 10:00 by phone" in out


def test_custom_policy_extends_the_playbook_and_shows_what_changes():
    out = run("custom_policy.py")
    assert out.startswith("my-shop 2026.12:")
    # Dropping the survey trigger leaves its intent unused, and lint says so.
    assert "lint: warning: feedback_survey: no trigger proposes it" in out
    changed = out.splitlines()[3:]
    assert changed, out
    assert any("feedback_survey" in line and "-> -" in line for line in changed)


def test_explain_a_decision_prints_the_plan_and_the_trace_as_data():
    out = run("explain_a_decision.py", "c01-ada")
    assert out.startswith("customer c01-ada (Europe/London, GB)")
    assert "The review request's trace, as data:" in out
    assert "not-on-order-day: deferred" in out


@pytest.mark.parametrize("name", ["customers.jsonl", "events.jsonl"])
def test_the_example_shop_is_the_bundled_demo_data(name):
    bundled = (resources.files("outreach_rules") / "demo" / name).read_text(encoding="utf-8")
    assert (EXAMPLES / "shop" / name).read_text(encoding="utf-8") == bundled


def test_the_demo_command_prints_the_shop_as_a_table():
    done = subprocess.run(
        [sys.executable, "-m", "outreach_rules", "demo"], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("The built-in playbook on the demo shop, planned at")
    assert lines[2].split()[0] == "customer"
    assert "status" in lines[2].split()
    assert len(lines) > 60


def test_session_loop_sends_what_falls_due_and_remembers_it(tmp_path):
    store = f"sqlite:///{tmp_path / 'outreach.db'}"
    first = run("session_loop.py", "--store", store)
    lines = first.splitlines()
    assert lines[-1].startswith(
        f"{len([x for x in lines if '  send ' in x])} messages sent between"
    )
    assert "send concern_reply" in first
    assert "send apology_call" in first
    # A second run on the same store sends nothing again.
    again = run("session_loop.py", "--store", store)
    assert "  send " not in again
    assert again.splitlines()[-1].startswith("0 messages sent")
