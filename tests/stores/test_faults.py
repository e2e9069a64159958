"""Fault tests with real processes: workers killed with SIGKILL while posting and sending.

What must hold, on SQLite and on PostgreSQL: no stored event is lost, every event a worker
said it posted is stored, the plans after a crash and a retry are those of a run without
one; no decision is handed out again after its record_sent; every due decision is handed
out in the end; two senders claiming at once never get the same decision.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_stores import _fresh_postgres

from outreach_rules import Customer, Event, Policy
from outreach_rules.contract import event_record
from outreach_rules.session import Session

WORKER = Path(__file__).parent / "fault_worker.py"
NOW = "2026-06-10T12:00:00Z"
LEASE = 300
AFTER_LEASE = "2026-06-10T12:05:01Z"
CUSTOMERS = 40


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outreach.db'}"
    return _fresh_postgres()


def customers() -> list[Customer]:
    zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    countries = ["GB", "US-NY", "IN", "AU-NSW"]
    return [
        Customer(
            id=f"c{n:03d}",
            timezone=zones[n % 4],
            country=countries[n % 4],
            since="2020-01-01T00:00:00Z",
            channels={"email": True, "phone": n % 2 == 0},
        )
        for n in range(CUSTOMERS)
    ]


def events() -> list[Event]:
    found = []
    for n in range(CUSTOMERS):
        cid = f"c{n:03d}"
        found += [
            Event(
                kind="concern_raised",
                at="2026-06-09T08:00:00Z",
                ref=f"q{n}",
                customer=cid,
                id=f"{cid}-1",
            ),
            Event(
                kind="order_placed",
                at="2026-06-01T08:00:00Z",
                ref=f"o{n}",
                customer=cid,
                id=f"{cid}-2",
            ),
            Event(
                kind="order_delivered",
                at="2026-06-03T08:00:00Z",
                ref=f"o{n}",
                customer=cid,
                id=f"{cid}-3",
            ),
        ]
        if n % 3 == 0:
            found.append(
                Event(
                    kind="incident_caused",
                    at="2026-06-09T09:00:00Z",
                    ref=f"i{n}",
                    customer=cid,
                    id=f"{cid}-4",
                )
            )
    return found


def prepare(where: str, tmp_path: Path) -> Path:
    session = Session(Policy.default(), store=where)
    for customer in customers():
        session.add_customer(customer, now="2026-06-01T00:00:00Z")
    session.close()
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event_record(e)) + "\n" for e in events()), encoding="utf-8")
    return path


def worker(*args: str, pause: str = "0") -> subprocess.Popen[str]:
    # A pause after each decision sent makes two senders overlap in time.
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FAULT_WORKER_PAUSE": pause},
    )


def kill_after(process: subprocess.Popen[str], seconds: float) -> str:
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    out, _ = process.communicate()
    return out


def open_rows(where: str) -> dict[str, tuple[str, int | None]]:
    session = Session(Policy.default(), store=where)
    rows = {}
    with session.store.transaction() as tx:
        for customer in customers():
            for row in tx.rows(customer.id).values():
                rows[row.id] = (row.status, row.send_at)
    session.close()
    return rows


def stored_event_ids(where: str) -> list[str]:
    session = Session(Policy.default(), store=where)
    with session.store.transaction() as tx:
        ids = [e["id"] for c in customers() for e in tx.events(c.id)]
    session.close()
    return ids


def test_a_poster_killed_mid_way_loses_nothing_and_a_retry_applies_each_event_once(where, tmp_path):
    path = prepare(where, tmp_path)
    rng = random.Random(3)
    said: set[str] = set()
    for _ in range(3):
        out = kill_after(worker("post", where, str(path), NOW), rng.uniform(1.0, 2.5))
        said |= {line.split()[1] for line in out.splitlines() if line.startswith("posted ")}
        stored = set(stored_event_ids(where))
        # Everything a worker said it posted is stored.
        assert said <= stored
    done = worker("post", where, str(path), NOW)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    ids = stored_event_ids(where)
    assert sorted(ids) == sorted(e.id for e in events() if e.id is not None)
    assert len(ids) == len(set(ids))
    # The plans are those of a run that never crashed.
    reference = Session(Policy.default())  # in memory
    for customer in customers():
        reference.add_customer(customer, now="2026-06-01T00:00:00Z")
    for event in events():
        reference.post(event, now=NOW)
    with reference.store.transaction() as tx:
        expected = {
            row.id: (row.status, row.send_at) for c in customers() for row in tx.rows(c.id).values()
        }
    assert open_rows(where) == expected


def _sent_log(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def _posted(where: str, tmp_path: Path) -> None:
    path = prepare(where, tmp_path)
    done = worker("post", where, str(path), NOW)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err


def test_a_sender_killed_mid_way_never_gets_a_recorded_decision_again(where, tmp_path):
    _posted(where, tmp_path)
    looking = Session(Policy.default(), store=where)
    due = {d.id for d in looking.due(NOW)}
    looking.close()
    assert len(due) >= 20  # customers in quiet hours at NOW wait
    log = tmp_path / "sent.log"
    rng = random.Random(5)
    for _ in range(3):
        kill_after(worker("send", where, str(log), NOW, str(LEASE)), rng.uniform(0.8, 2.0))
    # Leases of killed senders run out; a sender after that hands out what is left.
    done = worker("send", where, str(log), AFTER_LEASE, str(LEASE))
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    recorded: set[str] = set()
    for words in _sent_log(log):
        if words[0] == "claimed":
            assert words[1] not in recorded, f"{words[1]} handed out again after record_sent"
        else:
            recorded.add(words[1])
    session = Session(Policy.default(), store=where)
    assert session.due(AFTER_LEASE) == []
    # Every decision that was due was handed out, and is now sent.
    with session.store.transaction() as tx:
        statuses = {decision_id: tx.row(decision_id).status for decision_id in due}  # type: ignore[union-attr]
    assert set(statuses.values()) == {"sent"}
    session.close()


def test_two_senders_claiming_at_once_never_get_the_same_decision(where, tmp_path):
    _posted(where, tmp_path)
    log = tmp_path / "sent.log"
    senders = [worker("send", where, str(log), NOW, "3600", pause="0.02") for _ in range(2)]
    for sender in senders:
        _, err = sender.communicate(timeout=300)
        assert sender.returncode == 0, err
    claimed: dict[str, str] = {}
    for words in _sent_log(log):
        if words[0] == "claimed":
            assert words[1] not in claimed, (
                f"{words[1]} claimed by {claimed[words[1]]} and {words[3]}"
            )
            claimed[words[1]] = words[3]
    assert len(claimed) >= 20
    # Both took part: the test really had them claim at once.
    assert len(set(claimed.values())) == 2
