"""Planning whole files in parts, in one process or several, with the same bytes out.

The input is cut into *parts* that a worker reads by itself: byte ranges of files sorted by
customer id, or ranges of ids in a temporary SQLite index when they are not. Each part is
planned into a temporary file; the parts are joined in order. So ``workers=2`` writes
exactly what ``workers=1`` writes, and memory stays bounded by one customer's history.

Sortedness is not checked beforehand: a part that finds a customer or an event out of
order stops, and the whole run starts again through the index.

On the Rust core the whole run is the core's (``outreach_core::batch``): it reads, groups
and plans in threads of this process, the GIL released, and hands back the bad lines it
met, in the order this module's reading meets them; they are worded here, by the same
reader, so that the errors and rejects are the same. A line the core refused that
Python's reader accepts (an integer beyond 64 bits, say) means the core cannot carry the
input: then the files are planned as if the Rust core were not there.

Events of a kind the policy does not know (``Kinds``) are
reported once the run is done, in file and line order, on either core; or, with
``unknown_kinds="refuse"``, are bad lines like any other.
"""

from __future__ import annotations

import codecs
import io
import json
import multiprocessing
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from outreach_rules import _rust
from outreach_rules._cores import core_name, rust_module
from outreach_rules._grouped import record_groups
from outreach_rules._reading import (
    Errors,
    Group,
    Kinds,
    NotSorted,
    OnError,
    Rejected,
    Slice,
    UnknownKind,
    UnknownKinds,
    _twice,
    _unknown_customer,
    build_index,
    dedupe,
    index_cuts,
    indexed_groups,
    sorted_groups,
)
from outreach_rules.contract import Line, customer_from_record, event_from_record, read_lines
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.planner import TRACES, check_trace
from outreach_rules.policy import Policy
from outreach_rules.timeline.clock import now_epoch

__all__ = ["TRACES", "broadcasts_end", "plan_files", "write_records"]

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
# Customers planned between two reports of progress on the Python planner: a fraction of
# a second's work, so that a progress bar moves from the first second, not per part.
_TELL_EVERY = 50
# How long the Python planner waits for a part before it reports the workers' progress.
_TELL_WAIT = 0.25


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
    unknown: tuple[UnknownKind, ...] = ()


@attrs.frozen
class Job:
    """What every part shares: the policy (as data, compiled once per worker) and the options."""

    policy: dict[str, Any]
    now: str
    engine: str
    on_error: OnError
    form: str
    folder: str
    trace: str = "full"
    # The kinds the policy knows, and what becomes of an event of another kind.
    known: tuple[str, ...] = ()
    unknown_kinds: UnknownKinds = "warn"


