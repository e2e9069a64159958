"""A worker process for the fault tests: posts events or sends due decisions, and says so.

    python fault_worker.py post STORE EVENTS_JSONL NOW
    python fault_worker.py send STORE LOG NOW LEASE_SECONDS

Each line it prints (and, for send, appends to LOG with fsync) is written only after the
store has committed what it says, so a SIGKILL at any moment leaves the printed lines true.
"""

from __future__ import annotations

import os
import sys
import time

from outreach_rules import Policy
from outreach_rules.contract import event_from_record, read_lines
from outreach_rules.session import Session


def post(store: str, events: str, now: str) -> None:
    session = Session(Policy.default(), store=store)
    for line in read_lines(events):
        event = event_from_record(line.record())
        session.post(event, now=now)
        print(f"posted {event.id}", flush=True)


def send(store: str, log: str, now: str, lease: int) -> None:
    session = Session(Policy.default(), store=store)
    with open(log, "a", encoding="utf-8") as out:

        def say(text: str) -> None:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())

        while True:
            claims = session.claim_due(now, limit=5, lease=lease)
            if not claims:
                return
            for claim in claims:
                say(f"claimed {claim.decision.id} {claim.version} {os.getpid()}")
                session.record_sent(claim.decision, at=now)
                say(f"recorded {claim.decision.id} {os.getpid()}")
                time.sleep(float(os.environ.get("FAULT_WORKER_PAUSE", "0")))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "post":
        post(*args)
    else:
        send(args[0], args[1], args[2], int(args[3]))
