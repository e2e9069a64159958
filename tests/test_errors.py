"""The exception tree: one root, built-in bases to catch by, and messages that say where."""

from __future__ import annotations

import inspect
import pickle

import pytest

from outreach_rules import errors
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

EXPORTED = [getattr(errors, name) for name in errors.__all__]


def test_all_names_every_exception_the_module_defines() -> None:
    defined = {
        name
        for name, member in vars(errors).items()
        if inspect.isclass(member)
        and issubclass(member, BaseException)
        and member.__module__ == errors.__name__
    }
    assert defined == set(errors.__all__)


@pytest.mark.parametrize("kind", EXPORTED, ids=lambda kind: kind.__name__)
def test_every_exception_descends_from_the_root(kind: type[Exception]) -> None:
    assert issubclass(kind, OutreachRulesError)


@pytest.mark.parametrize("kind", EXPORTED, ids=lambda kind: kind.__name__)
def test_the_module_docstring_draws_every_exception(kind: type[Exception]) -> None:
    assert errors.__doc__ is not None
    assert kind.__name__ in errors.__doc__


@pytest.mark.parametrize(
    ("kind", "bases"),
    [
        (InputError, (OutreachRulesError, ValueError)),
        (TimeError, (InputError, ValueError)),
        (VocabularyError, (InputError, ValueError)),
        (PolicyError, (OutreachRulesError, ValueError)),
        (MaxIterationsReached, (OutreachRulesError, RuntimeError)),
        (EngineError, (OutreachRulesError, RuntimeError)),
        (EngineUnavailable, (EngineError, OutreachRulesError, RuntimeError)),
        (MissingDependency, (OutreachRulesError, ImportError)),
    ],
)
def test_each_exception_also_inherits_the_builtin_it_resembles(
    kind: type[Exception], bases: tuple[type[Exception], ...]
) -> None:
    for base in bases:
        assert issubclass(kind, base)


def test_the_root_is_not_a_value_error_so_runtime_failures_stay_apart() -> None:
    assert not issubclass(OutreachRulesError, ValueError)
    assert not issubclass(MaxIterationsReached, ValueError)
    assert not issubclass(PolicyError, InputError)
    assert not issubclass(InputError, PolicyError)


def test_an_input_error_is_caught_by_except_value_error() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        raise InputError("must be a string", field="id", value=5)


def test_str_puts_file_line_rule_field_value_and_hint_together() -> None:
    error = PolicyError(
        "is not an intent the policy declares",
        field="triggers[2].intent",
        value="revew_request",
        rule="ask-for-review",
        file="policy.toml",
        line=12,
        hint="did you mean 'review_request'?",
    )
    assert str(error) == (
        "policy.toml:12, rule 'ask-for-review', triggers[2].intent='revew_request': "
        "is not an intent the policy declares (did you mean 'review_request'?)"
    )


def test_str_keeps_the_structured_fields_on_the_error() -> None:
    error = TimeError("is not a known time zone", field="timezone", value="Europe/Londn")
    assert (error.field, error.value, error.has_value) == ("timezone", "Europe/Londn", True)
    assert (error.file, error.line, error.rule, error.hint) == (None, None, None, None)
    assert error.message == "is not a known time zone"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OutreachRulesError("went wrong"), "went wrong"),
        (OutreachRulesError("went wrong", hint="try again"), "went wrong (try again)"),
        (OutreachRulesError("went wrong", file="p.toml"), "p.toml: went wrong"),
        (OutreachRulesError("went wrong", line=3), "went wrong"),
        (OutreachRulesError("went wrong", rule="r1"), "rule 'r1': went wrong"),
        (OutreachRulesError("is missing", field="since"), "since: is missing"),
        (OutreachRulesError("is empty", field="ref", value=""), "ref='': is empty"),
        # None given as the value is shown: it is the bad value, not an absent one.
        (OutreachRulesError("is not a kind", field="kind", value=None), "kind=None: is not a kind"),
    ],
)
def test_str_shows_only_what_is_known(error: OutreachRulesError, expected: str) -> None:
    assert str(error) == expected


def test_located_fills_file_and_line_and_prefixes_the_field_path() -> None:
    error = VocabularyError(
        "is not a channel", field="channels", value="emial", hint="did you mean 'email'?"
    )
    returned = error.located(file="policy.toml", line=7, field="intents[2]")
    assert returned is error
    assert (error.file, error.line, error.field) == ("policy.toml", 7, "intents[2].channels")
    assert str(error) == (
        "policy.toml:7, intents[2].channels='emial': is not a channel (did you mean 'email'?)"
    )
    # args follow, so tracebacks and repr() show the located message too.
    assert error.args == (str(error),)


def test_located_keeps_what_was_already_known() -> None:
    error = PolicyError("is not a duration", field="delay", file="a.toml", line=1, rule="r1")
    error.located(file="b.toml", line=99)
    assert (error.file, error.line, error.rule) == ("a.toml", 1, "r1")
    assert str(error).startswith("a.toml:1, rule 'r1', delay: ")


def test_located_nests_field_paths_from_the_inside_out() -> None:
    error = InputError("must be true or false", field="email", value="yes")
    error.located(field="channels").located(field="customers[4]")
    assert error.field == "customers[4].channels.email"
    assert str(error) == "customers[4].channels.email='yes': must be true or false"


def test_located_gives_a_field_to_an_error_that_had_none() -> None:
    error = InputError("must be an Event or a Contact")
    error.located(field="history[0]", line=5)
    assert (error.field, error.line, error.file) == ("history[0]", 5, None)
    # A line without a file says nothing on its own, so the message leaves it out.
    assert str(error) == "history[0]: must be an Event or a Contact"


def test_located_with_nothing_changes_nothing() -> None:
    error = InputError("is empty", field="id", value="")
    before = str(error)
    error.located()
    assert str(error) == before
    assert error.field == "id"


@pytest.mark.parametrize("kind", EXPORTED, ids=lambda kind: kind.__name__)
def test_errors_survive_pickling_with_their_fields(kind: type[OutreachRulesError]) -> None:
    # Errors raised in worker processes (Spark executors, multiprocessing) are pickled.
    error = kind("went wrong", field="f", value=[1], hint="h", file="x.toml", line=2, rule="r")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is kind
    assert str(copy) == str(error)
    assert (copy.field, copy.value, copy.file, copy.line, copy.rule, copy.hint) == (
        "f",
        [1],
        "x.toml",
        2,
        "r",
        "h",
    )
