"""A long-running session: one loop posts events, another sends what falls due.

Run it with ``python examples/session_loop.py [--store sqlite:///outreach.db]``.

The events of the example shop, read from a JSON Lines file, stand in for a queue. The
clock is simulated, from the first event to a week after the last: at each step the
poster posts the events that have happened, and the sender claims the decisions that
are due, "sends" each by printing it, and records it as sent. Run it twice on the same
SQLite file and the second run sends nothing again: the store remembers.

Several senders can share one store (each its own process, the same ``--store`` URL):
claiming hands each due decision to one of them, under a lease.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pendulum

from outreach_rules import Policy, Session
from outreach_rules.contract import customer_from_record, event_from_record, read_lines

SHOP = Path(__file__).parent / "shop"


def poster(session: Session, queue: list, now: pendulum.DateTime) -> int:
    """Post every queued event that has happened by ``now``; returns how many."""
    posted = 0
    while queue and queue[0].at <= now:
        session.post(queue.pop(0), now=now)
        posted += 1
    return posted


def sender(session: Session, now: pendulum.DateTime) -> int:
    """Claim what is due, send it (here: print it), record it as sent; returns how many."""
    sent = 0
    for claim in session.claim_due(now, limit=50, lease="5 minutes"):
        decision = claim.decision
        local = decision.local_send_at.format("ddd D MMM HH:mm") if decision.local_send_at else ""
        what = f"{decision.intent:<18} to {decision.customer:<12} by {decision.channel}"
        print(f"{now.format('MMM D HH:mm')}Z  send {what} ({local} local)")
        session.record_sent(decision, at=now)
        sent += 1
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", help="a store URL (default: a new SQLite file in a temporary folder)"
    )
    parser.add_argument(
        "--step", type=int, default=60, help="minutes per step of the simulated clock (default: 60)"
    )
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    store = args.store or f"sqlite:///{Path(folder.name) / 'outreach.db'}"
    events = sorted(
        (event_from_record(line.record()) for line in read_lines(SHOP / "events.jsonl")),
        key=lambda e: e.at,
    )
    start = events[0].at
    session = Session(Policy.default(), store=store)
    for line in read_lines(SHOP / "customers.jsonl"):
        session.add_customer(customer_from_record(line.record()), now=start)
    now, end, sent = start, events[-1].at.add(days=7), 0
    while now <= end:
        poster(session, events, now)
        sent += sender(session, now)
        now = now.add(minutes=args.step)
    session.close()
    folder.cleanup()
    print(f"\n{sent} messages sent between {start.to_date_string()} and {end.to_date_string()}")
    return sent


if __name__ == "__main__":
    main()
