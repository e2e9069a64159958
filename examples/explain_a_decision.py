"""Why is this customer's review request scheduled when it is? Ask the plan.

Run it with ``python examples/explain_a_decision.py [CUSTOMER_ID]``. It prints the
customer's whole plan, then one decision's trace step by step, as data.
"""

from __future__ import annotations

import sys

from plan_from_python import NOW, SHOP, load_events

from outreach_rules import Decision, Policy, plan
from outreach_rules.contract import customer_from_record, read_lines


def explain(customer_id: str) -> Decision | None:
    customers = {
        c.id: c
        for c in (
            customer_from_record(line.record()) for line in read_lines(SHOP / "customers.jsonl")
        )
    }
    customer = customers[customer_id]
    history = [e for e in load_events() if e.customer in (None, customer_id)]
    result = plan(Policy.default(), customer, history, now=NOW)
    print(result.explain())
    review = result.decision("review_request")
    if review is not None:
        print("\nThe review request's trace, as data:")
        for step in review.trace:
            moved = f" {step.before} -> {step.after}" if step.before and step.after else ""
            print(f"  {step.rule}: {step.effect}{moved}")
    return review


if __name__ == "__main__":
    explain(sys.argv[1] if len(sys.argv) > 1 else "c01-ada")
