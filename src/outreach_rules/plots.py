"""Plots of backtests, for notebooks: one customer's timeline, and contact pressure by day.

matplotlib comes with the ``notebook`` extra (``pip install 'outreach-rules[notebook]'``)
and is imported only when a plot is asked for. Each function draws on the ``ax`` given,
or on a new figure, and returns the axes, as pandas' plots do; with ``path`` it also
writes the figure there (PNG, SVG or PDF, by the file's extension).

::

    from outreach_rules.plots import plot_pressure, plot_timeline

    result = simulate(policy, customers, events, start=..., end=...)
    plot_timeline(result, "c06-fikile")
    plot_pressure(result, path="pressure.png")
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from outreach_rules._optional import require
from outreach_rules.errors import InputError
from outreach_rules.model import Category, Decision, Effect
from outreach_rules.rules.guards import FrequencyCap, GuardRule
from outreach_rules.timeline.instants import as_datetime

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from outreach_rules.backtest import Backtest

__all__ = ["plot_pressure", "plot_timeline"]

# Deferrals by these are consequences, not windows a rule blocked.
_NOT_WINDOWS = frozenset({"plan-now"})
_CATEGORY_COLOURS = {
    Category.TRANSACTIONAL: "tab:grey",
    Category.SERVICE: "tab:blue",
    Category.RELATIONSHIP: "tab:green",
    Category.MARKETING: "tab:orange",
}


def _pyplot(purpose: str) -> Any:
    return require("matplotlib.pyplot", extra="notebook", purpose=purpose)


def _x(moment: Any) -> float:
    """An instant (or a date) as a number on matplotlib's date axis."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(), dt.UTC)
    utc = dt.datetime.fromtimestamp(moment.timestamp(), dt.UTC)
    number: float = _dates("a plot").date2num(utc)
    return number


def _dates(purpose: str) -> Any:
    return require("matplotlib.dates", extra="notebook", purpose=purpose)


def _date_axis(axes: Axes, purpose: str, tz: dt.tzinfo | None = None) -> None:
    dates = _dates(purpose)
    locator = dates.AutoDateLocator(tz=tz)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=tz))


