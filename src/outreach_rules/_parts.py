"""Planning whole files in parts, in one process or several, with the same bytes out.

The input is cut into *parts* that a worker reads by itself: byte ranges of files sorted by
customer id, or ranges of ids in a temporary SQLite index when they are not. Each part is
planned into a temporary file; the parts are joined in order. So ``workers=2`` writes
exactly what ``workers=1`` writes, and memory stays bounded by one customer's history.

Sortedness is not checked beforehand: a part that finds a customer or an event out of
order stops, and the whole run starts again through the index.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from outreach_rules._reading import (
    Errors,
    Group,
    NotSorted,
    OnError,
    Rejected,
    Slice,
    build_index,
    index_cuts,
    indexed_groups,
    sorted_groups,
)
from outreach_rules.errors import InputError

__all__ = ["broadcasts_end", "plan_files", "write_records"]

CSV_COLUMNS = (
    "id",
    "customer",
    "intent",
    "ref",
    "status",
    "send_at",
    "local_send_at",
    "channel",
    "trace",
)
# Parts per worker: more parts than workers evens out the load.
_PARTS_PER_WORKER = 4


@attrs.frozen
class Part:
    """What one worker plans: customers with ids in ``[low, high)``, from slices or the index."""

    number: int
    low: str | None
    high: str | None
    customers: Slice | None = None
    events: Slice | None = None
    broadcasts: Slice | None = None
    index: str | None = None


@attrs.frozen
class Done:
    """A planned part: where its output is, what it rejected, how many customers it planned."""

    output: str
    rejected: tuple[Rejected, ...]
    customers: int


@attrs.frozen
class Job:
    """What every part shares: the policy (as data, compiled once per worker) and the options."""

    policy: dict[str, Any]
    now: str
    engine: str
    on_error: OnError
    form: str
    folder: str


def plan_files(
    policy: Any,
    customers: str | Path,
    events: str | Path,
    out: IO[str],
    *,
    now: str,
    form: str = "jsonl",
    engine: str = "native",
    on_error: OnError = "fail",
    reject: Callable[[Rejected], None] | None = None,
    workers: int = 1,
    workdir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Plan every customer of the files and write their records to ``out``, in customer
    order; returns how many customers were planned. ``form`` is ``jsonl`` or ``csv``."""
    if workers < 1:
        raise InputError("must be at least 1", field="workers", value=workers)
    for path in (customers, events):
        try:
            with open(path, "rb"):
                pass
        except OSError as error:
            raise InputError(
                f"cannot be read ({error.strerror})", field="file", value=str(path)
            ) from None
    if form == "csv":
        write_records((), form, out, header=True)
    with tempfile.TemporaryDirectory(prefix="outreach-rules-", dir=workdir) as folder:
        job = Job(policy.to_dict(), now, engine, on_error, form, folder)
        try:
            results = _run(
                job, _sorted_parts(str(customers), str(events), workers), workers, progress
            )
        except NotSorted:
            index = str(Path(folder) / "index.sqlite")
            build_index(customers, events, index, Errors(on_error, reject))
            results = _run(job, _index_parts(index, workers), workers, progress)
        total = 0
        rejected: list[Rejected] = []
        for done in results:
            with open(done.output, encoding="utf-8") as part:
                shutil.copyfileobj(part, out)
            rejected.extend(done.rejected)
            total += done.customers
        if reject is not None:
            # In file and line order, however the input was cut into parts.
            for item in sorted(rejected, key=lambda r: (r.file or "", r.line or 0, r.reason)):
                reject(item)
        return total


def _run(
    job: Job, parts: list[Part], workers: int, progress: Callable[[int], None] | None
) -> list[Done]:
    done: list[Done] = []
    if workers == 1:
        _start(job)
        for part in parts:
            done.append(_plan_part(part))
            if progress is not None:
                progress(done[-1].customers)
        return done
    context = multiprocessing.get_context("spawn" if os.name == "nt" else "forkserver")
    with context.Pool(workers, initializer=_start, initargs=(job,)) as pool:
        for result in pool.imap(_plan_part, parts):
            done.append(result)
            if progress is not None:
                progress(result.customers)
    return done


# -- cutting the input into parts --------------------------------------------------------


def _sorted_parts(customers: str, events: str, workers: int) -> list[Part]:
    count = workers * _PARTS_PER_WORKER if workers > 1 else 1
    customer_cuts = _cuts(customers, count)
    ids = [_key(customers, offset, "id") for offset in customer_cuts[1:]]
    head = broadcasts_end(events)
    event_cuts = [head, *(_first_at_or_above(events, head, i) for i in ids)]
    customer_lines = _line_numbers(customers, customer_cuts)
    event_lines = _line_numbers(events, [0, *event_cuts])
    broadcasts = Slice(events, 0, head, 1)
    parts = []
    bounds = [None, *ids, None]
    for number in range(len(customer_cuts)):
        last = number == len(customer_cuts) - 1
        parts.append(
            Part(
                number=number,
                low=bounds[number],
                high=bounds[number + 1],
                customers=Slice(
                    customers,
                    customer_cuts[number],
                    None if last else customer_cuts[number + 1],
                    customer_lines[number],
                ),
                events=Slice(
                    events,
                    event_cuts[number],
                    None if last else event_cuts[number + 1],
                    event_lines[number + 1],
                ),
                broadcasts=broadcasts,
            )
        )
    return parts


