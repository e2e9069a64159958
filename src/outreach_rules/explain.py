"""Explanations are data; these functions render them: as text, and as records for JSON."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from outreach_rules.timeline.zone import Zone, date_of_wall

if TYPE_CHECKING:
    import pendulum

    from outreach_rules.model import Decision, Plan, TraceStep

__all__ = [
    "Record",
    "decision_record",
    "decision_text",
    "format_local",
    "iso_local",
    "iso_utc",
    "plan_text",
]

Record = dict[str, Any]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_local(instant: int, zone: Zone) -> str:
    """An instant as the customer's wall clock shows it: ``Sun 27 Dec 2026 09:00``."""
    wall = zone.to_wall(instant)
    date = date_of_wall(wall)
    clock = f"{wall % 86_400 // 3_600:02d}:{wall % 3_600 // 60:02d}"
    return f"{_WEEKDAYS[date.weekday()]} {date.day} {_MONTHS[date.month - 1]} {date.year} {clock}"


_OFFSETS: dict[int, dt.tzinfo] = {0: dt.UTC}


def iso_utc(seconds: int) -> str:
    """Epoch seconds as ISO 8601 in UTC, as pendulum writes them: ``2026-12-27T09:00:00+00:00``."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


def iso_local(seconds: int, zone: Zone) -> str:
    """Epoch seconds as ISO 8601 with the zone's offset then: ``2026-12-27T04:00:00-05:00``."""
    offset = zone.offset_at(seconds)
    fixed = _OFFSETS.get(offset)
    if fixed is None:
        fixed = _OFFSETS[offset] = dt.timezone(dt.timedelta(seconds=offset))
    return dt.datetime.fromtimestamp(seconds, fixed).isoformat()


def _iso(moment: pendulum.DateTime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def step_record(step: TraceStep) -> Record:
    """One trace step in the output contract."""
    return {
        "rule": step.rule,
        "effect": str(step.effect),
        "from": _iso(step.before),
        "to": _iso(step.after),
        "why": step.why,
    }


def decision_record(decision: Decision) -> Record:
    """A decision in the output contract of DESIGN.md, as plain JSON-ready values."""
    return {
        "id": decision.id,
        "customer": decision.customer,
        "intent": decision.intent,
        "ref": decision.ref,
        "status": str(decision.status),
        "send_at": _iso(decision.send_at),
        "local_send_at": _iso(decision.local_send_at),
        "channel": None if decision.channel is None else str(decision.channel),
        "trace": [step_record(step) for step in decision.trace],
    }


def _headline(decision: Decision) -> str:
    about = decision.intent if decision.ref is None else f"{decision.intent} for {decision.ref}"
    if decision.send_at is not None and decision.local_send_at is not None:
        local = decision.local_send_at
        when = f"{local.format('ddd D MMM YYYY HH:mm')} {local.timezone_name}"
        return (
            f"{about}: scheduled by {decision.channel} on {when} ({decision.send_at.isoformat()})"
        )
    if decision.waiting_for is not None:
        return f"{about}: waiting for {decision.waiting_for}"
    return f"{about}: {decision.status}"


def _step_text(step: TraceStep, zone_name: str | None) -> str:
    def show(moment: pendulum.DateTime | None) -> str:
        if moment is None:
            return "?"
        local = moment.in_timezone(zone_name) if zone_name else moment
        return local.format("ddd D MMM HH:mm")

    moved = f" {show(step.before)} -> {show(step.after)}:" if step.before and step.after else ""
    return f"{step.effect:<15} {step.rule:<24}{moved} {step.why}"


def decision_text(decision: Decision, zone_name: str | None = None) -> str:
    """A decision with its numbered trace, for a terminal."""
    if zone_name is None and decision.local_send_at is not None:
        zone_name = decision.local_send_at.timezone_name
    lines = [_headline(decision)]
    lines += [
        f"  {number}. {_step_text(step, zone_name)}"
        for number, step in enumerate(decision.trace, 1)
    ]
    return "\n".join(lines)


def plan_text(plan: Plan) -> str:
    """A plan: the customer, ``now``, and each decision with its trace."""
    customer = plan.customer
    head = (
        f"customer {customer.id} ({customer.timezone}, {customer.country}), "
        f"planned at {plan.now.isoformat()}: {len(plan.decisions)} decision(s)"
    )
    body = [decision_text(d, customer.timezone) for d in plan.decisions]
    return "\n\n".join([head, *body])
