"""Are writers served fairly? Senders and posters in separate processes on one store.

    python benchmarks/store_fairness.py --store sqlite:////tmp/fairness.db
    python benchmarks/store_fairness.py --store postgresql://postgres@127.0.0.1:5432/postgres

Adds ``--customers`` customers, then runs ``--posters`` processes that post concerns (each
post is one write transaction that re-plans the customer) and ``--senders`` processes that
claim due replies in batches of 5 and record each as sent, all at once for ``--seconds``.
Prints, for each process, how many posts or claims it made and its latency per call
(median, 99th percentile, worst). A fair store gives the posters similar counts and a p99
near the median's order of magnitude. A SQLite file is emptied first; on PostgreSQL, give a
database (or a search_path) of its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from outreach_rules import Customer, Event, Policy
from outreach_rules.session import Session

NOW = "2026-06-10T12:00:00Z"


def _customers(count: int) -> list[Customer]:
    return [
        Customer(
            id=f"c{n:05d}",
            timezone="Europe/London",
            country="GB",
            since="2020-01-01T00:00:00Z",
            channels={"email": True, "phone": True},
        )
        for n in range(count)
    ]


def _poster(  # noqa: PLR0917 - what each process is told
    store: str,
    run: str,
    number: int,
    posters: int,
    customers: int,
    start: float,
    until: float,
    out: Any,
) -> None:
    session = Session(Policy.default(), store=store)
    time.sleep(max(0.0, start - time.perf_counter()))
    latencies = []
    sequence = 0
    while time.perf_counter() < until:
        customer = f"c{(number + sequence * posters) % customers:05d}"
        event = Event(
            kind="concern_raised",
            at=NOW,
            ref=f"q{number}-{sequence}",
            customer=customer,
            id=f"{run}-p{number}-{sequence}",
        )
        started = time.perf_counter()
        session.post(event, now=NOW)
        latencies.append(time.perf_counter() - started)
        sequence += 1
    session.close()
    out.put((f"poster {number}", "posts", latencies))


def _sender(store: str, number: int, start: float, until: float, out: Any) -> None:
    session = Session(Policy.default(), store=store)
    time.sleep(max(0.0, start - time.perf_counter()))
    latencies = []
    while time.perf_counter() < until:
        started = time.perf_counter()
        claims = session.claim_due(NOW, limit=5, lease=300)
        latencies.append(time.perf_counter() - started)
        for claim in claims:
            session.record_sent(claim.decision, at=NOW)
        if not claims:
            time.sleep(0.005)
    session.close()
    out.put((f"sender {number}", "claims", latencies))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", required=True, help="sqlite:///path.db or postgresql://...")
    parser.add_argument("--posters", type=int, default=2, help="poster processes (default: 2)")
    parser.add_argument("--senders", type=int, default=4, help="sender processes (default: 4)")
    parser.add_argument("--customers", type=int, default=200, help="customers (default: 200)")
    parser.add_argument("--seconds", type=float, default=20, help="how long (default: 20)")
    args = parser.parse_args()

    if args.store.startswith("sqlite:///"):
        path = Path(args.store.removeprefix("sqlite:///"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    setup = Session(Policy.default(), store=args.store)
    for customer in _customers(args.customers):
        setup.add_customer(customer, now="2026-06-01T00:00:00Z")
    setup.close()

    run = uuid.uuid4().hex[:8]  # event ids of this run, new to a database used before
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    # Started processes wait for a common start, a moment ahead, so none has a head start.
    start = time.perf_counter() + 5.0
    until = start + args.seconds
    workers = [
        context.Process(
            target=_poster,
            args=(args.store, run, n, args.posters, args.customers, start, until, out),
        )
        for n in range(args.posters)
    ] + [
        context.Process(target=_sender, args=(args.store, n, start, until, out))
        for n in range(args.senders)
    ]
    for worker in workers:
        worker.start()
    results = sorted(out.get() for _ in workers)
    for worker in workers:
        worker.join()

    print(
        f"{args.store.split('://')[0]}: {args.posters} posters, {args.senders} senders, "
        f"{args.seconds:g} s"
    )
    for name, what, latencies in results:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
        median = statistics.median(ordered) if ordered else 0.0
        worst = ordered[-1] if ordered else 0.0
        print(
            f"  {name}: {len(ordered):>6,} {what}, median {median * 1000:7.1f} ms, "
            f"p99 {p99 * 1000:7.1f} ms, worst {worst * 1000:7.1f} ms"
        )


if __name__ == "__main__":
    main()
