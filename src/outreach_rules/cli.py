"""The command line: ``outreach-rules plan | explain | check | demo``.

Bad input never ends in a traceback: it ends in a message naming the file, the line and
the field, and exit code 2. ``check`` exits 1 when the policy has errors.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import IO, Any, NoReturn

import attrs
from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from outreach_rules._cores import core_name
from outreach_rules._parts import TRACES, plan_files, write_records
from outreach_rules.batch import (
    Group,
    OnError,
    Rejected,
    UnknownKind,
    groups,
    plan_groups,
    record_groups,
)
from outreach_rules.contract import customer_from_record, event_from_record, read_lines
from outreach_rules.errors import OutreachRulesError
from outreach_rules.lint import Severity
from outreach_rules.model import Plan, Status
from outreach_rules.policy import Policy
from outreach_rules.testing.scenarios import add_command as add_test_command
from outreach_rules.timeline.instants import epoch

__all__ = ["main"]

PROGRAM = "outreach-rules"
DEMO_NOW = "2026-12-14T09:30:00Z"
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
# As a shell reports a command that SIGINT ended: 128 + 2.
EXIT_INTERRUPTED = 130
# What an input file given as ``-`` is called in messages.
STDIN_NAME = "<stdin>"


class _Exit(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except _Exit as stop:
        if stop.message:
            print(f"{PROGRAM}: {stop.message}", file=sys.stderr)
        return stop.code
    except OutreachRulesError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


# -- the commands ---------------------------------------------------------------------------


def _plan(args: argparse.Namespace) -> int:
    now = _now(args.now)
    policy = _policy(args.policy)
    hint = _explain_hint(args)
    unknown: list[UnknownKind] = []
    with _StandardInput(args) as stdin:
        rejected = _planned(args, policy, now, hint, unknown)
    _report_unknown_kinds([stdin.named(item) for item in unknown])
    return _report_rejects([stdin.renamed(item) for item in rejected], args)


def _planned(
    args: argparse.Namespace,
    policy: Policy,
    now: Any,
    hint: list[str],
    unknown: list[UnknownKind],
) -> list[Rejected]:
    rejected: list[Rejected] = []
    on_error: OnError = args.on_error
    kinds = {"unknown_kinds": args.unknown_kinds, "on_unknown_kind": unknown.append}
    with _output(args.output) as out, _Progress(args.customers, quiet=args.quiet) as progress:
        if args.format == "table":
            source = progress.track(
                groups(
                    args.customers,
                    args.events,
                    on_error=on_error,
                    reject=rejected.append,
                    policy=policy,
                    **kinds,
                )
            )
            batch = _Batch(policy, now, args.engine, on_error, rejected.append)
            plans = list(batch.plans(source))
            # The bar ends before the table is drawn, which may be on the same terminal.
            progress.done()
            _table(plans, out, hint)
            return rejected
        with progress.holding(out) as held:
            plan_files(
                policy,
                args.customers,
                args.events,
                held,
                now=now,
                form=args.format,
                trace=args.trace,
                engine=args.engine,
                on_error=on_error,
                reject=rejected.append,
                workers=args.workers,
                progress=progress.add,
                **kinds,
            )
    return rejected


def _explain(args: argparse.Namespace) -> int:
    now = _now(args.now)
    policy = _policy(args.policy)
    with _StandardInput(args):
        plan = _explained(args, policy, now)
    print(plan.explain())
    return EXIT_OK


def _explained(args: argparse.Namespace, policy: Policy, now: Any) -> Plan:
    customer = None
    for line in read_lines(args.customers):
        record = _record(line)
        if record.get("id") == args.customer_id:
            customer = _built(customer_from_record, record, line)
            break
    if customer is None:
        raise _Exit(
            EXIT_BAD_INPUT,
            f"error: customer {args.customer_id!r} is not in {args.customers_name}",
        )
    history = []
    for line in read_lines(args.events):
        record = _record(line)
        if record.get("customer") in (None, args.customer_id):
            history.append(_built(event_from_record, record, line))
    from outreach_rules.planner import plan  # noqa: PLC0415 - keeps the CLI's start-up small

    return plan(policy, customer, history, now=now, engine=args.engine)


def _check(args: argparse.Namespace) -> int:
    policy = Policy.from_file(args.policy)
    findings = policy.lint()
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    for finding in findings:
        print(f"{args.policy}: {finding}")
    summary = (
        f"policy {policy.name!r} version {policy.version}: "
        f"{_count(len(policy.intents), 'intent')}, {_count(len(policy.triggers), 'trigger')}, "
        f"{_count(len(policy.guards), 'guard')}; "
        f"{_count(errors, 'error')}, {_count(len(findings) - errors, 'warning')}"
    )
    print(summary)
    return EXIT_FINDINGS if errors else EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    folder = resources.files("outreach_rules") / "demo"
    with resources.as_file(folder) as path:
        customers, events = path / "customers.jsonl", path / "events.jsonl"
        source = groups(customers, events)
        batch = _Batch(Policy.default(), DEMO_NOW, "native", "fail", None)
        if args.format != "table":
            batch.write(source, args.format, sys.stdout)
            return EXIT_OK
        print(f"The built-in playbook on the demo shop, planned at {DEMO_NOW}:\n")
        hint = ["--customers", str(customers), "--events", str(events), "--now", DEMO_NOW]
        _table(list(batch.plans(source)), sys.stdout, hint)
    return EXIT_OK


# -- helpers ------------------------------------------------------------------------------


def _now(text: str) -> Any:
    epoch(text, "--now")
    return text


def _policy(path: str | None) -> Policy:
    return Policy.default() if path is None else Policy.from_file(path)


def _count(number: int, noun: str) -> str:
    """``1 intent``, ``2 intents``, ``1,200 customers``: a number and its noun, agreeing."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _explain_hint(args: argparse.Namespace) -> list[str]:
    """The options of ``explain`` that see what ``plan`` saw, as the user gave them."""
    hint = ["--customers", args.customers, "--events", args.events, "--now", args.now]
    if args.policy is not None:
        hint += ["--policy", args.policy]
    if args.engine != "native":
        hint += ["--engine", args.engine]
    return hint


