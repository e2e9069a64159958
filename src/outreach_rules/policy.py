"""Policy: a named, versioned set of intents, triggers and guard rules, checked as a whole.

Policies are data: built from value objects in Python, or loaded from TOML, YAML or JSON
(docs/policy-format.md). ``Policy.default()`` is the built-in playbook of practices P1-P17.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import attrs

from outreach_rules import _checks as check
from outreach_rules._format import Reader, structure, unstructure
from outreach_rules._merge import merge
from outreach_rules._sources import Source, read
from outreach_rules.errors import PolicyError
from outreach_rules.lint import Finding, lint
from outreach_rules.model import Channel, Intent
from outreach_rules.rules.conditions import uses_basis
from outreach_rules.rules.guards import GuardRule
from outreach_rules.rules.triggers import Trigger

__all__ = ["EVENT_KINDS", "Policy"]

_T = TypeVar("_T")

EVENT_KINDS = (
    "order_placed",
    "order_delivered",
    "review_submitted",
    "complaint_opened",
    "complaint_resolved",
    "concern_raised",
    "concern_answered",
    "request_declined",
    "incident_caused",
    "incident_resolved",
    "invoice_scheduled",
    "info_volunteered",
    "milestone_reached",
    "channel_down",
    "channel_restored",
    "contact_sent",
    "opted_out",
    "opted_in",
)
"""The event kinds of DESIGN.md: what a host is expected to produce."""


def _each(kind: type, field: str, what: str) -> check.Validator:
    return check.each(lambda item: isinstance(item, kind), field, what, error=PolicyError)


@attrs.frozen(kw_only=True)
class Policy:
    """A named, versioned set of rules: the intents, the triggers and the guards.

    Built from value objects here; validated as a whole when built: ids are unique and
    every intent a rule names is declared.
    """

    name: str = attrs.field(validator=check.text("name", error=PolicyError))
    intents: tuple[Intent, ...] = attrs.field(
        converter=check.listed, validator=_each(Intent, "intents", "an Intent")
    )
    triggers: tuple[Trigger, ...] = attrs.field(
        converter=check.listed, validator=_each(Trigger, "triggers", "a Trigger")
    )
    guards: tuple[GuardRule, ...] = attrs.field(
        default=(), converter=check.listed, validator=_each(GuardRule, "guards", "a GuardRule")
    )
    version: str = attrs.field(default="1", validator=check.words("version", error=PolicyError))
    description: str = attrs.field(
        default="", validator=check.words("description", error=PolicyError)
    )
    events: tuple[str, ...] = attrs.field(
        default=EVENT_KINDS,
        converter=check.listed,
        validator=check.texts("events", pattern=check.KIND, error=PolicyError),
    )
    # Compiled lookups, filled on first use; not part of the policy's value.
    _cache: dict[Any, Any] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Validation only: a policy that does not hang together is refused when built.
        _check_unique("intents", (i.name for i in self.intents))
        _check_unique("rules", (*(t.id for t in self.triggers), *(g.id for g in self.guards)))
        known = {intent.name for intent in self.intents}
        for position, trigger in enumerate(self.triggers):
            _check_known(known, trigger.intent, f"triggers[{position}].intent", trigger.id)
            _check_no_basis(trigger, position)
        for position, guard in enumerate(self.guards):
            for name in sorted(guard.intents):
                _check_known(known, name, f"guards[{position}].intents", guard.id)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from plain data in the file format (``extends = "default"`` allowed)."""
        return _build(data, Source(), Path.cwd(), ())

    @classmethod
    def from_file(cls, path: str | Path) -> Policy:
        """A policy from a TOML, YAML or JSON file; errors name the file and line."""
        return _load(Path(path), ())

    @classmethod
    def default(cls) -> Policy:
        """The built-in playbook: every practice P1-P17 of PRACTICES.md as rules."""
        return _default()

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema of the policy file format, for editors and validators."""
        text = (resources.files("outreach_rules") / _SCHEMA).read_text(encoding="utf-8")
        schema: dict[str, Any] = json.loads(text)
        return schema

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data in the file format; ``Policy.from_dict`` reads it back."""
        return unstructure(
            name=self.name,
            version=self.version,
            description=self.description,
            events=self.events,
            intents=self.intents,
            triggers=self.triggers,
            guards=self.guards,
        )

    def with_overrides(self, data: Mapping[str, Any]) -> Policy:
        """This policy with parts replaced, in the shape of an extending file.

        Intents merge by name and rules by id; ``remove`` drops rules::

            Policy.default().with_overrides({
                "intents": {"review_request": {"priority": 40}},
                "guards": [
                    {"id": "contact-pressure", "frequency_cap": {"limit": 3, "period": "7 days"}}
                ],
                "remove": ["gift-season"],
            })
        """
        reader = Reader()
        merged, _ = merge(self.to_dict(), data, reader)
        return Policy(**structure(merged, reader))

    def lint(self) -> tuple[Finding, ...]:
        """What in this policy is probably a mistake; see ``outreach_rules.lint``."""
        return lint(self)

    def rule(self, rule_id: str) -> Trigger | GuardRule:
        """The trigger or guard rule with id ``rule_id``."""
        rules: list[Trigger | GuardRule] = [*self.triggers, *self.guards]
        for rule in rules:
            if rule.id == rule_id:
                return rule
        ids = [r.id for r in rules]
        close = difflib.get_close_matches(rule_id, ids, n=1)
        raise PolicyError(
            "is not a rule of the policy",
            field="rule",
            value=rule_id,
            hint=f"did you mean {close[0]!r}?" if close else f"use one of {ids}",
        )

    def intent(self, name: str) -> Intent:
        """The intent called ``name``."""
        intents = self.cached("intents", lambda: {i.name: i for i in self.intents})
        try:
            return intents[name]
        except KeyError:
            _check_known(set(intents), name, "intent", None)
            raise

    def guards_for(self, intent: Intent, channel: Channel | None) -> tuple[GuardRule, ...]:
        """The guard rules whose scope takes in ``intent`` (on ``channel``, when given).

        Without a channel: the rules that hold whatever the channel. With one: only the
        rules that depend on the channel.
        """

        def build() -> tuple[GuardRule, ...]:
            return tuple(
                rule
                for rule in self.guards
                if rule.covers(intent.name, intent.category, channel)
                and rule.per_channel == (channel is not None)
            )

        result: tuple[GuardRule, ...] = self.cached(("guards", intent.name, channel), build)
        return result

    def cached(self, key: Any, build: Callable[..., _T], *args: Any) -> _T:
        """``build(*args)``, kept under ``key`` for the policy's lifetime: what the planner
        derives from the rules alone is derived once."""
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = build(*args)
        return found


