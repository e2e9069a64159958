"""A policy in the normalised form the Rust core plans with (``rust/core/src/policy.rs``).

The policy has been loaded, validated and linted as a value object; what is written here
needs no more checking: durations as months, days and seconds, weekdays as numbers,
instants as epoch seconds, and every text that depends on the policy alone rendered once
by the same code the Python planner uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from outreach_rules._strict_json import MAX_DEPTH
from outreach_rules.rules.conditions import AnyOf, Count, InWindow, Match, Sent, Tenure
from outreach_rules.rules.guards import (
    AfterEvent,
    AllowedHours,
    AnnualBlackout,
    Blackout,
    BusinessDaysOnly,
    FrequencyCap,
    NotOnDayOf,
    NotWithinAfter,
    RequiresConsent,
    WhileOpen,
)

if TYPE_CHECKING:
    from outreach_rules.model import Intent
    from outreach_rules.policy import Policy
    from outreach_rules.rules.conditions import Condition
    from outreach_rules.rules.guards import GuardRule, GuardSpec
    from outreach_rules.rules.triggers import Trigger
    from outreach_rules.timeline.instants import Duration

__all__ = ["Uncompilable", "compile_policy", "json_data"]

# These specs say the same whatever the customer, intent and channel: their describe()
# never looks at the placing, so it is rendered once here.
_FIXED_TEXT = (AnnualBlackout, AfterEvent, NotOnDayOf, NotWithinAfter, WhileOpen)
_NO_PLACING: Any = None


class Uncompilable(Exception):
    """The policy holds something the core cannot carry (a condition that compares with
    a Python object that is not JSON data): it plans on the Python core instead."""


def compile_policy(policy: Policy) -> bytes:
    """The policy as the core's JSON."""
    return orjson.dumps(
        {
            "name": policy.name,
            "intents": [_intent(intent) for intent in policy.intents],
            "triggers": [_trigger(trigger) for trigger in policy.triggers],
            "guards": [_guard(rule) for rule in policy.guards],
        }
    )


def _duration(duration: Duration | None) -> dict[str, Any] | None:
    if duration is None:
        return None
    return {
        "months": duration.months,
        "days": duration.days,
        "seconds": duration.seconds,
        "text": str(duration),
    }


def _intent(intent: Intent) -> dict[str, Any]:
    return {
        "name": intent.name,
        "category": str(intent.category),
        "channels": [str(channel) for channel in intent.channels],
        "priority": intent.priority,
        "personal": intent.personal,
    }


def _trigger(trigger: Trigger) -> dict[str, Any]:
    return {
        "id": trigger.id,
        "intent": trigger.intent,
        "on": trigger.on,
        "when": [_condition(condition) for condition in trigger.when],
        "requires": trigger.requires,
        "unless": list(trigger.unless),
        "correlate": trigger.correlate,
        "delay": _duration(trigger.delay),
        "expires": _duration(trigger.expires),
        "measured_from": trigger.measured_from,
        "first_only": trigger.first_only,
        "every": _duration(trigger.every),
        "head": trigger.head,
        "timing": trigger.timing_text(),
    }


def _condition(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, Match):
        return {
            "type": "match",
            "field": condition.field,
            "op": condition.op,
            "value": json_data(condition.value),
        }
    if isinstance(condition, Tenure):
        return {
            "type": "tenure",
            "at_least": _duration(condition.at_least),
            "at_most": _duration(condition.at_most),
        }
    if isinstance(condition, Count):
        return {
            "type": "count",
            "kind": condition.kind,
            "at_least": condition.at_least,
            "at_most": condition.at_most,
        }
    if isinstance(condition, Sent):
        return {"type": "sent", "intent": condition.intent}
    if isinstance(condition, InWindow):
        return {
            "type": "in_window",
            "start": condition.start,
            "end": condition.end,
            "of": condition.of,
        }
    if isinstance(condition, AnyOf):
        return {"type": "any_of", "conditions": [_condition(c) for c in condition.conditions]}
    raise Uncompilable(f"a condition of type {type(condition).__name__}")


# serde_json reads at most 128 levels of nesting, and a group puts data three levels down:
# the readers' own limit (MAX_DEPTH, 100) leaves room for that, and bounds what they read.


def json_data(value: Any, depth: int = 0) -> Any:
    """Frozen data (a condition's value, an event's data) as JSON data: tuples become
    lists. Raises ``Uncompilable`` for what the core cannot carry as Python reads it
    (a number that is not finite or is past 64 bits, a Python object, data nested more
    than ``MAX_DEPTH`` levels)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**64:
            return value
        raise Uncompilable(f"the number {value}")
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise Uncompilable(f"the number {value}")
    if depth >= MAX_DEPTH:
        raise Uncompilable("data nested deeper than the core reads")
    if isinstance(value, list | tuple):
        return [json_data(item, depth + 1) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: json_data(item, depth + 1) for key, item in value.items()}
    raise Uncompilable(f"a value of type {type(value).__name__}")


def _guard(rule: GuardRule) -> dict[str, Any]:
    spec = rule.spec
    return {
        "id": rule.id,
        "intents": sorted(rule.intents),
        "categories": sorted(str(category) for category in rule.categories),
        "channels": sorted(str(channel) for channel in rule.channels),
        "when": [_condition(condition) for condition in rule.when],
        "spec": _spec(spec),
        "scope_text": rule.scope_text(),
        "per_channel": rule.per_channel,
        "text": spec.describe(rule, _NO_PLACING) if isinstance(spec, _FIXED_TEXT) else None,
    }


def _spec(spec: GuardSpec) -> dict[str, Any]:
    if isinstance(spec, AllowedHours):
        spans = [{"days": sorted(s.days), "start": s.start, "end": s.end} for s in spec.spans]
        return {"type": "allowed_hours", "spans": spans, "hours_text": spec.hours_text()}
    if isinstance(spec, BusinessDaysOnly):
        return {
            "type": "business_days",
            "weekdays": sorted(spec.weekdays),
            "holidays": spec.holidays,
            "days_text": spec.days_text(),
        }
    if isinstance(spec, AnnualBlackout):
        return {"type": "annual_blackout", "start": spec.start, "end": spec.end}
    if isinstance(spec, Blackout):
        return {
            "type": "blackout",
            "start": int(spec.start.timestamp()),
            "end": int(spec.end.timestamp()),
        }
    if isinstance(spec, AfterEvent):
        return {
            "type": "after_event",
            "kind": spec.kind,
            "delay": _duration(spec.delay),
            "correlate": spec.correlate,
        }
    if isinstance(spec, NotOnDayOf):
        return {"type": "not_on_day_of", "kind": spec.kind, "correlate": spec.correlate}
    if isinstance(spec, NotWithinAfter):
        return {
            "type": "not_within_after",
            "kind": spec.kind,
            "period": _duration(spec.period),
            "correlate": spec.correlate,
        }
    if isinstance(spec, FrequencyCap):
        return {
            "type": "frequency_cap",
            "limit": spec.limit,
            "period": spec.period.total_seconds(),
            "period_text": str(spec.period),
            "per": spec.per,
        }
    if isinstance(spec, WhileOpen):
        return {
            "type": "while_open",
            "opened": spec.opened,
            "closed": spec.closed,
            "correlate": spec.correlate,
        }
    if isinstance(spec, RequiresConsent):
        return {"type": "requires_consent"}
    raise Uncompilable(f"a guard spec of type {type(spec).__name__}")
