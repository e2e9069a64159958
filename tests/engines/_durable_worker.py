"""Drives durable-rules for tests/engines/test_durable.py, in a process of its own.

durable-rules is a C extension that can crash the process (DESIGN.md, "Where
durable-rules fits"), so the tests run this script with ``python _durable_worker.py
SCENARIO`` and read the one JSON line it prints last: a crash fails a test instead of
killing pytest. Each scenario returns what the test checks.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, example, given, settings

from outreach_rules import Customer, Event, Intent, Match, Policy, Trigger, plan
from outreach_rules.engines import _durable_host, durable, native
from outreach_rules.errors import EngineError
from outreach_rules.rules.conditions import Context
from outreach_rules.rules.history import History
from outreach_rules.testing.strategies import trigger_cases

NOW = "2026-12-14T09:30:00Z"
SCENARIOS: dict[str, Callable[[argparse.Namespace], Any]] = {}

# Two session ids of the form this host uses whose 32-bit FNV-1a hashes are equal.
COLLIDING_SESSIONS = ("s31597", "s618190")
# Two fact ids whose hashes are equal (found once by search, like the pair above).
COLLIDING_FACTS = ("e522789", "e739192")


def scenario(function: Callable[[argparse.Namespace], Any]) -> Callable[[argparse.Namespace], Any]:
    SCENARIOS[function.__name__.replace("_", "-")] = function
    return function


def _outcome(propose: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", propose()
    except Exception as error:  # what one engine raises, the other must raise too
        return "error", (type(error).__name__, str(error))


# Both engines must raise the same error too. Generated cases reach one only by chance
# (a trigger measured from data an event lacks), and one CI run drew none in 500.
_CUSTOMER = Customer(id="c1", timezone="Europe/Paris", country="FR", since="2026-01-01T00:00:00Z")
_MEASURED_FROM_MISSING = (
    Policy(
        name="engines",
        intents=[Intent(name="ask", category="service", channels=["email"])],
        triggers=[Trigger(id="t0", intent="ask", on="order_placed", measured_from="data.due")],
    ),
    _CUSTOMER,
    [[Event(kind="order_placed", at="2026-12-01T10:00:00Z", customer="c1", ref="o1")]],
    _CUSTOMER.since_epoch + 365 * 86_400,
)


@scenario
def agreement(args: argparse.Namespace) -> dict[str, Any]:
    """Native and durable propose the same, or raise the same, on generated cases."""
    counts = {"examples": 0, "histories": 0, "proposals": 0, "waiting": 0, "errors": 0}

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        derandomize=args.derandomize,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(trigger_cases())
    @example(_MEASURED_FROM_MISSING)
    def same_proposals(case: tuple[Policy, Customer, list[list[Event]], int]) -> None:
        policy, customer, histories, now = case
        intents = {intent.name: intent for intent in policy.intents}
        for events in histories:
            history = History(customer, events, intents)
            expected = _outcome(lambda history=history: native.propose(policy, history, now))
            found = _outcome(lambda history=history: durable.propose(policy, history, now))
            assert found == expected, _disagreement(policy, customer, events, now)
            counts["histories"] += 1
            if expected[0] == "ok":
                counts["proposals"] += len(expected[1])
                counts["waiting"] += sum(p.earliest is None for p in expected[1])
            else:
                counts["errors"] += 1
        counts["examples"] += 1

    same_proposals()
    # A failing run counts its shrinking too: count the passing run only.
    return counts


def _disagreement(policy: Policy, customer: Customer, events: list[Event], now: int) -> str:
    return json.dumps(
        {
            "policy": policy.to_dict(),
            "customer": repr(customer),
            "events": [repr(event) for event in events],
            "now": now,
        },
        default=str,
    )


@scenario
def playbook(args: argparse.Namespace) -> dict[str, Any]:
    """The built-in playbook's plans for a few realistic histories, by each engine."""
    policy = Policy.default()
    found = {}
    for name, (customer, history) in _realistic().items():
        found[name] = {
            engine: plan(policy, customer, history, now=NOW, engine=engine).to_records()
            for engine in ("native", "durable")
        }
    return found