def plan_files(
    policy: Any,
    customers: str | Path,
    events: str | Path,
    out: IO[str],
    *,
    now: str,
    form: str = "jsonl",
    trace: str = "full",
    engine: str = "native",
    on_error: OnError = "fail",
    reject: Callable[[Rejected], None] | None = None,
    workers: int = 1,
    workdir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    unknown_kinds: UnknownKinds = "warn",
    on_unknown_kind: Callable[[UnknownKind], None] | None = None,
) -> int:
    """Plan every customer of the files into ``out``, in customer order; returns how many.

    ``form`` is ``jsonl`` or ``csv``; ``trace`` is ``full``, ``compact`` (each step with
    a reason code and its parameters instead of its sentence) or ``none`` (the JSON Lines
    records leave their ``trace`` out, the CSV cell is empty); ``workers`` are threads on
    the Rust core, processes on the Python planner. ``progress``, where given, is called
    with each count of customers planned since the last call, a few times a second; each
    customer is counted once, even where a run starts over (through the index, or on the
    Python planner after the Rust core).

    An event of a kind the policy does not know (not in its ``events``, nor one the
    library reads itself, such as ``contact_sent``) is most often a misspelling: with
    ``unknown_kinds="warn"`` it is planned as it is, and each is handed to
    ``on_unknown_kind`` as an ``UnknownKind`` (file, line,
    kind and the likely ``suggestion``) once the run is done, in file and line order;
    with ``"refuse"`` its line is bad input at the field ``kind``, which ``on_error``
    decides about as about any other.
    """
    kinds = Kinds.of(policy, unknown_kinds)
    if workers < 1:
        raise InputError("must be at least 1", field="workers", value=workers)
    check_trace(trace)
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
    told = _Told(progress)
    with tempfile.TemporaryDirectory(prefix="outreach-rules-", dir=workdir) as folder:
        run = _Run(
            policy,
            str(customers),
            str(events),
            now,
            form,
            trace,
            engine,
            on_error,
            workers,
            folder,
            kinds=kinds,
        )
        core = _batch_core(run)
        if core is not None:
            planned = _plan_on_rust(core, run, out, reject, told, warn=on_unknown_kind)
            if planned is not None:
                return planned
            # The core could not carry this input: in one process, as the core's run
            # would have been, with the same first error whatever `workers` says.
            workers = 1
            told.again()
        job = Job(
            policy.to_dict(), now, engine, on_error, form, folder, trace, kinds.names, unknown_kinds
        )
        unknown: list[UnknownKind] = []
        try:
            results = _run(job, _sorted_parts(str(customers), str(events), workers), workers, told)
        except NotSorted:
            told.again()
            index = str(Path(folder) / "index.sqlite")
            indexing = Kinds(kinds.known, unknown_kinds, unknown.append)
            build_index(customers, events, index, Errors(on_error, reject), indexing)
            results = _run(job, _index_parts(index, workers), workers, told)
        total = 0
        rejected: list[Rejected] = []
        for done in results:
            _copy(done.output, out)
            rejected.extend(done.rejected)
            unknown.extend(done.unknown)
            total += done.customers
        _reject_in_order(rejected, reject)
        _warn_in_order(unknown, on_unknown_kind)
        return total


def _copy(output: str, out: IO[str]) -> None:
    """Append a written part to ``out``, as it is: bytes to its binary buffer where it has
    one (a file, stdout), since decoding hundreds of megabytes to copy them took a fifth
    of a run on the Rust core."""
    buffer = getattr(out, "buffer", None) if _utf8(out) else None
    if buffer is None:
        with open(output, encoding="utf-8", newline="") as text:
            shutil.copyfileobj(text, out)
        return
    out.flush()
    with open(output, "rb") as part:
        shutil.copyfileobj(part, buffer, _COPY_CHUNK)
    buffer.flush()


_COPY_CHUNK = 1 << 20


def _utf8(out: IO[str]) -> bool:
    """Whether ``out`` encodes text as UTF-8, as records are written: then bytes can go
    to it as they are."""
    encoding = getattr(out, "encoding", None)
    try:
        return isinstance(encoding, str) and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _warn_in_order(
    unknown: Iterable[UnknownKind], warn: Callable[[UnknownKind], None] | None
) -> None:
    if warn is not None:
        for item in sorted(unknown, key=lambda u: (u.file, u.line)):
            warn(item)


def _reject_in_order(rejected: list[Rejected], reject: Callable[[Rejected], None] | None) -> None:
    if reject is not None:
        # In file and line order, however the input was cut into parts.
        for item in sorted(rejected, key=lambda r: (r.file or "", r.line or 0, r.reason)):
            reject(item)


