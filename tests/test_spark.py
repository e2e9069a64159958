"""outreach_rules.spark on a local Spark: the decisions and rejects of ``outreach-rules plan``.

One SparkSession for the module (``local[2]``, no web UI, the executors' Python this
interpreter). Each comparison writes the same input as JSON Lines, runs the command line on
it in a subprocess, and compares its records with the collected DataFrame, field by field,
traces included, in the command line's order (customer, then send time, then intent).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed")
pytest.importorskip("pyarrow", reason="the spark extra is not installed")

from pyspark import cloudpickle
from pyspark.errors import PythonException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from outreach_rules import InputError, Policy, TimeError
from outreach_rules.spark import DECISION_SCHEMA, REJECT_SCHEMA, plan_dataframe


def _java() -> int:
    """The major version of the java on PATH, 0 where there is none."""
    if shutil.which("java") is None:
        return 0
    done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)', done.stderr)
    return int(found.group(1)) if found else 0


if _java() < 17:
    pytest.skip("Spark needs Java 17 or newer on PATH (java -version)", allow_module_level=True)

pytestmark = [
    # pyspark checks the pandas version on every Arrow or pandas function, and warns about
    # pandas 3 (which the notebook extra may bring); nothing here uses pandas.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ROOT = Path(__file__).parent.parent
SHOP = ROOT / "examples" / "shop"
NOW = "2026-12-14T09:30:00Z"


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    saved = {name: os.environ.get(name) for name in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("outreach-rules-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.pyspark.python", sys.executable)
        # Small inputs: a few partitions, not 200 nearly empty ones.
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# -- the command line, for comparison ----------------------------------------------------------


def cli_plan(
    customers: Path, events: Path, scratch: Path, *more: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The command line's decisions and, with ``--on-error skip``, its rejects."""
    rejects = scratch / "cli-rejects.jsonl"
    rejects.unlink(missing_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "outreach_rules",
            "plan",
            "--customers",
            str(customers),
            "--events",
            str(events),
            "--now",
            NOW,
            "--rejects",
            str(rejects),
            *more,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    found = (
        [json.loads(line) for line in rejects.read_text().splitlines()] if rejects.exists() else []
    )
    folder = f"{customers.parent}/"
    return decisions, sorted(
        [
            (
                Path(r["file"]).stem,
                r["line"],
                # A reason that names another line names it as Spark does: events:3.
                r["reason"]
                .replace(f"{folder}customers.jsonl:", "customers:")
                .replace(f"{folder}events.jsonl:", "events:"),
                r["text"],
            )
            for r in found
        ]
    )


def order(record: dict[str, Any]) -> tuple[Any, ...]:
    """The command line's order: customer, then send time (none last), then intent."""
    send_at = record["send_at"]
    return (
        record["customer"],
        send_at is None,
        send_at or "",
        record["intent"],
        record["ref"] or "",
    )


def collected(decisions: DataFrame) -> list[dict[str, Any]]:
    assert decisions.schema == DECISION_SCHEMA
    return sorted((row.asDict(recursive=True) for row in decisions.collect()), key=order)


def rejected(rejects: DataFrame) -> list[Any]:
    assert rejects.schema == REJECT_SCHEMA
    return sorted((r["source"], r["row"], r["reason"], r["text"]) for r in rejects.collect())


def without_text(items: list[Any]) -> list[Any]:
    return [item[:3] for item in items]


def read(spark: SparkSession, path: Path, form: str) -> DataFrame:
    if form == "json":
        return spark.read.json(str(path))
    return spark.read.text(str(path))


# -- the example shop ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_cli(tmp_path_factory) -> list[dict[str, Any]]:
    scratch = tmp_path_factory.mktemp("shop")
    decisions, rejects = cli_plan(SHOP / "customers.jsonl", SHOP / "events.jsonl", scratch)
    assert decisions
    assert rejects == []
    return decisions


@pytest.mark.parametrize("form", ["json", "text"])
def test_the_shop_gives_the_decisions_of_the_command_line(spark, shop_cli, form):
    customers = read(spark, SHOP / "customers.jsonl", form)
    events = read(spark, SHOP / "events.jsonl", form)
    assert collected(plan_dataframe(customers, events, now=NOW)) == shop_cli


def test_written_as_json_the_decisions_are_the_command_lines_records(spark, shop_cli, tmp_path):
    customers = spark.read.text(str(SHOP / "customers.jsonl"))
    events = spark.read.text(str(SHOP / "events.jsonl"))
    decisions = plan_dataframe(customers, events, now=NOW)
    ordered = decisions.orderBy("customer", F.col("send_at").asc_nulls_last(), "intent")
    ordered.coalesce(1).write.option("ignoreNullFields", False).json(str(tmp_path / "out"))
    (part,) = (tmp_path / "out").glob("part-*.json")
    assert [json.loads(line) for line in part.read_text().splitlines()] == shop_cli


def test_parquet_with_timestamps_and_maps_gives_the_same_decisions(spark, shop_cli, tmp_path):
    # A warehouse's columns: instants as timestamps, object fields as maps or JSON text.
    customers = spark.read.json(str(SHOP / "customers.jsonl")).select(
        "id",
        "timezone",
        "country",
        F.to_timestamp("since").alias("since"),
        F.from_json(F.to_json("channels"), "map<string, boolean>").alias("channels"),
        "consents",
        F.to_json("attributes").alias("attributes"),
    )
    events = spark.read.json(str(SHOP / "events.jsonl")).withColumn("at", F.to_timestamp("at"))
    customers.write.parquet(str(tmp_path / "customers"))
    events.write.parquet(str(tmp_path / "events"))
    planned = plan_dataframe(
        spark.read.parquet(str(tmp_path / "customers")),
        spark.read.parquet(str(tmp_path / "events")),
        now=NOW,
    )
    assert collected(planned) == shop_cli


def test_a_policy_of_ones_own_travels_to_the_executors(spark, tmp_path):
    policy = ROOT / "examples" / "my-policy.toml"
    want, _ = cli_plan(
        SHOP / "customers.jsonl", SHOP / "events.jsonl", tmp_path, "--policy", str(policy)
    )
    customers = spark.read.text(str(SHOP / "customers.jsonl"))
    events = spark.read.text(str(SHOP / "events.jsonl"))
    planned = plan_dataframe(customers, events, now=NOW, policy=Policy.from_file(policy))
    assert collected(planned) == want


def test_the_durable_rules_engine_gives_the_same_decisions(spark, shop_cli):
    pytest.importorskip("durable", reason="durable-rules does not import here")
    customers = spark.read.text(str(SHOP / "customers.jsonl"))
    events = spark.read.text(str(SHOP / "events.jsonl"))
    assert collected(plan_dataframe(customers, events, now=NOW, engine="durable")) == shop_cli


# -- a generated workload with everything that can go wrong ---------------------------------

ZONES = [
    ("Europe/London", "GB"),
    ("America/New_York", "US-NY"),
    ("Asia/Kolkata", "IN"),
    ("Australia/Sydney", "AU-NSW"),
    ("America/Sao_Paulo", "BR"),
]
CUSTOMERS = 2500


def stamp(rng: random.Random, days: int) -> str:
    day, hour, minute = 14 - rng.randint(0, days), rng.randint(0, 23), rng.randint(0, 59)
    return f"2026-12-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def add(
    events: list[Any], cid: str, kind: str, at: str, ref: str | None = None, **data: Any
) -> None:
    event: dict[str, Any] = {"id": f"{cid}-{len(events)}", "customer": cid, "kind": kind, "at": at}
    if ref is not None:
        event["ref"] = ref
    if data:
        event["data"] = data
    events.append(event)


