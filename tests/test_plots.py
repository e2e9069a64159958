"""Plots of a backtest: a PNG is written, with the axes, labels and marks it should have."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
import pytest

matplotlib.use("Agg")  # no display in tests; set before pyplot is imported

import matplotlib.pyplot as plt

from outreach_rules import Customer, Event, InputError, MissingDependency, Policy
from outreach_rules.backtest import Backtest, simulate
from outreach_rules.contract import customer_from_record, event_from_record, read_lines
from outreach_rules.plots import plot_pressure, plot_timeline

SHOP = Path(__file__).parent.parent / "examples" / "shop"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def replayed() -> Backtest:
    customers = [
        customer_from_record(line.record()) for line in read_lines(SHOP / "customers.jsonl")
    ]
    events = [event_from_record(line.record()) for line in read_lines(SHOP / "events.jsonl")]
    return simulate(
        Policy.default(),
        customers,
        events,
        start="2026-11-01T00:00:00Z",
        end="2027-01-15T00:00:00Z",
    )


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def texts(ax: plt.Axes) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_the_timeline_writes_a_png_with_events_above_and_contacts_below(replayed, tmp_path):
    path = tmp_path / "timeline.png"
    ax = plot_timeline(replayed, "c06-fikile", path=path)
    assert path.read_bytes().startswith(PNG)
    assert ax.get_title().startswith("c06-fikile (Africa/Johannesburg): ")
    assert ax.get_xlabel() == "date (Africa/Johannesburg)"
    assert [label.get_text() for label in ax.get_yticklabels()] == ["events", "contacts"]
    labels = texts(ax)
    contacts = replayed.contacts_of("c06-fikile")
    assert contacts
    for contact in contacts:
        assert f"{contact.intent} ({contact.channel})" in labels
    assert "milestone_reached" in labels
    assert "order_delivered o-2348" in labels
    # Events are drawn above the line, contacts below it.
    points = [line.get_ydata()[0] for line in ax.get_lines() if len(line.get_ydata()) == 1]
    above = [y for y in points if y > 0]
    below = [y for y in points if y < 0]
    assert len(below) == len(contacts)
    assert len(above) == sum(
        1 for e in replayed.events_of("c06-fikile") if replayed.start <= e.at < replayed.end
    )


def test_the_timeline_shades_the_windows_a_rule_held_a_contact_back(replayed):
    ax = plot_timeline(replayed, "c06-fikile")
    legend = ax.get_legend()
    assert legend is not None
    names = [text.get_text() for text in legend.get_texts()]
    # One entry per rule that deferred one of her decisions, other than plan-now.
    deferring = {
        step.rule
        for decision in replayed.decisions
        if decision.customer == "c06-fikile"
        for step in decision.trace
        if step.effect == "deferred" and step.rule != "plan-now" and step.after > step.before
    }
    assert deferring
    assert sorted(names) == sorted(f"held back by {rule}" for rule in deferring)
    assert ax.patches, "shaded windows"


def test_the_timeline_can_be_drawn_on_given_axes_for_a_chosen_span(replayed):
    figure, (top, bottom) = plt.subplots(2, 1)
    drawn = plot_timeline(
        replayed, "c02-bruno", ax=bottom, start="2026-12-01T00:00:00Z", end="2027-01-01T00:00:00Z"
    )
    assert drawn is bottom
    assert top.get_title() == ""
    low, high = bottom.get_xlim()
    assert matplotlib.dates.num2date(low).date().isoformat() == "2026-12-01"
    assert matplotlib.dates.num2date(high).date().isoformat() == "2027-01-01"
    assert figure is bottom.figure


def test_the_timeline_of_a_customer_not_in_the_backtest_is_refused(replayed):
    with pytest.raises(InputError, match="'c99': is not a customer of this backtest"):
        plot_timeline(replayed, "c99")


def test_the_pressure_plot_writes_a_png_with_bars_per_day_and_the_cap(replayed, tmp_path):
    path = tmp_path / "pressure.png"
    ax = plot_pressure(replayed, path=path)
    assert path.read_bytes().startswith(PNG)
    assert ax.get_title().startswith("Contact pressure by day: ")
    assert ax.get_xlabel() == "day (the customer's local date)"
    assert ax.get_ylabel() == "contacts sent, all customers"
    # The bars, stacked by category, add up to every contact sent.
    assert sum(bar.get_height() for bar in ax.patches) == len(replayed.sent)
    right = [other for other in ax.figure.axes if other is not ax]
    assert len(right) == 1
    assert right[0].get_ylabel() == "most to one customer in 1 week"
    cap = [line for line in right[0].get_lines() if list(line.get_ydata()) == [2, 2]]
    assert cap, "the cap's limit as a line"
    most = next(line for line in right[0].get_lines() if line not in cap)
    assert max(most.get_ydata()) <= 2
    legend = ax.get_legend()
    assert legend is not None
    names = [text.get_text() for text in legend.get_texts()]
    assert {"relationship", "transactional", "contact-pressure: at most 2"} <= set(names)


def test_the_pressure_plot_follows_the_cap_it_is_told(replayed):
    ax = plot_pressure(replayed, cap="review-request-cap")
    right = next(other for other in ax.figure.axes if other is not ax)
    assert right.get_ylabel() == "most to one customer in 30 days"
    with pytest.raises(InputError, match="'quiet-hours': is not a frequency cap of the policy"):
        plot_pressure(replayed, cap="quiet-hours")


def test_plots_without_matplotlib_say_which_extra_to_install(replayed, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.setitem(sys.modules, "matplotlib.dates", None)
    with pytest.raises(MissingDependency, match=r"pip install 'outreach-rules\[notebook\]'"):
        plot_pressure(replayed)


# The timeline in the customer's zone, its labels apart

SYDNEY = "Australia/Sydney"


def crowded() -> Backtest:
    """Forty events and a handful of contacts within two days for one customer."""
    customer = Customer(id="c1", timezone=SYDNEY, country="AU", since="2020-01-01T00:00:00Z")
    events = [
        Event(
            customer="c1",
            kind="order_placed" if n % 2 == 0 else "order_delivered",
            at=f"2026-10-0{5 + n // 20}T{n % 20:02d}:{(7 * n) % 60:02d}:00Z",
            ref=f"o-{n // 2}",
        )
        for n in range(40)
    ]
    return simulate(
        Policy.default(),
        [customer],
        events,
        start="2026-10-01T00:00:00Z",
        end="2026-11-15T00:00:00Z",
    )


def test_the_timeline_labels_its_dates_in_the_customers_zone(replayed):
    ax = plot_timeline(
        replayed, "c10-jun", start="2026-12-10T00:00:00Z", end="2026-12-11T12:00:00Z"
    )
    assert ax.get_xlabel() == f"date ({SYDNEY})"
    ax.figure.canvas.draw()
    zone = ZoneInfo(SYDNEY)
    shown = 0
    for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True):
        text = label.get_text()
        if len(text) == 5 and text[2] == ":":  # an hour of the day, HH:MM
            assert text == matplotlib.dates.num2date(tick, tz=zone).strftime("%H:%M")
            assert text != matplotlib.dates.num2date(tick).strftime("%H:%M")
            shown += 1
    assert shown >= 2


def test_no_two_labels_of_a_crowded_timeline_overlap():
    result = crowded()
    ax = plot_timeline(result, "c1")
    labels = texts(ax)
    assert len(labels) >= 40
    ax.figure.canvas.draw()
    boxes = [text.get_window_extent() for text in ax.texts]
    for first in range(len(boxes)):
        for second in range(first + 1, len(boxes)):
            assert not boxes[first].overlaps(boxes[second]), (labels[first], labels[second])
    # And each label stays within the figure.
    figure_box = ax.figure.bbox
    for box in boxes:
        assert figure_box.x0 <= box.x0
        assert box.x1 <= figure_box.x1
