"""Plan the example shop's customers from Python, with the built-in playbook.

Run it with ``python examples/plan_from_python.py``. It reads the JSON Lines files in
``examples/shop/`` with the library's contract readers and prints, per customer, what
is scheduled and when in the customer's own time zone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from outreach_rules import Event, Plan, Policy, Status, plan
from outreach_rules.contract import customer_from_record, event_from_record, read_lines

SHOP = Path(__file__).parent / "shop"
NOW = "2026-12-14T09:30:00Z"


def load_events() -> list[Event]:
    return [event_from_record(line.record()) for line in read_lines(SHOP / "events.jsonl")]


def plan_shop(policy: Policy) -> list[Plan]:
    """Every customer of the shop, planned at NOW under ``policy``."""
    events = load_events()
    plans = []
    for line in read_lines(SHOP / "customers.jsonl"):
        customer = customer_from_record(line.record())
        history = [e for e in events if e.customer in (None, customer.id)]
        plans.append(plan(policy, customer, history, now=NOW))
    return plans


def main() -> list[Plan]:
    plans = plan_shop(Policy.default())
    statuses: Counter[str] = Counter()
    for result in plans:
        for decision in result:
            statuses[str(decision.status)] += 1
            if decision.status is Status.SCHEDULED and decision.local_send_at is not None:
                when = decision.local_send_at.format("ddd D MMM HH:mm")
                print(
                    f"{result.customer.id:<14} {decision.intent:<18} {when} by {decision.channel}"
                )
    print(
        f"\n{len(plans)} customers: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    )
    return plans


if __name__ == "__main__":
    main()