def workload(seed: int = 3) -> tuple[list[Any], list[Any]]:
    """Customers and events as records (or raw lines), in no particular order."""
    rng = random.Random(seed)
    customers: list[Any] = []
    events: list[Any] = []
    for number in range(CUSTOMERS):
        cid = f"c{number:05d}"
        zone, country = rng.choice(ZONES)
        record: dict[str, Any] = {
            "id": cid,
            "timezone": zone,
            "country": country,
            "since": f"20{rng.randint(18, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00Z",
            "channels": {"email": True, "sms": rng.random() < 0.5, "phone": rng.random() < 0.6},
            "consents": {"marketing": rng.random() < 0.5},
        }
        if rng.random() < 0.2:
            record["attributes"] = {"value_tier": rng.choice(["high", "standard"])}
        customers.append(record)
        if rng.random() < 0.1:
            continue  # a customer with no events

        for order_number in range(rng.choice([0, 1, 1, 2, 3])):
            ref = f"{cid}-o{order_number}"
            add(events, cid, "order_placed", stamp(rng, 12), ref, gift=rng.random() < 0.2)
            if rng.random() < 0.7:
                add(events, cid, "order_delivered", stamp(rng, 3), ref)
        if rng.random() < 0.1:
            add(events, cid, "complaint_opened", stamp(rng, 9), f"{cid}-k")
            if rng.random() < 0.5:
                add(events, cid, "complaint_resolved", stamp(rng, 2), f"{cid}-k")
        if rng.random() < 0.05:
            add(events, cid, "incident_caused", stamp(rng, 4), f"{cid}-i")
        if rng.random() < 0.1:
            add(events, cid, "concern_raised", stamp(rng, 3), f"{cid}-q")
        if rng.random() < 0.05:
            add(
                events,
                cid,
                "invoice_scheduled",
                stamp(rng, 5),
                f"{cid}-v",
                due="2026-12-28T00:00:00Z",
            )
        if rng.random() < 0.05:
            add(events, cid, "opted_out", stamp(rng, 6), None, channel="sms")
        if rng.random() < 0.2:
            add(events, cid, "contact_sent", stamp(rng, 9), None, intent="welcome", channel="email")
    # Broadcasts: one delivered twice (it counts once), and one id used for two events.
    outage = {
        "id": "b1",
        "kind": "channel_down",
        "at": "2026-12-14T08:00:00Z",
        "data": {"channel": "sms"},
    }
    events += [
        outage,
        outage,
        {
            "id": "b2",
            "kind": "channel_down",
            "at": "2026-12-13T20:00:00Z",
            "data": {"channel": "web"},
        },
        {
            "id": "b2",
            "kind": "channel_restored",
            "at": "2026-12-13T23:00:00Z",
            "data": {"channel": "web"},
        },
    ]
    # Events of customers who are not in the customers file.
    events += [
        {
            "id": f"x{n}",
            "customer": f"x{n % 3}",
            "kind": "order_placed",
            "at": "2026-12-10T10:00:00Z",
        }
        for n in range(6)
    ]
    # Bad rows, each with the command line's reason.
    base = {"timezone": "Europe/London", "country": "GB", "since": "2020-01-01T00:00:00Z"}
    customers += [
        {"id": "c00007", **base},  # given twice
        {"id": "z-zone", **base, "timezone": "Europe/Londn"},
        {"id": "z-field", **base, "timzone": "UTC"},
        {"id": "z-channel", **base, "channels": {"emial": True}},
        {"id": "z-naive", **base, "since": "2020-01-01T00:00:00"},
        "{not json",
    ]
    events += [
        {"id": "y1", "customer": "c00001", "kind": "order_placed", "at": "2026-12-10T14:00:00"},
        {"id": "y2", "customer": "c00002", "kind": "", "at": "2026-12-10T14:00:00Z"},
        {
            "id": "y3",
            "customer": "c00003",
            "kind": "order_placed",
            "at": "2026-12-10T14:00:00Z",
            "place": "web",
        },
        "[1, 2]",
        '{"id": "y4", "customer": "c00004"',
        # An invoice without data.due: the customer cannot be planned, and is rejected whole.
        {
            "id": "y5",
            "customer": "c00005",
            "kind": "invoice_scheduled",
            "at": "2026-12-10T14:00:00Z",
            "ref": "v",
        },
    ]
    twice = next(e for e in events if isinstance(e, dict) and e.get("customer"))
    events += [twice, {**twice, "at": "2026-12-12T09:00:00Z"}]
    rng.shuffle(customers)
    rng.shuffle(events)
    return customers, events


