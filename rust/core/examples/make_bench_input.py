"""The input of `plan_bench`: a workload in the core's wire form, the compiled playbook,
the calendars the plan reads, and the records the Rust core writes for it.

    .venv/bin/python rust/core/examples/make_bench_input.py --customers 20000 --out /tmp/bench

writes to ``--out``: ``groups.jsonl`` (one ``wire_group`` a line), ``policy.json`` (the
compiled built-in playbook), ``sources.json`` (every zone table and holiday list the
plan asked for) and ``expected.jsonl`` (the records, to check the benchmark's output).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from outreach_rules import Policy
from outreach_rules._compile import compile_policy
from outreach_rules._core import CompiledPolicy
from outreach_rules._rust import Sources, wire_group
from outreach_rules.batch import groups

# 2026-12-14T09:30:00Z, the workload's now.
NOW = 1_797_240_600


class RecordingSources(Sources):
    """The Python sources, keeping every answer they give the core."""

    def __init__(self) -> None:
        self.zones: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        self.holiday_lists: dict[tuple[str, str | None, int], list[int]] = {}

    def zone_year(self, name: str, year: int) -> tuple[list[int], list[int]]:
        found = super().zone_year(name, year)
        self.zones[(name, year)] = (list(found[0]), list(found[1]))
        return found

    def holidays(self, country: str, subdivision: str | None, year: int) -> list[int]:
        found = super().holidays(country, subdivision, year)
        self.holiday_lists[(country, subdivision, year)] = list(found)
        return found

    def instant(self, text: str, field: str) -> int:
        raise AssertionError(f"the workload has an unusual instant: {text!r} in {field}")

    def dump(self) -> dict[str, Any]:
        return {
            "zones": [
                {"zone": name, "year": year, "starts": starts, "offsets": offsets}
                for (name, year), (starts, offsets) in sorted(self.zones.items())
            ],
            "holidays": [
                {"country": country, "subdivision": sub, "year": year, "days": days}
                for (country, sub, year), days in sorted(
                    self.holiday_lists.items(), key=lambda item: str(item[0])
                )
            ],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    workload = Path(__file__).resolve().parents[3] / "benchmarks" / "workload.py"
    raw = out / "workload"
    subprocess.run(
        [sys.executable, str(workload), "--customers", str(args.customers), "--out", str(raw)],
        check=True,
    )
    lines = [
        wire_group(group.customer, group.history)
        for group in groups(raw / "customers.jsonl", raw / "events.jsonl")
    ]
    (out / "groups.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    policy = compile_policy(Policy.default())
    (out / "policy.json").write_bytes(policy)
    sources = RecordingSources()
    core = CompiledPolicy(policy, sources)
    results = core.plan_records(b"\n".join(lines), NOW)
    with (out / "expected.jsonl").open("wb") as expected:
        for result in results:
            if isinstance(result, Exception):
                raise result
            expected.write(result)
    (out / "sources.json").write_text(json.dumps(sources.dump()))
    print(
        f"{len(lines)} groups, {len(sources.zones)} zone years, "
        f"{len(sources.holiday_lists)} holiday lists in {out}"
    )


if __name__ == "__main__":
    main()
