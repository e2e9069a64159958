"""Planning on Apache Spark: ``plan_dataframe``, the same decisions as ``outreach-rules plan``.

Install the ``spark`` extra (``pip install 'outreach-rules[spark]'``); importing this module
without pyspark raises [`MissingDependency`][outreach_rules.MissingDependency].

How the work is laid out (DESIGN.md, "Past one process"), all of it lazy until an action:

1. Every input row becomes an *item*: its customer id (the key), whether it is a customer or
   an event, its row id (``monotonically_increasing_id() + 1``, taken before anything moves
   the rows) and its record as JSON text: ``to_json`` of the contract's columns, or the line
   itself for a DataFrame of text (``spark.read.text``).
2. Broadcast events (no customer) are gathered by Spark into one row (``collect_list``) and
   joined to every customer item (a broadcast join), so every history has them.
3. Items are repartitioned by key and sorted by key, kind and row in each partition: Spark's
   own hash partitioning and sort, nothing collected to the driver, no partitioner of ours.
4. ``mapInArrow`` walks each partition as a stream of groups (a customer, then their events)
   and plans them through ``record_groups``, the path the command
   line takes, with its readers, its on-error policy and its reasons.

The policy travels as JSON text in the function's closure, which Spark ships to the
executors once per stage; each Python worker compiles it once, keyed by its digest, and
keeps it for the later tasks it runs (Spark reuses its Python workers:
``spark.python.worker.reuse``, on by default).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import attrs

from outreach_rules import _strict_json as strict_json
from outreach_rules._optional import require
from outreach_rules._parts import CSV_COLUMNS
from outreach_rules._reading import (
    Errors,
    Group,
    OnError,
    Rejected,
    _twice,
    _unknown_customer,
    dedupe,
    records,
)
from outreach_rules.batch import record_groups
from outreach_rules.contract import Line, customer_from_record, event_from_record
from outreach_rules.errors import InputError
from outreach_rules.explain import iso_utc
from outreach_rules.model import Customer, Event
from outreach_rules.planner import check_engine
from outreach_rules.policy import Policy
from outreach_rules.timeline.clock import now_epoch

try:
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F  # noqa: N812 - the name every Spark user knows
    from pyspark.sql import types as T  # noqa: N812
except ImportError:  # pragma: no cover - without the spark extra
    require("pyspark", extra="spark", purpose="outreach_rules.spark")
    raise

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DECISION_SCHEMA", "REJECT_SCHEMA", "plan_dataframe"]

_TRACE_FIELDS = ("rule", "effect", "from", "to", "why")
# The output contract's columns before the trace, as the command line writes them in CSV.
_DECISION_TEXT = CSV_COLUMNS[: CSV_COLUMNS.index("trace")]
_REJECT_FIELDS = (
    ("source", T.StringType()),
    ("row", T.LongType()),
    ("customer", T.StringType()),
    ("id", T.StringType()),
    ("reason", T.StringType()),
    ("text", T.StringType()),
)

#: One row per decision, the output contract's fields; ``trace`` is an array of structs.
DECISION_SCHEMA = T.StructType(
    [
        *(T.StructField(name, T.StringType()) for name in _DECISION_TEXT),
        T.StructField(
            "trace",
            T.ArrayType(
                T.StructType([T.StructField(name, T.StringType()) for name in _TRACE_FIELDS])
            ),
        ),
    ]
)

#: One row per rejected input row: where it came from, who it names, and why it was rejected.
REJECT_SCHEMA = T.StructType([T.StructField(name, kind) for name, kind in _REJECT_FIELDS])

# Fields of the contract whose value is an object: a DataFrame may give them as structs or
# maps, or as JSON text in a string column.
_OBJECT_FIELDS = frozenset({"channels", "consents", "attributes", "data"})
# Instants written with their offset; a TIMESTAMP_NTZ column has none, and is refused as the
# command line refuses a naive time.
_JSON_OPTIONS = {
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "timestampNTZFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
}
_CUSTOMER, _EVENT = 0, 1
_SOURCES = ("customers", "events")
# Output rows per Arrow batch handed back to Spark.
_BATCH_ROWS = 2048
# Policies kept compiled in one Python worker, most recently used last.
_KEPT_POLICIES = 8


@attrs.frozen
class _Job:
    """What every task needs, pickled into the closure: the policy as JSON text and the options."""

    policy: str
    digest: str
    now: str
    engine: str
    on_error: OnError
    # Columns holding JSON text for an object field (``data`` as a string column, say).
    decode: tuple[tuple[str, ...], tuple[str, ...]]


@overload
def plan_dataframe(
    customers: DataFrame,
    events: DataFrame,
    *,
    now: Any,
    policy: Policy | None = None,
    engine: str = "native",
    on_error: Literal["fail"] = "fail",
) -> DataFrame: ...


@overload
def plan_dataframe(
    customers: DataFrame,
    events: DataFrame,
    *,
    now: Any,
    policy: Policy | None = None,
    engine: str = "native",
    on_error: Literal["skip"],
) -> tuple[DataFrame, DataFrame]: ...


def plan_dataframe(
    customers: DataFrame,
    events: DataFrame,
    *,
    now: Any,
    policy: Policy | None = None,
    engine: str = "native",
    on_error: OnError = "fail",
) -> DataFrame | tuple[DataFrame, DataFrame]:
    """Every customer's decisions at ``now``, planned on the executors: one row per decision,
    in ``DECISION_SCHEMA``, the records ``outreach-rules plan`` writes for the same input.

    ``customers`` and ``events`` are DataFrames in the columns of the data contract (what
    ``spark.read.json`` gives for its files, or a table with those columns: instants as ISO
    8601 text with an offset or as timestamps; ``channels``, ``consents``, ``attributes`` and
    ``data`` as structs, maps or JSON text), or of one string column ``value`` holding each
    record as JSON text (``spark.read.text``). Rows of ``events`` without ``customer`` are
    broadcasts, in every customer's history.

    Bad rows are never dropped silently. With ``on_error="fail"`` the job fails, when an
    action runs it, on the first bad row met, naming it (``events:3, at=...``); with
    ``"skip"`` the result is ``(decisions, rejects)``, the rejects in ``REJECT_SCHEMA``
    with the command line's reasons. Both come from one planning pass, persisted so that
    using both plans once.

    Nothing runs here: the result is lazy, like any DataFrame.
    """
    Errors(on_error, None)  # says what is wrong with on_error, before any job
    check_engine(engine)
    at = iso_utc(now_epoch(now))
    text = json.dumps((policy or Policy.default()).to_dict(), sort_keys=True, separators=(",", ":"))
    items, decode = _sorted_items(customers, events)
    job = _Job(
        policy=text,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        now=at,
        engine=engine,
        on_error=on_error,
        decode=decode,
    )
    skip = on_error == "skip"
    schema = T.StructType(
        [*DECISION_SCHEMA.fields, *([T.StructField("reject", REJECT_SCHEMA)] if skip else [])]
    )
    with _no_pandas_warning():
        planned = items.mapInArrow(functools.partial(_plan_partition, job), schema)
    if not skip:
        return planned
    planned = planned.persist()
    decisions = planned.where(F.col("reject").isNull()).drop("reject")
    rejects = planned.where(F.col("reject").isNotNull()).select("reject.*")
    return decisions, rejects


def _sorted_items(
    customers: DataFrame, events: DataFrame
) -> tuple[DataFrame, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The items, grouped by key in partitions and sorted by key, kind and row; the
    customers' and the events' columns that hold JSON text."""
    customer_items, customer_decode = _items(customers, "id")
    event_items, event_decode = _items(events, "customer")
    # The broadcasts, gathered into one row by Spark and joined to every customer.
    shared = event_items.where(F.col("key").isNull()).agg(
        F.sort_array(F.collect_list(F.struct("row", "text"))).alias("shared")
    )
    kind = F.lit(_CUSTOMER).cast("int").alias("kind")
    everyone = customer_items.select("key", kind, "row", "text").crossJoin(F.broadcast(shared))
    their_events = event_items.select(
        "key",
        F.lit(_EVENT).cast("int").alias("kind"),
        "row",
        "text",
        F.lit(None).cast(shared.schema["shared"].dataType).alias("shared"),
    )
    items = (
        everyone.unionByName(their_events)
        .repartition("key")
        .sortWithinPartitions("key", "kind", "row")
    )
    return items, (customer_decode, event_decode)