def _cuts(path: str, count: int) -> list[int]:
    """``count`` byte offsets where lines begin, the first 0, spread evenly over the file."""
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as handle:
        for k in range(1, count):
            start = _line_start_at_or_after(handle, size * k // count)
            if cuts[-1] < start < size:
                cuts.append(start)
    return cuts


def _line_start_at_or_after(handle: IO[bytes], offset: int) -> int:
    if offset <= 0:
        return 0
    handle.seek(offset - 1)
    handle.readline()
    return handle.tell()


def _key(path: str, offset: int, key: str) -> str | None:
    """The ``key`` of the record on the line at ``offset``, or None where there is none."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return _line_key(handle.readline(), key)


def _line_key(raw: bytes, key: str) -> str | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def broadcasts_end(events: str) -> int:
    """Where the broadcasts at the head of a sorted events file end."""
    with open(events, "rb") as handle:
        position = 0
        for raw in handle:
            if raw.strip() and _line_key(raw, "customer") is not None:
                return position
            position += len(raw)
        return position


def _first_at_or_above(events: str, low: int, wanted: str | None) -> int:
    """The first line at or after ``low`` whose customer is ``wanted`` or above."""
    if wanted is None:
        return low
    size = os.path.getsize(events)
    with open(events, "rb") as handle:

        def owner(offset: int) -> tuple[str, int]:
            handle.seek(offset)
            raw = handle.readline()
            return _line_key(raw, "customer") or "", offset + len(raw)

        high = size
        while low < high:
            middle = _line_start_at_or_after(handle, (low + high) // 2)
            if middle >= high:
                key, after = owner(low)
                if key >= wanted:
                    return low
                low = after
                continue
            key, after = owner(middle)
            if key >= wanted:
                high = middle
            else:
                low = after
        return high


def _line_numbers(path: str, offsets: Sequence[int]) -> list[int]:
    """The number of the line that begins at each offset (offsets in increasing order)."""
    numbers, seen, position = [], 0, 0
    with open(path, "rb") as handle:
        for offset in offsets:
            while position < offset:
                chunk = handle.read(min(1 << 20, offset - position))
                if not chunk:
                    break
                seen += chunk.count(b"\n")
                position += len(chunk)
            numbers.append(seen + 1)
    return numbers


def _index_parts(index: str, workers: int) -> list[Part]:
    cuts = index_cuts(index, workers * _PARTS_PER_WORKER if workers > 1 else 1)
    bounds = [None, *cuts, None]
    return [
        Part(number=n, low=bounds[n], high=bounds[n + 1], index=index)
        for n in range(len(bounds) - 1)
    ]


# -- in a worker ----------------------------------------------------------------------------

_JOB: dict[str, Any] = {}


def _start(job: Job) -> None:
    from outreach_rules.policy import Policy  # noqa: PLC0415 - a worker builds it once, here

    _JOB.update(job=job, policy=Policy.from_dict(job.policy))


def _plan_part(part: Part) -> Done:
    from outreach_rules.batch import record_groups  # noqa: PLC0415 - batch imports this module

    job: Job = _JOB["job"]
    rejected: list[Rejected] = []
    errors = Errors(job.on_error, rejected.append)
    counted = _Counter(_groups(part, errors))
    output = str(Path(job.folder) / f"part-{part.number:05d}.{job.form}")
    with open(output, "w", encoding="utf-8", newline="") as out:
        batches = record_groups(
            _JOB["policy"],
            counted,
            now=job.now,
            engine=job.engine,
            on_error=job.on_error,
            reject=rejected.append,
        )
        write_records(batches, job.form, out)
    return Done(output, tuple(rejected), counted.count)


def _groups(part: Part, errors: Errors) -> Iterator[Group]:
    if part.index is not None:
        return indexed_groups(part.index, errors, low=part.low, high=part.high)
    assert part.customers is not None
    assert part.events is not None
    assert part.broadcasts is not None
    # Every part reads the broadcasts; only the first reports what is wrong with them.
    quiet = None if part.number == 0 else Errors("skip", None)
    return sorted_groups(
        part.customers,
        part.events,
        part.broadcasts,
        errors,
        low=part.low,
        high=part.high,
        broadcast_errors=quiet,
    )


class _Counter:
    def __init__(self, source: Iterator[Group]) -> None:
        self.source = source
        self.count = 0

    def __iter__(self) -> Iterator[Group]:
        for group in self.source:
            self.count += 1
            yield group


def write_records(
    batches: Iterable[list[dict[str, Any]]], form: str, out: IO[str], *, header: bool = False
) -> None:
    """Write decision records as ``jsonl`` or ``csv`` (with the column names first if
    ``header``); the trace goes into the last CSV column as JSON."""
    if form == "jsonl":
        for records in batches:
            for record in records:
                out.write(_json(record))
                out.write("\n")
        return
    import csv  # noqa: PLC0415 - only the csv form needs it

    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for records in batches:
        for record in records:
            cells = ["" if record[c] is None else record[c] for c in CSV_COLUMNS[:-1]]
            writer.writerow([*cells, _json(record["trace"])])


def _json(value: Any) -> str:
    # The same bytes as json.dumps(value, ensure_ascii=False, separators=(",", ":")) for
    # records of text and nulls, about nine times as fast: at some 4 KB of traced
    # decisions per customer, the standard library's encoder took 7% of a run.
    return orjson.dumps(value).decode("utf-8")