class _Told:
    """Progress told once per customer: a run that starts over is not counted again until
    it passes where the last one got to."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.told = self.seen = 0

    def __call__(self, count: int) -> None:
        self.seen += count
        if self.progress is not None and self.seen > self.told:
            self.progress(self.seen - self.told)
            self.told = self.seen

    def again(self) -> None:
        """The run starts over from its first customer."""
        self.seen = 0


def _run(job: Job, parts: list[Part], workers: int, told: _Told) -> list[Done]:
    if workers == 1:
        _start(job, told)
        return [_plan_part(part) for part in parts]
    context = multiprocessing.get_context("spawn" if os.name == "nt" else "forkserver")
    # The workers count the customers they plan here; this process reports the count
    # whenever it has waited a moment for the next part.
    planned = context.Value("q", 0)
    reported = 0
    done: list[Done] = []

    def report() -> None:
        nonlocal reported
        with planned.get_lock():
            count = planned.value
        told(count - reported)
        reported = count

    with context.Pool(workers, initializer=_start, initargs=(job, planned)) as pool:
        results = pool.imap(_plan_part, parts)
        while True:
            try:
                done.append(results.next(timeout=_TELL_WAIT))
            except multiprocessing.TimeoutError:
                report()
            except StopIteration:
                break
    report()
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
    except (ValueError, RecursionError):
        # Not a record naming a customer: the reader says what is wrong with it, in order.
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


def _start(job: Job, planned: Any = None) -> None:
    """Set a worker up: the policy built once, and where to count the customers planned
    (a progress callback in this process, a shared number in a worker process)."""
    from outreach_rules.policy import Policy  # noqa: PLC0415 - a worker builds it once, here

    _JOB.update(job=job, policy=Policy.from_dict(job.policy), tell=_teller(planned))


def _teller(planned: Any) -> Callable[[int], None] | None:
    if planned is None or isinstance(planned, _Told):
        return planned

    def tell(count: int) -> None:
        with planned.get_lock():
            planned.value += count

    return tell


def _plan_part(part: Part) -> Done:
    job: Job = _JOB["job"]
    rejected: list[Rejected] = []
    errors = Errors(job.on_error, rejected.append)
    unknown: list[UnknownKind] = []
    kinds = Kinds(job.known, job.unknown_kinds, unknown.append)
    counted = _Counter(_groups(part, errors, kinds), _JOB["tell"])
    output = str(Path(job.folder) / f"part-{part.number:05d}.{job.form}")
    with open(output, "w", encoding="utf-8", newline="") as out:
        batches = record_groups(
            _JOB["policy"],
            counted,
            now=job.now,
            engine=job.engine,
            on_error=job.on_error,
            reject=rejected.append,
            trace=job.trace,
        )
        write_records(batches, job.form, out, trace=job.trace)
    counted.tell()
    return Done(output, tuple(rejected), counted.count, tuple(unknown))


def _groups(part: Part, errors: Errors, kinds: Kinds) -> Iterator[Group]:
    if part.index is not None:
        # The kinds were checked as the index was built.
        return indexed_groups(part.index, errors, low=part.low, high=part.high)
    assert part.customers is not None
    assert part.events is not None
    assert part.broadcasts is not None
    # Every part reads the broadcasts; only the first reports what is wrong with them.
    first = part.number == 0
    return sorted_groups(
        part.customers,
        part.events,
        part.broadcasts,
        errors,
        low=part.low,
        high=part.high,
        broadcast_errors=None if first else Errors("skip", None),
        kinds=kinds,
        broadcast_kinds=None if first else kinds.quiet(),
    )


class _Counter:
    """The groups of a part, counted; every ``_TELL_EVERY`` of them told to ``tell``."""

    def __init__(self, source: Iterator[Group], tell: Callable[[int], None] | None) -> None:
        self.source, self.tell_to = source, tell
        self.count = self.untold = 0

    def __iter__(self) -> Iterator[Group]:
        for group in self.source:
            # A group is asked for once the one before it is planned (and written).
            if self.untold >= _TELL_EVERY:
                self.tell()
            self.count += 1
            self.untold += 1
            yield group

    def tell(self) -> None:
        """Tell the customers counted since the last time."""
        if self.tell_to is not None and self.untold:
            self.tell_to(self.untold)
        self.untold = 0


def write_records(
    batches: Iterable[list[dict[str, Any]]],
    form: str,
    out: IO[str],
    *,
    header: bool = False,
    trace: str = "full",
) -> None:
    """Write decision records as ``jsonl`` or ``csv`` (with the column names first if
    ``header``); the trace goes into the last CSV column as JSON, or with ``trace="none"``
    nowhere: the JSON Lines records leave the key out and the CSV cell is empty. A
    ``compact`` trace is written as the records carry it."""
    check_trace(trace)
    traced = trace != "none"
    if form == "jsonl":
        for records in batches:
            for record in records:
                out.write(_json(record if traced else _untraced(record)))
                out.write("\n")
        return
    import csv  # noqa: PLC0415 - only the csv form needs it

    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for records in batches:
        for record in records:
            cells = ["" if record[c] is None else record[c] for c in CSV_COLUMNS[:-1]]
            writer.writerow([*cells, _json(record["trace"]) if traced else ""])


def _untraced(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "trace"}


def _json(value: Any) -> str:
    # The same bytes as json.dumps(value, ensure_ascii=False, separators=(",", ":")) for
    # records of text and nulls, about nine times as fast: at some 4 KB of traced
    # decisions per customer, the standard library's encoder took 7% of a run.
    return orjson.dumps(value).decode("utf-8")


# -- on the Rust core -------------------------------------------------------------------------


@attrs.frozen
class _Run:
    """What the Rust core is asked to plan."""

    policy: Any
    customers: str
    events: str
    now: str
    form: str
    trace: str
    engine: str
    on_error: OnError
    threads: int
    folder: str
    kinds: Kinds | None = None


@attrs.frozen
class _Met:
    """A bad line the core met, as Python's reader words it."""

    line: Line | None
    # Handed to `reject` at once (the index's lines), not sorted with the others at the end.
    early: bool
    # Through the on-error policy; or `raised` whatever the policy.
    error: OutreachRulesError | None = None
    raised: BaseException | None = None


