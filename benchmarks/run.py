"""Customers per second and peak memory, for N customers, every row on the same input.

    python benchmarks/run.py --customers 100000                  # the project's workload
    python benchmarks/run.py --customers 100000 --input peer     # the peer's, with the peer
    python benchmarks/run.py --customers 1000000 --skip python   # leave out the slow rows

Each figure comes from a process of its own, so its peak memory is its own (its workers
and helpers added up):

- parse (orjson ceiling): merely reading both input files and ``orjson.loads`` on each
  line, the fastest JSON parser the project uses;
- peer (durable-rules): the hand-rolled peer, ../shared/bench/durable_baseline.py, a
  whole process timed from outside (it also prints its own figure, planning loop only);
  with ``--input peer`` only, since it runs on its own workload;
- cli rust w1, w2: ``outreach-rules plan --workers 1`` and ``--workers 2`` on the Rust
  core (``OUTREACH_RULES_CORE=rust``), JSON Lines to JSON Lines, traces on;
- cli python w1, w2: the same on the Python core (``OUTREACH_RULES_CORE=python``);
- api rust, api python: ``plan()`` through the Python API, one customer at a time, on each
  core; api python durable: the same with ``engine="durable"`` (the Python core, where
  durable-rules imports).

``--input project`` (the default) plans the seeded workload of benchmarks/workload.py;
``--input peer`` plans the workload of ../shared/bench/workload.py (its own seed, at its
own instant, 2026-12-10T12:00:00Z), on which the peer runs too, so that the library and
the peer are compared on one input. Either is generated once per size and seed into
--workdir. Every cli row must write the same bytes: their outputs are hashed and compared.

``--skip`` leaves rows out by name: parse, peer, api, durable, cli, rust, python (e.g.
``--skip python`` for a 10^6 run). A peer that fails (durable-rules segfaults on some
inputs) is reported in its row; where durable-rules does not import (Python 3.13+), the
peer and api python durable rows are left out with a note.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Beside this file: a script's folder is on sys.path.
from _common import (
    NOW,
    add_workload_arguments,
    headline,
    plan_command,
    workload_arguments,
    workload_files,
)
from _proc import Failed, measured

PEER = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
PEER_NOW = "2026-12-10T12:00:00Z"  # durable_baseline.py's and its workload.py's NOW
PEER_SEED = 7  # ../shared/bench/workload.py's own default
SKIPPABLE = ("parse", "peer", "api", "durable", "cli", "rust", "python")
TARGET_OF_CEILING = 0.40  # issue 8: one process, traces on, at 40% of the parse ceiling


@dataclass
class Row:
    """One measurement: what it runs, in what environment, and what it is called."""

    name: str
    tags: frozenset[str]
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    output: Path | None = None  # a cli row's decisions
    cwd: Path | None = None


@dataclass
class Result:
    seconds: float
    customers: int
    peak: int
    own_rate: float | None = None  # what the peer says of itself


def _inputs(args: argparse.Namespace, *, generate: bool) -> tuple[Path, Path, str, str]:
    """The customers and events files of ``--input``, the instant to plan them at, and
    where they come from."""
    if args.input == "project":
        customers, events = workload_files(args, generate=generate)
        return customers, events, NOW, f"benchmarks/workload.py, seed {args.seed}"
    folder = args.workdir / f"peer-n{args.customers}-s{args.peer_seed}"
    if generate and not (folder / "events.jsonl").exists():
        # Into a folder of its own first, so that a run cut short leaves no half workload.
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(args.peer / "workload.py"),
                str(args.customers),
                str(partial),
                "--seed",
                str(args.peer_seed),
            ],
            cwd=args.peer.parent,
            check=True,
        )
        partial.rename(folder)
    source = f"the peer's {args.peer / 'workload.py'}, seed {args.peer_seed}"
    return folder / "customers.jsonl", folder / "events.jsonl", PEER_NOW, source


def _child(kind: str, customers: Path, events: Path, engine: str, now: str) -> None:
    """Run one measurement in this process and print its seconds and customers."""
    import orjson  # noqa: PLC0415 - only the children parse; not timed, as the parser's own

    started = time.perf_counter()
    count = 0
    if kind == "parse":
        for path in (customers, events):
            with path.open("rb") as handle:
                for line in handle:
                    orjson.loads(line)
        with customers.open("rb") as handle:
            count = sum(1 for _ in handle)
    else:
        from outreach_rules import Policy, plan  # noqa: PLC0415 - measured from here
        from outreach_rules.batch import groups  # noqa: PLC0415

        policy = Policy.default()
        for group in groups(customers, events):
            plan(policy, group.customer, group.history, now=now, engine=engine)
            count += 1
    print(json.dumps({"seconds": time.perf_counter() - started, "customers": count}))


def _measure(row: Row) -> Result:
    """Seconds (the child's own count when it gives one as JSON, else the wall time of the
    whole process), customers (when the child says) and peak memory in MB of a command,
    its worker processes included."""
    wall, out, peak, _ = measured(row.command, env=row.env, cwd=row.cwd)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if last.startswith("{"):
        told = json.loads(last)
        return Result(told["seconds"], told["customers"], peak)
    said = dict(re.findall(r"(\w+)=([\d.]+)", last))  # the peer: customers_per_s=...
    own = float(said["customers_per_s"]) if "customers_per_s" in said else None
    return Result(wall, int(said.get("customers", 0)), peak, own)


def _durable_available() -> bool:
    try:
        import durable.lang  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def _rust_built() -> bool:
    from outreach_rules._cores import rust_module  # noqa: PLC0415

    return rust_module() is not None


def _rows(
    args: argparse.Namespace, customers: Path, events: Path, now: str, notes: list[str]
) -> list[Row]:
    me = [
        sys.executable,
        __file__,
        *workload_arguments(args),
        "--input",
        args.input,
        "--peer-seed",
        str(args.peer_seed),
    ]
    durable = _durable_available()
    rust = _rust_built()
    rows = [Row("parse (orjson ceiling)", frozenset({"parse"}), [*me, "--child", "parse"])]
    if args.input == "peer" and durable:
        rows.append(
            Row(
                "peer (durable-rules)",
                frozenset({"peer"}),
                [sys.executable, str(args.peer / "durable_baseline.py"), str(customers.parent)],
                cwd=args.peer.parent,
            )
        )
    elif args.input == "peer" and "peer" not in args.skip:
        notes.append(f"peer: left out, durable-rules does not import on Python {_python()}")
    elif "peer" not in args.skip:
        notes.append("peer: only with --input peer (it runs on its own workload)")
    cores = ("rust", "python") if rust else ("python",)
    if not rust:
        notes.append("rust: left out, the Rust core is not built in this installation")
    for core in cores:
        for workers in (1, 2):
            output = customers.parent / f"decisions-{core}-w{workers}.jsonl"
            command = plan_command(
                customers, events, "--workers", str(workers), "--output", str(output), now=now
            )
            name = f"cli {core} w{workers}"
            env = {"OUTREACH_RULES_CORE": core}
            rows.append(Row(name, frozenset({"cli", core}), command, env, output))
    for core in cores:
        command = [*me, "--child", "api"]
        env = {"OUTREACH_RULES_CORE": core}
        rows.append(Row(f"api {core}", frozenset({"api", core}), command, env))
    if durable:
        command = [*me, "--child", "api", "--engine", "durable"]
        env = {"OUTREACH_RULES_CORE": "python"}
        rows.append(
            Row("api python durable", frozenset({"api", "durable", "python"}), command, env)
        )
    elif not {"api", "durable", "python"} & set(args.skip):
        notes.append(
            f"api python durable: left out, durable-rules does not import on Python {_python()}"
        )
    return [row for row in rows if not row.tags & set(args.skip)]


def _python() -> str:
    return ".".join(map(str, sys.version_info[:2]))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_workload_arguments(parser, workdir_help="where the workloads and outputs go")
    parser.add_argument(
        "--input",
        choices=("project", "peer"),
        default="project",
        help="whose workload every row plans: the project's (default) or the peer's, "
        "which adds the peer's row (e.g. --input peer)",
    )
    parser.add_argument(
        "--peer",
        type=Path,
        default=PEER,
        help=f"the peer's folder, with durable_baseline.py and workload.py (default: {PEER})",
    )
    parser.add_argument(
        "--peer-seed",
        type=int,
        default=PEER_SEED,
        help=f"the seed of the peer's workload (default: {PEER_SEED}, its own)",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=SKIPPABLE,
        metavar="NAME",
        help=f"measurements to leave out: {' '.join(SKIPPABLE)} (e.g. --skip python)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="native", help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers, events, now, source = _inputs(args, generate=not args.child)
    if args.child:
        _child(args.child, customers, events, args.engine, now)
        return
    notes: list[str] = []
    rows = _rows(args, customers, events, now, notes)
    print(headline(args.customers, events))
    print(f"input: {args.input} ({source}), planned at {now}")
    print(
        f"{'measurement':<24}{'seconds':>9}{'customers/s':>13}{'µs/customer':>13}"
        f"{'peak MB':>9}{'% ceiling':>11}{'x peer':>8}"
    )
    results: dict[str, Result] = {}
    for row in rows:
        if row.output is not None:
            row.output.unlink(missing_ok=True)
        try:
            result = _measure(row)
        except Failed as failure:
            if "peer" not in row.tags:
                raise
            print(f"{row.name:<24}  failed ({failure.why})", flush=True)
            notes.append(f"peer failed ({failure.why}): {_last_line(failure.stderr)}")
            continue
        results[row.name] = result
        rate = (result.customers or args.customers) / result.seconds
        ceiling = _rate(results.get("parse (orjson ceiling)"), args.customers)
        peer = _rate(results.get("peer (durable-rules)"), args.customers)
        of_ceiling = f"{rate / ceiling:.1%}" if ceiling else ""
        of_peer = f"{rate / peer:.2f}" if peer else ""
        print(
            f"{row.name:<24}{result.seconds:>9.2f}{rate:>13,.0f}{1e6 / rate:>13.1f}"
            f"{result.peak:>9}{of_ceiling:>11}{of_peer:>8}",
            flush=True,
        )
    _same_bytes([row for row in rows if row.output is not None and row.name in results])
    _targets(results, args.customers)
    for note in notes:
        print(f"note: {note}")


def _rate(result: Result | None, customers: int) -> float | None:
    return (result.customers or customers) / result.seconds if result else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(nothing on standard error)"


def _same_bytes(rows: list[Row]) -> None:
    """Print whether every cli row wrote the same bytes (by their sha256)."""
    if not rows:
        return
    digests = {row.name: _digest(row.output) for row in rows if row.output is not None}
    if len(set(digests.values())) == 1:
        digest = next(iter(digests.values()))
        print(f"cli outputs: the same bytes from all {len(rows)} (sha256 {digest}...)")
    else:
        each = ", ".join(f"{name} {digest}" for name, digest in digests.items())
        print(f"cli outputs: DIFFERENT bytes ({each})")


def _targets(results: dict[str, Result], customers: int) -> None:
    """The ratios the throughput targets are stated in, for ``cli rust w1``."""
    rust = _rate(results.get("cli rust w1"), customers)
    if rust is None:
        return
    ceiling = _rate(results.get("parse (orjson ceiling)"), customers)
    if ceiling:
        print(
            f"cli rust w1: {rust / ceiling:.1%} of the parse ceiling "
            f"(target {TARGET_OF_CEILING:.0%}), {1e6 / rust:.1f} µs per customer"
        )
    peer = results.get("peer (durable-rules)")
    if peer is not None:
        whole = _rate(peer, customers) or 0.0
        line = f"cli rust w1 / peer: {rust / whole:.2f} (whole processes)"
        if peer.own_rate:
            line += (
                f", {rust / peer.own_rate:.2f} against the peer's own count "
                f"({peer.own_rate:,.0f} customers/s, its planning loop alone)"
            )
        print(line)


if __name__ == "__main__":
    main()
