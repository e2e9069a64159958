"""Lint: what in a valid policy is probably a mistake, with where and what would be right.

A policy that loads is well formed; lint looks for what it cannot do as intended: a rule
that can never fire, caps at odds with each other, an intent with no usable channel,
priorities that tie, a condition on ``customer.timezone`` that names no time zone. Errors
mean something will never happen; warnings are worth a look.

Lint sits below ``outreach_rules.policy`` (``Policy.lint()`` calls it): it reads a policy
through ``Rules``, what it needs of one, and never imports the module that defines it.
"""

from __future__ import annotations

import difflib
import enum
import functools
import zoneinfo
from collections.abc import Iterator
from typing import Protocol

import attrs

from outreach_rules.model import Category, Channel, Intent
from outreach_rules.rules.conditions import AnyOf, Condition, Count, Match, Sent, Tenure
from outreach_rules.rules.guards import (
    AfterEvent,
    AnnualBlackout,
    BusinessDaysOnly,
    FrequencyCap,
    GuardRule,
    NotOnDayOf,
    NotWithinAfter,
    WhileOpen,
)
from outreach_rules.rules.triggers import CUSTOMER, Trigger
from outreach_rules.timeline.instants import Duration

__all__ = ["Finding", "Rules", "Severity", "lint"]


class Rules(Protocol):
    """What lint reads of a policy; a ``Policy`` is one."""

    @property
    def intents(self) -> tuple[Intent, ...]:
        """The policy's intents."""
        ...

    @property
    def triggers(self) -> tuple[Trigger, ...]:
        """The policy's triggers."""
        ...

    @property
    def guards(self) -> tuple[GuardRule, ...]:
        """The policy's guards."""
        ...

    @property
    def events(self) -> tuple[str, ...]:
        """The event kinds the host produces."""
        ...

    def intent(self, name: str, /) -> Intent:
        """The intent called ``name``."""
        ...


