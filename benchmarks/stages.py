"""Where a customer's time goes in ``outreach-rules plan``: microseconds per customer for
each stage, one after another in one process over the same workload.

    python benchmarks/stages.py --customers 10000

- parse: reading the lines and ``json.loads`` (the ceiling of benchmarks/run.py);
- strict parse: the reader's own JSON, which refuses a key given twice;
- value objects: ``Customer`` and ``Event`` from the records, with their validators;
- plan: the three planning stages (``plan_raw``), traces on;
- records: the decisions as output records, instants as ISO 8601 text;
- write JSON: the records written as JSON Lines by the command line's own writer
  (orjson), and encoded by the standard library for comparison (not counted in the total).

Each stage runs on what the one before made, kept in memory, so the figures add up to
about what one worker spends per customer.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import time
from collections.abc import Callable
from typing import Any, TypeVar

# Beside this file: a script's folder is on sys.path.
from _common import NOW, add_workload_arguments, headline, workload_files

from outreach_rules import Policy
from outreach_rules._parts import write_records
from outreach_rules._strict_json import loads
from outreach_rules.contract import customer_from_record, event_from_record
from outreach_rules.model import Customer, Event
from outreach_rules.planner import RawDecision, plan_raw
from outreach_rules.timeline.clock import now_epoch

T = TypeVar("T")


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _histories(
    customers: list[Customer], events: list[Event]
) -> list[tuple[Customer, list[Event]]]:
    broadcasts = [event for event in events if event.customer is None]
    own: dict[str, list[Event]] = {customer.id: [] for customer in customers}
    for event in events:
        if event.customer is not None:
            own[event.customer].append(event)
    return [(customer, [*own[customer.id], *broadcasts]) for customer in customers]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_workload_arguments(parser, workdir_help="where the workload goes", customers=10_000)
    args = parser.parse_args()
    customers_file, events_file = workload_files(args, generate=True)
    lines = [
        [line for line in path.open("rb") if line.strip()] for path in (customers_file, events_file)
    ]
    policy = Policy.default()
    now = now_epoch(NOW)
    n = args.customers

    def parse() -> None:
        for part in lines:
            for line in part:
                json.loads(line)

    def strict() -> list[list[Any]]:
        return [[loads(line) for line in part] for part in lines]

    _, parse_s = _timed(parse)
    (customer_records, event_records), strict_s = _timed(strict)
    (customers, events), objects_s = _timed(
        lambda: (
            [customer_from_record(r) for r in customer_records],
            [event_from_record(r) for r in event_records],
        )
    )
    histories = _histories(customers, events)

    def planned() -> list[tuple[Customer, list[RawDecision]]]:
        return [(c, plan_raw(policy, c, history, now=now)) for c, history in histories]

    drafts, plan_s = _timed(planned)
    records, records_s = _timed(
        lambda: [raw.record(customer) for customer, raws in drafts for raw in raws]
    )
    _, orjson_s = _timed(lambda: write_records([records], "jsonl", io.StringIO()))
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    encoded, stdlib_s = _timed(lambda: [encode(record) for record in records])

    rows = [
        ("parse (ceiling)", parse_s),
        ("strict parse", strict_s),
        ("value objects", objects_s),
        ("plan", plan_s),
        ("records", records_s),
        ("write JSON (orjson)", orjson_s),
    ]
    counted = dict(rows[1:])
    total = sum(counted.values())
    print(headline(n, events_file))
    size = sum(len(text.encode("utf-8")) + 1 for text in encoded) / n
    print(f"{len(records):,} decisions, {size:,.0f} bytes of JSON per customer")
    print(f"{'stage':<26}{'µs/customer':>12}{'customers/s':>14}{'share':>8}")
    for name, seconds in [*rows, ("write JSON (stdlib)", stdlib_s)]:
        share = f"{seconds / total:.0%}" if name in counted else ""
        print(f"{name:<26}{seconds / n * 1e6:>12.1f}{n / seconds:>14,.0f}{share:>8}")
    print(f"{'all but the ceiling':<26}{total / n * 1e6:>12.1f}{n / total:>14,.0f}{'100%':>8}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB (all of it held at once)")


if __name__ == "__main__":
    main()
