"""Plan customers and events on Apache Spark, and write the decisions as Parquet.

The same decisions as ``outreach-rules plan`` on the same input, planned on the cluster's
executors (see docs/spark.md for installing the package there). For example::

    spark-submit examples/spark_plan.py \\
        --customers s3://shop/customers/ --events s3://shop/events/ \\
        --now 2026-12-14T09:30:00Z --output s3://shop/decisions/

    spark-submit --master 'local[2]' examples/spark_plan.py \\
        --customers examples/shop/customers.jsonl --events examples/shop/events.jsonl \\
        --now 2026-12-14T09:30:00Z --output /tmp/decisions --on-error skip --rejects /tmp/rejects

Inputs are Parquet (a folder or file, as a warehouse exports it) or JSON Lines (``.jsonl``,
``.json``, ``.ndjson``, compressed or not), read by suffix or as ``--input-format`` says.
JSON Lines are read as text, so every line is read exactly as the command line reads it.
With ``--on-error skip``, the rejected rows go to ``--rejects`` as JSON Lines, each with
its reason; without it, the first bad row fails the job.

Spark's Python workers run the interpreter that runs this script (unless ``PYSPARK_PYTHON``
says otherwise), and Spark logs warnings and errors only (``SPARK_LOG_LEVEL=INFO`` for more).
"""

from __future__ import annotations

import argparse
import os
import sys

from pyspark.sql import DataFrame, SparkSession

from outreach_rules import OutreachRulesError, Policy
from outreach_rules.spark import plan_dataframe

JSON_LINES = (".jsonl", ".json", ".ndjson")


def read(spark: SparkSession, path: str, form: str) -> DataFrame:
    """A DataFrame that plan_dataframe takes: Parquet's columns, or JSON Lines as text."""
    if form == "auto":
        bare = path.rstrip("/").removesuffix(".gz").removesuffix(".bz2").removesuffix(".zst")
        form = "jsonl" if bare.endswith(JSON_LINES) else "parquet"
    if form == "jsonl":
        return spark.read.text(path)
    return spark.read.parquet(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", required=True, help="customers: Parquet or JSON Lines")
    parser.add_argument("--events", required=True, help="events: Parquet or JSON Lines")
    parser.add_argument("--now", required=True, help="the instant to plan at, with an offset")
    parser.add_argument("--output", required=True, help="where the decisions go, as Parquet")
    parser.add_argument("--policy", help="a policy file; without it, the built-in playbook")
    parser.add_argument(
        "--input-format",
        choices=("auto", "parquet", "jsonl"),
        default="auto",
        help="how to read the inputs (default: by their suffix; Parquet otherwise)",
    )
    parser.add_argument(
        "--on-error", choices=("fail", "skip"), default="fail", help="on a bad row (default: fail)"
    )
    parser.add_argument("--rejects", help="with --on-error skip: where rejected rows go")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace what is already at --output"
    )
    args = parser.parse_args(argv)
    if args.on_error == "skip" and not args.rejects:
        parser.error("--on-error skip needs --rejects PATH")
    try:
        # Read on the driver, sent to the executors as data and compiled there once.
        policy = Policy.from_file(args.policy) if args.policy else Policy.default()
    except OutreachRulesError as error:
        print(f"spark_plan: error: {error}", file=sys.stderr)
        return 2

    # Spark's Python workers run this interpreter, where the library is installed, unless
    # the user chose another.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.appName("outreach-rules plan")
        # Warnings and errors only: at INFO, Spark writes thousands of lines per job.
        .config("spark.log.level", os.environ.get("SPARK_LOG_LEVEL", "WARN"))
        .getOrCreate()
    )
    customers = read(spark, args.customers, args.input_format)
    events = read(spark, args.events, args.input_format)
    mode = "overwrite" if args.overwrite else "errorifexists"
    if args.on_error == "skip":
        decisions, rejects = plan_dataframe(
            customers, events, now=args.now, policy=policy, on_error="skip"
        )
        decisions.write.mode(mode).parquet(args.output)
        rejects.write.mode(mode).json(args.rejects)
        count = rejects.count()
        print(f"decisions written to {args.output}; {count} row(s) rejected, in {args.rejects}")
    else:
        plan_dataframe(customers, events, now=args.now, policy=policy).write.mode(mode).parquet(
            args.output
        )
        print(f"decisions written to {args.output}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
