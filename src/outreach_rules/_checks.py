"""attrs validators shared by the value objects, each raising the library's own errors.

A value object built through the Python API is checked as strictly as one read from a
file: every error names the field and the value, and, on a rule, the rule's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from outreach_rules._strict_json import LoneSurrogate, has_surrogate
from outreach_rules.errors import InputError, OutreachRulesError

__all__ = [
    "KIND",
    "argument",
    "collection",
    "count",
    "each",
    "flag",
    "instance_of",
    "is_whole",
    "kind_name",
    "listed",
    "one_of",
    "one_or_listed",
    "satisfies",
    "text",
    "texts",
    "whole",
    "words",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
ErrorType = type[OutreachRulesError]

KIND = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
"""What an event kind or an intent name looks like: ``order_placed``, ``crm:lead.won``."""
_KIND_HINT = "a name such as 'order_placed': a letter, then letters, digits and _ . : -"


def is_whole(value: Any) -> bool:
    """Whether ``value`` is an ``int`` and not a ``bool``, which Python counts as one."""
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(
    error: ErrorType,
    instance: Any,
    message: str,
    field: str,
    value: Any,
    *,
    hint: str | None = None,
) -> OutreachRulesError:
    rule = getattr(instance, "id", None)
    # Only a rule's id says where in a policy the error is; a customer's id does not, and
    # an id that is itself at fault says nothing.
    named = rule if error is not InputError and field != "id" and isinstance(rule, str) else None
    return error(message, field=field, value=value, hint=hint, rule=named)


def _check_words(error: ErrorType, instance: Any, field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _fail(error, instance, "must be a string", field, value)
    if has_surrogate(value):
        hint = LoneSurrogate.hint
        raise _fail(error, instance, LoneSurrogate.problem, field, value, hint=hint)


def _check_text(
    error: ErrorType, instance: Any, field: str, value: Any, pattern: re.Pattern[str] | None
) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(error, instance, "must be a non-empty string", field, value)
    _check_words(error, instance, field, value)
    if pattern is not None and not pattern.fullmatch(value):
        hint = _KIND_HINT if pattern is KIND else None
        raise _fail(error, instance, f"must match {pattern.pattern}", field, value, hint=hint)


def text(
    field: str,
    *,
    optional: bool = False,
    pattern: re.Pattern[str] | None = None,
    error: ErrorType = InputError,
) -> Validator:
    """A non-empty string (``None`` too if ``optional``) that UTF-8 can write."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        _check_text(error, instance, field, value, pattern)

    return check


def kind_name(field: str, *, optional: bool = False, error: ErrorType = InputError) -> Validator:
    """An event kind or intent name, such as ``order_placed``."""
    return text(field, optional=optional, pattern=KIND, error=error)


def words(field: str, *, error: ErrorType = InputError) -> Validator:
    """Free text, empty allowed (a description), that UTF-8 can write."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        _check_words(error, instance, field, value)

    return check


def texts(
    field: str, *, pattern: re.Pattern[str] | None = None, error: ErrorType = InputError
) -> Validator:
    """A collection of non-empty strings; an error names the item of a list (``unless[1]``)
    and shows the item of a set, which has no place."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, frozenset):
            for item in sorted(value, key=str):
                _check_text(error, instance, field, item, pattern)
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                _check_text(error, instance, f"{field}[{index}]", item, pattern)
        else:
            raise _fail(error, instance, "must be a list of strings", field, value)

    return check


def flag(field: str, *, error: ErrorType = InputError) -> Validator:
    """``True`` or ``False``, not a truthy stand-in such as ``"no"``."""
    return instance_of(bool, field, "true or false", error=error)


def whole(
    field: str, *, minimum: int | None = None, optional: bool = False, error: ErrorType = InputError
) -> Validator:
    """An ``int`` (not a ``bool``), at least ``minimum`` when given."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not is_whole(value):
            raise _fail(error, instance, "must be an integer", field, value)
        if minimum is not None and value < minimum:
            raise _fail(error, instance, f"must be at least {minimum}", field, value)

    return check


def instance_of(
    kind: type | tuple[type, ...], field: str, what: str, *, error: ErrorType = InputError
) -> Validator:
    """An instance of ``kind``; ``what`` says it in words (``"an integer"``)."""
    return satisfies(lambda value: isinstance(value, kind), field, what, error=error)


def one_of(choices: tuple[str, ...], field: str, *, error: ErrorType = InputError) -> Validator:
    """One of a few fixed words, such as a cap's ``per``."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or value not in choices:
            hint = f"use one of {', '.join(choices)}"
            raise _fail(error, instance, "is not one of the choices", field, value, hint=hint)

    return check


def satisfies(
    test: Callable[[Any], bool], field: str, what: str, *, error: ErrorType = InputError
) -> Validator:
    """A value that passes ``test``; ``what`` says what it must be (``"a guard spec"``)."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if not test(value):
            raise _fail(error, instance, f"must be {what}", field, value)

    return check


def each(
    test: Callable[[Any], bool],
    field: str,
    what: str,
    *,
    at_least_one: bool = False,
    error: ErrorType = InputError,
) -> Validator:
    """A tuple whose every item passes ``test``; ``what`` says what an item must be
    (``"a condition"``), and an error names the item (``when[2]``)."""

    def check(instance: Any, _: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple) or (at_least_one and not value):
            some = "a list of at least one item" if at_least_one else "a list"
            raise _fail(error, instance, f"must be {some}, each {what}", field, value)
        for index, item in enumerate(value):
            if not test(item):
                raise _fail(error, instance, f"must be {what}", f"{field}[{index}]", item)

    return check


def listed(value: Any) -> Any:
    """A list, tuple or set as a tuple; anything else as it is, for a validator to refuse.

    A converter that called ``tuple()`` on anything would turn ``"abc"`` into three items
    and fail on ``3`` with a bare ``TypeError``.
    """
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(value, key=str))
    return value


def one_or_listed(value: Any) -> Any:
    """As ``listed``, and one string as a tuple of it."""
    return (value,) if isinstance(value, str) else listed(value)


# -- arguments of functions, checked where they enter ----------------------------------------


def argument(value: Any, kind: type, name: str, *, what: str, hint: str | None = None) -> None:
    """Refuse an argument ``name`` that is not a ``kind`` (``what`` says one in words)."""
    if not isinstance(value, kind):
        raise InputError(f"must be {what}, not {type(value).__name__}", field=name, hint=hint)


def collection(value: Any, name: str, *, what: str, hint: str | None = None) -> None:
    """Refuse an argument ``name`` that cannot be walked as a list (``None``, a number, a
    mapping); its items are checked where they are walked."""
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise InputError(f"must be {what}, not {type(value).__name__}", field=name, hint=hint)


def count(value: Any, name: str, *, minimum: int = 0, optional: bool = False) -> None:
    """Refuse an argument ``name`` that is not a whole number of at least ``minimum``."""
    if value is None and optional:
        return
    if not is_whole(value) or value < minimum:
        raise InputError(f"must be a whole number, at least {minimum}", field=name, value=value)
