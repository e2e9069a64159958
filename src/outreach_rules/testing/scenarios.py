"""Policy scenarios: a customer, their events and ``now``, and the decisions a policy must
make about them, in TOML or YAML files that people who write policies can read.

``outreach-rules test POLICY SCENARIOS...`` runs them and exits 0 when every scenario
passes, 1 when any fails (each failure shown with the decision's trace) and 2 when a file
cannot be read. A scenario file, in TOML::

    # What every scenario of the file starts from; each may override any field.
    [defaults]
    now = "2026-06-03T13:00:00Z"
    customer = { id = "c1", timezone = "Europe/London", country = "GB",
                 since = "2019-05-01T00:00:00Z", channels = { email = true } }

    [[scenarios]]
    name = "P1: a review request three days after delivery"
    events = [
      { kind = "order_placed", at = "2026-06-01T10:00:00Z", ref = "o1" },
      { kind = "order_delivered", at = "2026-06-03T13:00:00Z", ref = "o1" },
    ]

    [[scenarios.expect]]
    intent = "review_request"
    ref = "o1"
    status = "scheduled"
    channel = "email"
    between = ["2026-06-06 14:00", "2026-06-06 15:00"]

The same in YAML is a mapping with ``defaults`` and a list ``scenarios``. A scenario has:

- ``name`` (unique in its file) and, optionally, ``description``;
- ``now``: an instant with an offset (or from ``defaults``);
- ``customer``: a customer record of the data contract, merged field by field over the
  one in ``defaults``;
- ``events``: event records of the data contract; ``customer`` may be left out;
- ``expect``: one or more expectations (``Expectation``),
  each with ``intent``, and optionally ``ref``, ``status`` (``scheduled``, the default,
  ``waiting``, ``suppressed``, or ``absent`` for no decision at all), ``channel``,
  ``between`` (two times: ``"HH:MM"`` times of day or dates and times on the customer's
  clock, or instants with an offset, both ends included), ``at`` (one such time, the
  same as ``between = [at, at]``), ``waiting_for`` and ``trace`` (rules that must appear
  in the decision's trace, as ``"gift-season"`` or ``"gift-season: deferred"``).

Only the decisions named are checked: a plan may hold others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from outreach_rules._sources import read
from outreach_rules.contract import customer_from_record, event_from_record
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.model import Customer, Event, Plan
from outreach_rules.planner import plan
from outreach_rules.policy import Policy
from outreach_rules.testing.assertions import Expectation
from outreach_rules.timeline.instants import epoch

__all__ = [
    "PLAYBOOK_SCENARIOS",
    "Outcome",
    "Report",
    "Scenario",
    "ScenarioError",
    "add_command",
    "junit_xml",
    "load_scenarios",
    "run_scenarios",
]

PLAYBOOK_SCENARIOS = "default"
"""The name that stands for the built-in playbook's own scenario file, on the command
line and in ``load_scenarios``."""

_PLAYBOOK_FILE = "playbook/scenarios.toml"
_SUFFIXES = (".toml", ".yaml", ".yml")
_FILE_KEYS = ("defaults", "scenarios")
_DEFAULT_KEYS = ("now", "customer")
_SCENARIO_KEYS = ("name", "description", "now", "customer", "events", "expect")
_EXPECT_KEYS = ("intent", "ref", "status", "channel", "between", "at", "waiting_for", "trace")
EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class ScenarioError(InputError):
    """A scenario file that cannot be read or run as written: it names the file, the line,
    the scenario and the field."""

    def __init__(self, message: str, *, scenario: str | None = None, **where: Any) -> None:
        self.scenario = scenario
        super().__init__(message, **where)

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.scenario is not None:
            where.append(f"scenario {self.scenario!r}")
        if self.field is not None:
            where.append(self.field if not self.has_value else f"{self.field}={self.value!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return text if self.hint is None else f"{text} ({self.hint})"


@attrs.frozen(kw_only=True)
class Scenario:
    """One scenario: who, what happened, when, and what the policy must decide."""

    name: str
    file: str
    line: int | None
    customer: Customer
    events: tuple[Event, ...]
    now: str
    expect: tuple[Expectation, ...]
    description: str = ""

    @property
    def where(self) -> str:
        """``file:line`` of the scenario."""
        return self.file if self.line is None else f"{self.file}:{self.line}"


@attrs.frozen(kw_only=True)
class Outcome:
    """How one scenario went: its failures (empty when it passed), and its plan.

    ``error`` is set when planning itself raised, as a policy whose guards never settle
    does; the scenario then counts as failed.
    """

    scenario: Scenario
    failures: tuple[str, ...] = ()
    plan: Plan | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures and self.error is None

    def text(self) -> str:
        """Why it failed, with the traces; empty when it passed."""
        if self.error is not None:
            return f"planning raised {self.error}"
        return "\n\n".join(self.failures)


@attrs.frozen(kw_only=True)
class Report:
    """The outcomes of a run, in the order the scenarios were given."""

    policy: str
    outcomes: tuple[Outcome, ...]

    @property
    def passed(self) -> int:
        """How many scenarios passed."""
        return sum(1 for outcome in self.outcomes if outcome.passed)

    @property
    def failed(self) -> int:
        """How many scenarios failed."""
        return len(self.outcomes) - self.passed

    @property
    def ok(self) -> bool:
        """True when every scenario passed."""
        return self.failed == 0

    def text(self) -> str:
        """A line per scenario under its file, each failure with its traces, and a summary."""
        files: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            files.setdefault(outcome.scenario.file, []).append(outcome)
        scenarios = f"{len(self.outcomes)} scenario{'' if len(self.outcomes) == 1 else 's'}"
        lines = [f"{self.policy}: {scenarios} in {len(files)} file{'' if len(files) == 1 else 's'}"]
        for file, outcomes in files.items():
            lines += ["", file]
            for outcome in outcomes:
                mark = "PASS" if outcome.passed else "FAIL"
                at = "" if outcome.scenario.line is None else f"  (line {outcome.scenario.line})"
                lines.append(f"  {mark}  {outcome.scenario.name}{at}")
        for outcome in self.outcomes:
            if not outcome.passed:
                scenario = outcome.scenario
                lines += ["", f"--- FAIL: {scenario.name} ({scenario.where})"]
                if scenario.description:
                    lines.append(scenario.description)
                lines.append(outcome.text())
        lines += ["", f"{self.passed} passed, {self.failed} failed"]
        return "\n".join(lines)


# -- loading ----------------------------------------------------------------------------------


def load_scenarios(path: str | Path) -> list[Scenario]:
    """The scenarios of a TOML or YAML file (``"default"``: the playbook's own).

    A file that cannot be read, or a scenario in it that is not well formed, raises
    ``ScenarioError`` naming the file, the line, the scenario and the field.
    """
    if str(path) == PLAYBOOK_SCENARIOS:
        with resources.as_file(resources.files("outreach_rules") / _PLAYBOOK_FILE) as file:
            return _load(file, str(file))
    return _load(Path(path), str(path))


def _load(path: Path, name: str) -> list[Scenario]:
    if path.suffix.lower() not in _SUFFIXES:
        raise ScenarioError(
            "is not a scenario file I can read",
            field="file",
            value=name,
            hint="name it .toml, .yaml or .yml",
        )
    try:
        data, source = read(path)
    except OutreachRulesError as error:
        raise ScenarioError(
            error.message, file=name, line=error.line, field=error.field, hint=error.hint
        ) from None
    reader = _Reader(name, source.line)
    if not isinstance(data, Mapping):
        reader.fail("", "must be a table with a list of scenarios", hint="start with [[scenarios]]")
    reader.keys(data, "", _FILE_KEYS)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, Mapping):
        reader.fail("defaults", "must be a table", hint="such as [defaults] with now = '...'")
    reader.keys(defaults, "defaults", _DEFAULT_KEYS)
    entries = data.get("scenarios")
    if not isinstance(entries, list) or not entries:
        reader.fail(
            "scenarios",
            "must be a list of one scenario or more",
            hint="write each under [[scenarios]] in TOML, or as an item of scenarios: in YAML",
        )
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        scenario = _scenario(reader, f"scenarios[{index}]", entry, defaults)
        if scenario.name in seen:
            reader.fail(
                f"scenarios[{index}].name",
                "names a scenario twice",
                value=scenario.name,
                hint="give every scenario of a file its own name",
            )
        seen.add(scenario.name)
        scenarios.append(scenario)
    return scenarios


class _Reader:
    """Raises errors that say where: the file, the line of a path, and the scenario."""

    def __init__(self, file: str, line: Any) -> None:
        self.file = file
        self.line = line
        self.scenario: str | None = None

    def fail(self, path: str, message: str, **details: Any) -> Any:
        raise ScenarioError(
            message,
            scenario=self.scenario,
            file=self.file,
            line=self.line(path) if path else None,
            field=path or None,
            **details,
        )

    def keys(self, table: Mapping[str, Any], path: str, allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(allowed)}"
                self.fail(f"{path}.{key}" if path else str(key), "is not a field here", hint=hint)

    def relocated(self, error: OutreachRulesError, path: str) -> ScenarioError:
        field = path if error.field is None else f"{path}.{error.field}"
        where: dict[str, Any] = {"value": error.value} if error.has_value else {}
        return ScenarioError(
            error.message,
            scenario=self.scenario,
            file=self.file,
            line=self.line(field),
            field=field,
            hint=error.hint,
            **where,
        )


def _plain(value: Any) -> Any:
    """TOML's own dates and times as the strings the data contract reads."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not value.second else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _scenario(reader: _Reader, path: str, entry: Any, defaults: Mapping[str, Any]) -> Scenario:
    reader.scenario = None
    if not isinstance(entry, Mapping):
        reader.fail(path, "must be a table with name, customer, events, now and expect")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        reader.fail(f"{path}.name", "must be a non-empty string", value=name)
    reader.scenario = name
    reader.keys(entry, path, _SCENARIO_KEYS)
    description = entry.get("description", "")
    if not isinstance(description, str):
        reader.fail(f"{path}.description", "must be a string", value=description)
    expected = entry.get("expect")
    if isinstance(expected, Mapping):
        expected = [expected]
    if not isinstance(expected, list) or not expected:
        reader.fail(
            f"{path}.expect",
            "must list one expected decision or more",
            hint="write each under [[scenarios.expect]] with intent = '...'",
        )
    return Scenario(
        name=name,
        file=reader.file,
        line=reader.line(path),
        customer=_customer(reader, path, entry, defaults),
        events=_events(reader, path, entry),
        now=_now(reader, path, entry, defaults),
        expect=tuple(
            _expectation(reader, f"{path}.expect[{index}]", item)
            for index, item in enumerate(expected)
        ),
        description=description,
    )


def _now(reader: _Reader, path: str, entry: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    now = _plain(entry.get("now", defaults.get("now")))
    if now is None:
        reader.fail(
            f"{path}.now",
            "is required",
            hint="give now = '2026-06-01T09:00:00Z' here or in [defaults]",
        )
    try:
        epoch(now, "now")
    except OutreachRulesError as error:
        raise reader.relocated(error, path) from None
    return str(now)


def _customer(
    reader: _Reader, path: str, entry: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Customer:
    record = _plain(entry.get("customer", {}))
    base = _plain(defaults.get("customer", {}))
    if not isinstance(record, Mapping) or not isinstance(base, Mapping):
        reader.fail(f"{path}.customer", "must be a table: a customer record of the data contract")
    try:
        return customer_from_record({**base, **record})
    except OutreachRulesError as error:
        raise reader.relocated(error, f"{path}.customer") from None


def _events(reader: _Reader, path: str, entry: Mapping[str, Any]) -> tuple[Event, ...]:
    records = _plain(entry.get("events", []))
    if not isinstance(records, list):
        reader.fail(f"{path}.events", "must be a list of event records")
    events = []
    for index, item in enumerate(records):
        where = f"{path}.events[{index}]"
        if not isinstance(item, Mapping):
            reader.fail(where, "must be a table: an event record of the data contract")
        try:
            events.append(event_from_record(item))
        except OutreachRulesError as error:
            raise reader.relocated(error, where) from None
    return tuple(events)


def _expectation(reader: _Reader, path: str, item: Any) -> Expectation:
    if not isinstance(item, Mapping):
        reader.fail(path, "must be a table with intent and what to expect of it")
    reader.keys(item, path, _EXPECT_KEYS)
    fields = {key: _plain(value) for key, value in item.items()}
    for key in ("intent", "ref", "waiting_for"):
        value = fields.get(key)
        if key in fields and (not isinstance(value, str) or not value.strip()):
            reader.fail(f"{path}.{key}", "must be a non-empty string", value=value)
    if "intent" not in fields:
        reader.fail(
            f"{path}.intent", "is required", hint="name the intent, such as 'review_request'"
        )
    if "at" in fields:
        if "between" in fields:
            reader.fail(f"{path}.at", "cannot go with between", hint="give one or the other")
        at = fields.pop("at")
        fields["between"] = [at, at]
    trace = fields.get("trace", [])
    if not isinstance(trace, list):
        reader.fail(f"{path}.trace", "must be a list of rules", value=trace)
    try:
        return Expectation(**fields)
    except OutreachRulesError as error:
        raise reader.relocated(error, path) from None


# -- running ----------------------------------------------------------------------------------


def run_scenarios(policy: Policy, scenarios: Iterable[Scenario | str | Path]) -> Report:
    """Plan every scenario under ``policy`` and check its expectations.

    ``scenarios`` holds ``Scenario`` values or files to load them from
    (``"default"``: the playbook's own).
    """
    loaded: list[Scenario] = []
    for item in scenarios:
        if isinstance(item, Scenario):
            loaded.append(item)
        else:
            loaded.extend(load_scenarios(item))
    outcomes = tuple(_run(policy, scenario) for scenario in loaded)
    return Report(policy=f"policy {policy.name!r} version {policy.version}", outcomes=outcomes)


def _run(policy: Policy, scenario: Scenario) -> Outcome:
    started = time.perf_counter()
    try:
        result = plan(policy, scenario.customer, scenario.events, now=scenario.now)
    except InputError as error:
        # Input the planner refuses (a country without a holiday calendar) is bad input.
        value: dict[str, Any] = {"value": error.value} if error.has_value else {}
        raise ScenarioError(
            error.message,
            scenario=scenario.name,
            file=scenario.file,
            line=scenario.line,
            field=error.field,
            hint=error.hint,
            **value,
        ) from None
    except Exception as error:  # a policy that breaks the planner fails its scenarios
        return Outcome(
            scenario=scenario,
            error=f"{type(error).__name__}: {error}",
            seconds=time.perf_counter() - started,
        )
    failures = []
    for index, expectation in enumerate(scenario.expect):
        failure = expectation.failure(result)
        if failure is not None:
            failures.append(f"expect[{index}]: {failure}")
    return Outcome(
        scenario=scenario,
        failures=tuple(failures),
        plan=result,
        seconds=time.perf_counter() - started,
    )


# -- JUnit XML --------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_xml(report: Report) -> str:
    """The report as JUnit XML, which CI systems show: a test suite per scenario file, a
    test case per scenario, and each failure with the traces."""
    suites = ET.Element(
        "testsuites",
        name="outreach-rules",
        tests=str(len(report.outcomes)),
        failures=str(sum(1 for o in report.outcomes if o.failures and o.error is None)),
        errors=str(sum(1 for o in report.outcomes if o.error is not None)),
        time=f"{sum(o.seconds for o in report.outcomes):.3f}",
    )
    files: dict[str, list[Outcome]] = {}
    for outcome in report.outcomes:
        files.setdefault(outcome.scenario.file, []).append(outcome)
    for file, outcomes in files.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=_xml_text(file),
            tests=str(len(outcomes)),
            failures=str(sum(1 for o in outcomes if o.failures and o.error is None)),
            errors=str(sum(1 for o in outcomes if o.error is not None)),
            skipped="0",
            time=f"{sum(o.seconds for o in outcomes):.3f}",
        )
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="policy", value=_xml_text(report.policy))
        for outcome in outcomes:
            scenario = outcome.scenario
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml_text(Path(file).stem),
                name=_xml_text(scenario.name),
                file=_xml_text(file),
                time=f"{outcome.seconds:.3f}",
            )
            if scenario.line is not None:
                case.set("line", str(scenario.line))
            if outcome.passed:
                continue
            text = _xml_text(outcome.text())
            tag = "error" if outcome.error is not None else "failure"
            detail = ET.SubElement(case, tag, message=text.splitlines()[0][:200])
            detail.text = text
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


