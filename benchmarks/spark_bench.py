"""Customers per second on a local Spark (``local[2]``), next to the single-process command
line, on the same input in the same run.

    python benchmarks/spark_bench.py --customers 100000

Each measurement runs in a process of its own, on the seeded workload of benchmarks/run.py
(JSON Lines, grouped by customer), planned at the same instant:

- cli --workers 1, 2: ``outreach-rules plan``, JSON Lines to JSON Lines;
- spark plan_dataframe: JSON Lines read as text, planned, written as Parquet;
- spark without the planner: the same reading, packing, shuffle and sort, then the rows
  handed to Python over Arrow and dropped there; and the same without the Python step.
  What they cost is what Spark adds around the planner.

Spark's seconds leave out starting the session (printed apart). CPU seconds say where the
time goes: for Spark, the JVM's (local mode runs the executor in the driver's JVM) and the
Python workers', sampled from /proc like their peak memory (the JVM, and the largest Python
worker). The number of decisions Spark wrote is checked against the command line's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Beside this file: a script's folder is on sys.path.
from _common import (
    NOW,
    add_workload_arguments,
    headline,
    plan_command,
    workload_arguments,
    workload_files,
)
from _proc import descendants, measured

# -- in a child process: one Spark measurement ---------------------------------------------


class _Sampler(threading.Thread):
    """What this process's descendants use, the JVM and the Python workers: their peak
    resident memory, and the CPU seconds they spend from the start of the sampling."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.jvm = self.worker = self.workers = 0
        self.stopped = threading.Event()
        self.start_cpu = {pid: cpu for pid, _, _, cpu in _descendants(os.getpid())}
        self.last_cpu: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.sample()

    def sample(self) -> None:
        jvm, workers = 0, []
        for pid, kind, rss, cpu in _descendants(os.getpid()):
            self.last_cpu[pid] = kind, cpu
            if kind == "jvm":
                jvm = max(jvm, rss)
            elif kind == "python":
                workers.append(rss)
        self.jvm = max(self.jvm, jvm)
        self.worker = max(self.worker, *workers, 0)
        self.workers = max(self.workers, sum(workers))

    def cpu(self, kind: str) -> float:
        """CPU seconds that the processes of ``kind`` spent since the sampler was made."""
        return sum(
            cpu - self.start_cpu.get(pid, 0.0)
            for pid, (found, cpu) in self.last_cpu.items()
            if found == kind
        )


def _descendants(root: int) -> Iterator[tuple[int, str, int, float]]:
    """Each descendant of ``root``: pid, kind (jvm, python or other), resident MB, CPU s."""
    for pid, command, rss, cpu in descendants(root):
        kind = "jvm" if "java" in command else "python" if "pyspark" in command else "other"
        yield pid, kind, rss, cpu


def _drop(batches: Any) -> Any:
    """Take the rows into Python as the planner's stream does, and give nothing back."""
    for batch in batches:
        for column in range(4):
            batch.column(column).to_pylist()
    return iter(())


def _spark_child(kind: str, customers: Path, events: Path, output: Path, memory: str) -> None:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession  # noqa: PLC0415 - measured from here

    from outreach_rules.spark import _sorted_items, plan_dataframe  # noqa: PLC0415

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("outreach-rules bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", memory)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session = time.perf_counter() - started
    sampler = _Sampler()
    sampler.start()
    started = time.perf_counter()
    frames = spark.read.text(str(customers)), spark.read.text(str(events))
    count = 0
    if kind == "plan":
        plan_dataframe(*frames, now=NOW).write.mode("overwrite").parquet(str(output))
    else:
        items, _ = _sorted_items(*frames)
        if kind == "arrow":
            items = items.mapInArrow(_drop, items.schema)
        items.write.format("noop").mode("overwrite").save()
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    sampler.sample()
    if kind == "plan":
        count = spark.read.parquet(str(output)).count()
    spark.stop()
    told = {
        "seconds": seconds,
        "session": session,
        "decisions": count,
        "jvm_mb": sampler.jvm,
        "worker_mb": sampler.worker,
        "workers_mb": sampler.workers,
        "jvm_cpu": sampler.cpu("jvm"),
        "python_cpu": sampler.cpu("python"),
    }
    print(json.dumps(told))


# -- the parent: generate, measure, print ------------------------------------------------------


def _child(command: list[str]) -> dict[str, Any]:
    """What a child measurement printed last, as JSON."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    told: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return told


def _cli(customers: Path, events: Path, output: Path, workers: int) -> tuple[float, float, float]:
    """Wall seconds, peak MB and CPU seconds of the command line."""
    command = plan_command(customers, events, "--workers", str(workers), "--output", str(output))
    seconds, _, peak, cpu = measured(command)
    return seconds, peak, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_workload_arguments(
        parser, workdir_help="where the workload goes (shared with benchmarks/run.py)"
    )
    parser.add_argument(
        "--memory",
        default="1g",
        help="the JVM's heap, driver and executor in one in local mode (default: 1g)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers, events = workload_files(args, generate=not args.child)
    if args.child:
        _spark_child(args.child, customers, events, args.output, args.memory)
        return
    print(headline(args.customers, events))
    head = ("measurement", "seconds", "customers/s", "CPU s", "peak MB")
    print(f"{head[0]:<31}{head[1]:>8}{head[2]:>12}{head[3]:>18}{head[4]:>22}")
    scratch = Path(tempfile.mkdtemp(prefix="outreach-rules-spark-bench-"))
    try:
        decisions = 0
        for workers in (1, 2):
            output = scratch / f"cli-{workers}.jsonl"
            seconds, peak, cpu = _cli(customers, events, output, workers)
            decisions = sum(1 for _ in output.open("rb"))
            name = f"cli --workers {workers}"
            rate = args.customers / seconds
            # With --workers 2 the planning runs in a forkserver's children, not counted here.
            spent = f"{cpu:.1f}" if workers == 1 else "-"
            print(f"{name:<31}{seconds:>8.1f}{rate:>12,.0f}{spent:>18}{peak:>22.0f}", flush=True)
        me = [sys.executable, __file__, *workload_arguments(args), "--memory", args.memory]
        rows = [
            ("spark plan_dataframe", "plan"),
            ("spark: to Python, no planner", "arrow"),
            ("spark: no Python step", "shuffle"),
        ]
        for name, kind in rows:
            output = scratch / f"spark-{kind}"
            told = _child([*me, "--child", kind, "--output", str(output)])
            seconds = told["seconds"]
            cpu = f"jvm {told['jvm_cpu']:.0f} + py {told['python_cpu']:.0f}"
            memory = f"jvm {told['jvm_mb']}, worker {told['worker_mb']}"
            rate = args.customers / seconds
            print(f"{name:<31}{seconds:>8.1f}{rate:>12,.0f}{cpu:>18}{memory:>22}", flush=True)
            if kind == "plan":
                same = "the same number" if told["decisions"] == decisions else "DIFFERENT numbers"
                session = told["session"]
                print(
                    f"  (session start {session:.1f} s, not counted; {told['decisions']:,} "
                    f"decisions, {same} as the command line's {decisions:,}; Python workers "
                    f"together at most {told['workers_mb']} MB)",
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
