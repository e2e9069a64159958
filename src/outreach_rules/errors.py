"""The exceptions outreach-rules raises, all under one root.

::

    OutreachRulesError
     ├── InputError (ValueError)           bad data handed to the library
     │    ├── TimeError                    a naive datetime, a malformed instant, an unknown zone
     │    └── VocabularyError              an unknown channel, category or status
     ├── PolicyError (ValueError)          a policy that cannot be built or loaded
     ├── MaxIterationsReached (RuntimeError)
     │                                     the guard fixpoint did not settle within its bound
     ├── EngineError (RuntimeError)        a trigger engine failed (a hash collision, an error
     │    │                                that durable-rules swallowed)
     │    └── EngineUnavailable            the engine asked for cannot run here (durable-rules
     │                                     does not import on Python 3.13+)
     └── MissingDependency (ImportError)   an optional package a feature needs is not
                                           installed (pandas, matplotlib: the notebook extra)

Every error carries the structured fields that say where it happened (``field``,
``value``, and where known ``file``, ``line`` and ``rule``) and a ``hint`` that says what
would be right. ``str(error)`` puts them together in one sentence.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EngineError",
    "EngineUnavailable",
    "InputError",
    "MaxIterationsReached",
    "MissingDependency",
    "OutreachRulesError",
    "PolicyError",
    "TimeError",
    "VocabularyError",
]

_UNSET: Any = object()


class OutreachRulesError(Exception):
    """The root of every exception this library raises."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = _UNSET,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        rule: str | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.value = None if value is _UNSET else value
        self.has_value = value is not _UNSET
        self.hint = hint
        self.file = file
        self.line = line
        self.rule = rule
        super().__init__(message)

    def located(
        self, *, file: str | None = None, line: int | None = None, field: str | None = None
    ) -> OutreachRulesError:
        """Fill in where the error happened, keeping what is already known; returns self."""
        if file is not None and self.file is None:
            self.file = file
        if line is not None and self.line is None:
            self.line = line
        if field is not None:
            self.field = field if self.field is None else f"{field}.{self.field}"
        self.args = (str(self),)
        return self

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.rule is not None:
            where.append(f"rule {self.rule!r}")
        if self.field is not None:
            where.append(self.field if not self.has_value else f"{self.field}={self.value!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return text if self.hint is None else f"{text} ({self.hint})"


class InputError(OutreachRulesError, ValueError):
    """Data handed to the library (a customer, an event, an instant) is not acceptable."""


class TimeError(InputError):
    """An instant, a duration or a time zone is malformed or ambiguous (naive)."""


class VocabularyError(InputError):
    """A name is not in the library's fixed vocabulary (channels, categories, statuses)."""


class PolicyError(OutreachRulesError, ValueError):
    """A policy, or one of its rules, cannot be built as given."""


class MaxIterationsReached(OutreachRulesError, RuntimeError):
    """The guards kept moving an instant past the fixpoint's bound on iterations."""


class EngineError(OutreachRulesError, RuntimeError):
    """A trigger engine failed: a hash collision it cannot tell apart, an error it swallowed."""


class EngineUnavailable(EngineError):
    """The trigger engine asked for cannot run here, such as durable-rules on Python 3.13+."""


class MissingDependency(OutreachRulesError, ImportError):
    """An optional package that a feature needs is not installed; ``extra`` names the
    extra of outreach-rules that brings it (``pip install 'outreach-rules[notebook]'``)."""

    def __init__(
        self, message: str, *, package: str | None = None, extra: str | None = None, **where: Any
    ) -> None:
        super().__init__(message, **where)
        self.package = package
        self.extra = extra
