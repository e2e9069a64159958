"""What the durable engine and its host share: a compiled program, facts and their hash.

The lowest of the three durable modules: ``outreach_rules.engines.durable`` compiles the
triggers into a ``Program`` and builds a customer's replay; ``_durable_host`` runs the
replay in durable-rules. Both look down here, so neither imports the other's names (the
engine imports the host only when asked to run, since durable-rules does not import
everywhere).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import attrs

__all__ = ["Fact", "Program", "Replaying", "fnv1a32"]

Fact = dict[str, Any]
"""A fact as durable-rules takes and gives it: a JSON object."""


def fnv1a32(text: str) -> int:
    """The 32-bit hash by which durable-rules tells apart session ids, fact ids and property
    names: FNV-1a over the UTF-8 bytes, each taken as a signed char, as its C code does."""
    value = 0x811C9DC5
    for byte in text.encode():
        value ^= byte if byte < 0x80 else byte | 0xFFFFFF00
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


@attrs.frozen
class Program:
    """A policy's triggers compiled: durable-rules' rule definitions, as canonical JSON text,
    and the numbers that stand for event kinds and intents in its facts."""

    text: str
    kinds: Mapping[str, int]
    intents: Mapping[str, int]

    def definition(self) -> dict[str, Any]:
        """The rule definitions, a fresh copy (durable-rules edits what it is given)."""
        loaded: dict[str, Any] = json.loads(self.text)
        return loaded


class Replaying(Protocol):
    """What the host asks of one customer's replay (``durable.Replay``): the facts to feed
    in order, and the answers to the rules' actions."""

    def opening(self) -> Iterator[Fact]:
        """The facts to post, in order."""
        ...

    def anchored(self, index: int, anchor: Fact) -> Fact | None:
        """The proposal that trigger ``index`` grows from ``anchor``, if any."""
        ...

    def ready(self, waiting: Fact, required: Fact) -> Fact:
        """The waiting proposal again, ready."""
        ...
