"""Events posted and decisions claimed per second, on SQLite and PostgreSQL.

    python benchmarks/stores_bench.py --customers 100000 --store sqlite:///tmp/bench.db
    python benchmarks/stores_bench.py --customers 100000 --store postgresql://postgres@127.0.0.1:5432/postgres

For N customers of the seeded workload: add the customers, post one concern per customer
(each post is a transaction that stores the event, re-plans and updates the outbox), then
claim the due replies in batches of 100 and record each as sent. Prints each rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from outreach_rules import Event, Policy
from outreach_rules.session import Session

HERE = Path(__file__).parent
NOW = "2026-12-14T10:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, default=10_000, help="how many customers (default: 10000)"
    )
    parser.add_argument("--store", required=True, help="sqlite:///path.db or postgresql://...")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from workload import generate  # noqa: PLC0415 - the generator beside this file

    from outreach_rules.contract import customer_from_record  # noqa: PLC0415

    session = Session(Policy.default(), store=args.store)
    started = time.perf_counter()
    ids = []
    for customer, _ in generate(args.customers):
        session.add_customer(customer_from_record(customer), now="2026-12-01T00:00:00Z")
        ids.append(customer["id"])
    added = time.perf_counter() - started

    started = time.perf_counter()
    for number, customer_id in enumerate(ids):
        concern = Event(
            kind="concern_raised",
            at=NOW,
            ref=f"q{number}",
            customer=customer_id,
            id=f"q-{customer_id}",
        )
        session.post(concern, now=NOW)
    posted = time.perf_counter() - started

    started = time.perf_counter()
    claimed = 0
    while batch := session.claim_due("2026-12-15T00:00:00Z", limit=100, lease="10 minutes"):
        claimed += len(batch)
    claiming = time.perf_counter() - started

    started = time.perf_counter()
    due = session.due("2026-12-15T00:00:00Z")
    for decision in due:
        session.record_sent(decision, at="2026-12-15T00:00:00Z")
    recording = time.perf_counter() - started
    session.close()

    per_post = "(each a transaction with a re-plan)"
    print(f"store {args.store.split('://')[0]}, {args.customers:,} customers")
    print(f"  customers added   {args.customers / added:>10,.0f}/s")
    print(f"  events posted     {args.customers / posted:>10,.0f}/s  {per_post}")
    print(f"  decisions claimed {claimed / claiming:>10,.0f}/s  ({claimed:,} in batches of 100)")
    print(f"  sent recorded     {len(due) / recording:>10,.0f}/s  {per_post}")


if __name__ == "__main__":
    main()
