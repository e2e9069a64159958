"""A decision as the planner makes it, before it becomes a public ``Decision``.

Both planning cores give these: the Python planner directly, the Rust core as JSON that
``raw_decision`` reads.
"""

from __future__ import annotations

from typing import Any

import attrs

from outreach_rules.explain import Record, iso_local, iso_utc
from outreach_rules.model import (
    Category,
    Channel,
    Customer,
    Decision,
    Effect,
    Status,
    TraceStep,
)
from outreach_rules.timeline.instants import from_epoch, local

__all__ = ["RawDecision", "Reason", "Step", "raw_decision"]


# Why a step was taken, as data: a reason code and its parameters, in the order the
# compact trace writes them; an instant (the key "at") as epoch seconds.
Reason = tuple[str, dict[str, Any]]
Step = tuple[str, Effect, str, "int | None", "int | None", Reason]


@attrs.frozen
class RawDecision:
    """A decision as the planner makes it: instants as epoch seconds, steps as tuples."""

    id: str
    intent: str
    category: Category
    ref: str | None
    status: Status
    send_at: int | None
    channel: Channel | None
    expires: int | None
    waiting_for: str | None
    steps: tuple[Step, ...]

    def decision(self, customer: Customer) -> Decision:
        """The public ``Decision``, with pendulum instants."""
        return Decision(
            id=self.id,
            customer=customer.id,
            intent=self.intent,
            category=self.category,
            ref=self.ref,
            status=self.status,
            send_at=None if self.send_at is None else from_epoch(self.send_at),
            local_send_at=None if self.send_at is None else local(self.send_at, customer.zone),
            timezone=customer.timezone,
            channel=self.channel,
            expires=None if self.expires is None else from_epoch(self.expires),
            waiting_for=self.waiting_for,
            trace=tuple(
                TraceStep(
                    rule=rule,
                    effect=effect,
                    why=why,
                    before=None if before is None else from_epoch(before),
                    after=None if after is None else from_epoch(after),
                )
                for rule, effect, why, before, after, _ in self.steps
            ),
        )

    def record(self, customer: Customer, *, trace: str = "full") -> Record:
        """The decision in the output contract; the same as ``decision_record(self.decision())``.

        ``trace="compact"`` gives each step a reason code and its parameters instead of
        its sentence (``outreach_rules.full_record`` renders it back);
        ``trace="none"`` leaves the trace out.
        """
        send_at = self.send_at
        record: Record = {
            "id": self.id,
            "customer": customer.id,
            "intent": self.intent,
            "ref": self.ref,
            "status": str(self.status),
            "send_at": None if send_at is None else iso_utc(send_at),
            "local_send_at": None if send_at is None else iso_local(send_at, customer.zone),
            "channel": None if self.channel is None else str(self.channel),
        }
        if trace != "none":
            record["trace"] = [_step_record(step, trace) for step in self.steps]
        return record


def _step_record(step: Step, trace: str) -> Record | list[Any]:
    """A step in the output contract: with its sentence, or compact:
    ``[rule, effect, from, to, code, params...]``, instants as epoch seconds."""
    rule, effect, why, before, after, (code, params) = step
    if trace == "compact":
        return [rule, str(effect), before, after, code, *params.values()]
    return {
        "rule": rule,
        "effect": str(effect),
        "from": None if before is None else iso_utc(before),
        "to": None if after is None else iso_utc(after),
        "why": why,
    }


def raw_decision(data: dict[str, Any]) -> RawDecision:
    """A ``RawDecision`` from the Rust core's JSON of one."""
    channel = data["channel"]
    return RawDecision(
        id=data["id"],
        intent=data["intent"],
        category=Category(data["category"]),
        ref=data["ref"],
        status=Status(data["status"]),
        send_at=data["send_at"],
        channel=None if channel is None else Channel(channel),
        expires=data["expires"],
        waiting_for=data["waiting_for"],
        steps=tuple(
            (
                step["rule"],
                Effect(step["effect"]),
                step["why"],
                step["before"],
                step["after"],
                (step["code"], step["params"]),
            )
            for step in data["steps"]
        ),
    )