def _record(line: Any) -> dict[str, Any]:
    try:
        record: dict[str, Any] = line.record()
    except OutreachRulesError as error:
        raise error.located(file=line.file, line=line.number) from None
    return record


def _built(build: Any, record: dict[str, Any], line: Any) -> Any:
    try:
        return build(record)
    except OutreachRulesError as error:
        raise error.located(file=line.file, line=line.number) from None


class _StandardInput:
    """Standard input saved to a file, where ``--customers`` or ``--events`` is ``-``.

    The readers go over an input more than once (to count it, to check its order), which
    a pipe cannot do. Errors and rejected lines name it ``<stdin>``, not the saved copy.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder: str | None = None
        self.path: str | None = None
        args.customers_name = args.customers

    def __enter__(self) -> _StandardInput:
        args = self.args
        piped = [name for name in ("customers", "events") if getattr(args, name) == "-"]
        if len(piped) > 1:
            raise _Exit(
                EXIT_BAD_INPUT,
                "error: --customers and --events are both - (standard input); one of them "
                "at most can be read from it, e.g. --customers - --events events.jsonl",
            )
        if piped:
            self.folder = tempfile.mkdtemp(prefix="outreach-rules-")
            self.path = str(Path(self.folder) / "stdin.jsonl")
            with open(self.path, "wb") as copy:
                shutil.copyfileobj(sys.stdin.buffer, copy)
            setattr(args, piped[0], self.path)
            args.customers_name = STDIN_NAME if piped[0] == "customers" else args.customers
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if isinstance(error, OutreachRulesError) and self.path is not None:
            if error.file == self.path:
                error.file = STDIN_NAME
            error.message = error.message.replace(self.path, STDIN_NAME)
            error.args = (str(error),)

    def renamed(self, item: Rejected) -> Rejected:
        """``item``, naming standard input as such."""
        if self.path is None or item.file != self.path:
            return item
        reason = item.reason.replace(self.path, STDIN_NAME)
        return attrs.evolve(item, file=STDIN_NAME, reason=reason)

    def named(self, item: UnknownKind) -> UnknownKind:
        """``item``, naming standard input as such."""
        if self.path is None or item.file != self.path:
            return item
        return attrs.evolve(item, file=STDIN_NAME)


class _output:  # noqa: N801 - used as a context manager, like open()
    """Write to a temporary file and put it in place at the end, or to stdout (``-``)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.path in (None, "-"):
            return sys.stdout
        target = Path(self.path)
        if not target.parent.is_dir():
            raise _Exit(
                EXIT_BAD_INPUT,
                f"error: --output {self.path}: the folder {str(target.parent)!r} does not "
                "exist; create it first, or write elsewhere",
            )
        self.handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="",
            dir=target.parent or ".",
            delete=False,
            suffix=".part",
        )
        return self.handle

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.handle is None:
            return
        self.handle.close()
        if error is None and self.path not in (None, "-"):
            shutil.move(self.handle.name, self.path)
        else:
            Path(self.handle.name).unlink(missing_ok=True)


