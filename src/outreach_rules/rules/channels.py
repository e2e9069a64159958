"""The rules every plan keeps, whatever the policy: consent, reachability, outages (P14, P17).

They are guards like the policy's own, with fixed ids, so they appear in traces the same way:

* ``category-consent``: never a category the customer opted out of (P17);
* ``channel-available``: only channels the customer can be reached on;
* ``channel-consent``: never a channel the customer opted out of (P17);
* ``channel-down``: not while the channel is down (P14); a proposal held back by an
  outage with no end yet waits for ``channel_restored``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outreach_rules.rules.history import consent
from outreach_rules.timeline.operators import Guard, Intervals, Never

if TYPE_CHECKING:
    from outreach_rules.model import Channel
    from outreach_rules.rules.guards import Placing
    from outreach_rules.rules.history import History

__all__ = ["builtin_text", "category_guards", "channel_guards", "consent"]

CATEGORY_CONSENT = "category-consent"
CHANNEL_AVAILABLE = "channel-available"
CHANNEL_CONSENT = "channel-consent"
CHANNEL_DOWN = "channel-down"


# What each built-in guard says, by its rule id.
_SAYS = {
    CATEGORY_CONSENT: "the customer said no to {category} messages",
    CHANNEL_AVAILABLE: "the customer cannot be reached by {channel}",
    CHANNEL_CONSENT: "the customer said no to {channel}",
    CHANNEL_DOWN: "{channel} is down",
}


def builtin_text(rule: str, category: str, channel: str | None) -> str | None:
    """What the built-in guard ``rule`` says for an intent's ``category`` on ``channel``;
    None when ``rule`` is not one of them."""
    said = _SAYS.get(rule)
    return None if said is None else said.format(category=category, channel=channel)


def category_guards(placing: Placing) -> list[Guard]:
    """Guards that hold whatever the channel."""
    category = str(placing.intent.category)
    if consent(placing.history, category) is False:
        why = _SAYS[CATEGORY_CONSENT].format(category=category)
        return [Never(CATEGORY_CONSENT, why, waiting_for="opted_in")]
    return []


def channel_guards(placing: Placing, channel: Channel) -> list[Guard]:
    """Guards that decide whether ``channel`` may carry the proposal, and when."""
    customer = placing.customer
    if channel not in customer.channels:
        return [Never(CHANNEL_AVAILABLE, _SAYS[CHANNEL_AVAILABLE].format(channel=channel))]
    if consent(placing.history, str(channel)) is False:
        why = _SAYS[CHANNEL_CONSENT].format(channel=channel)
        return [Never(CHANNEL_CONSENT, why, waiting_for="opted_in")]
    spans = _outages(placing.history, str(channel))
    if spans:
        why = _SAYS[CHANNEL_DOWN].format(channel=channel)
        return [Intervals(CHANNEL_DOWN, why, spans, waiting_for="channel_restored")]
    return []


def _outages(history: History, channel: str) -> list[tuple[int, int | None]]:
    spans: list[tuple[int, int | None]] = []
    restored = [
        t for t, e in history.of_kind("channel_restored") if e.data.get("channel") == channel
    ]
    for t, event in history.of_kind("channel_down"):
        if event.data.get("channel") == channel:
            end = next((r for r in restored if r >= t), None)
            spans.append((t, end))
    return spans
