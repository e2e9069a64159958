"""One suite for every store: memory, SQLite and a real PostgreSQL server.

PostgreSQL runs when OUTREACH_RULES_TEST_POSTGRES_URL names a server (``.ci/run`` starts
one on loopback); under CI a missing server is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

import outreach_rules.session as session_module
from outreach_rules import Customer, Event, InputError, Status, TimeError
from outreach_rules.session import Session
from outreach_rules.stores import (
    SCHEMA_VERSION,
    Row,
    SchemaError,
    SqliteStore,
    StoreError,
    open_store,
)

from conftest import shop_policy

POSTGRES = os.environ.get("OUTREACH_RULES_TEST_POSTGRES_URL")
LONDON = Customer(
    id="c1",
    timezone="Europe/London",
    country="GB",
    since="2019-05-01T00:00:00Z",
    channels={"email": True, "phone": True},
)


def _fresh_postgres() -> str:
    """A URL of the test server, on a schema of its own; a skip where there is no server
    (a failure in CI, which starts one)."""
    if POSTGRES is None:
        if os.environ.get("CI"):
            pytest.fail("OUTREACH_RULES_TEST_POSTGRES_URL is not set: .ci/run starts a server")
        pytest.skip("no PostgreSQL server (set OUTREACH_RULES_TEST_POSTGRES_URL)")
    psycopg = pytest.importorskip("psycopg")
    schema = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'outreach.db'}"
    else:
        yield _fresh_postgres()


@pytest.fixture
def session(where: str) -> Iterator[Session]:
    started = Session(shop_policy(), store=where if where != "memory://" else None)
    started.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    yield started
    started.close()


def ev(kind: str, at: str, ref: str | None = None, *, id: str | None = None, **data: Any) -> Event:
    return Event(kind=kind, at=at, ref=ref, customer="c1", id=id, data=data)


def stored_state(session: Session) -> Any:
    with session.store.transaction() as tx:
        return tx.events("c1"), sorted(
            (r.id, r.status, r.send_at, r.version) for r in tx.rows("c1").values()
        )


def test_post_stores_the_event_and_the_plan(session):
    changes = session.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1", id="e1"), now="2026-06-02T09:00:00Z"
    )
    (call,) = changes.added
    assert call.intent == "apology_call"
    events, rows = stored_state(session)
    assert [e["id"] for e in events] == ["e1"]
    assert [(status, send_at) for i, status, send_at, _ in rows if i == call.id] == [
        ("scheduled", int(call.send_at.timestamp()))
    ]


def test_an_event_id_already_stored_is_applied_once(session):
    event = ev("incident_caused", "2026-06-02T09:00:00Z", "i1", id="e1")
    session.post(event, now="2026-06-02T09:00:00Z")
    assert not session.post(event, now="2026-06-02T09:30:00Z")
    assert len(stored_state(session)[0]) == 1


def test_an_older_event_takes_its_place_in_time_and_the_plan_is_remade(session):
    session.post(
        ev("order_placed", "2026-06-01T10:00:00Z", "o1", id="e1"), now="2026-06-05T10:00:00Z"
    )
    session.post(
        ev("review_submitted", "2026-06-04T10:00:00Z", "o1", id="e3"), now="2026-06-05T10:00:00Z"
    )
    # The delivery arrives late: the review already submitted still ends the matter.
    changes = session.post(
        ev("order_delivered", "2026-06-03T10:00:00Z", "o1", id="e2"), now="2026-06-05T10:00:00Z"
    )
    assert "review_request" not in [d.intent for d in changes.added]
    assert session.plan_of("c1", now="2026-06-05T10:00:00Z").decision("review_request") is None


def test_claim_hands_each_due_decision_to_one_caller_under_a_lease(session):
    session.post(
        ev("concern_raised", "2026-06-02T10:00:00Z", "q1", id="e1"), now="2026-06-02T10:00:00Z"
    )
    (claim,) = session.claim_due("2026-06-02T10:00:00Z", lease="5 minutes")
    assert claim.decision.intent == "concern_reply"
    assert session.claim_due("2026-06-02T10:01:00Z") == []
    # The lease runs out: the decision can be claimed again.
    (again,) = session.claim_due("2026-06-02T10:06:00Z")
    assert again.decision.id == claim.decision.id
    assert again.version == claim.version


def test_claim_takes_free_decisions_and_run_out_leases_together_in_send_order(where):
    store = open_store(where if where != "memory://" else None)

    def row(id_: str, send_at: int, leased_until: int | None = None) -> Row:
        return Row(id_, "c1", "scheduled", send_at, "[]", {"id": id_}, 1, leased_until)

    with store.transaction() as tx:
        tx.put_rows(
            [
                row("a", 100, leased_until=150),  # its lease ran out
                row("b", 110),
                row("c", 120, leased_until=300),  # still held
                row("d", 90),
                row("e", 110, leased_until=200),  # ran out; after b, which has the same time
                row("f", 500),  # not due yet
            ]
        )
    with store.transaction() as tx:
        assert [r.id for r in tx.claim(200, 3, 260)] == ["d", "a", "b"]
    with store.transaction() as tx:
        assert [(r.id, r.leased_until) for r in tx.claim(200, 10, 260)] == [("e", 260)]
    with store.transaction() as tx:
        assert tx.claim(200, 10, 260) == []
        # Every lease has run out: all five, earliest first, ids breaking the tie.
        assert [r.id for r in tx.claim(301, 10, 400)] == ["d", "a", "b", "e", "c"]
    store.close()


def test_record_sent_completes_it_and_it_is_never_handed_out_again(session):
    session.post(
        ev("concern_raised", "2026-06-02T10:00:00Z", "q1", id="e1"), now="2026-06-02T10:00:00Z"
    )
    (claim,) = session.claim_due("2026-06-02T10:00:00Z")
    session.record_sent(claim.decision, at="2026-06-02T10:01:00Z")
    assert session.claim_due("2026-06-03T00:00:00Z") == []
    assert session.due("2026-06-03T00:00:00Z") == []
    assert not session.record_sent(claim.decision.id, at="2026-06-02T10:02:00Z")
    events, _ = stored_state(session)
    assert [e["kind"] for e in events] == ["concern_raised", "contact_sent"]


def test_a_decision_moved_by_a_later_event_is_not_handed_out_in_its_old_form():
    session = Session(shop_policy(cap=1))
    session.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    for ref, hour in (("o1", "10"), ("o2", "11")):
        session.post(
            ev("order_placed", f"2026-06-01T{hour}:00:00Z", ref), now="2026-06-01T12:00:00Z"
        )
        session.post(
            ev("order_delivered", f"2026-06-03T{hour}:00:00Z", ref), now="2026-06-03T12:00:00Z"
        )
    (first,) = [c for c in session.claim_due("2026-06-06T10:00:00Z") if c.decision.ref == "o1"]
    with session.store.transaction() as tx:
        rows = tx.rows("c1").values()
        (before,) = [
            r for r in rows if (r.record["intent"], r.record["ref"]) == ("review_request", "o2")
        ]
    # o1 is reviewed while its request is claimed; o2's request moves earlier.
    session.post(ev("review_submitted", "2026-06-06T10:00:00Z", "o1"), now="2026-06-06T10:00:30Z")
    claims = session.claim_due("2026-06-06T12:00:00Z")
    assert [
        (c.decision.ref, c.version) for c in claims if c.decision.intent == "review_request"
    ] == [("o2", before.version + 1)]
    assert before.send_at is not None
    assert claims[0].decision.send_at != pendulum.from_timestamp(before.send_at)
    assert first.decision.id not in {c.decision.id for c in claims}


def test_the_sent_contact_counts_against_caps(where):
    session = Session(shop_policy(cap=1), store=None if where == "memory://" else where)
    session.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    session.post(ev("order_placed", "2026-06-01T10:00:00Z", "o1"), now="2026-06-01T10:00:00Z")
    session.post(ev("order_delivered", "2026-06-03T10:00:00Z", "o1"), now="2026-06-03T10:00:00Z")
    (claim,) = session.claim_due("2026-06-06T12:00:00Z")
    session.record_sent(claim.decision, at="2026-06-06T12:00:00Z")
    session.post(ev("order_placed", "2026-06-07T10:00:00Z", "o2"), now="2026-06-07T10:00:00Z")
    changes = session.post(
        ev("order_delivered", "2026-06-08T10:00:00Z", "o2"), now="2026-06-08T10:00:00Z"
    )
    (second,) = [d for d in changes.rescheduled if d.intent == "review_request"]
    assert second.send_at == pendulum.datetime(2026, 6, 13, 12, tz="UTC")
    session.close()


def test_decision_ids_are_the_same_in_every_store(session):
    changes = session.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1"), now="2026-06-02T09:00:00Z"
    )
    memory = Session(shop_policy())
    memory.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    again = memory.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1"), now="2026-06-02T09:00:00Z"
    )
    assert [d.id for d in changes.added] == [d.id for d in again.added]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (lambda: ev("order_placed", "2026-06-01T10:00:00", "o1"), TimeError, "has no UTC offset"),
        (
            lambda: Event(kind="order_placed", at="2026-06-01T10:00:00Z", customer="c9"),
            InputError,
            "customer='c9'",
        ),
        (lambda: Event(kind="", at="2026-06-01T10:00:00Z", customer="c1"), InputError, "kind=''"),
    ],
    ids=["naive time", "unknown customer", "malformed event"],
)
def test_bad_input_is_refused_and_leaves_the_store_unchanged(session, bad, error, message):
    session.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1", id="e1"), now="2026-06-02T09:00:00Z"
    )
    before = stored_state(session)
    with pytest.raises(error, match=message):
        session.post(bad(), now="2026-06-02T10:00:00Z")
    assert stored_state(session) == before


def test_the_same_id_with_other_content_is_refused_and_leaves_the_store_unchanged(session):
    session.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1", id="e1"), now="2026-06-02T09:00:00Z"
    )
    before = stored_state(session)
    with pytest.raises(InputError, match="id='e1'"):
        session.post(
            ev("incident_caused", "2026-06-02T10:00:00Z", "i1", id="e1"), now="2026-06-02T10:00:00Z"
        )
    assert stored_state(session) == before


def test_a_failure_while_planning_leaves_nothing_behind(session, monkeypatch):
    before = stored_state(session)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the planner fell over")

    monkeypatch.setattr(session_module, "plan", broken)
    with pytest.raises(RuntimeError):
        session.post(
            ev("incident_caused", "2026-06-02T09:00:00Z", "i1", id="e1"), now="2026-06-02T09:00:00Z"
        )
    monkeypatch.undo()
    assert stored_state(session) == before


def test_state_survives_reopening_the_store(where):
    if where == "memory://":
        pytest.skip("memory does not outlive its process")
    first = Session(shop_policy(), store=where)
    first.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    first.post(
        ev("concern_raised", "2026-06-02T10:00:00Z", "q1", id="e1"), now="2026-06-02T10:00:00Z"
    )
    first.close()
    second = Session(shop_policy(), store=where)
    (due,) = second.due("2026-06-02T10:00:00Z")
    assert (due.intent, due.status) == ("concern_reply", Status.SCHEDULED)
    second.close()


def test_a_newer_schema_is_a_clear_error(tmp_path):
    path = tmp_path / "outreach.db"
    SqliteStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE outreach_rules_schema SET version = ?", (SCHEMA_VERSION + 1,))
        connection.commit()
    with pytest.raises(
        SchemaError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this library"
    ):
        SqliteStore(path)


def test_a_store_url_that_is_not_one(tmp_path):
    with pytest.raises(InputError, match="is not a store URL"):
        open_store("mysql://somewhere")
    with pytest.raises(StoreError, match="cannot be opened"):
        SqliteStore(tmp_path / "no-such-folder" / "outreach.db")


def _plans(connection: sqlite3.Connection, statements: list[str]) -> list[str]:
    return [
        detail
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT"))
        for *_, detail in connection.execute(f"EXPLAIN QUERY PLAN {sql}")
    ]


def test_posting_claiming_and_recording_never_read_a_whole_table(tmp_path):
    # Each of these touches one customer or one batch: a plan that reads a whole table (as
    # the event id lookup once did, missing its partial index) makes it slower with every
    # customer stored. The statements are traced with their values written in.
    session = Session(shop_policy(), store=f"sqlite:///{tmp_path / 'outreach.db'}")
    session.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    connection = session.store._connection()
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    session.post(
        ev("concern_raised", "2026-06-02T10:00:00Z", "q1", id="e1"), now="2026-06-02T10:00:00Z"
    )
    (claim,) = session.claim_due("2026-06-02T10:00:00Z")
    session.record_sent(claim.decision, at="2026-06-02T10:01:00Z")
    connection.set_trace_callback(None)
    plans = _plans(connection, statements)
    assert any("INDEX events_by_id" in detail for detail in plans)
    assert any("INDEX decisions_free" in detail for detail in plans)
    assert any("INDEX decisions_leased" in detail for detail in plans)
    tables = {"customers", "events", "decisions"}
    assert not [d for d in plans if d.startswith("SCAN ") and d.split()[1] in tables], plans
    session.close()


def test_a_store_from_an_earlier_release_gains_the_claim_indexes(tmp_path):
    path = tmp_path / "outreach.db"
    SqliteStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP INDEX decisions_free")
        connection.execute("DROP INDEX decisions_leased")
        connection.commit()
    SqliteStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        (version,) = connection.execute("SELECT version FROM outreach_rules_schema").fetchone()
    assert {"decisions_free", "decisions_leased"} <= names
    assert version == SCHEMA_VERSION
