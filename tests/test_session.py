"""The streaming session: what each posted event adds, reschedules and cancels."""

from __future__ import annotations

import pendulum
import pytest

from outreach_rules import Contact, Customer, Event, InputError, Policy, Status
from outreach_rules.session import Changes, Session

from conftest import shop_policy

LONDON = Customer(
    id="c1",
    timezone="Europe/London",
    country="GB",
    since="2019-05-01T00:00:00Z",
    channels={"email": True, "phone": True},
)


def ev(
    kind: str, at: str, ref: str | None = None, customer: str | None = "c1", **data: object
) -> Event:
    return Event(kind=kind, at=at, ref=ref, customer=customer, data=data)


def names(decisions: tuple[object, ...]) -> list[tuple[str, str | None]]:
    return [(d.intent, d.ref) for d in decisions]  # type: ignore[attr-defined]


@pytest.fixture
def session() -> Session:
    started = Session(shop_policy())
    started.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    return started


def test_a_delivery_adds_the_review_request(session):
    session.post(ev("order_placed", "2026-06-01T10:00:00Z", "o1"), now="2026-06-01T10:00:00Z")
    changes = session.post(
        ev("order_delivered", "2026-06-03T10:00:00Z", "o1"), now="2026-06-03T10:00:00Z"
    )
    assert ("review_request", "o1") in names(changes.rescheduled)
    review = session.plan_of("c1", now="2026-06-03T10:00:00Z").decision("review_request", "o1")
    assert review is not None
    assert review.status is Status.SCHEDULED


def test_a_later_review_cancels_the_pending_review_request(session):
    session.post(ev("order_placed", "2026-06-01T10:00:00Z", "o1"), now="2026-06-01T10:00:00Z")
    session.post(ev("order_delivered", "2026-06-03T10:00:00Z", "o1"), now="2026-06-03T10:00:00Z")
    changes = session.post(
        ev("review_submitted", "2026-06-04T10:00:00Z", "o1"), now="2026-06-04T10:00:00Z"
    )
    assert names(changes.cancelled) == [("review_request", "o1")]
    assert changes.added == ()
    assert session.plan_of("c1", now="2026-06-04T10:00:00Z").decision("review_request") is None


def test_an_incident_adds_the_apology_call(session):
    changes = session.post(
        ev("incident_caused", "2026-06-02T09:00:00Z", "i1"), now="2026-06-02T09:00:00Z"
    )
    (call,) = changes.added
    assert (call.intent, call.ref, str(call.channel)) == ("apology_call", "i1", "phone")
    assert call.local_send_at == pendulum.datetime(2026, 6, 2, 10, tz="Europe/London")


def test_a_complaint_resolved_releases_what_it_held_back(session):
    session.post(ev("order_placed", "2026-06-01T10:00:00Z", "o1"), now="2026-06-01T10:00:00Z")
    session.post(ev("complaint_opened", "2026-06-02T10:00:00Z", "k1"), now="2026-06-02T10:00:00Z")
    held = session.post(
        ev("order_delivered", "2026-06-03T10:00:00Z", "o1"), now="2026-06-03T10:00:00Z"
    )
    review = next(d for d in held.rescheduled if d.intent == "review_request")
    assert review.status is Status.WAITING
    released = session.post(
        ev("complaint_resolved", "2026-06-08T10:00:00Z", "k1"), now="2026-06-08T10:00:00Z"
    )
    review = next(d for d in released.rescheduled if d.intent == "review_request")
    assert review.status is Status.SCHEDULED
    assert review.send_at == pendulum.datetime(2026, 6, 8, 10, tz="UTC")


def test_a_cap_that_frees_up_reschedules_the_next_decision():
    session = Session(shop_policy(cap=1))
    session.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    for ref, hour in (("o1", 10), ("o2", 11)):
        session.post(
            ev("order_placed", f"2026-06-01T{hour}:00:00Z", ref), now="2026-06-01T12:00:00Z"
        )
        session.post(
            ev("order_delivered", f"2026-06-03T{hour}:00:00Z", ref), now="2026-06-03T12:00:00Z"
        )
    second = session.plan_of("c1", now="2026-06-03T12:00:00Z").decision("review_request", "o2")
    assert second is not None
    assert second.send_at == pendulum.datetime(2026, 6, 13, 10, tz="UTC")
    # The first order is reviewed before its request goes out: the cap frees up.
    changes = session.post(
        ev("review_submitted", "2026-06-04T09:00:00Z", "o1"), now="2026-06-04T09:00:00Z"
    )
    assert names(changes.cancelled) == [("review_request", "o1")]
    (moved,) = [d for d in changes.rescheduled if d.intent == "review_request"]
    assert moved.ref == "o2"
    assert moved.send_at == pendulum.datetime(2026, 6, 6, 11, tz="UTC")