def write(path: Path, items: list[Any]) -> Path:
    path.write_text(
        "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path, list[dict[str, Any]], list[Any]]:
    folder = tmp_path_factory.mktemp("generated")
    customers, events = workload()
    customer_path = write(folder / "customers.jsonl", customers)
    event_path = write(folder / "events.jsonl", events)
    decisions, rejects = cli_plan(customer_path, event_path, folder, "--on-error", "skip")
    return customer_path, event_path, decisions, rejects


@pytest.mark.parametrize("form", ["json", "text"])
def test_a_generated_workload_gives_the_decisions_and_rejects_of_the_command_line(
    spark, generated, form
):
    customer_path, event_path, want, want_rejected = generated
    decisions, rejects = plan_dataframe(
        read(spark, customer_path, form), read(spark, event_path, form), now=NOW, on_error="skip"
    )
    got = collected(decisions)
    assert len({r["customer"] for r in got}) > CUSTOMERS * 0.8
    assert got == want
    got_rejected = rejected(rejects)
    assert len(got_rejected) == len(want_rejected) >= 15
    if form == "text":
        # The lines themselves: the same text as the command line's rejects file.
        assert got_rejected == want_rejected
    else:
        assert without_text(got_rejected) == without_text(want_rejected)
    reasons = " | ".join(item[2] for item in got_rejected)
    for words in (
        "id='c00007': is given twice (first at customers:",
        "timezone='Europe/Londn': is not a known",
        "timzone: is not a field of this record",
        "(did you mean 'email'?)",
        "has no UTC offset",
        "line: is not valid JSON",
        "must be a JSON object, not list",
        "customer='x0': names a customer that is not in the customers file",
        "id='b2': is used by two different events (the other at events:",
        "customer 'c00005': data.due:",
    ):
        assert words in reasons


def test_rejects_name_the_row_and_who_it_belongs_to(spark, generated):
    customer_path, event_path, _, _ = generated
    _, rejects = plan_dataframe(
        spark.read.text(str(customer_path)),
        spark.read.text(str(event_path)),
        now=NOW,
        on_error="skip",
    )
    naive = rejects.where(F.col("reason").contains("has no UTC offset")).collect()
    by_source = {row["source"]: row for row in naive}
    assert (by_source["events"]["customer"], by_source["events"]["id"]) == ("c00001", "y1")
    assert (by_source["customers"]["customer"], by_source["customers"]["id"]) == (
        "z-naive",
        "z-naive",
    )
    garbled = rejects.where(F.col("text") == "{not json").collect()
    assert [(r["source"], r["customer"], r["id"]) for r in garbled] == [("customers", None, None)]


# -- failing, and the arguments ------------------------------------------------------------


def test_fail_stops_the_job_on_a_bad_row_with_its_reason(spark, tmp_path):
    cid = "c1"
    customers = write(
        tmp_path / "customers.jsonl",
        [{"id": cid, "timezone": "UTC", "country": "GB", "since": "2020-01-01T00:00:00Z"}],
    )
    events = write(
        tmp_path / "events.jsonl",
        [
            {"id": "e1", "customer": cid, "kind": "order_placed", "at": "2026-12-10T14:00:00Z"},
            {"id": "e2", "customer": cid, "kind": "order_placed", "at": "2026-12-10T14:00:00"},
        ],
    )
    planned = plan_dataframe(spark.read.json(str(customers)), spark.read.json(str(events)), now=NOW)
    with pytest.raises(PythonException) as failed:
        planned.collect()
    assert "TimeError: events:2, at='2026-12-10T14:00:00': has no UTC offset" in str(failed.value)


def test_without_pyspark_the_error_names_the_extra():
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "try:\n    import outreach_rules.spark\n"
        "except ImportError as error:\n    print(type(error).__name__, error)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("MissingDependency package='pyspark': is not installed")
    assert "pip install 'outreach-rules[spark]'" in done.stdout


def test_bad_arguments_are_refused_before_any_job(spark):
    customers = spark.read.text(str(SHOP / "customers.jsonl"))
    events = spark.read.text(str(SHOP / "events.jsonl"))
    with pytest.raises(InputError, match="on_error='maybe': must be 'fail' or 'skip'"):
        plan_dataframe(customers, events, now=NOW, on_error="maybe")
    with pytest.raises(InputError, match="engine='rete': is not a trigger engine"):
        plan_dataframe(customers, events, now=NOW, engine="rete")
    with pytest.raises(TimeError, match="has no UTC offset"):
        plan_dataframe(customers, events, now="2026-12-14T09:30:00")


# -- the policy, compiled once per Python worker ----------------------------------------------


def _compilations(batches: Any) -> Any:
    import pyarrow as pa  # noqa: PLC0415 - runs on an executor

    from outreach_rules import spark as module  # noqa: PLC0415

    for _ in batches:
        pass
    yield pa.RecordBatch.from_pylist(
        [{"pid": os.getpid(), "digest": d, "times": n} for d, n in module._COMPILED.items()],
        schema=pa.schema([("pid", pa.int64()), ("digest", pa.string()), ("times", pa.int64())]),
    )


def test_the_policy_is_compiled_once_per_python_worker(spark, generated):
    customer_path, event_path, _, _ = generated
    planned = plan_dataframe(
        spark.read.text(str(customer_path)),
        spark.read.text(str(event_path)),
        now=NOW,
        on_error="skip",
    )[0]
    assert planned.count() > CUSTOMERS
    # Ask every Python worker what it compiled; this module's function travels by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        report = (
            spark.range(0, 8, numPartitions=8)
            .mapInArrow(_compilations, "pid long, digest string, times long")
            .collect()
        )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert report, "no Python worker has compiled a policy"
    assert {row["times"] for row in report} == {1}