class _Batch:
    """Plans groups and writes them in a format: records for machines, a table for people."""

    def __init__(
        self, policy: Policy, now: Any, engine: str, on_error: OnError, reject: Any
    ) -> None:
        self.policy, self.now, self.engine = policy, now, engine
        self.on_error, self.reject = on_error, reject

    def _options(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "engine": self.engine,
            "on_error": self.on_error,
            "reject": self.reject,
        }

    def plans(self, source: Iterable[Group]) -> Iterator[Plan]:
        """Each group's plan, for the table."""
        return plan_groups(self.policy, source, **self._options())

    def write(self, source: Iterable[Group], form: str, out: IO[str]) -> None:
        """Each group's decisions as records, for machines."""
        write_records(record_groups(self.policy, source, **self._options()), form, out, header=True)


# -- the table for people -------------------------------------------------------------------

# Each status in its colour: what will be sent, what waits for something, what will not be.
_STATUS_STYLES = {
    Status.SCHEDULED: "green",
    Status.WAITING: "yellow",
    Status.SUPPRESSED: "red",
}


def _table(plans: Sequence[Plan], out: IO[str], hint: Sequence[str]) -> None:
    """The decisions as a table that fits the terminal, a summary by status and intent, and
    the ``explain`` command that says why, for one of the customers."""
    console = Console(file=out, highlight=False, emoji=False, markup=False)
    console.print(_decisions_table(plans, console.width))
    console.print()
    console.print(_summary(plans))
    if any(plan.decisions for plan in plans):
        console.print()
        console.print(_summary_table(plans))
        console.print()
        # Not wrapped: the command is to be copied whole.
        console.print(_next_step(plans, hint), soft_wrap=True)


# The narrowest ``why`` column worth its own place; narrower, ``why`` goes under the intent.
_WHY_WIDTH = 32
_HEAD = ("customer", "intent", "ref", "status", "local time", "channel")


def _decisions_table(plans: Sequence[Plan], width: int) -> RenderableType:
    """A row per decision, the customer named at the head of theirs; ``why`` in a column of
    its own, wrapped, where ``width`` leaves it room, else wrapped under intent and ref."""
    rows = [
        (plan, number, _cells(decision)) for plan in plans for number, decision in enumerate(plan)
    ]
    natural = [max([cell_len(h), *(cell_len(r[2][i]) for r in rows)]) for i, h in enumerate(_HEAD)]
    # Two spaces between columns (a space of padding, a space of border); no edges.
    wide = width - sum(natural) - 2 * len(_HEAD) >= _WHY_WIDTH
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    if wide:
        for name in _HEAD:
            table.add_column(name, no_wrap=True)
        table.add_column("why", ratio=1)
    else:
        table.add_column("customer", overflow="fold")
        table.add_column("decision and why", ratio=1, overflow="fold")
        for name in _HEAD[3:]:
            table.add_column(name, no_wrap=True)
    for plan, number, (customer, intent, ref, status, local, channel) in rows:
        decision = plan.decisions[number]
        cells = [
            # The customer once, at the head of their decisions.
            Text(customer if number == 0 else ""),
            *(
                (Text(intent), Text(ref))
                if wide
                else (Text.assemble(f"{intent} {ref}".rstrip(), "\n", (decision.why, "dim")),)
            ),
            Text(status, style=_STATUS_STYLES.get(decision.status, "")),
            # Narrow, the offset goes under the time.
            Text(local if wide else "\n".join(local.rsplit(" ", 1))),
            Text(channel),
        ]
        if wide:
            cells.append(Text(decision.why))
        table.add_row(*cells, end_section=number == len(plan) - 1)
    return table


