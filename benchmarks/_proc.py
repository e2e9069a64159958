"""Memory and CPU of a process and its descendants, read from /proc (Linux).

A command's own peak (``ru_maxrss``) leaves out processes it did not wait for itself, such
as the workers multiprocessing's fork server starts: the samplers here add up the tree.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path


def descendants(root: int, *, with_root: bool = False) -> Iterator[tuple[int, str, int, float]]:
    """Each descendant of ``root`` (and ``root`` itself if asked): pid, command line,
    resident MB and CPU seconds so far."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    wanted = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    tick = os.sysconf("SC_CLK_TCK")
    for pid in sorted(wanted if with_root else wanted - {root}):
        folder = Path("/proc") / str(pid)
        try:
            command = (folder / "cmdline").read_bytes().decode(errors="replace")
            status = (folder / "status").read_text()
            fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss = next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0
        )
        # utime and stime, the 14th and 15th fields of stat (the 12th and 13th after comm)
        yield pid, command, rss // 1024, (int(fields[11]) + int(fields[12])) / tick


class TreeMemory(threading.Thread):
    """The peak of the resident memory of a process and its descendants, added up, sampled
    every 0.1 s from a thread until :meth:`stop`."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            total = sum(rss for _, _, rss, _ in descendants(self.root, with_root=True))
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        """Stop sampling; the peak in MB."""
        self.stopped.set()
        self.join()
        return self.peak


class Failed(SystemExit):
    """A command that did not exit 0: uncaught, it stops the benchmark with its standard
    error; caught, :attr:`why` says what happened in a few words."""

    def __init__(self, command: list[str], code: int, stderr: str) -> None:
        super().__init__(f"failed: {' '.join(command)}\n{stderr}")
        self.exit_code = code
        self.stderr = stderr

    @property
    def why(self) -> str:
        """``exit 2`` or ``SIGSEGV`` (a negative code is the signal that killed it)."""
        if self.exit_code < 0:
            return signal.Signals(-self.exit_code).name
        return f"exit {self.exit_code}"


def measured(
    command: list[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, str, int, float]:
    """Run ``command`` (with ``env`` added to this environment, in ``cwd``): its wall
    seconds, standard output, peak MB (its whole process tree added up, or its own peak if
    higher) and CPU seconds (its own and those of the children it waited for). A failure
    raises :class:`Failed`, which stops the benchmark with the command's standard error
    unless caught."""
    environment = {**os.environ, **env} if env else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=err, text=True, env=environment, cwd=cwd
        )
        memory = TreeMemory(process.pid)
        memory.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        peak = max(memory.stop(), usage.ru_maxrss // 1024)  # ru_maxrss: kilobytes on Linux
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise Failed(command, code, err.read())
        return wall, out.read(), peak, usage.ru_utime + usage.ru_stime