class _Capture(Errors):
    """An on-error policy that only keeps what it is handed, to apply the real one later."""

    def __init__(self) -> None:
        super().__init__("skip", None)
        self.found: list[OutreachRulesError] = []

    def __call__(self, error: OutreachRulesError, line: Line | None) -> None:
        self.found.append(error)


def _plan_on_rust(
    core: tuple[Any, Any, int],
    run: _Run,
    out: IO[str],
    reject: Callable[[Rejected], None] | None,
    progress: Callable[[int], None] | None,
    *,
    warn: Callable[[UnknownKind], None] | None = None,
) -> int | None:
    """Plan on the Rust core; None (nothing written or rejected) where only Python can.

    The core writes straight after what ``out`` holds where ``out`` is a file of its own
    (``--output``); elsewhere (stdout, a stream) into a part file copied there after. Either
    way ``out`` gets nothing unless the run is the core's and ends well.
    """
    direct = _direct(out)
    try:
        planned = _planned_on_rust(core, run, out, reject, progress, direct=direct, warn=warn)
    except BaseException:
        _cut(out, direct)
        raise
    if planned is None:
        _cut(out, direct)
    return planned


def _planned_on_rust(
    core: tuple[Any, Any, int],
    run: _Run,
    out: IO[str],
    reject: Callable[[Rejected], None] | None,
    progress: Callable[[int], None] | None,
    *,
    direct: tuple[str, int] | None,
    warn: Callable[[UnknownKind], None] | None = None,
) -> int | None:
    module, compiled, at = core
    output, keep = direct or (str(Path(run.folder) / f"planned.{run.form}"), 0)
    kinds = run.kinds
    planned, fallback, issues, _, unknown = module.plan_files(
        compiled,
        run.customers,
        run.events,
        output,
        keep=keep,
        now=at,
        form=run.form,
        trace=run.trace,
        on_error=run.on_error,
        threads=run.threads,
        workdir=run.folder,
        progress=progress,
        known_kinds=None if kinds is None else kinds.names,
        refuse_unknown_kinds=kinds is not None and kinds.unknown == "refuse",
    )
    if fallback is not None:
        return None
    met = [_worded(issue, kinds) for issue in issues]
    if None in met:
        return None
    late = _meet([m for m in met if m is not None], run.on_error, reject)
    if direct is None:
        _copy(output, out)
    else:
        out.seek(0, os.SEEK_END)
    _reject_in_order(late, reject)
    if kinds is not None:
        found = [UnknownKind(f, n, kind, kinds.suggestion(kind)) for f, n, kind in unknown]
        _warn_in_order(found, warn)
    return int(planned)


