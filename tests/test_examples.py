"""Every example in examples/ runs, and says what it should."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_plan_a_few_customers_runs_as_a_script():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "plan_a_few_customers.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "review_request for o-ada-1: scheduled by email on Sun 27 Dec 2026 09:00" in done.stdout
    assert "apology_call for inc-7: scheduled by phone on Tue 15 Dec 2026 10:00" in done.stdout
    assert "waiting for order_delivered (o-ben-1)" in done.stdout
    assert done.stderr == ""


def test_plan_a_few_customers_plans_every_customer():
    namespace = runpy.run_path(str(EXAMPLES / "plan_a_few_customers.py"))
    plans = namespace["main"]()
    assert [p.customer.id for p in plans] == ["ada", "ben", "chloe"]
    assert all(p.decisions for p in plans)