def _cells(decision: Any) -> tuple[str, str, str, str, str, str]:
    local = decision.local_send_at
    return (
        decision.customer,
        decision.intent,
        decision.ref or "",
        str(decision.status),
        "" if local is None else local.format("ddd D MMM HH:mm Z"),
        "" if decision.channel is None else str(decision.channel),
    )


def _summary(plans: Sequence[Plan]) -> str:
    by_status = Counter(decision.status for plan in plans for decision in plan)
    total = sum(by_status.values())
    customers = _count(len(plans), "customer")
    if not total:
        return f"No decisions for {customers}."
    statuses = ", ".join(
        f"{by_status[status]:,} {status}" for status in Status if by_status[status]
    )
    return f"{_count(total, 'decision')} for {customers}: {statuses}."


def _summary_table(plans: Sequence[Plan]) -> RenderableType:
    """Decisions by intent (rows) and status (columns), with the totals."""
    counts = Counter((decision.intent, decision.status) for plan in plans for decision in plan)
    intents = sorted({intent for intent, _ in counts})
    statuses = [status for status in Status if any(s is status for _, s in counts)]
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), show_footer=True
    )
    table.add_column("by intent", footer="total")
    for status in statuses:
        column = sum(counts[intent, status] for intent in intents)
        table.add_column(
            Text(str(status), style=_STATUS_STYLES.get(status, "")),
            footer=f"{column:,}",
            justify="right",
        )
    table.add_column("total", footer=f"{sum(counts.values()):,}", justify="right")
    for intent in intents:
        row = [counts[intent, status] for status in statuses]
        table.add_row(Text(intent), *(f"{n:,}" if n else "" for n in row), f"{sum(row):,}")
    return table


def _next_step(plans: Sequence[Plan], hint: Sequence[str]) -> str:
    """The ``explain`` command for a customer worth a look: the first with a decision that
    waits or is suppressed, else the first."""
    chosen = next(
        (plan for plan in plans if any(d.status is not Status.SCHEDULED for d in plan)),
        next(plan for plan in plans if plan.decisions),
    )
    customer = chosen.customer.id
    command = shlex.join([PROGRAM, "explain", customer, *hint])
    return f"Every rule behind one customer's decisions, and why:\n  {command}"


def _report_unknown_kinds(unknown: list[UnknownKind]) -> None:
    """Each event of a kind the policy does not know (the first ten), then how many."""
    for item in unknown[:10]:
        print(f"{PROGRAM}: warning: {item}", file=sys.stderr)
    if unknown:
        more = " (the first 10 above)" if len(unknown) > 10 else ""
        them = "it" if len(unknown) == 1 else "them"
        print(
            f"{PROGRAM}: {_count(len(unknown), 'event')} of a kind the policy does not "
            f"know{more}, planned all the same; --unknown-kinds refuse refuses {them}",
            file=sys.stderr,
        )


