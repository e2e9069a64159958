"""Explanations are data; these functions render them: as text, as records for JSON, as
HTML for notebooks, and as pandas DataFrames.

Each renderer is a separate function of the value objects; ``Plan`` and ``Decision`` call
them (``explain()``, ``to_records()``, ``_repr_html_()``, ``to_pandas()``). So this module
sits below ``outreach_rules.model``: it reads the value objects through the protocols
below (``PlanLike``, ``DecisionLike``, ``TraceStepLike``, ``CustomerLike``), what it needs
of each, and never imports the module that defines them.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from outreach_rules._optional import require
from outreach_rules.timeline.zone import Zone, date_of_wall

if TYPE_CHECKING:
    import pandas
    import pendulum

__all__ = [
    "CustomerLike",
    "DecisionLike",
    "PlanLike",
    "Record",
    "TraceStepLike",
    "decision_html",
    "decision_line",
    "decision_record",
    "decision_row",
    "decision_text",
    "decisions_frame",
    "format_local",
    "iso_local",
    "iso_utc",
    "plan_html",
    "plan_summary",
    "plan_text",
]

Record = dict[str, Any]


class TraceStepLike(Protocol):
    """What the renderers read of a trace step (``model.TraceStep``)."""

    @property
    def rule(self) -> str: ...
    @property
    def effect(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def before(self) -> pendulum.DateTime | None: ...
    @property
    def after(self) -> pendulum.DateTime | None: ...


class DecisionLike(Protocol):
    """What the renderers read of a decision (``model.Decision``)."""

    @property
    def id(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def intent(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def ref(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def send_at(self) -> pendulum.DateTime | None: ...
    @property
    def local_send_at(self) -> pendulum.DateTime | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def expires(self) -> pendulum.DateTime | None: ...
    @property
    def waiting_for(self) -> str | None: ...
    @property
    def trace(self) -> tuple[TraceStepLike, ...]: ...
    @property
    def why(self) -> str: ...


class CustomerLike(Protocol):
    """What the renderers read of a customer (``model.Customer``)."""

    @property
    def id(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def country(self) -> str: ...


class PlanLike(Protocol):
    """What the renderers read of a plan (``model.Plan``)."""

    @property
    def customer(self) -> CustomerLike: ...
    @property
    def now(self) -> pendulum.DateTime: ...
    @property
    def decisions(self) -> tuple[DecisionLike, ...]: ...
    @property
    def policy(self) -> str: ...


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_local(instant: int, zone: Zone) -> str:
    """An instant as the customer's wall clock shows it: ``Sun 27 Dec 2026 09:00``."""
    wall = zone.to_wall(instant)
    date = date_of_wall(wall)
    clock = f"{wall % 86_400 // 3_600:02d}:{wall % 3_600 // 60:02d}"
    return f"{_WEEKDAYS[date.weekday()]} {date.day} {_MONTHS[date.month - 1]} {date.year} {clock}"


_OFFSETS: dict[int, dt.tzinfo] = {0: dt.UTC}


def iso_utc(seconds: int) -> str:
    """Epoch seconds as ISO 8601 in UTC, as pendulum writes them: ``2026-12-27T09:00:00+00:00``."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


def iso_local(seconds: int, zone: Zone) -> str:
    """Epoch seconds as ISO 8601 with the zone's offset then: ``2026-12-27T04:00:00-05:00``."""
    offset = zone.offset_at(seconds)
    fixed = _OFFSETS.get(offset)
    if fixed is None:
        fixed = _OFFSETS[offset] = dt.timezone(dt.timedelta(seconds=offset))
    return dt.datetime.fromtimestamp(seconds, fixed).isoformat()


