"""Test helpers for code built on outreach-rules: assertions, clocks, hypothesis strategies.

- ``assert_scheduled``, ``assert_not_scheduled`` and ``assert_within_hours``,
  whose failure messages show the decision's trace;
- [`Clock`][outreach_rules.Clock] and [`FrozenClock`][outreach_rules.FrozenClock], for a
  ``now`` that stands still;
- hypothesis strategies (``outreach_rules.testing.strategies``): customers, coherent
  histories, tricky instants, valid policies;
- a pytest plugin (``outreach_rules.testing.plugin``), registered when the library is
  installed, and policy scenarios (``outreach_rules.testing.scenarios``).

The strategies need hypothesis (``pip install 'outreach-rules[testing]'``); they are
imported from here only when first used, so everything else works without it. The
planner never imports this subpackage; the command line imports the scenarios, for
``outreach-rules test``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from outreach_rules.testing.assertions import (
    assert_not_scheduled,
    assert_scheduled,
    assert_within_hours,
)
from outreach_rules.timeline.clock import Clock, FrozenClock

if TYPE_CHECKING:
    # Imported on first use by __getattr__ below: they need hypothesis.
    from outreach_rules.testing.strategies import (
        ZONE_NAMES,
        conditions,
        customers,
        durations,
        epoch_instants,
        event_kinds,
        events,
        guard_rules,
        guard_specs,
        histories,
        instants,
        intents,
        policies,
        rule_ids,
        triggers,
        zones,
    )

__all__ = [
    "ZONE_NAMES",
    "Clock",
    "FrozenClock",
    "assert_not_scheduled",
    "assert_scheduled",
    "assert_within_hours",
    "conditions",
    "customers",
    "durations",
    "epoch_instants",
    "event_kinds",
    "events",
    "guard_rules",
    "guard_specs",
    "histories",
    "instants",
    "intents",
    "policies",
    "rule_ids",
    "triggers",
    "zones",
]


def __getattr__(name: str) -> Any:
    # The strategies, imported when first asked for: only they need hypothesis.
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        strategies = importlib.import_module("outreach_rules.testing.strategies")
    except ImportError as error:
        if error.name is None or not error.name.startswith("hypothesis"):
            raise
        raise ImportError(
            f"outreach_rules.testing.{name} needs hypothesis: "
            "pip install 'outreach-rules[testing]'",
            name=error.name,
        ) from error
    if name in strategies.__all__:
        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