def _check_unique(what: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise PolicyError(
                f"names {name!r} twice", field=what, value=name, hint="ids must be unique"
            )
        seen.add(name)


def _check_no_basis(trigger: Trigger, position: int) -> None:
    # A trigger's conditions are tested on the anchor, before there is a basis to test.
    for index, condition in enumerate(trigger.when):
        if uses_basis(condition):
            raise PolicyError(
                "tests the proposal's basis, which a trigger does not know yet",
                field=f"triggers[{position}].when[{index}]",
                value=condition,
                rule=trigger.id,
                hint="use of = 'anchor' here, or move the test to a guard's 'when'",
            )


def _check_known(known: set[str], name: str, field: str, rule: str | None) -> None:
    if name in known:
        return
    close = difflib.get_close_matches(name, sorted(known), n=1)
    raise PolicyError(
        "is not an intent the policy declares",
        field=field,
        value=name,
        rule=rule,
        hint=f"did you mean {close[0]!r}?"
        if close
        else f"declare it under intents, or use one of {sorted(known)}",
    )


_DEFAULT = "playbook/default.toml"
_SCHEMA = "playbook/policy.schema.json"


@functools.cache
def _default() -> Policy:
    # A policy is immutable, so one shared copy serves every caller.
    with resources.as_file(resources.files("outreach_rules") / _DEFAULT) as path:
        return _load(path, ())


def _load(path: Path, seen: tuple[Path, ...]) -> Policy:
    data, source = read(path)
    return _build(data, source, path.parent, (*seen, path.resolve()))


def _build(data: Any, source: Source, folder: Path, seen: tuple[Path, ...]) -> Policy:
    reader = Reader(source.file, source.line)
    if not isinstance(data, Mapping):
        reader.fail("", "must be a table of policy keys", hint="start with name = '...'")
    base_name = data.get("extends")
    if base_name is None:
        if "remove" in data:
            reader.fail("remove", "only makes sense with extends", hint="add extends = 'default'")
        return Policy(**_parts(data, reader))
    if not isinstance(base_name, str):
        reader.fail(
            "extends", "must name a policy", value=base_name, hint="'default' or a file path"
        )
    if base_name == "default":
        base = _default()
    else:
        base_path = (folder / base_name).resolve()
        if base_path in seen:
            reader.fail("extends", "extends itself in a cycle", value=base_name)
        base = _load(base_path, seen)
    merged, moved = merge(base.to_dict(), data, reader)
    merged_reader = Reader(source.file, lambda path: source.line(_origin(path, moved)))
    try:
        return Policy(**_parts(merged, merged_reader))
    except PolicyError as error:
        # A rule of this file stands elsewhere in the merge: name its place in the file.
        origin = _origin(error.field or "", moved)
        if origin and error.file == source.file:
            error.field = origin
            error.args = (str(error),)
        raise


def _parts(data: Mapping[str, Any], reader: Reader) -> dict[str, Any]:
    parts = structure(data, reader)
    try:
        Policy(**parts)
    except PolicyError as error:
        # Whole-policy checks name a path such as triggers[3].intent: say where it stands.
        if error.file is None and error.field is not None:
            error.located(file=reader.file, line=reader.line(error.field))
        raise
    return parts


def _origin(path: str, moved: Mapping[str, str]) -> str:
    """The path in the extending file of a path in the merged policy; "" for the base's."""
    match = re.match(r"(triggers|guards)\[\d+\]", path)
    if match is None:
        return path
    origin = moved.get(match.group(0))
    return "" if origin is None else origin + path[match.end() :]
