"""The memory store's indexes answer as SQLite's queries do, for any run of writes.

MemoryStore keeps each customer's open decisions and the outbox in send order, so that a
post or a claim does not walk every decision; SQLite answers the same questions with
SQL. Random runs of writes, claims and reads must get the same answers from both.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from outreach_rules.stores import MemoryStore, Row, SqliteStore

STATUSES = ("scheduled", "scheduled", "waiting", "suppressed", "sent", "cancelled")


@st.composite
def rows(draw: st.DrawFn) -> Row:
    status = draw(st.sampled_from(STATUSES))
    send_at = draw(st.integers(0, 20)) * 10 if status != "waiting" else None
    return Row(
        id=draw(st.sampled_from("abcdefgh")),
        customer=draw(st.sampled_from(("c1", "c2", "c3"))),
        status=status,
        send_at=send_at,
        key=f"[{send_at}]",
        record={"n": draw(st.integers(0, 3))},
        version=draw(st.integers(1, 3)),
        leased_until=draw(st.none() | st.integers(0, 25).map(lambda t: t * 10)),
    )


# Often on the tens that rows are sent and leased at, where < and <= part ways.
instants = st.integers(0, 22).map(lambda t: t * 10) | st.integers(0, 220)
operations = st.one_of(
    st.tuples(st.just("put"), st.lists(rows(), max_size=4)),
    st.tuples(
        st.just("claim"), instants, st.integers(1, 4), st.integers(0, 4).map(lambda t: t * 10)
    ),
    st.tuples(st.just("due"), instants, st.none() | st.integers(0, 4)),
    st.tuples(st.just("rows"), st.sampled_from(("c1", "c2", "c3", "c4"))),
    st.tuples(st.just("ids")),
)


def apply(tx: Any, operation: tuple[Any, ...]) -> Any:
    kind, *args = operation
    if kind == "put":
        # A store holds one version of a decision, and a decision one customer.
        (batch,) = args
        owned = [row for row in batch if (tx.row(row.id) or row).customer == row.customer]
        tx.put_rows(list({row.id: row for row in owned}.values()))
        return None
    if kind == "claim":
        now, limit, lease = args
        return tx.claim(now, limit, now + lease)
    if kind == "due":
        return tx.due(*args)
    if kind == "rows":
        return tx.rows(*args)
    return tx.customer_ids()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(operations, min_size=1, max_size=4), max_size=12))
def test_memory_answers_as_sqlite_does(transactions: list[list[tuple[Any, ...]]]) -> None:
    memory, sqlite = MemoryStore(), SqliteStore(":memory:")
    try:
        for operations_of_one in transactions:
            # Within a transaction too: staged writes must show in its own reads.
            with memory.transaction() as mine, sqlite.transaction() as theirs:
                for operation in operations_of_one:
                    assert apply(mine, operation) == apply(theirs, operation), operation
        with memory.transaction() as mine, sqlite.transaction() as theirs:
            assert mine.due(10_000, None) == theirs.due(10_000, None)
            for customer in ("c1", "c2", "c3"):
                assert mine.rows(customer) == theirs.rows(customer)
    finally:
        sqlite.close()
