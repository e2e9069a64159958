"""What run.py and spark_bench.py share: the workload's options and files, and the command
line they time, planned at one instant."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

from workload import write  # beside this file: a script's folder is on sys.path

NOW = "2026-12-14T09:30:00Z"


def add_workload_arguments(
    parser: argparse.ArgumentParser, *, workdir_help: str, customers: int = 100_000
) -> None:
    """``--customers``, ``--workdir`` and ``--seed``."""
    parser.add_argument(
        "--customers",
        type=int,
        default=customers,
        help=f"how many customers (default: {customers})",
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/outreach-rules-bench"), help=workdir_help
    )
    parser.add_argument("--seed", type=int, default=1, help="the workload's seed (default: 1)")


def workload_arguments(args: argparse.Namespace) -> list[str]:
    """The options of :func:`add_workload_arguments` as given, for a child process."""
    return [
        "--customers",
        str(args.customers),
        "--workdir",
        str(args.workdir),
        "--seed",
        str(args.seed),
    ]


def workload_files(args: argparse.Namespace, *, generate: bool) -> tuple[Path, Path]:
    """The customers and events files of the workload, written first if ``generate`` and
    they are not there yet (grouped by customer)."""
    folder = args.workdir / f"n{args.customers}-s{args.seed}"
    customers, events = folder / "customers.jsonl", folder / "events.jsonl"
    if generate and not events.exists():
        write(folder, args.customers, seed=args.seed)
    return customers, events


def headline(customers: int, events: Path) -> str:
    """How big the workload is, and on what it runs."""
    lines = sum(1 for _ in events.open("rb"))
    return (
        f"{customers:,} customers, {lines:,} events; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )


def plan_command(customers: Path, events: Path, *more: str, now: str = NOW) -> list[str]:
    """``outreach-rules plan`` on the workload at ``now`` (:data:`NOW` unless told),
    without a progress bar."""
    return [
        sys.executable,
        "-m",
        "outreach_rules",
        "plan",
        "--customers",
        str(customers),
        "--events",
        str(events),
        "--now",
        now,
        "--quiet",
        *more,
    ]
