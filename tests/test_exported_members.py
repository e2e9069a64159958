"""The public API surface: ``outreach_rules.__all__`` is the documented list, and only it.

As in httpx's ``tests/test_exported_members.py``. Changing the public API means changing
``PUBLIC_API`` below, on purpose, in the same change that updates the docs and changelog.
"""

from __future__ import annotations

import inspect

import outreach_rules

PUBLIC_API = [
    "AfterEvent",
    "AllowedHours",
    "AnnualBlackout",
    "AnyOf",
    "Backtest",
    "Blackout",
    "BusinessDaysOnly",
    "Category",
    "Changes",
    "Channel",
    "Claim",
    "Clock",
    "Comparison",
    "Contact",
    "Count",
    "Customer",
    "Decision",
    "Difference",
    "Duration",
    "Effect",
    "EngineError",
    "EngineUnavailable",
    "Event",
    "Finding",
    "FrequencyCap",
    "FrozenClock",
    "GuardRule",
    "HourSpan",
    "InWindow",
    "InputError",
    "Intent",
    "Match",
    "MaxIterationsReached",
    "MemoryStore",
    "MissingDependency",
    "NotOnDayOf",
    "NotWithinAfter",
    "OutreachRulesError",
    "Plan",
    "Policy",
    "PolicyError",
    "PostgresStore",
    "RequiresConsent",
    "SchemaError",
    "Sent",
    "Session",
    "Severity",
    "SqliteStore",
    "Status",
    "StoreError",
    "Tenure",
    "TimeError",
    "TraceStep",
    "Trigger",
    "VocabularyError",
    "WhileOpen",
    "compare",
    "decision_id",
    "full_record",
    "plan",
    "simulate",
]


def test_all_is_the_documented_public_api() -> None:
    assert outreach_rules.__all__ == PUBLIC_API


def test_all_is_sorted_without_duplicates() -> None:
    assert outreach_rules.__all__ == sorted(outreach_rules.__all__)
    assert len(set(outreach_rules.__all__)) == len(outreach_rules.__all__)


def test_every_name_in_all_resolves_to_something_of_the_package() -> None:
    for name in outreach_rules.__all__:
        member = getattr(outreach_rules, name)
        assert member.__module__.startswith("outreach_rules."), name
        assert member.__name__ == name


def test_every_public_class_or_function_of_the_package_is_exported() -> None:
    unexported = [
        name
        for name, member in vars(outreach_rules).items()
        if not name.startswith("_")
        and (inspect.isclass(member) or inspect.isfunction(member))
        and member.__module__.startswith("outreach_rules")
        and name not in outreach_rules.__all__
    ]
    assert unexported == []


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from outreach_rules import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == PUBLIC_API
