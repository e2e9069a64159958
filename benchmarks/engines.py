"""Customers per second of the trigger engines, native and durable, on a realistic workload.

The workload is workload.py's (customers on several continents, ~5 events each), planned
with the built-in playbook at its ``now``. Two figures per engine: the trigger stage alone
(``propose``) and whole plans (``plan``, guards and channels included). Every customer's
proposals are also compared, so a disagreement between the engines stops the run.

    python benchmarks/engines.py --customers 2000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import workload

from outreach_rules import Policy, plan
from outreach_rules.contract import customer_from_record, event_from_record
from outreach_rules.engines import durable, native
from outreach_rules.rules.history import History
from outreach_rules.timeline.instants import epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2_000, help="how many (e.g. 2000)")
    parser.add_argument("--seed", type=int, default=1, help="the workload's seed (default 1)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    policy = Policy.default()
    intents = {intent.name: intent for intent in policy.intents}
    now = epoch(workload.DEFAULT_NOW, "now")
    groups = []
    for number in range(args.customers):
        customer, events = workload.customer_records(rng, number)
        groups.append((customer_from_record(customer), [event_from_record(e) for e in events]))
    histories = [History(customer, events, intents) for customer, events in groups]
    events = sum(len(h.events) for h in histories)
    print(f"{len(groups):,} customers, {events:,} events, playbook policy, now {workload.NOW}")
    for history in histories:
        if native.propose(policy, history, now) != durable.propose(policy, history, now):
            sys.exit(f"the engines disagree on customer {history.customer.id}")
    engines = {"native": native.propose, "durable": durable.propose}
    for name, propose in engines.items():
        start = time.perf_counter()
        for history in histories:
            propose(policy, history, now)
        stage = len(histories) / (time.perf_counter() - start)
        start = time.perf_counter()
        for customer, events_of in groups:
            plan(policy, customer, events_of, now=workload.DEFAULT_NOW, engine=name)
        whole = len(groups) / (time.perf_counter() - start)
        print(f"{name:>8}: trigger stage {stage:8,.0f} customers/s   whole plans {whole:7,.0f}/s")


if __name__ == "__main__":
    main()