class Severity(enum.StrEnum):
    """How much a finding matters: an error means something can never happen."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class Finding:
    """One thing lint found: which rule or intent, what is wrong, and what would be right."""

    severity: Severity
    code: str
    subject: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.severity}: {self.subject}: {self.message}{hint} [{self.code}]"


def lint(policy: Rules) -> tuple[Finding, ...]:
    """Every finding for ``policy``, errors first, then by subject."""
    found = [
        *_unknown_kinds(policy),
        *_unknown_sent_intents(policy),
        *_unknown_zones(policy),
        *_lapses_before_delay(policy),
        *_closed_guards(policy),
        *_caps_that_never_bind(policy),
        *_intents_never_proposed(policy),
        *_intents_without_channel(policy),
        *_priority_ties(policy),
        *_offers_only_for_new_customers(policy),
    ]
    return tuple(sorted(found, key=lambda f: (f.severity != Severity.ERROR, f.subject, f.code)))


def _kind_finding(
    policy: Rules, subject: str, kind: str, where: str, severity: Severity
) -> Finding:
    close = difflib.get_close_matches(kind, policy.events, n=1)
    hint = (
        f"did you mean {close[0]!r}?"
        if close
        else "add it to the policy's events if your system sends it"
    )
    return Finding(
        severity=severity,
        code="unknown-event-kind",
        subject=subject,
        message=f"{where} {kind!r}, which no declared source produces",
        hint=hint,
    )


def _leaves(conditions: tuple[Condition, ...]) -> Iterator[Condition]:
    """The conditions, with those inside any-of combinations in their place."""
    for condition in conditions:
        if isinstance(condition, AnyOf):
            yield from _leaves(condition.conditions)
        else:
            yield condition


def _condition_kinds(conditions: tuple[Condition, ...]) -> Iterator[str]:
    for condition in _leaves(conditions):
        if isinstance(condition, Count):
            yield condition.kind
        elif isinstance(condition, Sent):
            yield "contact_sent"


def _unknown_sent_intents(policy: Rules) -> Iterator[Finding]:
    # A contact of an intent the policy does not plan may come from another system, so
    # this is a warning; most often it is a misspelt intent, and the condition never holds.
    declared = [intent.name for intent in policy.intents]
    rules: list[Trigger | GuardRule] = [*policy.triggers, *policy.guards]
    for rule in rules:
        sent = [c.intent for c in _leaves(rule.when) if isinstance(c, Sent)]
        for name in sent:
            if name in declared:
                continue
            close = difflib.get_close_matches(name, declared, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "declare it, or check its spelling"
            yield Finding(
                severity=Severity.WARNING,
                code="unknown-sent-intent",
                subject=rule.id,
                message=f"looks for contacts of intent {name!r}, which the policy does not declare",
                hint=hint,
            )


def _unknown_zones(policy: Rules) -> Iterator[Finding]:
    # A warning, as for an unknown intent: the condition is valid, but no customer's zone
    # can ever equal a name that is not a zone (a customer's zone is checked when read).
    rules: list[Trigger | GuardRule] = [*policy.triggers, *policy.guards]
    for rule in rules:
        for condition in _leaves(rule.when):
            if not isinstance(condition, Match) or condition.field != "customer.timezone":
                continue
            value = condition.value
            names = value if isinstance(value, tuple) else (value,)
            for name in names:
                if not isinstance(name, str) or _is_zone(name):
                    continue
                close = difflib.get_close_matches(name, _zone_names(), n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else "use an IANA time zone such as 'Europe/London'"
                )
                yield Finding(
                    severity=Severity.WARNING,
                    code="unknown-time-zone",
                    subject=rule.id,
                    message=f"compares customer.timezone with {name!r}, which is not a time zone",
                    hint=hint,
                )


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@functools.cache
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _unknown_kinds(policy: Rules) -> Iterator[Finding]:
    known = set(policy.events)
    for trigger in policy.triggers:
        # A trigger that waits on a kind nobody sends never fires: an error.
        needed = [("fires on", trigger.on), ("requires", trigger.requires)]
        for where, kind in needed:
            if kind is not None and kind != CUSTOMER and kind not in known:
                yield _kind_finding(policy, trigger.id, kind, where, Severity.ERROR)
        for kind in (*trigger.unless, *_condition_kinds(trigger.when)):
            if kind not in known:
                yield _kind_finding(policy, trigger.id, kind, "looks for", Severity.WARNING)
    for guard in policy.guards:
        for kind in (*_guard_kinds(guard), *_condition_kinds(guard.when)):
            if kind not in known:
                yield _kind_finding(policy, guard.id, kind, "looks for", Severity.WARNING)


def _guard_kinds(guard: GuardRule) -> tuple[str, ...]:
    spec = guard.spec
    if isinstance(spec, AfterEvent | NotOnDayOf | NotWithinAfter):
        return (spec.kind,)
    if isinstance(spec, WhileOpen):
        return (spec.opened, spec.closed)
    return ()


def _bounds(duration: Duration) -> tuple[int, int]:
    """The shortest and longest a duration can be, in seconds (months vary)."""
    day = 86_400
    fixed = duration.days * day + duration.seconds
    low, high = sorted((duration.months * 28 * day, duration.months * 31 * day))
    return fixed + low, fixed + high


def _lapses_before_delay(policy: Rules) -> Iterator[Finding]:
    for trigger in policy.triggers:
        if trigger.expires is None:
            continue
        if _bounds(trigger.expires)[1] < _bounds(trigger.delay)[0]:
            yield Finding(
                severity=Severity.ERROR,
                code="lapses-before-delay",
                subject=trigger.id,
                message=f"lapses {trigger.expires} after, before its {trigger.delay} delay is over",
                hint="make expires longer than delay",
            )


def _closed_guards(policy: Rules) -> Iterator[Finding]:
    for guard in policy.guards:
        spec = guard.spec
        closed = None
        if isinstance(spec, AnnualBlackout) and _covers_the_year(spec):
            closed = "blocks every day of the year"
        elif isinstance(spec, BusinessDaysOnly) and not spec.weekdays:
            closed = "allows no weekday"
        elif isinstance(spec, FrequencyCap) and spec.limit == 0:
            closed = "allows no contact at all"
        if closed is not None:
            covered = guard.scope_text() or "everything"
            yield Finding(
                severity=Severity.ERROR,
                code="never-allows",
                subject=guard.id,
                message=f"{closed}: nothing it covers ({covered}) can be sent",
                hint="narrow the rule, or remove the intents it covers",
            )


def _covers_the_year(spec: AnnualBlackout) -> bool:
    import datetime as dt  # noqa: PLC0415 - only this check needs dates

    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        if not _in_window(spec, (day.month, day.day)):
            return False
        day += dt.timedelta(days=1)
    return True


def _in_window(spec: AnnualBlackout, day: tuple[int, int]) -> bool:
    if spec.start <= spec.end:
        return spec.start <= day <= spec.end
    return day >= spec.start or day <= spec.end


def _scope(guard: GuardRule) -> tuple[frozenset[str], frozenset[Category], frozenset[Channel], str]:
    assert isinstance(guard.spec, FrequencyCap)
    return guard.intents, guard.categories, guard.channels, guard.spec.per


def _caps_that_never_bind(policy: Rules) -> Iterator[Finding]:
    caps = [g for g in policy.guards if isinstance(g.spec, FrequencyCap) and not g.when]
    for loose in caps:
        for strict in caps:
            if loose is strict or _scope(loose) != _scope(strict):
                continue
            a, b = loose.spec, strict.spec
            assert isinstance(a, FrequencyCap)
            assert isinstance(b, FrequencyCap)
            tighter = (b.limit, -b.period.total_seconds()) < (a.limit, -a.period.total_seconds())
            if (
                b.limit <= a.limit
                and b.period.total_seconds() >= a.period.total_seconds()
                and tighter
            ):
                yield Finding(
                    severity=Severity.WARNING,
                    code="cap-never-binds",
                    subject=loose.id,
                    message=(
                        f"allows {a.limit} in {a.period}, but {strict.id!r} allows only "
                        f"{b.limit} in {b.period} of the same contacts: it never binds"
                    ),
                    hint="remove one, or make their limits agree",
                )


def _intents_never_proposed(policy: Rules) -> Iterator[Finding]:
    proposed = {trigger.intent for trigger in policy.triggers}
    for intent in policy.intents:
        if intent.name not in proposed:
            yield Finding(
                severity=Severity.WARNING,
                code="intent-never-proposed",
                subject=intent.name,
                message="no trigger proposes it",
                hint="add a trigger, or remove the intent",
            )


def _closes_channel(guard: GuardRule, intent: Intent, channel: Channel) -> bool:
    if guard.when or not guard.covers(intent.name, intent.category, channel):
        return False
    if not guard.channels and not guard.per_channel:
        return False
    spec = guard.spec
    return (isinstance(spec, FrequencyCap) and spec.limit == 0) or (
        isinstance(spec, BusinessDaysOnly) and not spec.weekdays
    )


def _intents_without_channel(policy: Rules) -> Iterator[Finding]:
    for intent in policy.intents:
        open_channels = [
            channel
            for channel in intent.channels
            if not any(_closes_channel(guard, intent, channel) for guard in policy.guards)
        ]
        if not open_channels:
            channels = ", ".join(intent.channels)
            yield Finding(
                severity=Severity.ERROR,
                code="no-usable-channel",
                subject=intent.name,
                message=f"every one of its channels ({channels}) is closed by a rule",
                hint="give it a channel no rule closes",
            )


def _priority_ties(policy: Rules) -> Iterator[Finding]:
    by_priority: dict[int, list[str]] = {}
    for intent in policy.intents:
        by_priority.setdefault(intent.priority, []).append(intent.name)
    for priority, names in sorted(by_priority.items()):
        if len(names) > 1:
            yield Finding(
                severity=Severity.WARNING,
                code="priority-tie",
                subject=", ".join(sorted(names)),
                message=f"share priority {priority}: which is placed first is decided by name",
                hint="give each intent its own priority",
            )


def _limits_tenure(conditions: tuple[Condition, ...]) -> bool:
    return any(isinstance(c, Tenure) and c.at_most is not None for c in conditions)


def _offers_only_for_new_customers(policy: Rules) -> Iterator[Finding]:
    for trigger in policy.triggers:
        intent = policy.intent(trigger.intent)
        if intent.category is Category.MARKETING and _limits_tenure(trigger.when):
            yield Finding(
                severity=Severity.WARNING,
                code="new-customers-only",
                subject=trigger.id,
                message="makes an offer to new customers only",
                hint="P13: every offer made to new customers is open to long-standing ones too",
            )