def test_due_hands_out_what_is_due_and_record_sent_takes_it_off(session):
    session.post(ev("concern_raised", "2026-06-02T10:00:00Z", "q1"), now="2026-06-02T10:00:00Z")
    assert session.due("2026-06-02T09:59:00Z") == []
    (due,) = session.due("2026-06-02T10:00:00Z")
    assert (due.intent, due.ref) == ("concern_reply", "q1")
    changes = session.record_sent(due, at="2026-06-02T10:01:00Z")
    assert due.id not in {d.id for d in changes.cancelled}
    assert session.due("2026-06-02T12:00:00Z") == []


def test_a_sent_contact_counts_against_the_cap():
    session = Session(shop_policy(cap=1))
    session.add_customer(LONDON, now="2026-06-01T00:00:00Z")
    session.post(ev("order_placed", "2026-06-01T10:00:00Z", "o1"), now="2026-06-01T10:00:00Z")
    session.post(ev("order_delivered", "2026-06-03T10:00:00Z", "o1"), now="2026-06-03T10:00:00Z")
    (review,) = [d for d in session.due("2026-06-06T12:00:00Z") if d.intent == "review_request"]
    session.record_sent(review, at="2026-06-06T12:00:00Z")
    session.post(ev("order_placed", "2026-06-07T10:00:00Z", "o2"), now="2026-06-07T10:00:00Z")
    changes = session.post(
        ev("order_delivered", "2026-06-08T10:00:00Z", "o2"), now="2026-06-08T10:00:00Z"
    )
    (second,) = [d for d in changes.rescheduled if d.intent == "review_request"]
    assert second.send_at == pendulum.datetime(2026, 6, 13, 12, tz="UTC")


def test_a_due_decision_is_not_rescheduled_just_because_time_passes(session):
    session.post(ev("concern_raised", "2026-06-02T10:00:00Z", "q1"), now="2026-06-02T10:00:00Z")
    changes = session.post(
        ev("order_placed", "2026-06-02T15:00:00Z", "o1"), now="2026-06-02T15:00:00Z"
    )
    assert "concern_reply" not in [d.intent for d in changes.rescheduled]


def test_an_event_delivered_twice_changes_nothing_the_second_time(session):
    event = Event(
        kind="incident_caused", at="2026-06-02T09:00:00Z", ref="i1", customer="c1", id="e1"
    )
    assert session.post(event, now="2026-06-02T09:00:00Z")
    assert session.post(event, now="2026-06-02T09:00:00Z") == Changes()


NOW = "2026-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("call", "field", "says"),
    [
        (lambda s: Session("default"), "policy", "must be a Policy, not str"),
        (lambda s: Session(shop_policy(), max_customers="10"), "max_customers", "whole number"),
        (lambda s: Session(shop_policy(), engine="rete"), "engine", "not a trigger engine"),
        (lambda s: s.add_customer({"id": "c2"}, now=NOW), "customer", "must be a Customer"),
        (lambda s: s.add_customer(LONDON, None, now=NOW), "history", "not NoneType"),
        (lambda s: s.due(NOW, limit="3"), "limit", "whole number, at least 0"),
        (lambda s: s.claim_due(NOW, limit=0), "limit", "whole number, at least 1"),
        (lambda s: s.claim_due(NOW, limit=2.5), "limit", "whole number, at least 1"),
    ],
)
def test_arguments_of_the_wrong_kind_are_refused_naming_which(session, call, field, says):
    # Each used to end in a bare AttributeError, TypeError or ValueError, or not at all.
    with pytest.raises(InputError, match=says) as raised:
        call(session)
    assert raised.value.field == field