# -- the example, through spark-submit --------------------------------------------------------


def test_the_example_plans_with_spark_submit(spark, shop_cli, tmp_path):
    submit = shutil.which("spark-submit", path=str(Path(sys.executable).parent))
    if submit is None:
        pytest.skip("spark-submit is not beside this interpreter")
    # Customers as JSON Lines, events as Parquet: both ways the example reads.
    spark.read.json(str(SHOP / "events.jsonl")).write.parquet(str(tmp_path / "events"))
    output, rejects = tmp_path / "decisions", tmp_path / "rejects"
    done = subprocess.run(
        [
            submit,
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.ui.showConsoleProgress=false",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.sql.shuffle.partitions=4",
            str(ROOT / "examples" / "spark_plan.py"),
            "--customers",
            str(SHOP / "customers.jsonl"),
            "--events",
            str(tmp_path / "events"),
            "--now",
            NOW,
            "--output",
            str(output),
            "--on-error",
            "skip",
            "--rejects",
            str(rejects),
        ],
        capture_output=True,
        text=True,
        check=False,
        # spark-submit needs the driver's interpreter; the example sets the workers' own.
        env={**_without_spark_settings(), "PYSPARK_DRIVER_PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    _assert_quiet(done.stderr)
    assert f"decisions written to {output}; 0 row(s) rejected" in done.stdout
    assert collected(spark.read.parquet(str(output))) == shop_cli


def test_the_example_runs_with_the_interpreter_that_starts_it(spark, shop_cli, tmp_path):
    output = tmp_path / "decisions"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "spark_plan.py"),
            *("--customers", str(SHOP / "customers.jsonl"), "--events", str(SHOP / "events.jsonl")),
            *("--now", NOW, "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**_without_spark_settings(), "PYSPARK_SUBMIT_ARGS": _LOOPBACK_SUBMIT},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    _assert_quiet(done.stderr)
    assert collected(spark.read.parquet(str(output))) == shop_cli


# On this machine's loopback, with no UI, as the session of these tests runs.
_LOOPBACK_SUBMIT = (
    "--master local[2] --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false "
    "--conf spark.driver.bindAddress=127.0.0.1 --conf spark.driver.host=127.0.0.1 pyspark-shell"
)


def _without_spark_settings() -> dict[str, str]:
    """The environment, as a user has it who set nothing for Spark."""
    settings = ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_LOG_LEVEL", "PYSPARK_SUBMIT_ARGS")
    return {name: value for name, value in os.environ.items() if name not in settings}


def _assert_quiet(stderr: str) -> None:
    """Spark at WARN: a few lines of start-up (three INFO ones come before the level is set),
    not thousands of INFO ones."""
    lines = stderr.splitlines()
    assert len(lines) < 40, stderr[-3000:]
    assert len([line for line in lines if " INFO " in line]) <= 3, stderr[-3000:]
