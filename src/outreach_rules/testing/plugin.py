"""The pytest plugin: fixtures for testing outreach rules, with nothing to import.

Installing outreach-rules registers this module with pytest (the ``pytest11`` entry point),
so every test can ask for:

- ``outreach_policy``: the policy under test: the built-in playbook, or the file that
  the ini option ``outreach_policy`` names (relative to the ini file), loaded once;
- ``make_customer``: a factory of customers, ``make_customer(timezone="Asia/Kolkata")``,
  with defaults for every field (``CUSTOMER_DEFAULTS``);
- ``make_history``: a factory of histories, from events, contacts, records of the data
  contract, or ``(kind, at, ref, data)`` tuples;
- ``frozen_now``: a [`FrozenClock`][outreach_rules.FrozenClock] standing at ``FROZEN_NOW``
  (Monday 1 June 2026, 09:00 UTC), or at the ini option ``outreach_now``.

For example, in ``pyproject.toml``::

    [tool.pytest.ini_options]
    outreach_policy = "policies/shop.toml"
    outreach_now = "2026-12-14T09:30:00Z"

The plugin defines fixtures and two ini options, and nothing else: it changes nothing in
a test run that does not use them, refuses at start-up (a usage error, once) an
``outreach_policy`` that names no file or an ``outreach_now`` that is no instant, loads the
policy only when a test asks for it, imports
nothing but the library itself, and never needs hypothesis (only the strategies of
``outreach_rules.testing`` do). Turn it off with ``-p no:outreach_rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from outreach_rules.contract import customer_from_record, event_from_record
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.model import Contact, Customer, Event
from outreach_rules.policy import Policy
from outreach_rules.timeline.clock import FrozenClock

__all__ = [
    "CUSTOMER_DEFAULTS",
    "FROZEN_NOW",
    "frozen_now",
    "make_customer",
    "make_history",
    "outreach_policy",
]

FROZEN_NOW = "2026-06-01T09:00:00+00:00"
"""Where ``frozen_now`` stands unless the ini option ``outreach_now`` says otherwise: a
Monday, 10:00 in London, well away from any change of clocks."""

CUSTOMER_DEFAULTS: Mapping[str, Any] = {
    "id": "c1",
    "timezone": "Europe/London",
    "country": "GB",
    "since": "2019-05-01T00:00:00Z",
    "channels": {"email": True, "sms": True, "phone": True},
}
"""The fields ``make_customer`` fills in unless told otherwise: customer ``c1`` in London,
a customer for years, reachable by email, sms and phone."""

_POLICY_HELP = (
    "the policy file the outreach_policy fixture loads, relative to the ini file "
    "(default: the built-in playbook), e.g. outreach_policy = policies/shop.toml"
)
_NOW_HELP = (
    "the instant the frozen_now fixture stands at, with an offset "
    f"(default: {FROZEN_NOW}), e.g. outreach_now = 2026-12-14T09:30:00Z"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini options ``outreach_policy`` and ``outreach_now``."""
    parser.addini("outreach_policy", _POLICY_HELP, type="string", default="")
    parser.addini("outreach_now", _NOW_HELP, type="string", default="")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse, once and before any test runs, ini options that no test could use."""
    path = _policy_path(config)
    if path is not None and not path.is_file():
        raise pytest.UsageError(
            f"outreach_policy = {_ini(config, 'outreach_policy')}: there is no file {path} "
            "(the path is relative to the ini file); name an existing policy file, or leave "
            "the option out for the built-in playbook"
        )
    now = _ini(config, "outreach_now")
    if now:
        try:
            FrozenClock(now)
        except OutreachRulesError as error:
            raise pytest.UsageError(f"outreach_now = {now}: {error}") from None


def _ini(config: pytest.Config, name: str) -> str:
    value = config.getini(name)
    return value.strip() if isinstance(value, str) else ""


def _policy_path(config: pytest.Config) -> Path | None:
    """The file the ini option ``outreach_policy`` names, or None for the playbook."""
    name = _ini(config, "outreach_policy")
    if not name or name == "default":
        return None
    path = Path(name)
    if not path.is_absolute():
        base = config.inipath.parent if config.inipath else config.rootpath
        path = base / path
    return path


@pytest.fixture(scope="session")
def outreach_policy(pytestconfig: pytest.Config) -> Policy:
    """The policy under test: the file named by the ini option ``outreach_policy``
    (relative to the ini file), or the built-in playbook when none is named."""
    path = _policy_path(pytestconfig)
    return Policy.default() if path is None else Policy.from_file(path)


@pytest.fixture
def make_customer() -> Callable[..., Customer]:
    """A factory of customers: ``make_customer(**fields)``.

    Fields are those of a customer record in the data contract (``id``, ``timezone``,
    ``country``, ``since``, ``channels``, ``consents``, ``attributes``); those not given
    come from ``CUSTOMER_DEFAULTS``. A bad field raises the library's
    [`InputError`][outreach_rules.InputError], naming it.
    """

    def make(**fields: Any) -> Customer:
        return customer_from_record({**CUSTOMER_DEFAULTS, **fields})

    return make


@pytest.fixture
def make_history() -> Callable[..., list[Event]]:
    """A factory of histories: ``make_history(*items, customer="c1")``, a list of events.

    Each item is an [`Event`][outreach_rules.Event], a [`Contact`][outreach_rules.Contact], an
    event record of the data contract (``{"kind": ..., "at": ..., "ref": ..., "data": ...}``)
    or a tuple ``(kind, at)``, ``(kind, at, ref)`` or ``(kind, at, ref, data)``. Records
    and tuples belong to ``customer`` (a customer or its id) unless a record says
    ``"customer"``; ``customer=None`` makes them broadcasts. Events and contacts are kept
    as given. The list keeps the order given; the planner does not mind it.
    """
    return _make_history


def _make_history(
    *items: Event | Contact | Mapping[str, Any] | tuple[Any, ...],
    customer: Customer | str | None = "c1",
) -> list[Event]:
    owner = customer if customer is None or isinstance(customer, str) else customer.id
    history: list[Event] = []
    for position, item in enumerate(items):
        if isinstance(item, Event):
            history.append(item)
        elif isinstance(item, Contact):
            history.append(item.as_event())
        else:
            record = _record(item, position)
            record.setdefault("customer", owner)
            try:
                history.append(event_from_record(record))
            except InputError as error:
                raise error.located(field=f"items[{position}]") from None
    return history


def _record(item: Any, position: int) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, tuple) and 2 <= len(item) <= 4:
        return dict(zip(("kind", "at", "ref", "data"), item, strict=False))
    raise InputError(
        "must be an Event, a Contact, an event record or a tuple (kind, at[, ref[, data]])",
        field=f"items[{position}]",
        value=item,
        hint="such as ('order_placed', '2026-06-01T10:00:00Z', 'o1', {'gift': True})",
    )


@pytest.fixture
def frozen_now(pytestconfig: pytest.Config) -> FrozenClock:
    """A [`FrozenClock`][outreach_rules.FrozenClock] at ``FROZEN_NOW``, or at the ini option
    ``outreach_now``; a new one for each test, so ``advance()`` stays within it.

    Pass it as ``now`` to [`plan`][outreach_rules.plan], which reads it as a clock.
    """
    return FrozenClock(_ini(pytestconfig, "outreach_now") or FROZEN_NOW)