def _direct(out: IO[str]) -> tuple[str, int] | None:
    """The path of ``out`` and its length, where the core can write after what it holds:
    a regular file, open under that very path, written up to its end."""
    name = getattr(out, "name", None)
    if not isinstance(name, str) or not _utf8(out):
        return None
    try:
        out.flush()
        held = os.fstat(out.fileno())
        named = os.stat(name)
        at = os.lseek(out.fileno(), 0, os.SEEK_CUR)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    if not stat.S_ISREG(held.st_mode) or not os.path.samestat(held, named):
        return None
    return (name, at) if at == held.st_size else None


def _cut(out: IO[str], direct: tuple[str, int] | None) -> None:
    """``out`` as it was before the core wrote to it."""
    if direct is not None:
        os.ftruncate(out.fileno(), direct[1])


def _batch_core(run: _Run) -> tuple[Any, Any, int] | None:
    """The core module, the compiled policy and ``now``, where the core can plan the run."""
    if (
        run.engine != "native"
        or run.form not in ("jsonl", "csv")
        or run.on_error not in ("fail", "skip")
        or not isinstance(run.policy, Policy)
    ):
        return None
    try:
        if core_name() != "rust":
            return None
        # A bad `now` is each customer's error on the Python path: leave it to that path.
        at = now_epoch(run.now)
    except OutreachRulesError:
        return None
    module, compiled = rust_module(), _rust.compiled(run.policy)
    if module is None or compiled is None:
        return None
    return module, compiled, at


def _worded(issue: tuple[Any, ...], kinds: Kinds | None = None) -> _Met | None:
    """A bad line worded by Python's reader; None where that reader reads it otherwise."""
    kind, early, file, number, text, detail = issue
    line = Line(file, number, text)
    if kind == "not_utf8":
        return _not_utf8(file, detail, number)
    if kind == "failed":
        return _failed(detail, line)
    capture = _Capture()
    try:
        _reread(kind, line, detail, capture, kinds)
    except OutreachRulesError as error:
        return _Met(line, early, error=error) if kind == "refused" else None
    except Exception:
        # Whatever else Python's reader does there, its own path does it at the right time.
        return None
    if kind == "refused" or len(capture.found) != 1:
        return None
    return _Met(line, early, error=capture.found[0])


def _reread(kind: str, line: Line, detail: Any, capture: Errors, kinds: Kinds | None) -> None:
    """Read ``line`` again as Python's reading does, its issue going to ``capture``."""
    if kind == "refused":
        if detail == "customer":
            customer_from_record(line.record())
        else:
            (event_from_record if kinds is None else kinds.event)(line.record())
    elif kind == "twice":
        _twice(customer_from_record(line.record()), line, capture, detail or "")
    elif kind == "reused":
        other = Line(*detail)
        pair = [
            (other, event_from_record(other.record())),
            (line, event_from_record(line.record())),
        ]
        dedupe(pair, capture)
    elif kind == "unknown":
        _unknown_customer(event_from_record(line.record()), line, capture)


def _not_utf8(file: str, offset: int, number: int) -> _Met | None:
    """The error Python's reader raises at a line that is not UTF-8, whatever the policy."""
    try:
        next(read_lines(file, start=offset, first_line=number), None)
    except OutreachRulesError as error:
        return _Met(None, early=False, raised=error)
    return None


def _failed(detail: tuple[str, BaseException], line: Line) -> _Met:
    """A customer the core could not plan, as ``_grouped.each_group`` reports it."""
    customer, error = detail
    if not isinstance(error, OutreachRulesError):
        return _Met(line, early=False, raised=error)
    if error.field is not None and error.file is None:
        error.field = f"customer {customer!r}: {error.field}"
    return _Met(line, early=False, error=error)


def _meet(
    met: list[_Met], on_error: OnError, reject: Callable[[Rejected], None] | None
) -> list[Rejected]:
    """Apply the on-error policy to the bad lines in order; the rejects left for the end."""
    late: list[Rejected] = []
    at_once, at_end = Errors(on_error, reject), Errors(on_error, late.append)
    for item in met:
        if item.raised is not None:
            raise item.raised
        assert item.error is not None
        (at_once if item.early else at_end)(item.error, item.line)
    return late