def _items(frame: DataFrame, key: str) -> tuple[DataFrame, tuple[str, ...]]:
    """``key``, ``row`` and ``text`` of every row; and the columns whose text is JSON."""
    row = (F.monotonically_increasing_id() + 1).alias("row")
    fields = frame.schema.fields
    if [(f.name, f.dataType) for f in fields] == [("value", T.StringType())]:
        # Lines of JSON text: blank ones are skipped, as the command line skips them.
        lines = frame.select(row, F.col("value").alias("text")).where(
            ~F.coalesce(F.col("text").rlike(r"^\s*$"), F.lit(True))
        )
        keyed = lines.select(F.get_json_object("text", f"$.{key}").alias("key"), "row", "text")
        return keyed, ()
    corrupt = next(
        (
            f.name
            for f in fields
            if f.name == "_corrupt_record" and isinstance(f.dataType, T.StringType)
        ),
        None,
    )
    columns = [f.name for f in fields if f.name != corrupt]
    decode = tuple(
        f.name for f in fields if f.name in _OBJECT_FIELDS and isinstance(f.dataType, T.StringType)
    )
    packed = (
        F.to_json(F.struct(*(frame[name] for name in columns)), _JSON_OPTIONS)
        if columns
        else F.lit("{}")
    )
    owner = frame[key].cast("string") if key in columns else F.lit(None).cast("string")
    if corrupt is not None:
        # spark.read.json keeps a line it cannot parse here, whole: it is read as the
        # command line reads it, for the same reason.
        packed = F.when(frame[corrupt].isNotNull(), frame[corrupt]).otherwise(packed)
        owner = F.when(frame[corrupt].isNull(), owner).otherwise(
            F.get_json_object(frame[corrupt], f"$.{key}")
        )
    return frame.select(owner.alias("key"), row, packed.alias("text")), decode


