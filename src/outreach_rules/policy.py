"""Policy: a named, versioned set of intents, triggers and guard rules, checked as a whole."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import attrs

from outreach_rules.errors import PolicyError
from outreach_rules.model import Channel, Intent
from outreach_rules.rules.guards import GuardRule
from outreach_rules.rules.triggers import Trigger

__all__ = ["Policy"]


@attrs.frozen(kw_only=True)
class Policy:
    """A named, versioned set of rules: the intents, the triggers and the guards.

    Built from value objects here; validated as a whole when built: ids are unique and
    every intent a rule names is declared.
    """

    name: str
    intents: tuple[Intent, ...] = attrs.field(converter=tuple)
    triggers: tuple[Trigger, ...] = attrs.field(converter=tuple)
    guards: tuple[GuardRule, ...] = attrs.field(default=(), converter=tuple)
    version: str = "1"
    description: str = ""
    # Compiled lookups, filled on first use; not part of the policy's value.
    _cache: dict[Any, Any] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Validation only: a policy that does not hang together is refused when built.
        _check_unique("intents", (i.name for i in self.intents))
        _check_unique("rules", (*(t.id for t in self.triggers), *(g.id for g in self.guards)))
        known = {intent.name for intent in self.intents}
        for position, trigger in enumerate(self.triggers):
            _check_known(known, trigger.intent, f"triggers[{position}].intent", trigger.id)
        for position, guard in enumerate(self.guards):
            for name in sorted(guard.intents):
                _check_known(known, name, f"guards[{position}].intents", guard.id)

    def intent(self, name: str) -> Intent:
        """The intent called ``name``."""
        intents = self._lookup("intents", lambda: {i.name: i for i in self.intents})
        try:
            return intents[name]  # type: ignore[no-any-return]
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

        result: tuple[GuardRule, ...] = self._lookup(("guards", intent.name, channel), build)
        return result

    def _lookup(self, key: Any, build: Any) -> Any:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = build()
        return found


def _check_unique(what: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise PolicyError(
                f"names {name!r} twice", field=what, value=name, hint="ids must be unique"
            )
        seen.add(name)


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