def _realistic() -> dict[str, tuple[Customer, list[Event]]]:
    london = Customer(
        id="c-ada", timezone="Europe/London", country="GB", since="2024-02-01T10:00:00Z",
        channels={"email": True, "sms": True, "phone": True}, consents={"marketing": True},
    )  # fmt: skip
    sydney = Customer(
        id="c-kai", timezone="Australia/Sydney", country="AU-NSW", since="2026-12-01T02:00:00Z",
        channels={"email": True, "phone": True}, attributes={"value_tier": "high"},
    )  # fmt: skip
    new_york = Customer(
        id="c-noa", timezone="America/New_York", country="US-NY", since="2021-05-03T15:00:00Z",
        channels={"email": True, "sms": True}, consents={"marketing": False},
    )  # fmt: skip

    def event(kind: str, at: str, ref: str | None = None, **data: Any) -> Event:
        if kind == "contact_sent":
            data.setdefault("channel", "email")
        return Event(kind=kind, at=at, ref=ref, data=data)

    return {
        "two orders, one reviewed": (
            london,
            [
                event("order_placed", "2026-11-20T10:00:00Z", "o1"),
                event("order_delivered", "2026-11-23T12:00:00Z", "o1"),
                event("review_submitted", "2026-11-25T18:00:00Z", "o1"),
                event("order_placed", "2026-12-01T09:00:00Z", "o2", gift=True),
                event("order_delivered", "2026-12-04T11:00:00Z", "o2"),
            ],
        ),
        "an order on its way and a complaint": (
            london,
            [
                event("order_placed", "2026-12-10T08:00:00Z", "o3"),
                event("complaint_opened", "2026-12-11T16:00:00Z", "k1"),
                event("concern_raised", "2026-12-12T09:00:00Z"),
                event("concern_raised", "2026-12-12T09:00:00Z"),
            ],
        ),
        "a new customer with a first invoice": (
            sydney,
            [
                event(
                    "invoice_scheduled",
                    "2026-12-02T00:00:00Z",
                    "inv1",
                    due="2026-12-20T00:00:00+11:00",
                ),
                event(
                    "invoice_scheduled",
                    "2026-12-05T00:00:00Z",
                    "inv2",
                    due="2027-01-20T00:00:00+11:00",
                ),
                event("milestone_reached", "2026-12-10T00:00:00Z", "m1"),
                event("incident_caused", "2026-12-13T22:00:00Z", "i1"),
            ],
        ),
        "a loyal customer, contacts already made": (
            new_york,
            [
                event("order_placed", "2026-10-01T15:00:00Z", "o7"),
                event("order_delivered", "2026-10-04T15:00:00Z", "o7"),
                event("contact_sent", "2026-10-08T14:00:00Z", "o7", intent="review_request"),
                event("order_placed", "2026-11-01T15:00:00Z", "o8"),
                event("order_placed", "2026-11-20T15:00:00Z", "o9"),
                event("channel_down", "2026-12-13T12:00:00Z", "out1", channel="sms"),
                event("request_declined", "2026-12-13T13:00:00Z", "r1"),
            ],
        ),
    }


@scenario
def threads(args: argparse.Namespace) -> dict[str, Any]:
    """How many threads run before and after planning with durable-rules."""
    before = threading.active_count()
    customer, history = _realistic()["two orders, one reviewed"]
    plan(Policy.default(), customer, history, now=NOW, engine="durable")
    return {"before": before, "after": threading.active_count()}


@scenario
def many_customers(args: argparse.Namespace) -> dict[str, Any]:
    """More customers than durable-rules keeps live sessions, one after the other."""
    policy = Policy.default()
    customer, history = _realistic()["two orders, one reviewed"]
    for _ in range(args.customers):
        plan(policy, customer, history, now=NOW, engine="durable")
    host = _durable_host._host()
    return {"live": len(host._live), "rulesets": len(host._programs)}


@scenario
def many_policies(args: argparse.Namespace) -> dict[str, Any]:
    """More distinct policies than the host keeps compiled: the oldest are deleted."""
    customer, history = _realistic()["two orders, one reviewed"]
    base = Policy.default()
    for number in range(_durable_host.MAX_RULESETS + 8):
        # Kind names do not count (they are numbered), the rules' shapes do: one more each.
        extra = [
            Trigger(id=f"extra-{n}", intent="thank_you", on="order_placed", unless=["x"])
            for n in range(number + 1)
        ]
        policy = Policy(name="p", intents=base.intents, triggers=[*base.triggers, *extra])
        plan(policy, customer, history, now=NOW, engine="durable")
    host = _durable_host._host()
    return {"rulesets": len(host._programs), "registered": len(host._ruleset_list)}


