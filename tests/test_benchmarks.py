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


ON_LINUX = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
PEER = BENCHMARKS.parent.parent / "shared" / "bench"  # the hand-rolled peer, beside the project
NAME = 24  # the width of run.py's first column


def durable_imports() -> bool:
    try:
        import durable.lang  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def rust_built() -> bool:
    from outreach_rules._cores import rust_module  # noqa: PLC0415

    return rust_module() is not None


def table(lines: list[str]) -> dict[str, list[str]]:
    """run.py's rows by name: the lines after the header, up to the first ``name: ...``."""
    header = next(n for n, line in enumerate(lines) if line.startswith("measurement"))
    rows = {}
    for line in lines[header + 1 :]:
        if ":" in line[:NAME]:
            break
        rows[line[:NAME].strip()] = line[NAME:].split()
    return rows


def check_figures(row: list[str]) -> None:
    seconds, rate, micros, peak, *ratios = row
    assert float(seconds) >= 0
    assert int(rate.replace(",", "")) > 0
    assert float(micros) > 0
    assert int(peak) > 0
    assert all(re.fullmatch(r"[\d.]+%?", ratio) for ratio in ratios)


@ON_LINUX
def test_run_reports_every_row_on_the_project_input_and_the_same_bytes_from_each_cli_row(
    tmp_path: Path,
) -> None:
    lines = printed("run.py", "--customers", "60", "--workdir", str(tmp_path), "--skip", "durable")
    assert re.match(r"60 customers, [\d,]+ events; \d+ cores, Python 3\.", lines[0])
    assert lines[1].startswith("input: project (benchmarks/workload.py, seed 1), planned at ")
    rows = table(lines)
    cores = ["rust", "python"] if rust_built() else ["python"]
    cli = [f"cli {core} w{workers}" for core in cores for workers in (1, 2)]
    api = [f"api {core}" for core in cores]
    assert list(rows) == ["parse (orjson ceiling)", *cli, *api]
    for row in rows.values():
        check_figures(row)
    assert rows["parse (orjson ceiling)"][4] == "100.0%"
    # Two worker processes run beside their parent: the tree's memory is more than one's.
    assert int(rows["cli python w2"][3]) > int(rows["cli python w1"][3])
    assert re.fullmatch(
        rf"cli outputs: the same bytes from all {len(cli)} \(sha256 [0-9a-f]{{16}}\.\.\.\)",
        lines[len(rows) + 3],
    )
    if rust_built():
        assert re.fullmatch(
            r"cli rust w1: [\d.]+% of the parse ceiling \(target 40%\), [\d.]+ µs per customer",
            lines[len(rows) + 4],
        )
    assert lines[-1] == "note: peer: only with --input peer (it runs on its own workload)"


@ON_LINUX
def test_run_skips_rows_by_core_and_kind(tmp_path: Path) -> None:
    lines = printed(
        "run.py", "--customers", "20", "--workdir", str(tmp_path), "--skip", "python", "cli"
    )
    assert list(table(lines)) == ["parse (orjson ceiling)", *(["api rust"] if rust_built() else [])]
    assert not any(line.startswith("cli outputs") for line in lines)


FAILING_PEER = {
    # The peer's workload: two customers in the data contract, as its own generator writes.
    "workload.py": """
import json, os, sys
n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "customers.jsonl"), "w") as customers, \\
        open(os.path.join(out, "events.jsonl"), "w") as events:
    for i in range(n):
        cid = f"c{i:07d}"
        customers.write(json.dumps({"id": cid, "timezone": "Europe/London", "country": "GB",
            "since": "2020-01-01T00:00:00Z", "channels": {"email": True}}) + "\\n")
        events.write(json.dumps({"customer": cid, "kind": "order_placed",
            "at": "2026-12-01T10:00:00Z", "ref": cid + "-o0"}) + "\\n")
""",
    # What durable-rules does on some inputs.
    "durable_baseline.py": """
import os, signal, sys
print("Segmentation fault in the rules engine", file=sys.stderr, flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
""",
}


@ON_LINUX
def test_a_failing_peer_is_reported_in_its_row_and_the_run_goes_on(tmp_path: Path) -> None:
    peer = tmp_path / "peer"
    peer.mkdir()
    for name, text in FAILING_PEER.items():
        (peer / name).write_text(text)
    lines = printed(
        "run.py",
        *("--customers", "2", "--workdir", str(tmp_path / "work"), "--input", "peer"),
        *("--peer", str(peer), "--skip", "python", "api", "cli"),
    )
    assert lines[1].startswith(f"input: peer (the peer's {peer / 'workload.py'}, seed 7), ")
    assert lines[1].endswith("planned at 2026-12-10T12:00:00Z")
    rows = table(lines)
    assert rows.pop("parse (orjson ceiling)")
    if durable_imports():
        assert rows.pop("peer (durable-rules)") == ["failed", "(SIGSEGV)"]
        assert "note: peer failed (SIGSEGV): Segmentation fault in the rules engine" in lines
    else:
        assert any(
            re.fullmatch(
                r"note: peer: left out, durable-rules does not import on Python 3\.\d+", line
            )
            for line in lines
        )
    assert not rows


@ON_LINUX
@pytest.mark.skipif(
    not (PEER / "durable_baseline.py").exists(), reason="no peer beside the project"
)
@pytest.mark.skipif(not durable_imports(), reason="durable-rules does not import here")
def test_run_measures_the_peer_and_the_library_on_the_peer_input(tmp_path: Path) -> None:
    lines = printed(
        "run.py",
        *("--customers", "30", "--workdir", str(tmp_path), "--input", "peer"),
        *("--skip", "api", "python"),
    )
    rows = table(lines)
    peer = rows["peer (durable-rules)"]
    check_figures(peer)
    assert peer[5] == "1.00"
    if rust_built():
        check_figures(rows["cli rust w1"])
        assert re.fullmatch(
            r"cli rust w1 / peer: [\d.]+ \(whole processes\), [\d.]+ against the peer's own "
            r"count \([\d,]+ customers/s, its planning loop alone\)",
            lines[-1],
        )


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
