"""Customers per second and peak memory, for N customers of the seeded workload.

    python benchmarks/run.py --customers 100000

Each figure comes from a process of its own, so its peak memory is its own:

- parse: merely reading and parsing the input files (the ceiling);
- api: ``plan()`` through the Python API, one customer at a time (traces on);
- api durable: the same with ``engine="durable"`` (where durable-rules imports);
- cli: ``outreach-rules plan`` from JSON Lines to JSON Lines, with 1 and 2 workers.

The workload is generated once per size and seed into --workdir (grouped by customer).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# Beside this file: a script's folder is on sys.path.
from _common import (
    NOW,
    add_workload_arguments,
    headline,
    plan_command,
    workload_arguments,
    workload_files,
)
from _proc import measured


def _child(kind: str, customers: Path, events: Path, engine: str) -> None:
    """Run one measurement in this process and print its seconds and customers."""
    started = time.perf_counter()
    count = 0
    if kind == "parse":
        for path in (customers, events):
            with path.open("rb") as handle:
                for line in handle:
                    json.loads(line)
        with customers.open("rb") as handle:
            count = sum(1 for _ in handle)
    else:
        from outreach_rules import Policy, plan  # noqa: PLC0415 - measured from here
        from outreach_rules.batch import groups  # noqa: PLC0415

        policy = Policy.default()
        for group in groups(customers, events):
            plan(policy, group.customer, group.history, now=NOW, engine=engine)
            count += 1
    print(json.dumps({"seconds": time.perf_counter() - started, "customers": count}))


def _measure(command: list[str]) -> tuple[float, int, float]:
    """Seconds (the child's own count when it gives one), customers (when the child says)
    and peak memory in MB of a command, its worker processes included."""
    wall, out, peak, _ = measured(command)
    told = json.loads(out.splitlines()[-1]) if out.strip().startswith("{") else {}
    return told.get("seconds", wall), told.get("customers", 0), peak


def _durable_available() -> bool:
    try:
        import durable  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_workload_arguments(parser, workdir_help="where the workload goes")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="measurements to leave out: parse api durable cli"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="native", help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers, events = workload_files(args, generate=not args.child)
    if args.child:
        _child(args.child, customers, events, args.engine)
        return
    print(headline(args.customers, events))
    print(f"{'measurement':<22}{'seconds':>10}{'customers/s':>14}{'peak MB':>10}")
    me = [sys.executable, __file__, *workload_arguments(args)]
    rows: list[tuple[str, list[str]]] = []
    if "parse" not in args.skip:
        rows.append(("parse (ceiling)", [*me, "--child", "parse"]))
    if "api" not in args.skip:
        rows.append(("api native", [*me, "--child", "api"]))
    if "durable" not in args.skip and _durable_available():
        rows.append(("api durable", [*me, "--child", "api", "--engine", "durable"]))
    if "cli" not in args.skip:
        for workers in (1, 2):
            output = customers.parent / f"decisions-w{workers}.jsonl"
            rows.append(
                (
                    f"cli --workers {workers}",
                    plan_command(
                        customers, events, "--workers", str(workers), "--output", str(output)
                    ),
                )
            )
    for name, command in rows:
        seconds, counted, peak = _measure(command)
        rate = (counted or args.customers) / seconds
        print(f"{name:<22}{seconds:>10.1f}{rate:>14,.0f}{peak:>10.0f}", flush=True)
    outputs = [customers.parent / f"decisions-w{w}.jsonl" for w in (1, 2)]
    if all(path.exists() for path in outputs):
        same = outputs[0].read_bytes() == outputs[1].read_bytes()
        print(f"cli output with 1 and 2 workers: {'the same bytes' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
