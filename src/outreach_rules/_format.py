"""The policy file format: plain data to rule value objects and back, one to one.

``structure`` reads a policy's data (from TOML, YAML, JSON or Python) with the path of
every value in hand, so that each mistake names the file, the line where known, the path
(``guards[4].frequency_cap.limit``) and the fix. ``unstructure`` writes the inverse; the
two round-trip. The format is described in docs/policy-format.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from outreach_rules.errors import OutreachRulesError, PolicyError
from outreach_rules.model import Category, Channel, Intent, vocabulary
from outreach_rules.rules.conditions import (
    AnyOf,
    Condition,
    Count,
    InWindow,
    Match,
    Sent,
    Tenure,
)
from outreach_rules.rules.guards import (
    AfterEvent,
    AllowedHours,
    AnnualBlackout,
    Blackout,
    BusinessDaysOnly,
    FrequencyCap,
    GuardRule,
    GuardSpec,
    NotOnDayOf,
    NotWithinAfter,
    RequiresConsent,
    WhileOpen,
    clock_seconds,
    weekdays,
)
from outreach_rules.rules.triggers import Trigger
from outreach_rules.timeline.calendar import HourSpan
from outreach_rules.timeline.instants import Duration, as_datetime

__all__ = ["SPEC_KEYS", "Parts", "Reader", "structure", "unstructure"]

_MISSING: Any = object()
Parts = dict[str, Any]

_TOP = (
    "name",
    "version",
    "description",
    "extends",
    "remove",
    "events",
    "intents",
    "triggers",
    "guards",
)
_INTENT = ("category", "channels", "priority", "personal", "description")
_TRIGGER = (
    "id", "practices", "description", "intent", "on", "requires", "unless", "correlate",
    "delay", "expires", "measured_from", "first_only", "every", "when",
)  # fmt: skip
_GUARD_SCOPE = ("id", "practices", "description", "intents", "categories", "channels", "when")


class Reader:
    """Reads plain data at a path, raising ``PolicyError`` that says where and why."""

    def __init__(self, file: str | None = None, line: Callable[[str], int | None] | None = None):
        self.file = file
        self.line: Callable[[str], int | None] = line or (lambda _path: None)

    def fail(
        self, path: str, message: str, *, value: Any = _MISSING, hint: str | None = None
    ) -> NoReturn:
        raise self.error(path, message, value=value, hint=hint)

    def error(
        self, path: str, message: str, *, value: Any = _MISSING, hint: str | None = None
    ) -> PolicyError:
        """A ``PolicyError`` at ``path``, with the file and line where known."""
        given = {} if value is _MISSING else {"value": value}
        return PolicyError(
            message, field=path or None, hint=hint, file=self.file, line=self.line(path), **given
        )

    @contextmanager
    def at(self, path: str) -> Iterator[None]:
        """Turn an error from a value object's validation into one that says where."""
        try:
            yield
        except PolicyError as error:
            if error.file is None:
                # The line of the key at fault (``.end`` of a span), not of its table.
                where = path if error.field is None else _join(path, error.field)
                error.located(file=self.file, line=self.line(where), field=path)
            raise
        except OutreachRulesError as error:
            field = path if error.field is None else f"{path}.{error.field}"
            last = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
            if error.field is not None and last == error.field:
                field = path
            value = error.value if error.has_value else _MISSING
            raise self.error(field, error.message, value=value, hint=error.hint) from None

    def table(
        self, data: Any, path: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.fail(path, f"must be a table, not {_kind(data)}", value=data)
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(allowed)}"
                self.fail(_join(path, key), "is not a key here", hint=hint)
        for key in required:
            if key not in data:
                self.fail(_join(path, key), "is required")
        return data

    def text(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = data.get(key, default)
        if value is _MISSING:
            self.fail(_join(path, key), "is required")
        if value is not default and (not isinstance(value, str) or not value.strip()):
            self.fail(
                _join(path, key), f"must be a non-empty string, not {_kind(value)}", value=value
            )
        return value

    def integer(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = data.get(key, default)
        if value is _MISSING:
            self.fail(_join(path, key), "is required")
        if value is not default and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(_join(path, key), f"must be a whole number, not {_kind(value)}", value=value)
        return value

    def flag(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(_join(path, key), f"must be true or false, not {_kind(value)}", value=value)
        return value

    def texts(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key, ())
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            self.fail(
                _join(path, key), f"must be a list of strings, not {_kind(value)}", value=value
            )
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{_join(path, key)}[{index}]", "must be a non-empty string", value=item)
        return tuple(value)

    def names(
        self, data: Mapping[str, Any], key: str, path: str, kind: type[Any]
    ) -> tuple[Any, ...]:
        convert = vocabulary(kind, key)
        found = []
        for index, name in enumerate(self.texts(data, key, path)):
            with self.at(f"{_join(path, key)}[{index}]"):
                found.append(convert(name))
        return tuple(found)

    def duration(
        self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING
    ) -> Any:
        value = data.get(key, default)
        if value is _MISSING:
            self.fail(_join(path, key), "is required")
        if value is default:
            return default
        if not isinstance(value, str):
            self.fail(
                _join(path, key),
                f"must be a duration written as text, not {_kind(value)}",
                value=value,
                hint="such as '3 days' or 'P3D'",
            )
        with self.at(_join(path, key)):
            return Duration.parse(value, key)

    def month_day(self, data: Mapping[str, Any], key: str, path: str) -> tuple[int, int]:
        value = self.text(data, key, path)
        where = _join(path, key)
        month, _, day = value.partition("-")
        if month.isdigit() and day.isdigit() and len(month) == 2 and len(day) == 2:
            try:
                dt.date(2024, int(month), int(day))
                return int(month), int(day)
            except ValueError:
                pass
        hint = "write 'MM-DD', such as '12-26'"
        raise self.error(where, "is not a month and day", value=value, hint=hint)

    def conditions(self, data: Mapping[str, Any], path: str) -> tuple[Condition, ...]:
        value = data.get("when", [])
        where = _join(path, "when")
        if not isinstance(value, list | tuple):
            self.fail(where, f"must be a list of conditions, not {_kind(value)}", value=value)
        return tuple(self.condition(item, f"{where}[{index}]") for index, item in enumerate(value))

    def condition(self, data: Any, path: str) -> Condition:
        kinds = ("field", "tenure", "count", "sent", "in_window", "any")
        if not isinstance(data, Mapping):
            self.fail(path, f"must be a table, not {_kind(data)}", value=data)
        given = [kind for kind in kinds if kind in data]
        if len(given) != 1:
            self.fail(
                path,
                "must have exactly one of field, tenure, count, sent, in_window, any",
                hint="such as { field = 'data.gift', op = 'eq', value = true }",
            )
        kind = given[0]
        if kind == "field":
            self.table(data, path, ("field", "op", "value"))
            with self.at(path):
                return Match(
                    field=self.text(data, "field", path),
                    op=self.text(data, "op", path, "eq"),
                    value=data.get("value"),
                )
        self.table(data, path, (kind,))
        inner = _join(path, kind)
        body = data[kind]
        if kind == "any":
            if not isinstance(body, list | tuple) or not body:
                self.fail(inner, "must be a non-empty list of conditions", value=body)
            return AnyOf(
                conditions=tuple(self.condition(c, f"{inner}[{i}]") for i, c in enumerate(body))
            )
        if kind == "tenure":
            self.table(body, inner, ("at_least", "at_most"))
            return Tenure(
                at_least=self.duration(body, "at_least", inner, None),
                at_most=self.duration(body, "at_most", inner, None),
            )
        if kind == "count":
            self.table(body, inner, ("kind", "at_least", "at_most"), required=("kind",))
            return Count(
                kind=self.text(body, "kind", inner),
                at_least=self.integer(body, "at_least", inner, None),
                at_most=self.integer(body, "at_most", inner, None),
            )
        if kind == "sent":
            self.table(body, inner, ("intent",), required=("intent",))
            return Sent(intent=self.text(body, "intent", inner))
        self.table(body, inner, ("start", "end", "of"), required=("start", "end"))
        of = self.text(body, "of", inner, "anchor")
        choices = ("anchor", "basis")
        if of not in choices:
            close = difflib.get_close_matches(of, choices, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(choices)}"
            self.fail(
                _join(inner, "of"), "is not an instant a window can test", value=of, hint=hint
            )
        return InWindow(
            start=self.month_day(body, "start", inner),
            end=self.month_day(body, "end", inner),
            of=of,
        )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list"}
    if isinstance(value, Mapping):
        return "a table"
    if value is None:
        return "nothing"
    return names.get(type(value), type(value).__name__)


# -- guard specs ------------------------------------------------------------------------


def _allowed_hours(reader: Reader, body: Any, path: str) -> GuardSpec:
    spans = body if isinstance(body, list | tuple) else [body]
    found = []
    for index, span in enumerate(spans):
        where = f"{path}[{index}]" if isinstance(body, list | tuple) else path
        reader.table(span, where, ("start", "end", "days"), required=("start", "end"))
        with reader.at(where):
            found.append(
                HourSpan(
                    weekdays(reader.text(span, "days", where, "every day")),
                    clock_seconds(reader.text(span, "start", where), "start"),
                    clock_seconds(reader.text(span, "end", where), "end"),
                )
            )
    if not found:
        reader.fail(
            path,
            "must give at least one span of hours",
            hint="such as { start = '09:00', end = '20:00' }",
        )
    return AllowedHours(spans=tuple(found))


def _business_days(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("weekdays", "holidays"))
    text = reader.text(body, "weekdays", path, "mon-fri")
    try:
        days = weekdays(text)
    except PolicyError as error:
        # weekdays() names its field "days"; here the key is "weekdays".
        raise reader.error(
            _join(path, "weekdays"), error.message, value=text, hint=error.hint
        ) from None
    with reader.at(path):
        return BusinessDaysOnly(weekdays=days, holidays=reader.flag(body, "holidays", path, True))


def _annual_blackout(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("start", "end"), required=("start", "end"))
    return AnnualBlackout(
        start=reader.month_day(body, "start", path), end=reader.month_day(body, "end", path)
    )


def _blackout(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("start", "end"), required=("start", "end"))
    with reader.at(_join(path, "start")):
        start = as_datetime(reader.text(body, "start", path), "start")
    with reader.at(_join(path, "end")):
        end = as_datetime(reader.text(body, "end", path), "end")
    with reader.at(path):
        return Blackout(start=start, end=end)


def _after_event(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("kind", "delay", "correlate"), required=("kind",))
    return AfterEvent(
        kind=reader.text(body, "kind", path),
        delay=reader.duration(body, "delay", path, Duration()),
        correlate=reader.flag(body, "correlate", path, False),
    )


def _not_on_day_of(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("kind", "correlate"), required=("kind",))
    return NotOnDayOf(
        kind=reader.text(body, "kind", path), correlate=reader.flag(body, "correlate", path, True)
    )


def _not_within_after(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("kind", "period", "correlate"), required=("kind", "period"))
    return NotWithinAfter(
        kind=reader.text(body, "kind", path),
        period=reader.duration(body, "period", path),
        correlate=reader.flag(body, "correlate", path, False),
    )


def _frequency_cap(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("limit", "period", "per"), required=("limit", "period"))
    limit = reader.integer(body, "limit", path)
    if limit < 0:
        reader.fail(_join(path, "limit"), "must not be negative", value=limit)
    per = reader.text(body, "per", path, "all")
    choices = ("all", "intent", "category", "channel")
    if per not in choices:
        close = difflib.get_close_matches(per, choices, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(choices)}"
        reader.fail(_join(path, "per"), "is not a scope a cap counts by", value=per, hint=hint)
    with reader.at(path):
        return FrequencyCap(limit=limit, period=reader.duration(body, "period", path), per=per)


def _while_open(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ("opened", "closed", "correlate"), required=("opened", "closed"))
    return WhileOpen(
        opened=reader.text(body, "opened", path),
        closed=reader.text(body, "closed", path),
        correlate=reader.flag(body, "correlate", path, False),
    )


def _requires_consent(reader: Reader, body: Any, path: str) -> GuardSpec:
    reader.table(body, path, ())
    return RequiresConsent()


SPEC_KEYS: dict[str, Callable[[Reader, Any, str], GuardSpec]] = {
    "allowed_hours": _allowed_hours,
    "business_days": _business_days,
    "annual_blackout": _annual_blackout,
    "blackout": _blackout,
    "after_event": _after_event,
    "not_on_day_of": _not_on_day_of,
    "not_within_after": _not_within_after,
    "frequency_cap": _frequency_cap,
    "while_open": _while_open,
    "requires_consent": _requires_consent,
}


# -- the whole policy ---------------------------------------------------------------------


def structure(data: Any, reader: Reader) -> Parts:
    """The keyword arguments of ``Policy`` from a policy's data."""
    top = reader.table(data, "", _TOP, required=("name",))
    if "extends" in top or "remove" in top:
        reader.fail(
            "extends", "must be resolved before the policy is built", hint="use Policy.from_file"
        )
    parts: Parts = {
        "name": reader.text(top, "name", ""),
        "version": str(top.get("version", "1")),
        "description": top.get("description", ""),
    }
    if "events" in top:
        parts["events"] = reader.texts(top, "events", "")
    intents = top.get("intents", {})
    if not isinstance(intents, Mapping):
        reader.fail("intents", f"must be a table of intents by name, not {_kind(intents)}")
    parts["intents"] = tuple(_intent(reader, name, body) for name, body in intents.items())
    parts["triggers"] = tuple(
        _trigger(reader, body, f"triggers[{index}]")
        for index, body in enumerate(_list(reader, top, "triggers"))
    )
    parts["guards"] = tuple(
        _guard(reader, body, f"guards[{index}]")
        for index, body in enumerate(_list(reader, top, "guards"))
    )
    _check_ids(reader, parts["triggers"], parts["guards"])
    return parts


def _check_ids(reader: Reader, triggers: Sequence[Trigger], guards: Sequence[GuardRule]) -> None:
    """Rule ids are unique among triggers and guards: a second use names both places."""
    ids = [(f"triggers[{i}]", rule.id) for i, rule in enumerate(triggers)]
    ids += [(f"guards[{i}]", rule.id) for i, rule in enumerate(guards)]
    seen: dict[str, str] = {}
    for path, rule_id in ids:
        if rule_id in seen:
            reader.fail(
                f"{path}.id",
                f"is the id of {seen[rule_id]} too",
                value=rule_id,
                hint="ids must be unique among triggers and guards",
            )
        seen[rule_id] = path


def _list(reader: Reader, top: Mapping[str, Any], key: str) -> list[Any]:
    value = top.get(key, [])
    if not isinstance(value, list | tuple):
        reader.fail(
            key, f"must be a list, not {_kind(value)}", hint=f"in TOML write [[{key}]] tables"
        )
    return list(value)


def _intent(reader: Reader, name: str, body: Any) -> Intent:
    path = f"intents.{name}"
    reader.table(body, path, _INTENT, required=("category", "channels"))
    with reader.at(path):
        return Intent(
            name=name,
            category=reader.names({"category": body["category"]}, "category", path, Category)[0],
            channels=reader.names(body, "channels", path, Channel),
            priority=reader.integer(body, "priority", path, 100),
            personal=reader.flag(body, "personal", path, False),
            description=body.get("description", ""),
        )


def _trigger(reader: Reader, body: Any, path: str) -> Trigger:
    reader.table(body, path, _TRIGGER, required=("id", "intent", "on"))
    with reader.at(path):
        return Trigger(
            id=reader.text(body, "id", path),
            intent=reader.text(body, "intent", path),
            on=reader.text(body, "on", path),
            description=body.get("description", ""),
            practices=reader.texts(body, "practices", path),
            when=reader.conditions(body, path),
            requires=reader.text(body, "requires", path, None),
            unless=reader.texts(body, "unless", path),
            correlate=reader.flag(body, "correlate", path, True),
            delay=reader.duration(body, "delay", path, Duration()),
            expires=reader.duration(body, "expires", path, None),
            measured_from=reader.text(body, "measured_from", path, None),
            first_only=reader.flag(body, "first_only", path, False),
            every=reader.duration(body, "every", path, None),
        )


def _guard(reader: Reader, body: Any, path: str) -> GuardRule:
    reader.table(body, path, (*_GUARD_SCOPE, *SPEC_KEYS), required=("id",))
    specs = [key for key in SPEC_KEYS if key in body]
    if len(specs) != 1:
        reader.fail(
            path,
            f"must have exactly one guard spec, found {len(specs)}"
            + (f" ({', '.join(specs)})" if specs else ""),
            hint=f"use one of {', '.join(SPEC_KEYS)}",
        )
    key = specs[0]
    spec = SPEC_KEYS[key](reader, body[key], _join(path, key))
    with reader.at(path):
        return GuardRule(
            id=reader.text(body, "id", path),
            spec=spec,
            description=body.get("description", ""),
            practices=reader.texts(body, "practices", path),
            intents=reader.texts(body, "intents", path),
            categories=reader.names(body, "categories", path, Category),
            channels=reader.names(body, "channels", path, Channel),
            when=reader.conditions(body, path),
        )


# -- and back ----------------------------------------------------------------------------


def unstructure(
    *,
    name: str,
    version: str,
    description: str,
    events: Sequence[str],
    intents: Sequence[Intent],
    triggers: Sequence[Trigger],
    guards: Sequence[GuardRule],
) -> dict[str, Any]:
    """A policy as plain data in the file format: only strings, numbers, lists and tables."""
    data: dict[str, Any] = {"name": name, "version": version}
    if description:
        data["description"] = description
    data["events"] = list(events)
    data["intents"] = {intent.name: _intent_data(intent) for intent in intents}
    data["triggers"] = [_trigger_data(trigger) for trigger in triggers]
    data["guards"] = [_guard_data(guard) for guard in guards]
    return data


def _intent_data(intent: Intent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": str(intent.category),
        "channels": [str(c) for c in intent.channels],
        "priority": intent.priority,
    }
    if intent.personal:
        data["personal"] = True
    if intent.description:
        data["description"] = intent.description
    return data


def _trigger_data(trigger: Trigger) -> dict[str, Any]:
    data: dict[str, Any] = {"id": trigger.id}
    if trigger.practices:
        data["practices"] = list(trigger.practices)
    if trigger.description:
        data["description"] = trigger.description
    data["intent"] = trigger.intent
    data["on"] = trigger.on
    optional = {
        "requires": trigger.requires,
        "unless": list(trigger.unless) or None,
        "correlate": None if trigger.correlate else False,
        "delay": str(trigger.delay) if trigger.delay != Duration() else None,
        "expires": None if trigger.expires is None else str(trigger.expires),
        "measured_from": trigger.measured_from,
        "first_only": trigger.first_only or None,
        "every": None if trigger.every is None else str(trigger.every),
        "when": [_condition_data(c) for c in trigger.when] or None,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def _guard_data(guard: GuardRule) -> dict[str, Any]:
    data: dict[str, Any] = {"id": guard.id}
    if guard.practices:
        data["practices"] = list(guard.practices)
    if guard.description:
        data["description"] = guard.description
    if guard.intents:
        data["intents"] = sorted(guard.intents)
    if guard.categories:
        data["categories"] = sorted(str(c) for c in guard.categories)
    if guard.channels:
        data["channels"] = sorted(str(c) for c in guard.channels)
    if guard.when:
        data["when"] = [_condition_data(c) for c in guard.when]
    key, body = _spec_data(guard.spec)
    data[key] = body
    return data


def _md(value: tuple[int, int]) -> str:
    return f"{value[0]:02d}-{value[1]:02d}"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _days(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "every day"
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _spec_data(spec: GuardSpec) -> tuple[str, Any]:
    if isinstance(spec, AllowedHours):
        return "allowed_hours", [
            {"start": _clock(s.start), "end": _clock(s.end), "days": _days(s.days)}
            for s in spec.spans
        ]
    if isinstance(spec, BusinessDaysOnly):
        return "business_days", {"weekdays": _days(spec.weekdays), "holidays": spec.holidays}
    if isinstance(spec, AnnualBlackout):
        return "annual_blackout", {"start": _md(spec.start), "end": _md(spec.end)}
    if isinstance(spec, Blackout):
        return "blackout", {"start": spec.start.isoformat(), "end": spec.end.isoformat()}
    if isinstance(spec, AfterEvent):
        return "after_event", {
            "kind": spec.kind,
            "delay": str(spec.delay),
            "correlate": spec.correlate,
        }
    if isinstance(spec, NotOnDayOf):
        return "not_on_day_of", {"kind": spec.kind, "correlate": spec.correlate}
    if isinstance(spec, NotWithinAfter):
        return "not_within_after", {
            "kind": spec.kind,
            "period": str(spec.period),
            "correlate": spec.correlate,
        }
    if isinstance(spec, FrequencyCap):
        return "frequency_cap", {"limit": spec.limit, "period": str(spec.period), "per": spec.per}
    if isinstance(spec, WhileOpen):
        return "while_open", {
            "opened": spec.opened,
            "closed": spec.closed,
            "correlate": spec.correlate,
        }
    if isinstance(spec, RequiresConsent):
        return "requires_consent", {}
    raise PolicyError(f"has no place in the file format: {type(spec).__name__}", field="spec")


def _condition_data(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, Match):
        data: dict[str, Any] = {"field": condition.field, "op": condition.op}
        if condition.value is not None:
            data["value"] = _plain(condition.value)
        return data
    if isinstance(condition, Tenure):
        bounds = {"at_least": condition.at_least, "at_most": condition.at_most}
        return {"tenure": {key: str(value) for key, value in bounds.items() if value is not None}}
    if isinstance(condition, Count):
        counted: dict[str, Any] = {"kind": condition.kind}
        for key in ("at_least", "at_most"):
            if getattr(condition, key) is not None:
                counted[key] = getattr(condition, key)
        return {"count": counted}
    if isinstance(condition, Sent):
        return {"sent": {"intent": condition.intent}}
    if isinstance(condition, InWindow):
        window = {"start": _md(condition.start), "end": _md(condition.end)}
        if condition.of != "anchor":
            window["of"] = condition.of
        return {"in_window": window}
    if isinstance(condition, AnyOf):
        return {"any": [_condition_data(c) for c in condition.conditions]}
    raise PolicyError(f"has no place in the file format: {type(condition).__name__}", field="when")


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
