"""Customers per second and peak memory of ``simulate``, a backtest over the workload.

    python benchmarks/simulate_bench.py --customers 2000

Replays the seeded workload's events from 1 October to 14 December 2026 through a
session on the memory store, sending every decision that falls due; the customers and
events are read before the clock starts.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from outreach_rules import Policy, simulate
from outreach_rules.contract import customer_from_record, event_from_record

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, default=2_000, help="how many customers (default: 2000)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from workload import generate  # noqa: PLC0415 - the generator beside this file

    customers, events = [], []
    for customer, records in generate(args.customers):
        customers.append(customer_from_record(customer))
        events.extend(event_from_record(record) for record in records)
    started = time.perf_counter()
    backtest = simulate(
        Policy.default(),
        customers,
        events,
        start="2026-10-01T00:00:00Z",
        end="2026-12-14T00:00:00Z",
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"simulate, {args.customers:,} customers, {len(events):,} events")
    print(f"  {seconds:.1f} s, {args.customers / seconds:,.0f} customers/s")
    print(f"  {len(backtest.sent):,} contacts sent, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