def test_the_same_id_with_different_content_is_refused(session):
    first = Event(
        kind="incident_caused", at="2026-06-02T09:00:00Z", ref="i1", customer="c1", id="e1"
    )
    session.post(first, now="2026-06-02T09:00:00Z")
    with pytest.raises(InputError, match="id='e1'"):
        session.post(
            Event(
                kind="incident_caused", at="2026-06-02T10:00:00Z", ref="i1", customer="c1", id="e1"
            ),
            now="2026-06-02T10:00:00Z",
        )


def test_a_broadcast_reaches_every_customer():
    session = Session(Policy.default())
    for cid in ("c1", "c2"):
        session.add_customer(
            Customer(
                id=cid,
                timezone="Europe/Paris",
                country="FR",
                since="2026-01-01T00:00:00Z",
                channels={"email": True},
            ),
            now="2026-06-01T00:00:00Z",
        )
    down = Event(
        kind="channel_down", at="2026-06-02T09:00:00Z", ref="web-1", data={"channel": "web"}
    )
    changes = session.post(down, now="2026-06-02T09:00:00Z")
    notices = [d for d in changes.added if d.intent == "outage_notice"]
    assert sorted(d.customer for d in notices) == ["c1", "c2"]


def test_an_unknown_customer_without_a_loader_is_a_clear_error(session):
    with pytest.raises(InputError, match=r"customer='c9': is not a customer of this session"):
        session.post(
            ev("order_placed", "2026-06-01T10:00:00Z", "o1", customer="c9"),
            now="2026-06-01T10:00:00Z",
        )


def test_memory_is_bounded_and_evicted_customers_come_back_through_the_loader():
    stored: dict[str, tuple[Customer, list[Event]]] = {}
    loads: list[str] = []

    def loader(customer_id: str) -> tuple[Customer, list[Event]]:
        loads.append(customer_id)
        return stored[customer_id]

    session = Session(shop_policy(), history_loader=loader, max_customers=2)
    for number in range(5):
        cid = f"c{number}"
        customer = Customer(
            id=cid,
            timezone="Europe/London",
            country="GB",
            since="2019-05-01T00:00:00Z",
            channels={"email": True},
        )
        concern = ev("concern_raised", "2026-06-02T10:00:00Z", f"q{number}", customer=cid)
        stored[cid] = (customer, [concern])
        session.add_customer(customer, [concern], now="2026-06-02T09:00:00Z")
    assert len(session.store.customers) == 2
    # Every customer's reply is due, evicted or not: their decisions stay in the store.
    due = session.due("2026-06-02T10:00:00Z")
    assert sorted(d.customer for d in due) == ["c0", "c1", "c2", "c3", "c4"]
    assert loads == []
    # Sending one to an evicted customer brings their history back through the loader.
    first = next(d for d in due if d.customer == "c0")
    session.record_sent(first, at="2026-06-02T10:05:00Z")
    assert loads == ["c0"]
    assert len(session.store.customers) == 2
    assert "c0" not in {d.customer for d in session.due("2026-06-02T11:00:00Z")}


def test_contacts_in_the_history_are_taken_as_sent(session):
    session.post(ev("incident_caused", "2026-06-02T09:00:00Z", "i1"), now="2026-06-02T09:00:00Z")
    sent = Contact(
        intent="apology_call", channel="phone", at="2026-06-02T10:00:00Z", ref="i1", customer="c1"
    )
    changes = session.post(sent, now="2026-06-02T10:05:00Z")
    assert names(changes.cancelled) == [("apology_call", "i1")]


def test_decisions_read_back_keep_the_customers_zone():
    session = Session(shop_policy())
    paris = Customer(
        id="p1",
        timezone="Europe/Paris",
        country="FR",
        since="2019-05-01T00:00:00Z",
        channels={"email": True},
    )
    session.add_customer(paris, now="2026-06-01T00:00:00Z")
    session.post(
        Event(kind="concern_raised", at="2026-06-02T10:00:00Z", ref="q1", customer="p1"),
        now="2026-06-02T10:00:00Z",
    )
    (due,) = session.due("2026-06-02T10:00:00Z")
    assert due.local_send_at is not None
    assert due.local_send_at.timezone_name == "Europe/Paris"
    assert due == session.plan_of("p1", now="2026-06-02T10:00:00Z").decision("concern_reply")
    assert "Europe/Paris" in due.explain()
