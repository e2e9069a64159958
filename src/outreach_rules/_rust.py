"""Planning on the Rust core: the policy compiled once, customers handed over in batches.

Customers and their histories cross as JSON Lines (``rust/python/src/lib.rs`` reads
them); each comes back as its records, its raw decisions or the library's own exception.
The core asks ``Sources`` for zones, holidays and unusual instants, so that it
plans on the very calendars the Python planner reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from outreach_rules._compile import Uncompilable, compile_policy, json_data
from outreach_rules._cores import rust_module
from outreach_rules._raw import RawDecision, raw_decision
from outreach_rules.rules.history import as_event
from outreach_rules.timeline.calendar import holiday_days
from outreach_rules.timeline.instants import epoch
from outreach_rules.timeline.zone import zone

if TYPE_CHECKING:
    from outreach_rules.explain import Record
    from outreach_rules.model import Contact, Customer, Event
    from outreach_rules.policy import Policy

__all__ = ["Sources", "compiled", "plan_raw", "plan_records", "wire_group"]

Group = tuple["Customer", "Iterable[Event | Contact]"]


class Sources:
    """What the core asks Python for: the same zone tables, holidays and instants as the
    Python planner's."""

    def zone_year(self, name: str, year: int) -> tuple[list[int], list[int]]:
        return zone(name).year_table(year)

    def holidays(self, country: str, subdivision: str | None, year: int) -> list[int]:
        return sorted(holiday_days(country, subdivision, year))

    def instant(self, text: str, field: str) -> int:
        return epoch(text, field)


_NOT_COMPILABLE = "not compilable"


def compiled(policy: Policy) -> Any | None:
    """The policy compiled into the core (once per policy), or None where it holds
    something only the Python planner can plan with."""
    found = policy.cached("rust-core", _compile, policy)
    return None if found == _NOT_COMPILABLE else found


def _compile(policy: Policy) -> Any:
    core = rust_module()
    assert core is not None, "the caller checks that the core is built"
    try:
        return core.CompiledPolicy(compile_policy(policy), Sources())
    except Uncompilable:
        return _NOT_COMPILABLE


def wire_group(customer: Customer, history: Iterable[Event | Contact]) -> bytes:
    """One customer and history as a line of the core's input.

    Raises ``Uncompilable`` for data the core cannot carry (a number that is not
    finite, or past 64 bits): such a customer is planned by the Python planner.
    """
    events = [
        {
            "kind": event.kind,
            "at": event.epoch,
            "customer": event.customer,
            "ref": event.ref,
            "id": event.id,
            "data": json_data(event.data),
        }
        for event in (as_event(item, position) for position, item in enumerate(history))
    ]
    person = {
        "id": customer.id,
        "timezone": customer.timezone,
        "country": customer.country,
        "since": customer.since_epoch,
        "channels": sorted(str(channel) for channel in customer.channels),
        "consents": dict(customer.consents),
        "attributes": json_data(customer.attributes),
    }
    return orjson.dumps({"customer": person, "history": events})


def plan_raw(core: Any, groups: Sequence[bytes], now: int) -> list[list[RawDecision]]:
    """Each group's raw decisions; the first group's error is raised."""
    return [
        [raw_decision(data) for data in orjson.loads(found)]
        for found in _raised(core.plan_raw(b"\n".join(groups), now))
    ]


def plan_records(
    core: Any, groups: Sequence[bytes], now: int, *, trace: str = "full"
) -> list[list[Record]]:
    """Each group's decision records; the first group's error is raised."""
    found = core.plan_records(b"\n".join(groups), now, form="jsonl", trace=trace)
    return [[orjson.loads(line) for line in lines.splitlines()] for lines in _raised(found)]


def _raised(results: list[bytes | Exception]) -> list[bytes]:
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results  # type: ignore[return-value]