def _axes(ax: Axes | None, purpose: str, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, created = _pyplot(purpose).subplots(figsize=size, layout="constrained")
    axes: Axes = created
    return axes


def _save(ax: Axes, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        figure: Any = ax.figure
        figure.savefig(os.fspath(path), dpi=100)


def plot_timeline(
    result: Backtest,
    customer: str,
    *,
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Axes:
    """One customer's timeline in a backtest: events above the line, contacts below it,
    and shaded, the windows in which a rule held a contact back (the deferrals in the
    decisions' traces), one colour per rule.

    The time axis spans the customer's events and contacts, a few days either side, or
    ``start`` to ``end`` when given (instants, as everywhere in the library).
    """
    known = {c.id: c for c in result.customers}
    if customer not in known:
        raise InputError(
            "is not a customer of this backtest",
            field="customer",
            value=customer,
            hint=f"use one of {', '.join(sorted(known)[:5])}{', ...' if len(known) > 5 else ''}",
        )
    who = known[customer]
    patches = require("matplotlib.patches", extra="notebook", purpose="plot_timeline()")
    axes = _axes(ax, "plot_timeline()", (11.0, 4.2))

    events = [e for e in result.events_of(customer) if result.start <= e.at < result.end]
    contacts = result.contacts_of(customer)
    moments = [e.at for e in events] + [c.send_at for c in contacts if c.send_at is not None]
    pad = dt.timedelta(days=3)
    if start is not None:
        low = _x(as_datetime(start, "start"))
    else:
        low = _x(max(min(moments) - pad, result.start) if moments else result.start)
    if end is not None:
        high = _x(as_datetime(end, "end"))
    else:
        high = _x(min(max(moments) + pad, result.end) if moments else result.end)

    windows = _blocked_windows([d for d in result.decisions if d.customer == customer])
    colours = _rule_colours(sorted(windows))
    for rule, spans in sorted(windows.items()):
        for before, after in spans:
            axes.axvspan(_x(before), _x(after), color=colours[rule], alpha=0.2, lw=0)

    axes.axhline(0.0, color="black", lw=0.6)
    axes.set_xlim(low, high)
    axes.set_ylim(-2.8, 2.8)
    _date_axis(axes, "plot_timeline()", ZoneInfo(who.timezone))
    axes.set_xlabel(f"date ({who.timezone})")
    axes.set_title(
        f"{who.id} ({who.timezone}): {len(events)} events, {len(contacts)} contacts "
        f"under policy {result.policy.name}"
    )
    handles = [
        patches.Patch(color=colours[rule], alpha=0.4, label=f"held back by {rule}")
        for rule in sorted(windows)
    ]
    if handles:
        # Beside the axes, not over the labels of the contacts.
        axes.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False
        )
    above = [
        _Mark(
            _x(event.at),
            event.kind if event.ref is None else f"{event.kind} {event.ref}",
            "s" if event.customer is None else "o",
            "tab:purple",
        )
        for event in events
    ]
    below = [
        _Mark(
            _x(contact.send_at),
            f"{contact.intent} ({contact.channel})",
            "v",
            _CATEGORY_COLOURS[contact.category],
        )
        for contact in contacts
        if contact.send_at is not None
    ]
    _draw_marks(axes, above, below, owned=ax is None)
    _save(axes, path)
    return axes


@attrs.frozen
class _Mark:
    """A point of the timeline and its label."""

    x: float
    label: str
    marker: str
    colour: Any


_PITCH = 0.8  # between rows of labels, in the y axis' units
_GAP = 6.0  # between two labels in a row, in pixels
_OFFSET = 4.0  # between a point and its label, in points


def _draw_marks(axes: Axes, above: list[_Mark], below: list[_Mark], *, owned: bool) -> None:
    """Draw the events above the line and the contacts below it, each with its label, in
    rows: each label goes in the first row, nearest the line, where it overlaps no other.

    A label reads to the right of its point, or to the left where it would leave the axes.
    Rows are laid out in the figure's pixels, once the figure's layout is done; a figure
    the plot made grows taller when the rows need it.
    """
    figure: Any = axes.get_figure(root=True) if hasattr(axes, "get_figure") else axes.figure
    figure.draw_without_rendering()  # the layout, so that the axes' size is final
    box = axes.get_window_extent()
    low, high = axes.get_xlim()
    offset = _OFFSET * figure.dpi / 72.0

    def place(marks: list[_Mark], sign: float) -> int:
        rows: list[list[tuple[float, float]]] = []
        for mark in sorted(marks, key=lambda m: (m.x, m.label)):
            text = axes.annotate(
                mark.label,
                (mark.x, 0.0),
                xytext=(_OFFSET, 0),
                textcoords="offset points",
                fontsize=7,
                va="center",
                annotation_clip=False,
            )
            text.set_in_layout(False)
            width = text.get_window_extent().width
            at = box.x0 + (mark.x - low) / (high - low) * box.width
            span = (at, at + offset + width)
            if span[1] > box.x1:  # past the right-hand edge: read it to the left
                span = (at - offset - width, at)
                text.set_horizontalalignment("right")
                text.xyann = (-_OFFSET, 0)
            row = next(
                (
                    number
                    for number, taken in enumerate(rows)
                    if all(span[1] + _GAP <= a or b + _GAP <= span[0] for a, b in taken)
                ),
                len(rows),
            )
            if row == len(rows):
                rows.append([])
            rows[row].append(span)
            level = sign * _PITCH * (row + 1)
            text.xy = (mark.x, level)
            axes.plot([mark.x], [level], marker=mark.marker, color=mark.colour, markersize=5)
        return len(rows)

    depth = max(place(above, 1.0), place(below, -1.0), 2)
    reach = _PITCH * (depth + 0.5)
    axes.set_ylim(-reach, reach)
    middle = _PITCH * (depth + 1) / 2
    axes.set_yticks([middle, -middle], ["events", "contacts"])
    # Each row needs about twice the height of a 7-point line.
    needed = (2 * depth + 1) * 2 * 7 / 72.0
    if owned and box.height / figure.dpi < needed:
        figure.set_figheight(figure.get_figheight() + needed - box.height / figure.dpi)


def _blocked_windows(decisions: list[Decision]) -> dict[str, list[tuple[Any, Any]]]:
    """Each rule's deferrals in these decisions' traces, as (from, to) spans, merged."""
    spans: dict[str, set[tuple[Any, Any]]] = defaultdict(set)
    for decision in decisions:
        for step in decision.trace:
            if (
                step.effect is Effect.DEFERRED
                and step.rule not in _NOT_WINDOWS
                and step.before is not None
                and step.after is not None
                and step.after > step.before
            ):
                spans[step.rule].add((step.before, step.after))
    return {rule: sorted(found) for rule, found in spans.items()}


def _rule_colours(rules: list[str]) -> dict[str, Any]:
    cmap = require("matplotlib", extra="notebook", purpose="plot_timeline()").colormaps["tab10"]
    return {rule: cmap(position % 10) for position, rule in enumerate(rules)}


def plot_pressure(
    result: Backtest,
    *,
    cap: str | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Axes:
    """Contact pressure across customers, by day, in a backtest.

    Bars: the contacts sent each day (the customer's local date), stacked by category.
    Line, on the right-hand axis: the most contacts any one customer had within the
    period of the contact-pressure cap, counting what that cap counts, with the cap's
    limit as a dashed line. ``cap`` names the cap's rule; by default the policy's first
    frequency cap over all contacts of more than one category (the playbook's
    ``contact-pressure``). Without such a cap there is no line.
    """
    ticker = require("matplotlib.ticker", extra="notebook", purpose="plot_pressure()")
    axes = _axes(ax, "plot_pressure()", (11.0, 4.2))
    days = _days(result)
    by_category: dict[Category, Counter[dt.date]] = defaultdict(Counter)
    for contact in result.sent:
        assert contact.local_send_at is not None
        by_category[contact.category][contact.local_send_at.date()] += 1
    bottom = [0] * len(days)
    for category in Category:
        heights = [by_category[category][day] for day in days]
        if any(heights):
            axes.bar(
                [_x(day) + 0.5 for day in days],
                heights,
                bottom=bottom,
                width=0.9,
                label=str(category),
                color=_CATEGORY_COLOURS[category],
            )
            bottom = [low + high for low, high in zip(bottom, heights, strict=True)]
    axes.set_xlabel("day (the customer's local date)")
    axes.set_ylabel("contacts sent, all customers")
    _date_axis(axes, "plot_pressure()")
    axes.set_xlim(_x(days[0]) - 1, _x(days[-1]) + 1)
    handles, labels = axes.get_legend_handles_labels()

    found = _cap(result, cap)
    if found is not None:
        rule, spec = found
        most = _most_per_customer(result, rule, spec.period.total_seconds())
        right = axes.twinx()
        shown = sorted(most)
        right.plot(
            [_x(day) + 0.5 for day in shown],
            [most[day] for day in shown],
            ls="none",
            marker="o",
            markersize=4,
            color="black",
            label=f"most to one customer in {spec.period}",
        )
        right.axhline(
            spec.limit, color="tab:red", ls="--", lw=1.0, label=f"{rule.id}: at most {spec.limit}"
        )
        right.set_ylabel(f"most to one customer in {spec.period}")
        right.set_ylim(0, max(spec.limit, *most.values(), 1) + 1)
        right.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if handles:
        axes.legend(handles, labels, loc="upper left", fontsize=7)
    axes.set_title(
        f"Contact pressure by day: {len(result.sent)} contacts to "
        f"{len(result.customers)} customers under policy {result.policy.name}"
    )
    _save(axes, path)
    return axes


def _days(result: Backtest) -> list[dt.date]:
    first = result.start.date() - dt.timedelta(days=1)
    last = result.end.date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _cap(result: Backtest, name: str | None) -> tuple[GuardRule, FrequencyCap] | None:
    caps = [
        rule
        for rule in result.policy.guards
        if isinstance(rule.spec, FrequencyCap) and (name is not None or rule.spec.per == "all")
    ]
    if name is not None:
        chosen = next((rule for rule in caps if rule.id == name), None)
        if chosen is None:
            raise InputError(
                "is not a frequency cap of the policy",
                field="cap",
                value=name,
                hint=f"use one of {[rule.id for rule in caps]}",
            )
    else:
        chosen = next(
            (r for r in caps if not r.intents and not r.channels and len(r.categories) != 1), None
        )
    if chosen is None:
        return None
    assert isinstance(chosen.spec, FrequencyCap)
    return chosen, chosen.spec


def _most_per_customer(result: Backtest, rule: GuardRule, period: int) -> dict[dt.date, int]:
    """By local day: the most contacts the cap counts that one customer had in a window
    of ``period`` seconds ending at one of that day's contacts."""
    counted: dict[str, list[Decision]] = defaultdict(list)
    for contact in result.sent:
        if rule.covers(contact.intent, contact.category, contact.channel):
            counted[contact.customer].append(contact)
    most: dict[dt.date, int] = {}
    for contacts in counted.values():
        times = [int(c.send_at.timestamp()) for c in contacts if c.send_at is not None]
        for contact, at in zip(contacts, times, strict=True):
            inside = sum(1 for t in times if at - period < t <= at)
            assert contact.local_send_at is not None
            day = contact.local_send_at.date()
            most[day] = max(most.get(day, 0), inside)
    return most