@contextlib.contextmanager
def _no_pandas_warning() -> Iterator[None]:
    # mapInArrow goes through pandas_udf, whose version check warns about pandas 3 although
    # no pandas is used here.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield


# -- on the executors ----------------------------------------------------------------------

# The compiled policies of this Python worker, by digest, and how often each was compiled.
_POLICIES: dict[str, Policy] = {}
_COMPILED: dict[str, int] = {}


def _policy(job: _Job) -> Policy:
    policy = _POLICIES.pop(job.digest, None)
    if policy is None:
        policy = Policy.from_dict(json.loads(job.policy))
        _COMPILED[job.digest] = _COMPILED.get(job.digest, 0) + 1
        while len(_POLICIES) >= _KEPT_POLICIES:
            del _POLICIES[next(iter(_POLICIES))]
    _POLICIES[job.digest] = policy
    return policy


Item = tuple["str | None", int, int, str, Any]


def _plan_partition(job: _Job, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition's items, sorted by key, kind and row, planned into output batches."""
    import pyarrow as pa  # noqa: PLC0415 - the executors' Python has it, the driver need not

    skip = job.on_error == "skip"
    schema = _arrow_schema(pa, skip=skip)
    rejected: list[Rejected] = []
    rows: list[dict[str, Any]] = []
    groups = _groups(_items_of(batches), Errors(job.on_error, rejected.append), job)
    planned = record_groups(
        _policy(job),
        groups,
        now=job.now,
        engine=job.engine,
        on_error=job.on_error,
        reject=rejected.append,
    )
    for decisions in itertools.chain(planned, [[]]):
        if skip:
            for record in decisions:
                record["reject"] = None
            rows.extend(decisions)
            rows.extend(_reject_row(item) for item in rejected)
            rejected.clear()
        else:
            rows.extend(decisions)
        if len(rows) >= _BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows.clear()
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def _items_of(batches: Iterable[pa.RecordBatch]) -> Iterator[Item]:
    for batch in batches:
        keys, kinds, rows, texts = (batch.column(n).to_pylist() for n in range(4))
        shared = batch.column(4)
        for n, key in enumerate(keys):
            yield key, kinds[n], rows[n], texts[n], (shared, n)


def _groups(items: Iterator[Item], errors: Errors, job: _Job) -> Iterator[Group]:
    """Each customer with their history, from items sorted by key, kind and row; what is
    wrong goes to ``errors`` as the command line's reading reports it."""
    build_customer = _builder(customer_from_record, job.decode[0])
    build_event = _builder(event_from_record, job.decode[1])
    shared: tuple[Event, ...] | None = None
    for _, same in itertools.groupby(items, key=lambda item: item[0]):
        lines: tuple[list[Line], list[Line]] = ([], [])
        for _, kind, row, text, broadcasts in same:
            lines[kind].append(Line(_SOURCES[kind], row, text))
            if kind == _CUSTOMER and shared is None:
                # The same on every customer's row: the broadcasts of the whole input.
                column, n = broadcasts
                shared = _shared(column[n].as_py(), build_event)
        customer: Customer | None = None
        first: Line | None = None
        for line, built in records(lines[_CUSTOMER], errors, build_customer):
            if first is None:
                customer, first = built, line
            else:
                _twice(built, line, errors, f"{first.file}:{first.number}")
        own: list[tuple[Line, Event]] = []
        broadcast: list[tuple[Line, Event]] = []
        for line, event in records(lines[_EVENT], errors, build_event):
            if event.customer is None:
                broadcast.append((line, event))
            elif customer is not None and event.customer == customer.id:
                own.append((line, event))
            else:
                _unknown_customer(event, line, errors)
        # Broadcasts come to this one group (their key is null): what is wrong with them is
        # said here, once; every customer's copy is read quietly.
        dedupe(broadcast, errors)
        if customer is not None and first is not None:
            yield Group(customer, first, (*(shared or ()), *dedupe(own, errors)))


def _shared(broadcasts: list[dict[str, Any]], build: Any) -> tuple[Event, ...]:
    quiet = Errors("skip", None)
    lines = [Line("events", item["row"], item["text"]) for item in broadcasts]
    found = [
        (line, event) for line, event in records(lines, quiet, build) if event.customer is None
    ]
    return tuple(dedupe(found, quiet))


def _builder(build: Any, decode: tuple[str, ...]) -> Any:
    if not decode:
        return build

    def decoded(record: dict[str, Any]) -> Any:
        for name in decode:
            value = record.get(name)
            if isinstance(value, str):
                try:
                    record[name] = strict_json.loads(value)
                except json.JSONDecodeError as error:
                    raise InputError(
                        f"is not valid JSON ({error.msg} at column {error.colno})",
                        field=name,
                        value=value,
                        hint="a string column for an object field holds the object as JSON",
                    ) from None
                except strict_json.NotStrict as error:
                    raise InputError(
                        error.problem, field=f"{name}.{error.key}", value=value, hint=error.hint
                    ) from None
        return build(record)

    return decoded


def _reject_row(item: Rejected) -> dict[str, Any]:
    customer = identity = None
    try:
        record = json.loads(item.text or "")
    except (ValueError, RecursionError):
        # Not JSON, or JSON the reader refuses (nested too deep, a number too long).
        record = None
    if isinstance(record, Mapping):
        identity = _text(record.get("id"))
        customer = identity if item.file == "customers" else _text(record.get("customer"))
    reject = {
        "source": item.file,
        "row": item.line,
        "customer": customer,
        "id": identity,
        "reason": item.reason,
        "text": item.text,
    }
    return {**dict.fromkeys((*_DECISION_TEXT, "trace")), "reject": reject}


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


def _arrow_schema(pa: Any, *, skip: bool) -> Any:
    text = pa.string()
    trace = pa.list_(pa.struct([pa.field(name, text) for name in _TRACE_FIELDS]))
    fields = [*(pa.field(name, text) for name in _DECISION_TEXT), pa.field("trace", trace)]
    if skip:
        reject = [
            pa.field(name, pa.int64() if name == "row" else text) for name, _ in _REJECT_FIELDS
        ]
        fields.append(pa.field("reject", pa.struct(reject)))
    return pa.schema(fields)
