"""A seeded workload in the data contract: customers on several continents, ~5 events each.

Each customer has one to four orders (most delivered, some reviewed), and some have
complaints, incidents, concerns and contacts already sent. The same seed and size give
the same bytes.

    python benchmarks/workload.py --customers 100000 --out /tmp/work          # grouped by customer
    python benchmarks/workload.py --customers 100000 --out /tmp/work --shuffle
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ZONES = [
    ("Europe/London", "GB"),
    ("Europe/Paris", "FR"),
    ("Europe/Berlin", "DE"),
    ("America/New_York", "US-NY"),
    ("America/Los_Angeles", "US-CA"),
    ("America/Sao_Paulo", "BR"),
    ("Australia/Sydney", "AU-NSW"),
    ("Asia/Kolkata", "IN"),
    ("Asia/Tokyo", "JP"),
    ("Pacific/Auckland", "NZ"),
]
NOW = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
DEFAULT_NOW = "2026-12-14T09:30:00Z"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes_before(rng: random.Random, days: int) -> datetime:
    return NOW - timedelta(minutes=rng.randrange(1, days * 1440))


def customer_records(
    rng: random.Random, number: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One customer and their events (about five)."""
    cid = f"c{number:08d}"
    zone, country = rng.choice(ZONES)
    since = NOW - timedelta(days=rng.randrange(1, 6 * 365))
    customer = {
        "id": cid,
        "timezone": zone,
        "country": country,
        "since": _iso(since),
        "channels": {"email": True, "sms": rng.random() < 0.5, "phone": rng.random() < 0.6},
        "consents": {"marketing": rng.random() < 0.5},
        "attributes": {"value_tier": "high"} if rng.random() < 0.1 else {},
    }
    events: list[dict[str, Any]] = []

    def add(kind: str, at: datetime, ref: str | None = None, **data: Any) -> None:
        record: dict[str, Any] = {
            "id": f"{cid}-{len(events)}",
            "customer": cid,
            "kind": kind,
            "at": _iso(at),
        }
        if ref is not None:
            record["ref"] = ref
        if data:
            record["data"] = data
        events.append(record)

    for order in range(rng.choice((1, 1, 2, 2, 3, 4))):
        ref = f"{cid}-o{order}"
        placed = _minutes_before(rng, 60)
        add("order_placed", placed, ref, gift=rng.random() < 0.2)
        if rng.random() < 0.8:
            delivered = placed + timedelta(hours=rng.randrange(12, 120))
            add("order_delivered", min(delivered, NOW), ref)
            if rng.random() < 0.25:
                add(
                    "review_submitted",
                    min(delivered + timedelta(days=rng.randrange(1, 10)), NOW),
                    ref,
                )
    if rng.random() < 0.1:
        opened = _minutes_before(rng, 30)
        add("complaint_opened", opened, f"{cid}-k")
        if rng.random() < 0.5:
            add("complaint_resolved", min(opened + timedelta(days=2), NOW), f"{cid}-k")
    if rng.random() < 0.05:
        add("incident_caused", _minutes_before(rng, 10), f"{cid}-i")
    if rng.random() < 0.1:
        add("concern_raised", _minutes_before(rng, 5), f"{cid}-q")
    if rng.random() < 0.3:
        add("contact_sent", _minutes_before(rng, 20), None, intent="welcome", channel="email")
    events.sort(key=lambda e: e["at"])
    return customer, events


def generate(
    customers: int, seed: int = 1
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every customer with their events, in customer id order."""
    rng = random.Random(seed)
    for number in range(customers):
        yield customer_records(rng, number)


def write(out: Path, customers: int, *, seed: int = 1, shuffle: bool = False) -> tuple[Path, Path]:
    """Write customers.jsonl and events.jsonl to ``out``; shuffled events come in time order."""
    out.mkdir(parents=True, exist_ok=True)
    customer_path, event_path = out / "customers.jsonl", out / "events.jsonl"
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    everything: list[tuple[str, str]] = []
    with customer_path.open("w") as cout, event_path.open("w") as eout:
        for customer, events in generate(customers, seed):
            cout.write(dumps(customer) + "\n")
            for event in events:
                line = dumps(event)
                if shuffle:
                    everything.append((event["at"], line))
                else:
                    eout.write(line + "\n")
        if shuffle:
            everything.sort()
            eout.writelines(line + "\n" for _, line in everything)
    return customer_path, event_path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, default=10_000, help="how many customers (e.g. 100000)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for customers.jsonl and events.jsonl"
    )
    parser.add_argument("--seed", type=int, default=1, help="the random seed (default: 1)")
    parser.add_argument(
        "--shuffle", action="store_true", help="events in time order, not grouped by customer"
    )
    args = parser.parse_args()
    write(args.out, args.customers, seed=args.seed, shuffle=args.shuffle)


if __name__ == "__main__":
    main()
