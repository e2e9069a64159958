"""The benchmark command runs end to end on a small workload and says what it measured.

Only that it runs and reports: timings are never asserted in tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def printed(script: str, *arguments: str) -> list[str]:
    """The lines a benchmark script prints, run as a user runs it; it must exit 0."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.splitlines()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_run_reports_every_measurement_and_the_same_bytes_from_both_worker_counts(
    tmp_path: Path,
) -> None:
    lines = printed("run.py", "--customers", "300", "--workdir", str(tmp_path), "--skip", "durable")
    assert re.match(r"300 customers, [\d,]+ events; \d+ cores, Python 3\.", lines[0])
    rows = {line[:22].strip(): line[22:].split() for line in lines[2:-1]}
    assert set(rows) == {"parse (ceiling)", "api native", "cli --workers 1", "cli --workers 2"}
    for seconds, rate, peak in rows.values():
        assert float(seconds) >= 0
        assert int(rate.replace(",", "")) > 0
        assert int(peak) > 0
    # Two workers run beside their parent: the tree's memory is more than one process's.
    assert int(rows["cli --workers 2"][2]) > int(rows["cli --workers 1"][2])
    assert lines[-1] == "cli output with 1 and 2 workers: the same bytes"


def test_simulate_bench_reports_its_rate_and_what_was_sent() -> None:
    head, rate, sent = printed("simulate_bench.py", "--customers", "40")
    assert re.fullmatch(r"simulate, 40 customers, [\d,]+ events", head)
    assert re.fullmatch(r"  [\d.]+ s, [\d,]+ customers/s", rate)
    assert re.fullmatch(r"  [\d,]+ contacts sent, peak \d+ MB", sent)
    assert int(sent.split()[0].replace(",", "")) > 0


def test_stages_reports_each_stage_and_a_total_that_adds_up(tmp_path: Path) -> None:
    lines = printed("stages.py", "--customers", "300", "--workdir", str(tmp_path))
    assert re.match(r"300 customers, [\d,]+ events; \d+ cores, Python 3\.", lines[0])
    assert re.fullmatch(r"[\d,]+ decisions, [\d,]+ bytes of JSON per customer", lines[1])
    rows = {line[:26].strip(): line[26:].split() for line in lines[3:-1]}
    assert list(rows) == [
        "parse (ceiling)",
        "strict parse",
        "value objects",
        "plan",
        "records",
        "write JSON (orjson)",
        "write JSON (stdlib)",
        "all but the ceiling",
    ]
    counted = ["strict parse", "value objects", "plan", "records", "write JSON (orjson)"]
    micros = {name: float(row[0]) for name, row in rows.items()}
    # Rounded to a tenth each, the stages add up to the total within their rounding.
    assert abs(sum(micros[name] for name in counted) - micros["all but the ceiling"]) < 0.5
    assert rows["all but the ceiling"][2] == "100%"
    assert re.fullmatch(r"peak memory \d+ MB \(all of it held at once\)", lines[-1])
