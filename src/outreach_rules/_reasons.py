"""Compact traces rendered back to sentences: ``full_record``.

A compact trace (``trace="compact"``) keeps, for each step, its rule, effect, from and
to (instants as seconds since the epoch), and instead of the sentence a reason code with
its parameters, all in one array::

    ["quiet-hours", "deferred", 1797292800, 1797325200, "guard", "email"]

The sentence is rendered from the code, the parameters, the step's rule, the record and
the policy and customer it was planned for, by the same functions the planner words it
with: byte for byte the ``why`` a full trace carries.

==================  ===========================================  ==============================
code                params, in this order                        the sentence
==================  ===========================================  ==============================
proposed            basis, at (seconds, or null)                 the trigger, what and when
waits               for                                          waits for <for>
plan_now                                                         the earliest time has passed
guard               channel (null: a guard of every channel)     what the guard enforces
blocked             channel, waits_for                           the guard; waits for ...
lapses              at, channel, moved                           lapses on ... (the guard)
skipped             on, stop (blocked or lapses), its params     not <on>: ...
lapsed_everywhere   at                                           lapses on every channel
no_channel                                                       no channel can carry it
chose               passed (the channels skipped)                the record's channel, since
==================  ===========================================  ==============================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from outreach_rules.errors import InputError
from outreach_rules.explain import Record, format_local, iso_utc
from outreach_rules.model import Channel, Customer, Intent
from outreach_rules.planner import (
    PLAN_NOW_TEXT,
    blocked_text,
    check_customer,
    check_policy,
    chose_text,
    described_rules,
    lapsed_everywhere_text,
    lapses_text,
    no_channel_text,
    proposal_text,
    waits_text,
)
from outreach_rules.policy import Policy
from outreach_rules.rules.channels import builtin_text
from outreach_rules.rules.guards import Placing
from outreach_rules.rules.history import History

if TYPE_CHECKING:
    from outreach_rules.rules.triggers import Proposal, Trigger

__all__ = ["full_record"]


def full_record(record: Mapping[str, Any], policy: Policy, customer: Customer) -> Record:
    """The record with a full trace, from one with a compact trace.

    ``record`` is a decision record as written with ``trace="compact"`` (a dict, as read
    from the JSON Lines), planned under ``policy`` for ``customer``. Each step's reason
    code and parameters become its ``why``, the sentence ``trace="full"`` writes: the
    result, dumped as records are, gives the same bytes. A record without a trace, or
    whose steps already have their sentence, comes back as it is.
    """
    check_policy(policy)
    check_customer(customer)
    trace = record.get("trace")
    full = dict(record)
    if trace is None:
        return full
    if not isinstance(trace, list):
        raise InputError("must be a list of steps", field="trace", value=trace)
    words = _Words(policy, customer, record)
    full["trace"] = [words.step(step, position) for position, step in enumerate(trace)]
    return full


class _Words:
    """What renders the steps of one record: its policy, customer, intent and channel."""

    def __init__(self, policy: Policy, customer: Customer, record: Mapping[str, Any]) -> None:
        self.policy = policy
        self.customer = customer
        self.record = record
        try:
            self.intent: Intent = policy.intent(record["intent"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                "names no intent of the policy",
                field="intent",
                value=record.get("intent"),
                hint="render a record with the policy it was planned under",
            ) from None

    def step(self, step: Any, position: int) -> dict[str, Any]:
        if isinstance(step, Mapping) and "why" in step:
            return dict(step)
        try:
            if not isinstance(step, list):
                raise TypeError("a compact step is a list")
            rule, effect, before, after, code, *values = step
            why = self.why(rule, code, _named(code, values))
            full = {"rule": rule, "effect": effect, "from": _iso(before), "to": _iso(after)}
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, InputError):
                error.field = f"trace[{position}].{error.field}"
                raise
            raise InputError(
                f"is not a compact step ({error!r})",
                field=f"trace[{position}]",
                value=step,
                hint="give the records as written with trace='compact'",
            ) from None
        return {**full, "why": why}

    def why(self, rule: str, code: str, params: Mapping[str, Any]) -> str:
        zone = self.customer.zone
        if code == "proposed":
            trigger = self.trigger(rule)
            ref = self.record["ref"]
            basis, at = params["basis"], params["at"]
            return proposal_text(self.policy, trigger, basis=basis, ref=ref, at=at, zone=zone)
        if code == "waits":
            return waits_text(params["for"])
        if code == "plan_now":
            return PLAN_NOW_TEXT
        if code == "guard":
            return self.guard(rule, params["channel"])
        if code in ("blocked", "lapses"):
            return self.stop(rule, code, params)
        if code == "skipped":
            return f"not {params['on']}: {self.stop(rule, params['stop'], params)}"
        if code == "lapsed_everywhere":
            return lapsed_everywhere_text(format_local(params["at"], zone))
        if code == "no_channel":
            return no_channel_text(self.intent)
        if code == "chose":
            return chose_text(self.intent.name, self.record["channel"], params["passed"])
        raise InputError("is not a reason code", field="code", value=code, hint=_CODES)

    def stop(self, rule: str, code: str, params: Mapping[str, Any]) -> str:
        if code == "blocked":
            return blocked_text(self.guard(rule, params["channel"]), params["waits_for"])
        if code == "lapses":
            pushed = self.guard(rule, params["channel"]) if params["moved"] else None
            return lapses_text(format_local(params["at"], self.customer.zone), pushed)
        raise InputError("is not a stop code", field="params.stop", value=code, hint=_STOPS)

    def guard(self, rule: str, channel: str | None) -> str:
        """What the guard ``rule`` says for this intent, on ``channel`` (None: the guards
        that hold whatever the channel), for this customer."""
        text = builtin_text(rule, str(self.intent.category), channel)
        if text is not None:
            return text
        on = None if channel is None else Channel(channel)
        customer = self.customer
        intents = {intent.name: intent for intent in self.policy.intents}
        # What a rule says depends on the intent, channel, zone and country only (the
        # planner caches it under this key): no history or proposal is looked at.
        placing = Placing(
            customer, History(customer, (), intents), cast("Proposal", None), self.intent, (), on
        )
        key = ("rules", self.intent.name, on, customer.timezone, customer.country)
        for guard_rule, why in self.policy.cached(key, described_rules, self.policy, placing):
            if guard_rule.id == rule:
                return why
        raise InputError(
            f"names no guard of the policy for {self.intent.name} on {channel or 'any channel'}",
            field="rule",
            value=rule,
            hint="render a record with the policy it was planned under",
        )

    def trigger(self, rule: str) -> Trigger:
        triggers = self.policy.cached("triggers by id", _triggers, self.policy)
        found = triggers.get(rule)
        if found is None:
            raise InputError(
                "names no trigger of the policy",
                field="rule",
                value=rule,
                hint="render a record with the policy it was planned under",
            )
        return found


_CODES = (
    "use one of proposed, waits, plan_now, guard, blocked, lapses, skipped, "
    "lapsed_everywhere, no_channel, chose"
)
_STOPS = "use blocked or lapses"


def _triggers(policy: Policy) -> dict[str, Trigger]:
    return {trigger.id: trigger for trigger in policy.triggers}


# The names of each code's parameters, in the order a compact step gives them.
_PARAMS: dict[str, tuple[str, ...]] = {
    "proposed": ("basis", "at"),
    "waits": ("for",),
    "plan_now": (),
    "guard": ("channel",),
    "blocked": ("channel", "waits_for"),
    "lapses": ("at", "channel", "moved"),
    "skipped": ("on", "stop"),
    "lapsed_everywhere": ("at",),
    "no_channel": (),
    "chose": ("passed",),
}


def _named(code: str, values: list[Any]) -> dict[str, Any]:
    """A compact step's parameters by name; ``skipped`` is followed by its stop's."""
    names = _PARAMS.get(code)
    if names is None:
        raise InputError("is not a reason code", field="code", value=code, hint=_CODES)
    if code == "skipped" and len(values) > 1:
        stop = _PARAMS.get(values[1]) if values[1] in ("blocked", "lapses") else None
        if stop is None:
            raise InputError("is not a stop code", field="stop", value=values[1], hint=_STOPS)
        names += stop
    if len(values) != len(names):
        raise InputError(
            f"has {_parameters(len(values))} where {code} has {len(names)}",
            field="params",
            value=values,
            hint=f"{code} takes {', '.join(names) or 'none'}",
        )
    return dict(zip(names, values, strict=True))


def _parameters(count: int) -> str:
    return f"{count} parameter" if count == 1 else f"{count} parameters"


def _iso(seconds: int | None) -> str | None:
    return None if seconds is None else iso_utc(seconds)