def _iso(moment: pendulum.DateTime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def step_record(step: TraceStepLike) -> Record:
    """One trace step in the output contract."""
    return {
        "rule": step.rule,
        "effect": str(step.effect),
        "from": _iso(step.before),
        "to": _iso(step.after),
        "why": step.why,
    }


def decision_record(decision: DecisionLike) -> Record:
    """A decision in the output contract of DESIGN.md, as plain JSON-ready values."""
    return {
        "id": decision.id,
        "customer": decision.customer,
        "intent": decision.intent,
        "ref": decision.ref,
        "status": str(decision.status),
        "send_at": _iso(decision.send_at),
        "local_send_at": _iso(decision.local_send_at),
        "channel": None if decision.channel is None else str(decision.channel),
        "trace": [step_record(step) for step in decision.trace],
    }


# A zone's name, or the zone itself (a decision's local_send_at may carry a fixed offset).
_Zone: TypeAlias = "str | pendulum.Timezone | pendulum.FixedTimezone | None"


def _zone_of(decision: DecisionLike, zone_name: str | None = None) -> _Zone:
    """Where to show a decision's instants: ``zone_name`` when given, else the customer's
    zone that the decision carries, else the zone of its ``local_send_at``, else UTC."""
    if zone_name is not None:
        return zone_name
    if decision.timezone is not None:
        return decision.timezone
    if decision.local_send_at is not None:
        return decision.local_send_at.timezone
    return None


def _zone_label(zone: _Zone) -> str:
    if zone is None:
        return "UTC"
    return zone if isinstance(zone, str) else str(zone.name)


def _headline(decision: DecisionLike, zone: _Zone) -> str:
    about = decision.intent if decision.ref is None else f"{decision.intent} for {decision.ref}"
    times = f"(times in {_zone_label(zone)})"
    if decision.send_at is not None and decision.local_send_at is not None:
        local = decision.local_send_at
        when = f"{local.format('ddd D MMM YYYY HH:mm')} {local.timezone_name}"
        line = (
            f"{about}: scheduled by {decision.channel} on {when} ({decision.send_at.isoformat()})"
        )
        # The send time names the zone of the trace, unless the trace is shown in another.
        return line if _zone_label(zone) == local.timezone_name else f"{line} {times}"
    # No send time to name the zone: name it here, once, for the times in the trace.
    if decision.waiting_for is not None:
        return f"{about}: waiting for {decision.waiting_for} {times}"
    return f"{about}: {decision.status} {times}"


def _step_text(step: TraceStepLike, zone: _Zone) -> str:
    def show(moment: pendulum.DateTime | None) -> str:
        if moment is None:
            return "?"
        local = moment.in_timezone(zone) if zone else moment
        return str(local.format("ddd D MMM HH:mm"))

    moved = f" {show(step.before)} -> {show(step.after)}:" if step.before and step.after else ""
    return f"{step.effect:<15} {step.rule:<24}{moved} {step.why}"


def decision_text(decision: DecisionLike, zone_name: str | None = None) -> str:
    """A decision with its numbered trace, for a terminal.

    Every instant shows in ``zone_name``, by default the customer's zone that the decision
    carries (``Decision.timezone``), whatever its status; the headline names the zone: in
    the send time of a scheduled decision, else as ``(times in Australia/Sydney)``.
    """
    zone = _zone_of(decision, zone_name)
    lines = [_headline(decision, zone)]
    lines += [
        f"  {number}. {_step_text(step, zone)}" for number, step in enumerate(decision.trace, 1)
    ]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def plan_text(plan: PlanLike) -> str:
    """A plan: the customer, ``now``, and each decision with its trace, every instant in
    the customer's zone."""
    customer = plan.customer
    head = (
        f"customer {customer.id} ({customer.timezone}, {customer.country}), "
        f"planned at {plan.now.isoformat()}: {_count(len(plan.decisions), 'decision')}"
    )
    body = [decision_text(d, customer.timezone) for d in plan.decisions]
    return "\n\n".join([head, *body])


# -- short forms, for print() -------------------------------------------------------------


def _state(decision: DecisionLike) -> str:
    if decision.send_at is not None and decision.local_send_at is not None:
        local = decision.local_send_at
        when = f"{local.format('ddd D MMM YYYY HH:mm')} {local.timezone_name}"
        return f"scheduled by {decision.channel} on {when}"
    if decision.waiting_for is not None:
        return f"waiting for {decision.waiting_for}"
    return str(decision.status)


def decision_line(decision: DecisionLike) -> str:
    """A decision in one line, for ``print(decision)``: what, its state, and why.

    ``review_request for o1: scheduled by email on Sun 27 Dec 2026 09:00 Europe/London;
    gift season: ...``. ``decision_text`` is the long form, with the trace.
    """
    about = decision.intent if decision.ref is None else f"{decision.intent} for {decision.ref}"
    why = decision.why
    return f"{about}: {_state(decision)}" + (f"; {why}" if why else "")


def plan_summary(plan: PlanLike) -> str:
    """A plan in a few lines, for ``print(plan)``: the customer and ``now``, the decisions
    counted by status, then one line per decision (``decision_line``).

    ``plan_text`` (``plan.explain()``) is the long form, with every trace.
    """
    customer = plan.customer
    policy = f" under policy {plan.policy}" if plan.policy else ""
    statuses = Counter(str(decision.status) for decision in plan.decisions)
    counts = ", ".join(f"{number} {status}" for status, number in sorted(statuses.items()))
    lines = [
        (
            f"customer {customer.id} ({customer.timezone}, {customer.country}), "
            f"planned at {plan.now.isoformat()}{policy}"
        ),
        _count(len(plan.decisions), "decision") + (f": {counts}" if counts else ""),
        *(f"  {decision_line(decision)}" for decision in plan.decisions),
    ]
    if plan.decisions:
        lines.append("(plan.explain() shows each decision's trace)")
    return "\n".join(lines)


# -- HTML, for notebooks ------------------------------------------------------------------
#
# Every text that comes from data (ids, refs, rule ids, reasons) goes through html.escape:
# a customer id or an event's data may hold anything. Each view is one <div> with the class
# ``outreach-rules`` and its own <style>, whose every selector starts with that class: the
# view looks the same in Jupyter, in a browser and on the docs site, and styles nothing
# else on the page. Colours are translucent greys and a few saturated hues, legible on a
# light and on a dark theme.

_SCOPE = "div.outreach-rules"
_CSS = " ".join(
    f"{_SCOPE}{selector} {{{rules}}}"
    for selector, rules in (
        ("", "font-size: 13px; line-height: 1.4; margin: 0.4em 0; overflow-x: auto"),
        (" p.or-caption", "margin: 0 0 0.4em 0"),
        (" ul.or-summary", "margin: 0 0 0.5em 0; padding-left: 1.4em"),
        (
            " table",
            (
                "border-collapse: collapse; border-spacing: 0; margin: 0; width: auto;"
                " font-size: inherit; table-layout: auto"
            ),
        ),
        (
            " th, div.outreach-rules td",
            (
                "border: 1px solid rgba(128, 128, 128, 0.45); padding: 3px 8px; text-align: left;"
                " vertical-align: top; white-space: normal"
            ),
        ),
        (" thead th", "background: rgba(128, 128, 128, 0.14); font-weight: 600"),
        (" td.or-time", "white-space: nowrap; font-variant-numeric: tabular-nums"),
        (" td.or-time small", "opacity: 0.7"),
        (
            " table.or-decisions > tbody > tr > td[colspan]",
            "padding: 0 0 4px 28px; border-top: none; background: none",
        ),
        (" details > summary", "cursor: pointer; opacity: 0.75; padding: 2px 0"),
        (" table.or-steps", "width: 100%; font-size: 12px"),
        (" table.or-steps td:first-child", "text-align: right; width: 2em"),
        (
            " table.or-steps td:nth-child(4), div.outreach-rules table.or-steps td:nth-child(5)",
            "white-space: nowrap; font-variant-numeric: tabular-nums",
        ),
        (
            " .or-status",
            (
                "display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff;"
                " font-weight: 600; background: #6b6b6b"
            ),
        ),
        (" .or-status-scheduled", "background: #2e7d32"),
        (" .or-status-waiting", "background: #b26a00"),
        (" .or-status-suppressed", "background: #b3261e"),
        (" .or-more", "opacity: 0.75; margin: 0.3em 0 0 0"),
    )
)
_STYLE = f"<style>{_CSS}</style>"

_COLUMNS = ("intent", "ref", "status", "send at (local)", "channel", "why")
_STEP_COLUMNS = ("#", "effect", "rule", "from", "to", "why")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def html_view(*parts: str) -> str:
    """One view for a notebook: ``parts`` (HTML, already escaped) in a ``<div>`` that
    carries the views' scoped ``<style>``, once. The library's ``_repr_html_`` methods all
    use it."""
    return f'<div class="outreach-rules">{_STYLE}{"".join(parts)}</div>'


def html_table(columns: Iterable[str], rows: Iterable[str], *, kind: str) -> str:
    """A table of a view: a head of ``columns`` (plain text, escaped here) over ``rows``
    (``<tr>`` elements, already escaped). ``kind`` names the table's class."""
    head = "".join(f"<th>{_e(name)}</th>" for name in columns)
    return (
        f'<table class="or-{_e(kind)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def html_status(status: object) -> str:
    """A decision's status as a coloured badge."""
    return f'<span class="or-status or-status-{_e(status)}">{_e(status)}</span>'


def html_when(moment: pendulum.DateTime | None) -> str:
    """A send time as a cell shows it: local, with the zone, over the UTC instant."""
    if moment is None:
        return ""
    return (
        f"{_e(moment.format('ddd D MMM YYYY HH:mm'))} {_e(moment.timezone_name)}"
        f"<br><small>{_e(moment.in_timezone('UTC').isoformat())}</small>"
    )


def _when(moment: pendulum.DateTime | None, zone: _Zone) -> str:
    if moment is None:
        return ""
    local = moment.in_timezone(zone) if zone else moment
    return str(local.format("ddd D MMM YYYY HH:mm"))


def _trace_html(decision: DecisionLike, zone: _Zone) -> str:
    steps = (
        "<tr>"
        + "".join(
            f"<td>{_e(cell)}</td>"
            for cell in (
                number,
                step.effect,
                step.rule,
                _when(step.before, zone),
                _when(step.after, zone),
                step.why,
            )
        )
        + "</tr>"
        for number, step in enumerate(decision.trace, 1)
    )
    count = len(decision.trace)
    return (
        f"<details><summary>trace: {count} step{'' if count == 1 else 's'}</summary>"
        f"{html_table(_STEP_COLUMNS, steps, kind='steps')}</details>"
    )


def _rows_html(decision: DecisionLike, zone: _Zone) -> str:
    if decision.local_send_at is not None and decision.send_at is not None:
        local = decision.local_send_at
        when = (
            f"{_e(local.format('ddd D MMM YYYY HH:mm'))} {_e(local.timezone_name)}"
            f"<br><small>{_e(decision.send_at.isoformat())}</small>"
        )
    elif decision.waiting_for is not None:
        when = f"waiting for {_e(decision.waiting_for)}"
    else:
        when = ""
    cells = (
        f"<td>{_e(decision.intent)}</td>",
        f"<td>{_e(decision.ref)}</td>",
        f"<td>{html_status(decision.status)}</td>",
        f'<td class="or-time">{when}</td>',
        f"<td>{_e(decision.channel)}</td>",
        f"<td>{_e(decision.why)}</td>",
    )
    row = "<tr>" + "".join(cells) + "</tr>"
    trace = f'<tr><td colspan="{len(_COLUMNS)}">{_trace_html(decision, zone)}</td></tr>'
    return row + trace


def _table_html(decisions: tuple[DecisionLike, ...], zone: _Zone) -> str:
    rows = (_rows_html(decision, zone) for decision in decisions)
    return html_table(_COLUMNS, rows, kind="decisions")


def decision_html(decision: DecisionLike, zone_name: str | None = None) -> str:
    """A decision as an HTML table for a notebook, its trace folded under it in
    ``<details>``. Instants in the trace show in ``zone_name``, which the caption names: by
    default the customer's zone that the decision carries, as in
    [`decision_text`][outreach_rules.explain.decision_text]. The view carries its own
    scoped ``<style>``."""
    zone = _zone_of(decision, zone_name)
    caption = (
        f'<p class="or-caption"><strong>{_e(decision.customer)}</strong>: '
        f"{_e(decision.intent)} (times in {_e(_zone_label(zone))})</p>"
    )
    return html_view(caption, _table_html((decision,), zone))


def plan_html(plan: PlanLike) -> str:
    """A plan as an HTML table for a notebook: one row per decision, each with its trace
    folded under it in ``<details>``, instants in the customer's time zone. The view
    carries its own scoped ``<style>``."""
    customer = plan.customer
    count = len(plan.decisions)
    policy = f", policy {_e(plan.policy)}" if plan.policy else ""
    caption = (
        f'<p class="or-caption"><strong>customer {_e(customer.id)}</strong> '
        f"({_e(customer.timezone)}, {_e(customer.country)}), planned at "
        f"{_e(plan.now.isoformat())}{policy}: {_count(count, 'decision')}</p>"
    )
    return html_view(caption, _table_html(plan.decisions, customer.timezone))


# -- pandas, for notebooks ----------------------------------------------------------------


def _utc(moment: pendulum.DateTime | None) -> dt.datetime | None:
    # The standard library's UTC, so that pandas makes a datetime64[ns, UTC] column.
    return None if moment is None else dt.datetime.fromtimestamp(moment.timestamp(), dt.UTC)


def decision_row(decision: DecisionLike) -> Record:
    """A decision as one flat row for a table: the fields of the output contract, with
    ``category``, ``waiting_for`` and ``why`` besides. Each column of an instant says
    where it is read: ``send_at_utc`` and ``expires_utc`` are UTC, as standard library
    datetimes; ``send_at_local`` is ISO 8601 text with the customer's offset, since one
    column cannot hold several zones."""
    record = decision_record(decision)
    return {
        "id": decision.id,
        "customer": decision.customer,
        "intent": decision.intent,
        "category": str(decision.category),
        "ref": decision.ref,
        "status": str(decision.status),
        "send_at_utc": _utc(decision.send_at),
        "send_at_local": record["local_send_at"],
        "channel": record["channel"],
        "expires_utc": _utc(decision.expires),
        "waiting_for": decision.waiting_for,
        "why": decision.why,
        "trace": record["trace"],
    }


_ROW_COLUMNS = (
    "id",
    "customer",
    "intent",
    "category",
    "ref",
    "status",
    "send_at_utc",
    "send_at_local",
    "channel",
    "expires_utc",
    "waiting_for",
    "why",
    "trace",
)


def decisions_frame(decisions: Iterable[DecisionLike], *, purpose: str) -> pandas.DataFrame:
    """The decisions as a pandas DataFrame, one row per decision (``decision_row``).

    pandas is imported here, not before: it comes with the ``notebook`` extra, and
    [`MissingDependency`][outreach_rules.MissingDependency] says so when it is missing.
    ``purpose`` names what needed it, for that message.
    """
    pd = require("pandas", extra="notebook", purpose=purpose)
    frame = pd.DataFrame([decision_row(d) for d in decisions], columns=list(_ROW_COLUMNS))
    for column in ("send_at_utc", "expires_utc"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
