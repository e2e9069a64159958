"""The value objects: what they refuse, how they say so, and what they accept.

Every refusal is an :class:`~outreach_rules.OutreachRulesError` that is also a
``ValueError``, of the right subclass (``TimeError`` for instants and zones,
``VocabularyError`` for unknown names, ``InputError`` for the rest), and its message
names the field and shows the bad value.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from outreach_rules import (
    Category,
    Channel,
    Clock,
    Contact,
    Customer,
    Decision,
    Duration,
    Effect,
    Event,
    FrozenClock,
    InputError,
    Intent,
    OutreachRulesError,
    Plan,
    Status,
    TimeError,
    TraceStep,
    Trigger,
    VocabularyError,
)
from outreach_rules._frozen import FrozenMap, thaw
from outreach_rules.explain import decision_record

from conftest import refused_with

UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NAIVE = dt.datetime(2026, 12, 10, 14, 0)
CHANNELS = ["email", "sms", "phone", "push", "post", "in_app"]
CATEGORIES = ["transactional", "service", "relationship", "marketing"]
STATUSES = ["scheduled", "waiting", "suppressed"]


def customer(**changes: Any) -> Customer:
    fields: dict[str, Any] = {
        "id": "c1",
        "timezone": "Europe/London",
        "country": "GB",
        "since": "2019-05-01T00:00:00Z",
        "channels": {"email": True, "sms": False, "phone": True},
        "consents": {"marketing": True},
        "attributes": {"tier": "gold"},
    }
    return Customer(**{**fields, **changes})


def event(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "kind": "order_placed",
        "at": "2026-12-10T14:00:00Z",
        "customer": "c1",
        "ref": "o1",
        "id": "e1",
        "data": {"gift": True},
    }
    return Event(**{**fields, **changes})


def contact(**changes: Any) -> Contact:
    fields: dict[str, Any] = {
        "intent": "review_request",
        "channel": "email",
        "at": "2026-12-27T09:00:00Z",
        "ref": "o1",
        "customer": "c1",
    }
    return Contact(**{**fields, **changes})


def intent(**changes: Any) -> Intent:
    fields: dict[str, Any] = {
        "name": "review_request",
        "category": "relationship",
        "channels": ["email", "sms"],
    }
    return Intent(**{**fields, **changes})


def step(**changes: Any) -> TraceStep:
    fields: dict[str, Any] = {
        "rule": "quiet-hours",
        "effect": "deferred",
        "why": "only 09:00-20:00",
        "before": "2026-12-27T00:00:00Z",
        "after": "2026-12-27T09:00:00Z",
    }
    return TraceStep(**{**fields, **changes})


def decision(**changes: Any) -> Decision:
    fields: dict[str, Any] = {
        "id": "d-1",
        "customer": "c1",
        "intent": "review_request",
        "category": "relationship",
        "ref": "o1",
        "status": "scheduled",
        "send_at": pendulum.datetime(2026, 12, 27, 9, tz="UTC"),
        "local_send_at": pendulum.datetime(2026, 12, 27, 9, tz="Europe/London"),
        "channel": "email",
        "trace": (step(),),
    }
    return Decision(**{**fields, **changes})


def trigger(**changes: Any) -> Trigger:
    fields: dict[str, Any] = {"id": "ask-for-review", "intent": "review_request", "on": "customer"}
    return Trigger(**{**fields, **changes})


def set_clock(at: Any) -> None:
    FrozenClock("2026-12-15T10:00:00Z").set(at)


Case = tuple[Callable[[], object], type[OutreachRulesError], str, object]

BAD_INPUT: dict[str, Case] = {
    # Customer
    "customer.since naive": (lambda: customer(since=NAIVE), TimeError, "since", NAIVE),
    "customer.since without offset": (
        lambda: customer(since="2019-05-01T00:00:00"),
        TimeError,
        "since",
        "2019-05-01T00:00:00",
    ),
    "customer.since garbage": (lambda: customer(since="last May"), TimeError, "since", "last May"),
    "customer.since a number": (lambda: customer(since=1556668800), TimeError, "since", 1556668800),
    "customer.since a date": (
        lambda: customer(since=dt.date(2019, 5, 1)),
        TimeError,
        "since",
        dt.date(2019, 5, 1),
    ),
    "customer.id an int": (lambda: customer(id=7), InputError, "id", 7),
    "customer.id None": (lambda: customer(id=None), InputError, "id", None),
    "customer.id empty": (lambda: customer(id=""), InputError, "id", ""),
    "customer.id blank": (lambda: customer(id="  "), InputError, "id", "  "),
    # Half a surrogate pair is no character: no UTF-8 output, or decision id, could hold it.
    "customer.id a lone surrogate": (lambda: customer(id="c\ud800"), InputError, "id", "c\ud800"),
    "customer.timezone misspelt": (
        lambda: customer(timezone="Europe/Londn"),
        TimeError,
        "timezone",
        "Europe/Londn",
    ),
    "customer.timezone an offset": (
        lambda: customer(timezone="+01:00"),
        TimeError,
        "timezone",
        "+01:00",
    ),
    "customer.timezone empty": (lambda: customer(timezone=""), TimeError, "timezone", ""),
    "customer.timezone None": (lambda: customer(timezone=None), TimeError, "timezone", None),
    "customer.country lower case": (lambda: customer(country="gb"), InputError, "country", "gb"),
    "customer.country alpha-3": (lambda: customer(country="GBR"), InputError, "country", "GBR"),
    "customer.country underscore": (
        lambda: customer(country="US_FL"),
        InputError,
        "country",
        "US_FL",
    ),
    "customer.country empty": (lambda: customer(country=""), InputError, "country", ""),
    "customer.country an int": (lambda: customer(country=826), InputError, "country", 826),
    "customer.channels flag a string": (
        lambda: customer(channels={"email": "yes"}),
        InputError,
        "channels.email",
        "yes",
    ),
    "customer.channels flag an int": (
        lambda: customer(channels={"sms": 1}),
        InputError,
        "channels.sms",
        1,
    ),
    "customer.channels flag None": (
        lambda: customer(channels={"phone": None}),
        InputError,
        "channels.phone",
        None,
    ),
    "customer.channels unknown key": (
        lambda: customer(channels={"emial": True}),
        VocabularyError,
        "channels",
        "emial",
    ),
    "customer.channels unknown in a list": (
        lambda: customer(channels=["email", "fax"]),
        VocabularyError,
        "channels",
        "fax",
    ),
    "customer.channels a string": (
        lambda: customer(channels="email"),
        InputError,
        "channels",
        "email",
    ),
    "customer.channels a bool": (lambda: customer(channels=True), InputError, "channels", True),
    "customer.consents unknown key": (
        lambda: customer(consents={"marketting": True}),
        VocabularyError,
        "consents",
        "marketting",
    ),
    "customer.consents flag a string": (
        lambda: customer(consents={"marketing": "yes"}),
        InputError,
        "consents.marketing",
        "yes",
    ),
    "customer.consents flag an int": (
        lambda: customer(consents={"sms": 0}),
        InputError,
        "consents.sms",
        0,
    ),
    "customer.consents a list": (
        lambda: customer(consents=["marketing"]),
        InputError,
        "consents",
        ["marketing"],
    ),
    "customer.attributes a list": (
        lambda: customer(attributes=[("tier", "gold")]),
        InputError,
        "attributes",
        [("tier", "gold")],
    ),
    "customer.attributes a string": (
        lambda: customer(attributes="gold"),
        InputError,
        "attributes",
        "gold",
    ),
    # Event
    "event.at naive": (lambda: event(at=NAIVE), TimeError, "at", NAIVE),
    "event.at naive pendulum": (
        lambda: event(at=pendulum.naive(2026, 12, 10, 14)),
        TimeError,
        "at",
        pendulum.naive(2026, 12, 10, 14),
    ),
    "event.at without offset": (
        lambda: event(at="2026-12-10T14:00:00"),
        TimeError,
        "at",
        "2026-12-10T14:00:00",
    ),
    "event.at a date only": (lambda: event(at="2026-12-10"), TimeError, "at", "2026-12-10"),
    "event.at garbage": (lambda: event(at="tomorrow"), TimeError, "at", "tomorrow"),
    # A typo in the year is caught where the event is made, not when a plan meets it.
    "event.at in the year 3026": (
        lambda: event(at="3026-12-10T14:00:00Z"),
        TimeError,
        "at",
        "3026-12-10T14:00:00Z",
    ),
    "customer.since in 1066": (
        lambda: customer(since="1066-10-14T09:00:00Z"),
        TimeError,
        "since",
        "1066-10-14T09:00:00Z",
    ),
    "event.at None": (lambda: event(at=None), TimeError, "at", None),
    "event.kind with spaces": (
        lambda: event(kind="order placed"),
        InputError,
        "kind",
        "order placed",
    ),
    "event.kind empty": (lambda: event(kind=""), InputError, "kind", ""),
    "event.ref a lone surrogate": (lambda: event(ref="o\udfff"), InputError, "ref", "o\udfff"),
    "contact.ref a lone surrogate": (
        lambda: contact(ref="\udc00"),
        InputError,
        "ref",
        "\udc00",
    ),
    "event.kind a digit first": (lambda: event(kind="1st_order"), InputError, "kind", "1st_order"),
    "event.kind an int": (lambda: event(kind=3), InputError, "kind", 3),
    "event.ref empty": (lambda: event(ref=""), InputError, "ref", ""),
    "event.ref an int": (lambda: event(ref=1001), InputError, "ref", 1001),
    "event.id an int": (lambda: event(id=17), InputError, "id", 17),
    "event.id empty": (lambda: event(id=""), InputError, "id", ""),
    "event.customer an int": (lambda: event(customer=1), InputError, "customer", 1),
    "event.customer blank": (lambda: event(customer=" "), InputError, "customer", " "),
    "event.data a list": (
        lambda: event(data=[("gift", True)]),
        InputError,
        "data",
        [("gift", True)],
    ),
    "event.data a string": (lambda: event(data="gift"), InputError, "data", "gift"),
    # Contact
    "contact.channel misspelt": (
        lambda: contact(channel="emial"),
        VocabularyError,
        "channel",
        "emial",
    ),
    "contact.channel None": (lambda: contact(channel=None), VocabularyError, "channel", None),
    "contact.intent empty": (lambda: contact(intent=""), InputError, "intent", ""),
    "contact.intent an int": (lambda: contact(intent=5), InputError, "intent", 5),
    "contact.at naive": (lambda: contact(at=NAIVE), TimeError, "at", NAIVE),
    "contact.at without offset": (
        lambda: contact(at="2026-12-27T09:00"),
        TimeError,
        "at",
        "2026-12-27T09:00",
    ),
    "contact.ref empty": (lambda: contact(ref=""), InputError, "ref", ""),
    "contact.customer an int": (lambda: contact(customer=1), InputError, "customer", 1),
    # Intent
    "intent.channels empty": (lambda: intent(channels=[]), InputError, "channels", []),
    "intent.channels a channel twice": (
        lambda: intent(channels=["email", "sms", "email"]),
        InputError,
        "channels",
        ["email", "sms", "email"],
    ),
    "intent.channels a string": (
        lambda: intent(channels="email"),
        InputError,
        "channels",
        "email",
    ),
    "intent.channels None": (lambda: intent(channels=None), InputError, "channels", None),
    "intent.channels unknown": (
        lambda: intent(channels=["email", "fax"]),
        VocabularyError,
        "channels",
        "fax",
    ),
    "intent.category unknown": (
        lambda: intent(category="relationshp"),
        VocabularyError,
        "category",
        "relationshp",
    ),
    "intent.category empty": (lambda: intent(category=""), VocabularyError, "category", ""),
    "intent.name with spaces": (
        lambda: intent(name="review request"),
        InputError,
        "name",
        "review request",
    ),
    "intent.priority a string": (lambda: intent(priority="high"), InputError, "priority", "high"),
    "intent.personal a string": (lambda: intent(personal="yes"), InputError, "personal", "yes"),
    # TraceStep
    "step.effect unknown": (lambda: step(effect="defered"), VocabularyError, "effect", "defered"),
    "step.before naive": (lambda: step(before=NAIVE), TimeError, "before", NAIVE),
    "step.after without offset": (
        lambda: step(after="2026-12-27T09:00:00"),
        TimeError,
        "after",
        "2026-12-27T09:00:00",
    ),
    # Decision
    "decision.status unknown": (
        lambda: decision(status="schedulde"),
        VocabularyError,
        "status",
        "schedulde",
    ),
    "decision.channel unknown": (
        lambda: decision(channel="emial"),
        VocabularyError,
        "channel",
        "emial",
    ),
    "decision.category unknown": (
        lambda: decision(category="markting"),
        VocabularyError,
        "category",
        "markting",
    ),
    "decision.send_at naive": (lambda: decision(send_at=NAIVE), TimeError, "send_at", NAIVE),
    "decision.local_send_at naive": (
        lambda: decision(local_send_at=NAIVE),
        TimeError,
        "local_send_at",
        NAIVE,
    ),
    "decision.expires without offset": (
        lambda: decision(expires="2027-01-25T14:00:00"),
        TimeError,
        "expires",
        "2027-01-25T14:00:00",
    ),
    # FrozenClock
    "clock naive": (lambda: FrozenClock(NAIVE), TimeError, "now", NAIVE),
    "clock without offset": (
        lambda: FrozenClock("2026-12-15T10:00:00"),
        TimeError,
        "now",
        "2026-12-15T10:00:00",
    ),
    "clock garbage": (lambda: FrozenClock("now"), TimeError, "now", "now"),
    "clock None": (lambda: FrozenClock(None), TimeError, "now", None),
    "clock.set naive": (lambda: set_clock(NAIVE), TimeError, "now", NAIVE),
    # Durations, as fields of the public rule objects
    "trigger.delay misspelt": (lambda: trigger(delay="3 dayz"), TimeError, "delay", "3 dayz"),
    "trigger.delay a number": (lambda: trigger(delay=3), TimeError, "delay", 3),
    "trigger.delay empty": (lambda: trigger(delay=""), TimeError, "delay", ""),
    "trigger.expires garbage": (lambda: trigger(expires="soon"), TimeError, "expires", "soon"),
    "trigger.every garbage": (lambda: trigger(every="monthly"), TimeError, "every", "monthly"),
}


@pytest.mark.parametrize(("build", "kind", "field", "value"), BAD_INPUT.values(), ids=BAD_INPUT)
def test_bad_input_is_refused_with_a_message_naming_field_and_value(
    build: Callable[[], object], kind: type[OutreachRulesError], field: str, value: object
) -> None:
    error = refused_with(kind, build)
    assert error.field == field
    assert error.value == value
    assert f"{field}={value!r}" in str(error)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: event(data={"note": "a\ud800"}), "data.note"),
        (lambda: event(data={"k\udfff": 1}), "data.k\\udfff"),
        (lambda: event(data={"items": [{"name": "ok"}, {"name": "\udc00"}]}), "data.items[1].name"),
        (lambda: customer(attributes={"tier": {"name": "\ud83d"}}), "attributes.tier.name"),
    ],
)
def test_a_lone_surrogate_in_data_or_attributes_is_refused_with_its_path(
    build: Callable[[], object], field: str
) -> None:
    # Data lines refuse it as they are read; the API must too, or a store's JSON fails later.
    with pytest.raises(InputError, match="lone surrogate") as raised:
        build()
    assert raised.value.field == field
    str(raised.value).encode("utf-8")


def test_whole_surrogate_pairs_in_data_are_characters() -> None:
    assert event(data={"note": "\U0001f381"}).data["note"] == "\U0001f381"


def test_an_unknown_zone_hints_at_what_a_zone_name_looks_like() -> None:
    with pytest.raises(TimeError, match="IANA time zone such as 'Europe/London'"):
        customer(timezone="Europe/Londn")


def test_a_naive_datetime_is_refused_with_a_hint_to_give_an_offset() -> None:
    with pytest.raises(TimeError) as raised:
        event(at=NAIVE)
    assert "never guesses" in str(raised.value)
    assert raised.value.hint is not None
    assert "offset" in raised.value.hint


# Vocabulary: unknown names suggest the closest valid one


def test_the_vocabularies_are_the_documented_names() -> None:
    assert [str(c) for c in Channel] == CHANNELS
    assert [str(c) for c in Category] == CATEGORIES
    assert [str(s) for s in Status] == STATUSES


SUGGESTIONS: dict[str, tuple[Callable[[], object], str]] = {
    "contact.channel": (lambda: contact(channel="emial"), "did you mean 'email'?"),
    "customer.channels key": (lambda: customer(channels={"emial": True}), "did you mean 'email'?"),
    "customer.channels list": (lambda: customer(channels=["sms", "phon"]), "did you mean 'phone'?"),
    "intent.channels": (lambda: intent(channels=["in-app"]), "did you mean 'in_app'?"),
    "decision.channel": (lambda: decision(channel="pots"), "did you mean 'post'?"),
    "intent.category": (lambda: intent(category="marketting"), "did you mean 'marketing'?"),
    "decision.category": (lambda: decision(category="servce"), "did you mean 'service'?"),
    "decision.status": (lambda: decision(status="suppresed"), "did you mean 'suppressed'?"),
    "consents category": (
        lambda: customer(consents={"marketting": True}),
        "did you mean 'marketing'?",
    ),
    "consents channel": (lambda: customer(consents={"emial": False}), "did you mean 'email'?"),
    "step.effect": (lambda: step(effect="defered"), "did you mean 'deferred'?"),
}


@pytest.mark.parametrize(("build", "expected"), SUGGESTIONS.values(), ids=SUGGESTIONS)
def test_an_unknown_name_suggests_the_closest_valid_one(
    build: Callable[[], object], expected: str
) -> None:
    with pytest.raises(VocabularyError) as raised:
        build()
    assert raised.value.hint == expected
    assert str(raised.value).endswith(f"({expected})")


def typos(name: str) -> list[str]:
    """Each single deletion and each swap of neighbours, that is not itself a valid name."""
    found = {name[:i] + name[i + 1 :] for i in range(len(name))}
    found |= {name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(len(name) - 1)}
    return sorted(found - {name, *CHANNELS, *CATEGORIES, *STATUSES})


VOCABULARY_FIELDS: list[tuple[str, Callable[[str], object]]] = [
    *((name, lambda typo: contact(channel=typo)) for name in CHANNELS),
    *((name, lambda typo: intent(category=typo)) for name in CATEGORIES),
    *((name, lambda typo: decision(status=typo)) for name in STATUSES),
]
TYPOS = [(name, typo, build) for name, build in VOCABULARY_FIELDS for typo in typos(name)]


@pytest.mark.parametrize(("name", "typo", "build"), TYPOS, ids=[t for _, t, _ in TYPOS])
def test_a_one_letter_slip_suggests_the_name_meant(
    name: str, typo: str, build: Callable[[str], object]
) -> None:
    with pytest.raises(VocabularyError) as raised:
        build(typo)
    assert raised.value.hint == f"did you mean {name!r}?"


def test_a_name_far_from_any_lists_them_all() -> None:
    with pytest.raises(VocabularyError) as raised:
        contact(channel="carrier pigeon")
    assert raised.value.hint == f"use one of {', '.join(CHANNELS)}"


@given(st.text().filter(lambda text: text not in CHANNELS))
@example("EMAIL")
@example("email ")
@example("Email")
@example("")
def test_any_string_that_is_not_a_channel_name_is_a_vocabulary_error(text: str) -> None:
    with pytest.raises(VocabularyError) as raised:
        contact(channel=text)
    error = raised.value
    assert (error.field, error.value) == ("channel", text)
    assert error.hint is not None
    suggested = error.hint.removeprefix("did you mean ").removesuffix("?")
    assert suggested.strip("'") in CHANNELS or error.hint == f"use one of {', '.join(CHANNELS)}"


@given(st.sampled_from(CHANNELS))
def test_any_channel_name_is_accepted_as_the_member(name: str) -> None:
    assert contact(channel=name).channel is Channel(name)
    assert intent(channels=[name]).channels == (Channel(name),)


# Instants: any offset, one instant, in UTC, to the whole second


def test_datetimes_in_any_offset_normalise_to_the_same_utc_instant() -> None:
    forms: list[Any] = [
        "2026-12-10T14:00:00Z",
        "2026-12-10T14:00:00+00:00",
        "2026-12-10T15:00:00+01:00",
        "2026-12-10T09:00:00-05:00",
        "2026-12-11T03:45:00+13:45",
        dt.datetime(2026, 12, 10, 14, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 10, 15, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        dt.datetime(2026, 12, 10, 19, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        pendulum.datetime(2026, 12, 10, 9, tz="America/New_York"),
        pendulum.datetime(2026, 12, 11, 1, tz="Australia/Sydney"),
    ]
    events = [event(at=form) for form in forms]
    assert all(e == events[0] for e in events)
    assert len({hash(e) for e in events}) == 1
    for e in events:
        assert isinstance(e.at, pendulum.DateTime)
        assert e.at.utcoffset() == dt.timedelta(0)
        assert (e.at.year, e.at.month, e.at.day, e.at.hour, e.at.minute) == (2026, 12, 10, 14, 0)


def test_a_pendulum_datetime_is_accepted_and_kept_as_its_instant() -> None:
    local = pendulum.datetime(2026, 3, 29, 2, 30, tz="Europe/Berlin")  # CEST begins at 02:00
    at = event(at=local).at
    assert at == local
    assert at.timezone_name == "UTC"


def test_z_is_accepted_as_utc() -> None:
    assert event(at="2026-12-10T14:00:00Z").at == pendulum.datetime(2026, 12, 10, 14, tz="UTC")
    assert customer(since="2019-05-01T00:00:00Z").since == pendulum.datetime(2019, 5, 1)


def test_instants_are_kept_to_the_whole_second_rounding_down() -> None:
    assert event(at="2026-12-10T14:00:00.999+00:00").at == pendulum.datetime(2026, 12, 10, 14)
    before_epoch = "1969-12-31T23:59:59.500000+00:00"
    assert customer(since=before_epoch).since == pendulum.datetime(1969, 12, 31, 23, 59, 59)


# Offsets in whole seconds, as in the IANA database (local mean times have seconds).
offsets = st.builds(
    dt.timezone,
    st.integers(-(23 * 3600 + 59 * 60), 23 * 3600 + 59 * 60).map(lambda s: dt.timedelta(seconds=s)),
)


@given(
    moment=st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 12, 30), timezones=offsets
    )
)
def test_any_aware_datetime_in_any_fixed_offset_becomes_its_instant(moment: dt.datetime) -> None:
    expected = (moment - UTC_EPOCH) // dt.timedelta(seconds=1)
    for accepted in (event(at=moment).at, contact(at=moment).at, FrozenClock(moment).now()):
        assert int(accepted.timestamp()) == expected
        assert accepted.utcoffset() == dt.timedelta(0)
    in_utc = moment.astimezone(dt.UTC)
    assert event(at=moment) == event(at=in_utc) == event(at=in_utc.isoformat())
    assert event(at=moment.isoformat()).at == event(at=moment).at


def test_an_offset_with_a_fraction_of_a_second_is_refused_not_rounded() -> None:
    # CPython's fromisoformat drops such a fraction, so text and datetime would disagree.
    odd = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(microseconds=1)))
    for value in (odd, odd.isoformat()):
        with pytest.raises(TimeError, match="fraction of a second"):
            event(at=value)


# Frozen, evolvable, hashable


def plan_of(*decisions: Decision) -> Plan:
    return Plan(customer=customer(), now=pendulum.datetime(2026, 12, 15, 10), decisions=decisions)


FROZEN: list[tuple[Callable[[], object], str, object]] = [
    (customer, "id", "c2"),
    (event, "at", pendulum.datetime(2027, 1, 1)),
    (contact, "channel", Channel.SMS),
    (intent, "priority", 1),
    (step, "why", "changed"),
    (decision, "status", Status.SUPPRESSED),
    (plan_of, "policy", "other"),
]


@pytest.mark.parametrize(("build", "field", "value"), FROZEN, ids=[f[0].__name__ for f in FROZEN])
def test_value_objects_refuse_assignment(
    build: Callable[[], object], field: str, value: object
) -> None:
    thing = build()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(thing, field, value)


def test_evolve_changes_a_field_and_converts_it() -> None:
    original = customer()
    moved = attrs.evolve(original, timezone="America/New_York", since="2020-01-01T00:00:00-05:00")
    assert moved.timezone == "America/New_York"
    assert moved.since == pendulum.datetime(2020, 1, 1, 5)
    assert (moved.id, moved.channels, moved.consents) == (
        original.id,
        original.channels,
        original.consents,
    )
    assert original.timezone == "Europe/London"
    assert attrs.evolve(original) == original


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda: attrs.evolve(customer(), timezone="Europe/Londn"), TimeError),
        (lambda: attrs.evolve(customer(), country="gb"), InputError),
        (lambda: attrs.evolve(customer(), channels={"emial": True}), VocabularyError),
        (lambda: attrs.evolve(event(), at=NAIVE), TimeError),
        (lambda: attrs.evolve(event(), kind="order placed"), InputError),
        (lambda: attrs.evolve(contact(), channel="fax"), VocabularyError),
        (lambda: attrs.evolve(intent(), channels=[]), InputError),
        (lambda: attrs.evolve(decision(), status="sent"), VocabularyError),
        (lambda: attrs.evolve(decision(), timezone="Australia/Sydny"), TimeError),
    ],
)
def test_evolve_validates_again(change: Callable[[], object], kind: type[Exception]) -> None:
    with pytest.raises(kind):
        change()


def write(container: Any, key: object, value: object) -> None:
    """Item assignment, as a caller holding the frozen data might try it."""
    container[key] = value


def test_nested_data_is_deep_frozen() -> None:
    data: dict[str, Any] = {"gift": True, "items": [{"sku": "A1", "tags": ["red"]}], "to": {}}
    e = event(data=data)
    assert isinstance(e.data, FrozenMap)
    assert e.data["items"] == ({"sku": "A1", "tags": ("red",)},)
    assert isinstance(e.data["items"], tuple)
    assert isinstance(e.data["items"][0], FrozenMap)
    assert isinstance(e.data["items"][0]["tags"], tuple)
    with pytest.raises(TypeError):
        write(e.data, "gift", False)
    with pytest.raises(TypeError):
        write(e.data["to"], "name", "Ann")
    with pytest.raises(TypeError):
        write(e.data["items"][0], "sku", "B2")
    with pytest.raises(TypeError):
        write(e.data["items"][0]["tags"], 0, "blue")
    assert not hasattr(e.data, "update")
    assert not hasattr(e.data["to"], "pop")


def test_changing_the_data_given_does_not_change_the_event() -> None:
    data: dict[str, Any] = {"items": [{"sku": "A1"}], "address": {"city": "Leeds"}}
    e = event(data=data)
    data["items"].append({"sku": "B2"})
    data["address"]["city"] = "York"
    data["new"] = 1
    assert thaw(e.data) == {"items": [{"sku": "A1"}], "address": {"city": "Leeds"}}


def test_customer_attributes_are_deep_frozen_too() -> None:
    c = customer(attributes={"preferred": {"channel": "sms"}, "segments": ["vip"]})
    assert c.attributes["segments"] == ("vip",)
    with pytest.raises(TypeError):
        write(c.attributes["preferred"], "channel", "email")


def test_frozen_data_equals_the_plain_data_it_came_from() -> None:
    assert event(data={"gift": True}).data == {"gift": True}
    assert event(data=None).data == {}
    assert event(data={"a": 1}) != event(data={"a": 2})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


def mutable_parts(value: object) -> list[object]:
    if isinstance(value, dict | list | set):
        return [value]
    if isinstance(value, FrozenMap):
        return [part for item in value.values() for part in mutable_parts(item)]
    if isinstance(value, tuple):
        return [part for item in value for part in mutable_parts(item)]
    return []


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_any_json_data_is_frozen_all_the_way_down_and_hashable(data: dict[str, Any]) -> None:
    e = event(data=data)
    assert mutable_parts(e.data) == []
    assert thaw(e.data) == data
    twin = event(data=data)
    assert e == twin
    assert hash(e) == hash(twin)
    assert len({e, twin}) == 1


def test_every_value_object_is_hashable_and_equal_objects_hash_alike() -> None:
    for build in (customer, event, contact, intent, step, decision, plan_of):
        assert hash(build()) == hash(build())
        assert len({build(), build()}) == 1


# Customer


@pytest.mark.parametrize(
    ("country", "code", "subdivision"),
    [("US-FL", "US", "FL"), ("GB", "GB", None), ("ES-CN", "ES", "CN"), ("GB-ENG", "GB", "ENG")],
)
def test_customer_country_code_and_subdivision(
    country: str, code: str, subdivision: str | None
) -> None:
    c = customer(country=country)
    assert (c.country_code, c.subdivision) == (code, subdivision)


def test_customer_channels_map_to_the_channels_available() -> None:
    c = customer(channels={"email": True, "sms": False, "phone": True})
    assert c.channels == frozenset({Channel.EMAIL, Channel.PHONE})
    assert customer(channels=["email", "phone"]) == c
    assert customer(channels=None).channels == frozenset()


def test_customer_consents_take_categories_and_channels() -> None:
    c = customer(consents={"marketing": True, "sms": False})
    assert c.consents == {"marketing": True, "sms": False}


def test_customer_zone_is_its_timezone() -> None:
    assert customer(timezone="America/New_York").zone.name == "America/New_York"


# Event, Contact, Intent, Decision, Plan


def test_an_event_may_be_a_broadcast_without_customer_ref_or_id() -> None:
    e = Event(kind="channel_down", at="2026-12-10T14:00:00Z", data={"channel": "web"})
    assert (e.customer, e.ref, e.id) == (None, None, None)
    assert e.epoch == 1_796_911_200


def test_contact_as_event_is_a_contact_sent_event() -> None:
    c = contact(channel="sms", at="2026-12-27T10:00:00+01:00")
    e = c.as_event()
    assert e == Event(
        kind="contact_sent",
        at="2026-12-27T09:00:00Z",
        customer="c1",
        ref="o1",
        data={"intent": "review_request", "channel": "sms"},
    )
    assert type(e.data["channel"]) is str


def test_intent_keeps_its_channels_in_order_as_members() -> None:
    i = intent(channels=("phone", "email", "sms"), category="service")
    assert i.channels == (Channel.PHONE, Channel.EMAIL, Channel.SMS)
    assert i.category is Category.SERVICE
    assert (i.priority, i.personal) == (100, False)


def test_decision_converts_names_and_instants() -> None:
    d = decision(
        channel="sms",
        category="service",
        status="waiting",
        send_at="2026-12-27T10:00:00+01:00",
        local_send_at=dt.datetime(2026, 12, 27, 9, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        expires="2027-01-25T14:00:00Z",
    )
    assert (d.channel, d.category, d.status) == (Channel.SMS, Category.SERVICE, Status.WAITING)
    assert d.send_at == pendulum.datetime(2026, 12, 27, 9)
    assert d.expires == pendulum.datetime(2027, 1, 25, 14)
    # The local send time keeps the customer's zone, for showing it.
    assert d.local_send_at is not None
    assert d.local_send_at.timezone_name == "Europe/London"
    assert "Sun 27 Dec 2026 09:00 Europe/London" in d.explain()


def test_trace_step_converts_names_and_instants() -> None:
    s = step(effect="chose_channel", before="2026-12-27T01:00:00+01:00", after=None)
    assert s.effect is Effect.CHOSE_CHANNEL
    assert s.before == pendulum.datetime(2026, 12, 27)
    assert s.after is None


def test_decision_why_of_equal_moves_is_the_first_in_the_trace() -> None:
    d = decision(trace=(step(why="first"), step(why="second")))
    assert d.why == "first"
    assert decision(trace=()).why == ""


def test_decision_carries_the_customers_zone_when_given() -> None:
    assert decision().timezone is None
    assert decision(timezone="Australia/Sydney").timezone == "Australia/Sydney"


def test_plan_finds_its_decisions() -> None:
    sent = decision()
    held = decision(id="d-2", intent="thank_you", ref="o2", status="waiting", send_at=None)
    p = plan_of(sent, held)
    assert list(p) == [sent, held]
    assert len(p) == 2
    assert p.decision("thank_you") is held
    assert p.decision("review_request", "o1") is sent
    assert p.decision("review_request", "o9") is None
    assert p.scheduled() == (sent,)


# FrozenClock


def test_frozen_clock_stands_still_until_told() -> None:
    clock = FrozenClock("2026-12-15T10:00:00+01:00")
    assert isinstance(clock, Clock)
    assert clock.now() == pendulum.datetime(2026, 12, 15, 9)
    assert clock.now().timezone_name == "UTC"
    assert clock.now() == clock.now()
    assert clock.advance(days=3, hours=2) == pendulum.datetime(2026, 12, 18, 11)
    assert clock.now() == pendulum.datetime(2026, 12, 18, 11)
    clock.set(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert clock.now() == pendulum.datetime(2027, 1, 1)
    assert repr(clock) == "FrozenClock('2027-01-01T00:00:00+00:00')"


def test_frozen_clock_keeps_its_time_when_set_badly() -> None:
    clock = FrozenClock("2026-12-15T10:00:00Z")
    with pytest.raises(TimeError):
        clock.set("2026-12-16T10:00:00")
    assert clock.now() == pendulum.datetime(2026, 12, 15, 10)


# Durations given to rule objects


def test_durations_given_as_text_become_durations() -> None:
    t = trigger(delay="3 days", expires="P30D", every="1 year")
    assert t.delay == Duration(days=3)
    assert t.expires == Duration(days=30)
    assert t.every == Duration(months=12)


# Regressions: each guards a bug found while writing these tests.


def test_trace_step_error_names_before_or_after_not_trace() -> None:
    # Both instants were converted under the one field name "trace".
    with pytest.raises(TimeError, match=r"^before=datetime\.datetime\("):
        step(before=NAIVE)
    with pytest.raises(TimeError, match=r"^after='2026-12-27T09:00:00': "):
        step(after="2026-12-27T09:00:00")


def test_trigger_every_error_names_every_not_expires() -> None:
    # ``every`` reused the converter of ``expires``, so its errors named the wrong field.
    with pytest.raises(TimeError, match=r"^every='monthly': is not a duration"):
        trigger(every="monthly")


def test_intent_priority_and_personal_of_the_wrong_type_raise_input_error_not_type_error() -> None:
    # attrs' instance_of raised a bare TypeError, outside the library's exception tree.
    with pytest.raises(InputError, match=r"^priority='high': must be an integer$"):
        intent(priority="high")
    with pytest.raises(InputError, match=r"^personal='yes': must be true or false$"):
        intent(personal="yes")


def test_decision_refuses_unknown_channel_and_category_names() -> None:
    # Decision converted only its status; "emial" went through to the output records.
    with pytest.raises(VocabularyError, match="did you mean 'email'"):
        decision(channel="emial")
    with pytest.raises(VocabularyError, match="did you mean 'marketing'"):
        decision(category="markting")


def test_decision_refuses_naive_instants_and_converts_iso_strings() -> None:
    # Decision took its instants as given: a naive datetime was kept (and rendered without
    # an offset), an ISO string was kept as a string (and decision_record() failed on it).
    with pytest.raises(TimeError):
        decision(send_at=NAIVE)
    rendered = decision_record(decision(send_at="2026-12-27T10:00:00+01:00"))
    assert rendered["send_at"] == "2026-12-27T09:00:00+00:00"


def test_decision_local_send_at_from_a_standard_datetime_can_be_explained() -> None:
    # A stdlib datetime was kept as is, and explain() failed calling pendulum's format().
    local = dt.datetime(2026, 6, 27, 9, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    d = decision(send_at="2026-06-27T08:00:00Z", local_send_at=local)
    assert d.explain().splitlines()[0] == (
        "review_request for o1: scheduled by email on Sat 27 Jun 2026 09:00 Europe/London "
        "(2026-06-27T08:00:00+00:00)"
    )