def _report_rejects(rejected: list[Rejected], args: argparse.Namespace) -> int:
    if args.on_error == "fail" or not rejected:
        return EXIT_OK
    path = Path(args.rejects)
    with path.open("w", encoding="utf-8") as out:
        for item in rejected:
            out.write(
                json.dumps(item.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n"
            )
    for item in rejected[:10]:
        print(f"{PROGRAM}: rejected {item.file}:{item.line}: {item.reason}", file=sys.stderr)
    more = " (the first 10 above)" if len(rejected) > 10 else ""
    print(
        f"{PROGRAM}: {_count(len(rejected), 'line')} rejected{more}; every one with its reason "
        f"in {path}",
        file=sys.stderr,
    )
    return EXIT_OK


class _Progress:
    """A live bar on stderr, only where a person watches: the customers read and planned,
    the rate and the time left. ``console`` is where it draws (stderr's by default); with
    ``quiet``, or where that is not a terminal, it draws nothing."""

    def __init__(self, customers: str, *, quiet: bool, console: Console | None = None) -> None:
        self.customers = customers
        self.bar: Progress | None = None
        if quiet:
            return
        console = Console(stderr=True) if console is None else console
        if not console.is_terminal:
            return
        self.bar = Progress(
            SpinnerColumn(),
            BarColumn(),
            _Counts(),
            TimeElapsedColumn(),
            console=console,
            # Decisions written to stdout go there as they are, not through the bar.
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=4,
        )
        self.task = self.bar.add_task("planning", total=None)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            # Drawn at once, and redrawn a few times a second by rich's own thread, so that
            # the time goes on while the customers are counted and the first ones planned.
            self.bar.start()
            self.bar.update(self.task, total=_count_lines(self.customers))
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.done()

    @property
    def shown(self) -> bool:
        """Whether the bar is on the terminal."""
        return self.bar is not None

    def add(self, count: int) -> None:
        """Count ``count`` more customers planned."""
        if self.bar is not None:
            self.bar.advance(self.task, count)

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items``, each counted as a customer planned once the next is asked for."""
        for item in items:
            yield item
            self.add(1)

    def holding(self, out: IO[str]) -> _Held:
        """Where to write the decisions meant for ``out``: ``out`` itself, or a temporary
        file copied there once the bar is gone when ``out`` is the terminal it draws on."""
        shares = self.bar is not None and out is sys.stdout and out.isatty()
        return _Held(out, self if shares else None)

    def done(self) -> None:
        """The bar drawn one last time, and left on the terminal."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class _Held:
    def __init__(self, out: IO[str], progress: _Progress | None) -> None:
        self.out, self.progress = out, progress
        self.held: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.progress is None:
            return self.out
        self.held = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        return self.held

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.held is None or self.progress is None:
            return
        with self.held:
            self.progress.done()
            if error is None:
                self.held.seek(0)
                shutil.copyfileobj(self.held, self.out)


def _counts(task: Task) -> str:
    """``12,345 of 50,000 customers planned, 2,469/s, 0:00:16 left``: what the bar says."""
    done = int(task.completed)
    if task.total is None:
        return f"reading the customers; {done:,} planned"
    # The recent rate while it runs; at the end, or before rich has two samples, the mean.
    elapsed = task.elapsed or 0.0
    rate = task.speed if task.speed and not task.finished else done / elapsed if elapsed else None
    left = "done" if task.finished else _left(task.time_remaining)
    return (
        f"{done:,} of {_count(int(task.total), 'customer')} planned, "
        f"{'…' if rate is None else f'{rate:,.0f}'}/s, {left}"
    )


def _left(seconds: float | None) -> str:
    return "… left" if seconds is None else f"{timedelta(seconds=round(seconds))} left"


class _Counts(ProgressColumn):
    """The bar's column of counts, rate and time left."""

    def render(self, task: Task) -> Text:
        return Text(_counts(task))


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


# -- the parser ---------------------------------------------------------------------------

_PLAN_EXAMPLES = """examples:
  outreach-rules plan --customers customers.jsonl --events events.jsonl --now 2026-12-14T09:30:00Z
  outreach-rules plan --customers c.jsonl --events e.jsonl --now 2026-12-14T09:30:00+01:00 \\
      --policy my-policy.toml --format csv --output decisions.csv
  outreach-rules plan ... --on-error skip --rejects rejected.jsonl
"""


class _Version(argparse.Action):
    """``--version``: the package's version and the core that plans (it may refuse: an
    ``OUTREACH_RULES_CORE`` that names no built core is exit 2, as any bad input)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        try:
            core = core_name()
        except OutreachRulesError as error:
            parser.exit(EXIT_BAD_INPUT, f"{PROGRAM}: error: {error}\n")
        print(f"{PROGRAM} {metadata.version('outreach-rules')} core: {core}")
        parser.exit(EXIT_OK)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with a reason given where an option's absence needs one."""

    def error(self, message: str) -> NoReturn:
        if "--now" in message and "required" in message:
            message = (
                "--now is required: the library never reads the clock, so say when to plan, "
                "e.g. --now 2026-12-14T09:30:00Z"
            )
        super().error(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM,
        description="Decide when and how to contact each customer, and explain why.",
        epilog="Run 'outreach-rules COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the version and the planning core in use (rust or python), and exit",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    formatter = argparse.RawDescriptionHelpFormatter

    plan = commands.add_parser(
        "plan",
        help="plan every customer of a customers file with its events",
        description="Decisions for every customer, in the output contract, sorted by customer, "
        "then send time, then intent. Files are JSON Lines in the data contract; events may "
        "come in any order.",
        epilog=_PLAN_EXAMPLES,
        formatter_class=formatter,
    )
    _inputs(plan)
    plan.add_argument(
        "--format",
        choices=("jsonl", "csv", "table"),
        default="jsonl",
        help="output format (default: jsonl; e.g. --format table to read it in a terminal)",
    )
    plan.add_argument(
        "--output",
        metavar="FILE",
        help="write here instead of stdout (-, the default); the file appears whole, at the end "
        "(e.g. --output decisions.jsonl)",
    )
    plan.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="on a bad line: stop with exit code 2 (fail, the default) or leave it out and go on "
        "(skip, e.g. --on-error skip)",
    )
    plan.add_argument(
        "--unknown-kinds",
        choices=("warn", "refuse"),
        default="warn",
        help="an event of a kind the policy does not know: plan it and name it on stderr with "
        "the likely kind (warn, the default), or treat its line as bad input (refuse, e.g. "
        "--unknown-kinds refuse)",
    )
    plan.add_argument(
        "--rejects",
        metavar="FILE",
        default="rejects.jsonl",
        help="with --on-error skip: where every rejected line goes with its reason "
        "(default: rejects.jsonl; e.g. --rejects bad-lines.jsonl)",
    )
    plan.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="plan in N threads on the Rust core, N processes on the Python one; the output is "
        "the same bytes (default: 1; e.g. --workers 2)",
    )
    plan.add_argument(
        "--trace",
        choices=TRACES,
        default="full",
        help="the trace of each decision in jsonl and csv records: full (the default), compact "
        "(reason codes, which outreach_rules.full_record turns back into sentences) or none "
        "(e.g. --trace none)",
    )
    plan.add_argument(
        "--quiet", action="store_true", help="no progress bar on stderr (e.g. --quiet)"
    )
    plan.set_defaults(run=_plan)

    explain = commands.add_parser(
        "explain",
        help="one customer's decisions with their traces, in words",
        description="The customer's decisions and, for each, every rule consulted and why.",
        epilog="example:\n  outreach-rules explain c01-ada --customers customers.jsonl "
        "--events events.jsonl --now 2026-12-14T09:30:00Z",
        formatter_class=formatter,
    )
    explain.add_argument(
        "customer_id", metavar="CUSTOMER_ID", help="the customer's id (e.g. c01-ada)"
    )
    _inputs(explain)
    explain.set_defaults(run=_explain)

    check = commands.add_parser(
        "check",
        help="validate a policy file and lint it",
        description="Load a policy file (TOML, YAML or JSON) and print lint findings. Exit code 1 "
        "when the policy has errors, 2 when it cannot be loaded.",
        epilog="example:\n  outreach-rules check my-policy.toml",
        formatter_class=formatter,
    )
    check.add_argument("policy", metavar="POLICY", help="the policy file (e.g. my-policy.toml)")
    check.set_defaults(run=_check)

    demo = commands.add_parser(
        "demo",
        help="the built-in playbook on a small bundled shop",
        description=f"Plan the bundled demo shop's customers with the playbook at {DEMO_NOW}.",
        epilog="example:\n  outreach-rules demo --format jsonl",
        formatter_class=formatter,
    )
    demo.add_argument(
        "--format",
        choices=("jsonl", "csv", "table"),
        default="table",
        help="output format (default: table; e.g. --format jsonl)",
    )
    demo.set_defaults(run=_demo)
    add_test_command(commands)
    return parser


def _inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--customers",
        required=True,
        metavar="FILE",
        help="customers, JSON Lines; - reads standard input (e.g. --customers customers.jsonl)",
    )
    command.add_argument(
        "--events",
        required=True,
        metavar="FILE",
        help="events, JSON Lines, any order; - reads standard input (e.g. --events events.jsonl)",
    )
    command.add_argument(
        "--now",
        required=True,
        metavar="ISO",
        help="the instant to plan at, with an offset; required, since the library never reads "
        "the clock (e.g. --now 2026-12-14T09:30:00Z)",
    )
    command.add_argument(
        "--policy",
        metavar="FILE",
        help="a policy file; without it, the built-in playbook (e.g. --policy my-policy.toml)",
    )
    command.add_argument(
        "--engine",
        choices=("native", "durable"),
        default="native",
        help="the trigger engine (default: native; e.g. --engine native)",
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