# -- the command line -------------------------------------------------------------------------

_EXAMPLES = """examples:
  outreach-rules test my-policy.toml scenarios/returns.toml scenarios/gifts.yaml
  outreach-rules test default default          the playbook against its own scenarios
  outreach-rules test my-policy.toml default   your policy against the playbook's scenarios
  outreach-rules test my-policy.toml scenarios/*.toml --junit-xml reports/scenarios.xml

exit codes: 0 every scenario passed, 1 some failed, 2 a file could not be read.
"""


def add_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``test`` on the command line's subcommands; returns its parser."""
    command: argparse.ArgumentParser = subparsers.add_parser(
        "test",
        help="run scenario files against a policy",
        description="Plan each scenario of the files (TOML or YAML: a customer, events and\n"
        "now) under the policy, and check the decisions it expects: intent, status, channel\n"
        "and a time range on the customer's clock. Failures are shown with the trace of\n"
        "every decision involved. The format is described in docs/testing.md.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "policy",
        metavar="POLICY",
        help="a policy file (TOML, YAML or JSON), or 'default' for the built-in playbook "
        "(e.g. my-policy.toml)",
    )
    command.add_argument(
        "scenarios",
        metavar="SCENARIOS",
        nargs="+",
        help="scenario files, .toml, .yaml or .yml, or 'default' for the playbook's own "
        "scenarios (e.g. scenarios/gifts.toml)",
    )
    command.add_argument(
        "--junit-xml",
        metavar="FILE",
        help="also write the results as JUnit XML for a CI system, creating folders as "
        "needed (e.g. --junit-xml reports/scenarios.xml)",
    )
    command.set_defaults(run=_command)
    return command


def _command(args: argparse.Namespace) -> int:
    policy = Policy.default() if args.policy == "default" else Policy.from_file(args.policy)
    scenarios = [scenario for path in args.scenarios for scenario in load_scenarios(path)]
    report = run_scenarios(policy, scenarios)
    print(report.text())
    if args.junit_xml:
        target = Path(args.junit_xml)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(junit_xml(report), encoding="utf-8")
    return EXIT_PASSED if report.ok else EXIT_FAILED
