"""outreach-rules: declarative rules that decide when and how to contact each customer.

A plan is a pure function of policy, customer, history and now::

    from outreach_rules import plan
    result = plan(policy, customer, history, now="2026-12-15T10:00:00Z")
    print(result.explain())
"""

from __future__ import annotations

from outreach_rules._reasons import full_record
from outreach_rules.backtest import Backtest, Comparison, Difference, compare, simulate
from outreach_rules.errors import (
    EngineError,
    EngineUnavailable,
    InputError,
    MaxIterationsReached,
    MissingDependency,
    OutreachRulesError,
    PolicyError,
    TimeError,
    VocabularyError,
)
from outreach_rules.lint import Finding, Severity
from outreach_rules.model import (
    Category,
    Channel,
    Contact,
    Customer,
    Decision,
    Effect,
    Event,
    Intent,
    Plan,
    Status,
    TraceStep,
)
from outreach_rules.planner import decision_id, plan
from outreach_rules.policy import Policy
from outreach_rules.rules.conditions import AnyOf, Count, InWindow, Match, Sent, Tenure
from outreach_rules.rules.guards import (
    AfterEvent,
    AllowedHours,
    AnnualBlackout,
    Blackout,
    BusinessDaysOnly,
    FrequencyCap,
    GuardRule,
    NotOnDayOf,
    NotWithinAfter,
    RequiresConsent,
    WhileOpen,
)
from outreach_rules.rules.triggers import Trigger
from outreach_rules.session import Changes, Claim, Session
from outreach_rules.stores import (
    MemoryStore,
    PostgresStore,
    SchemaError,
    SqliteStore,
    StoreError,
)
from outreach_rules.timeline.calendar import HourSpan
from outreach_rules.timeline.clock import Clock, FrozenClock
from outreach_rules.timeline.instants import Duration

__all__ = [
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
