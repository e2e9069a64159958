"""Plan a few customers of a small shop and print their decisions, explained.

Run it with ``python examples/plan_a_few_customers.py``. The policy is built in Python
from the library's value objects; each rule cites the practice (P1-P17) it encodes.
"""

from __future__ import annotations

from outreach_rules import (
    AllowedHours,
    AnnualBlackout,
    AnyOf,
    BusinessDaysOnly,
    Customer,
    Event,
    FrequencyCap,
    GuardRule,
    Intent,
    InWindow,
    Match,
    Plan,
    Policy,
    Trigger,
    WhileOpen,
    plan,
)

NOW = "2026-12-14T09:30:00Z"


def shop_policy() -> Policy:
    """Reviews after delivery, a reply to every concern, an apology call after a mistake."""
    return Policy(
        name="example-shop",
        intents=[
            Intent(name="concern_reply", category="service", channels=["email", "sms"], priority=1),
            Intent(
                name="apology_call",
                category="service",
                channels=["phone", "email"],
                priority=2,
                personal=True,
            ),
            Intent(name="review_request", category="relationship", channels=["email"], priority=5),
        ],
        triggers=[
            Trigger(
                id="review-after-delivery",
                intent="review_request",
                on="order_placed",
                requires="order_delivered",
                unless="review_submitted",
                delay="3 days",
                expires="60 days",
                practices=["P1", "P4"],
                description="Ask for a review once the order has arrived and settled in",
            ),
            Trigger(
                id="reply-to-concern",
                intent="concern_reply",
                on="concern_raised",
                unless="concern_answered",
                practices="P7",
                description="Every concern gets a personal reply",
            ),
            Trigger(
                id="apology-after-mistake",
                intent="apology_call",
                on="incident_caused",
                unless="incident_resolved",
                expires="14 days",
                practices="P8",
                description="Call to apologise after a mistake of ours",
            ),
        ],
        guards=[
            GuardRule(
                id="gift-season",
                intents="review_request",
                practices="P3",
                when=[
                    AnyOf(
                        conditions=[
                            Match(field="data.gift", value=True),
                            InWindow(start=(11, 15), end=(12, 26)),
                        ]
                    )
                ],
                spec=AnnualBlackout(start=(11, 15), end=(12, 26)),
            ),
            GuardRule(
                id="no-review-while-complaint-open",
                intents="review_request",
                practices="P5",
                spec=WhileOpen(opened="complaint_opened", closed="complaint_resolved"),
            ),
            GuardRule(
                id="contact-pressure",
                categories=["relationship", "marketing"],
                practices="P16",
                spec=FrequencyCap(limit=2, period="7 days"),
            ),
            GuardRule(
                id="quiet-hours",
                channels=["email", "sms"],
                practices="P16",
                spec=AllowedHours.between("09:00", "20:00"),
            ),
            GuardRule(
                id="calling-hours",
                channels="phone",
                practices="P16",
                spec=AllowedHours.between("10:00", "18:00", days="mon-fri"),
            ),
            GuardRule(
                id="calling-days", channels="phone", practices="P16", spec=BusinessDaysOnly()
            ),
        ],
    )


def customers() -> list[tuple[Customer, list[Event]]]:
    """Three customers on three continents, each with a short history."""
    reachable = {"email": True, "sms": True, "phone": True}
    ada = Customer(
        id="ada",
        timezone="Europe/London",
        country="GB",
        since="2021-03-01T00:00:00Z",
        channels=reachable,
    )
    ben = Customer(
        id="ben",
        timezone="America/New_York",
        country="US-NY",
        since="2026-11-20T00:00:00Z",
        channels={"email": True},
    )
    chloe = Customer(
        id="chloe",
        timezone="Australia/Sydney",
        country="AU-NSW",
        since="2024-07-15T00:00:00Z",
        channels=reachable,
    )

    def event(kind: str, at: str, ref: str, customer: Customer) -> Event:
        return Event(kind=kind, at=at, ref=ref, customer=customer.id)

    return [
        (ada, [
            event("order_placed", "2026-12-08T14:00:00Z", "o-ada-1", ada),
            event("order_delivered", "2026-12-11T10:00:00Z", "o-ada-1", ada),
        ]),
        (ben, [
            event("order_placed", "2026-12-01T15:00:00Z", "o-ben-1", ben),
            event("concern_raised", "2026-12-14T02:10:00Z", "t-ben-1", ben),
        ]),
        (chloe, [
            event("order_placed", "2026-10-02T01:00:00Z", "o-chloe-1", chloe),
            event("order_delivered", "2026-10-06T01:00:00Z", "o-chloe-1", chloe),
            event("incident_caused", "2026-12-13T23:00:00Z", "inc-7", chloe),
        ]),
    ]  # fmt: skip


def main() -> list[Plan]:
    policy = shop_policy()
    plans = [plan(policy, customer, history, now=NOW) for customer, history in customers()]
    print("\n\n".join(result.explain() for result in plans))
    return plans


if __name__ == "__main__":
    main()