@scenario
def session_collision(args: argparse.Namespace) -> dict[str, Any]:
    """durable-rules merges sessions whose ids hash alike; the host refuses the second."""
    first, second = COLLIDING_SESSIONS
    # durable-rules itself gives the two one state: the hash is the one the host computes.
    from durable import engine  # noqa: PLC0415 - the worker runs only where it imports

    raw = _raw_host(engine)
    raw.assert_fact("r", {"sid": first, "id": "1", "t": "x"})
    raw.assert_fact("r", {"sid": second, "id": "2", "t": "x"})
    merged = raw.get_state("r", second)["sid"] == first
    host = _durable_host._host()
    numbers = iter((int(first[1:]), int(second[1:])))
    host._session_numbers = numbers
    live = host._new_session_id()  # another customer's session, still live
    customer, history = _realistic()["two orders, one reviewed"]
    policy = Policy.default()
    outcome = _outcome(lambda: plan(policy, customer, history, now=NOW, engine="durable"))
    return {
        "hashes": [durable.fnv1a32(first), durable.fnv1a32(second)],
        "durable_merges": merged,
        "live": live,
        "outcome": outcome[1] if outcome[0] == "error" else "planned",
    }


@scenario
def fact_collision(args: argparse.Namespace) -> dict[str, Any]:
    """durable-rules drops a fact whose id hashes as an earlier one's; the host refuses it."""
    first, second = COLLIDING_FACTS
    from durable import engine  # noqa: PLC0415 - the worker runs only where it imports

    raw = _raw_host(engine)
    raw.assert_fact("r", {"sid": "s", "id": first, "t": "x"})
    try:
        raw.assert_fact("r", {"sid": "s", "id": second, "t": "x"})
        dropped = False
    except engine.MessageObservedException:
        dropped = True
    real = durable.fnv1a32
    # This host's fact ids are short (e0, e1, ...): make two of them collide.
    with _patched(_durable_host, "fnv1a32", lambda text: real("e0" if text == "e1" else text)):
        customer, history = _realistic()["two orders, one reviewed"]
        outcome = _outcome(
            lambda: plan(Policy.default(), customer, history, now=NOW, engine="durable")
        )
    after = _outcome(lambda: plan(Policy.default(), customer, history, now=NOW, engine="durable"))
    return {
        "hashes": [real(first), real(second)],
        "durable_drops": dropped,
        "outcome": outcome[1] if outcome[0] == "error" else "planned",
        "after": after[0],
        "live": len(_durable_host._host()._live),
    }


@scenario
def action_error(args: argparse.Namespace) -> dict[str, Any]:
    """An exception raised in an action (a trigger's condition) reaches the caller."""
    policy = _policy_with_failing_condition()
    customer, history = _realistic()["two orders, one reviewed"]
    results = {}
    for engine in ("native", "durable"):
        outcome = _outcome(
            lambda engine=engine: plan(policy, customer, history, now=NOW, engine=engine)
        )
        results[engine] = list(outcome[1])
    after = _outcome(lambda: plan(Policy.default(), customer, history, now=NOW, engine="durable"))
    results["after"] = after[0]
    results["live"] = len(_durable_host._host()._live)
    return results


@scenario
def swallowed_error(args: argparse.Namespace) -> dict[str, Any]:
    """An exception that only durable-rules saw (kept in the session's state) is raised."""
    policy = _policy_with_failing_condition()
    customer, history = _realistic()["two orders, one reviewed"]
    with _patched(_durable_host._Session, "record", lambda self, error: None):
        outcome = _outcome(lambda: plan(policy, customer, history, now=NOW, engine="durable"))
    return {"outcome": list(outcome[1]), "live": len(_durable_host._host()._live)}


class _Failing:
    """A condition that fails when tested, as a buggy custom condition would."""

    def holds(self, context: Context, /) -> bool:
        raise ZeroDivisionError(f"condition failed at {context.at}")


def _policy_with_failing_condition() -> Policy:
    base = Policy.default()
    failing = Trigger(
        id="failing",
        intent="thank_you",
        on="order_delivered",
        when=[Match(field="ref", op="exists"), _Failing()],
    )
    return Policy(name="failing", intents=base.intents, triggers=[*base.triggers, failing])


def _raw_host(engine: Any) -> Any:
    class Raw(engine.Host):  # type: ignore[misc,name-defined]
        def _run(self) -> None:
            pass

        def get_action(self, name: str) -> Callable[[Any], None]:
            return lambda c: None

    raw = Raw()
    raw.register_rulesets({"r": {"x": {"all": [{"m": {"t": "x"}}], "run": "nothing"}}})
    return raw


@contextmanager
def _patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--customers", type=int, default=1_100)
    parser.add_argument("--derandomize", action="store_true")
    args = parser.parse_args()
    result = SCENARIOS[args.scenario](args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    try:
        main()
    except EngineError:
        raise
    finally:
        sys.stdout.flush()
