"""The durable-rules trigger engine: the policy's triggers as a Rete ruleset, one replay each.

``propose(policy, history, now)`` proposes exactly what the reference matcher
(``outreach_rules.engines.native``) proposes. The pattern matching of events (the
anchor, ``first_only``, ``requires``, ``unless``, a contact already sent, correlation by
``ref``) runs in durable-rules' C engine; what it has no words for stays in Python around
it: the ``when`` conditions (tested by the anchor's action), time arithmetic in the
customer's zone, and the occurrences of a recurring trigger. DESIGN.md, "Where
durable-rules fits", says why it is wrapped as it is.

The triggers compile to durable-rules' JSON rule definitions, ``i`` being a trigger's place
in the policy; every history event is a fact ``e``, the customer's start a fact ``c``:

* ``i.anchor``: an event of kind ``on`` (with ``first_only``, ``$not`` an earlier one), or
  the customer's start. Its action tests ``when`` and asserts a proposal fact ``p``.
* ``i.unless.k`` and ``i.unless_ref.k``, for each kind ``k`` in ``unless``: a proposal and
  an event of that kind at or after its anchor, with the anchor's ref when correlated: the
  proposal is retracted.
* ``i.sent``: a proposal and a ``contact_sent`` for its intent and ref at or after its
  anchor: retracted.
* ``i.requires`` and ``i.requires_ref``: a proposal still waiting and the first event of
  kind ``requires`` at or after its anchor (``$not`` one before it): the proposal is
  retracted and asserted again, ready, with that event's instant.
* a recurring trigger's occurrences are computed in Python and asserted as proposals;
  ``unless`` and ``sent`` retract them as any other.

A rule fires as soon as it matches and is never un-fired, so nothing is decided early:
proposals are asserted at once and retracted by what invalidates them, whatever the order
the facts come in (every test compares instants, not arrival), and only the proposals
still standing once the whole history is in are read back. Events go in time order, which
is what makes the ``$not`` tests ("no earlier event of that kind") sound.

Strings never reach the C engine: kinds and intents are numbered once per compiled
policy, refs once per replay, so every test is on integers and no escaping or string hash
can make two different values equal. Fact ids are short ASCII names; the host checks their
32-bit hashes before using them.
"""

from __future__ import annotations

import functools
import json
import platform
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from outreach_rules.engines._durable_program import Fact, Program, fnv1a32
from outreach_rules.engines.native import _last_at_or_before, _ref
from outreach_rules.errors import EngineError, EngineUnavailable
from outreach_rules.rules.conditions import Context, first_holds
from outreach_rules.rules.triggers import CUSTOMER, Proposal, Trigger, timed, waiting
from outreach_rules.timeline.instants import Duration
from outreach_rules.timeline.zone import date_of_wall

if TYPE_CHECKING:
    from outreach_rules.model import Event
    from outreach_rules.policy import Policy
    from outreach_rules.rules.history import History

__all__ = ["PROPERTIES", "Program", "Replay", "compile_triggers", "fnv1a32", "propose"]

CONTACT_SENT = "contact_sent"

PROPERTIES = ("t", "id", "sid", "z", "k", "r", "at", "o", "ci", "g", "cr", "l", "pr", "w", "ba")
"""Every property name a fact may have. durable-rules tells property names apart by their
32-bit hash (``fnv1a32``), so a test checks that these hash apart.

``t`` the fact's type (``e`` an event, ``c`` the customer's start, ``p`` a proposal),
``z`` always 1 (see ``_same_session``),
``k`` an event's kind, ``r`` its ref, ``at`` its instant, ``o`` its place in the history
(for a proposal: its anchor's, or the occurrence's number), ``ci`` a contact's intent;
``g`` a proposal's trigger, ``cr`` whether it correlates, ``l`` the ref it correlates by,
``pr`` its own ref, ``w`` whether it waits for ``requires``, ``ba`` the required event's
instant."""

Run = Callable[["Program", "Replay"], list[Fact]]


def propose(policy: Policy, history: History, now: int) -> list[Proposal]:
    """Every trigger's proposals for this history, one per intent and ref, as native's.

    Raises [`EngineUnavailable`][outreach_rules.EngineUnavailable] where durable-rules cannot be
    imported (Python 3.13+), and [`EngineError`][outreach_rules.EngineError] when durable-rules
    fails: a session or fact id whose 32-bit hash collides, an error it swallowed.
    """
    run = _runtime()
    if not policy.triggers:
        return []
    program = compile_triggers(policy.triggers)
    replay = Replay(program, policy, history, now)
    return replay.proposals(run(program, replay))


def _runtime() -> Run:
    try:
        # Imported only now, so that the library imports and works where durable-rules
        # does not (its C extension does not build on Python 3.13+).
        from outreach_rules.engines._durable_host import run  # noqa: PLC0415
    except ImportError as error:
        raise EngineUnavailable(
            f"cannot run here: durable-rules does not import ({error})",
            field="engine",
            value="durable",
            hint="durable-rules 2.0.28 runs on Python 3.11 and 3.12, and this is Python "
            f"{platform.python_version()}; install it there with 'pip install "
            "durable-rules==2.0.28', or use engine='native', which proposes the same",
        ) from error
    return run


# -- compiling ------------------------------------------------------------------------------


_Shape = tuple[str, str | None, tuple[str, ...], bool, bool, bool, str]


def compile_triggers(triggers: Sequence[Trigger]) -> Program:
    """The ruleset for ``triggers``. Only what durable-rules matches on counts, so policies
    that differ in conditions and times share one compiled program."""
    return _compile(tuple(_shape(trigger) for trigger in triggers))


def _shape(trigger: Trigger) -> _Shape:
    recurring = trigger.every is not None
    return (
        trigger.on,
        trigger.requires,
        tuple(sorted(set(trigger.unless))),
        trigger.correlate,
        trigger.first_only,
        recurring,
        trigger.intent,
    )


@functools.lru_cache(maxsize=256)
def _compile(shapes: tuple[_Shape, ...]) -> Program:
    named = {CONTACT_SENT}
    for on, requires, unless, *_ in shapes:
        named.update(unless)
        if on != CUSTOMER:
            named.add(on)
        if requires is not None:
            named.add(requires)
    kinds = {kind: number for number, kind in enumerate(sorted(named), start=1)}
    intents = {
        intent: number for number, intent in enumerate(sorted({s[-1] for s in shapes}), start=1)
    }
    rules: dict[str, Any] = {"open": {"all": [{"c": {"t": "c"}}], "run": "open"}}
    for index, shape in enumerate(shapes):
        rules.update(_rules(index, shape, kinds, intents))
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"))
    return Program(text=text, kinds=kinds, intents=intents)


def _rules(
    index: int, shape: _Shape, kinds: Mapping[str, int], intents: Mapping[str, int]
) -> dict[str, Any]:
    on, requires, unless, correlate, first_only, recurring, intent = shape
    i = index
    rules: dict[str, Any] = {}
    # Anchored at an event (not at the customer's start, nor at an occurrence): only then
    # can a proposal correlate by ref.
    on_event = on != CUSTOMER and not recurring
    if not recurring:
        rules[f"{i}.anchor"] = {"all": _anchor(i, on, first_only, kinds), "run": f"anchor:{i}"}
    variants = [("", 0)] + ([("_ref", 1)] if on_event and correlate else [])
    # One rule per kind in unless: durable-rules 2.0.28 drops the other tests of a term
    # whose kinds are given as {"$or": [...]} (the ref test among them).
    for code in sorted(kinds[k] for k in unless):
        for suffix, correlating in variants:
            p, u = f"pu{suffix}{i}k{code}", f"u{suffix}{i}k{code}"
            rules[f"{i}.unless{suffix}.{code}"] = {
                "all": [
                    {p: _proposal(i, correlating=correlating)},
                    {u: _event({"k": code}, p, correlating)},
                ],
                "run": f"retract:{p}",
            }
    p, s = f"ps{i}", f"s{i}"
    contact = [{"k": kinds[CONTACT_SENT]}, {"ci": intents[intent]}, {"r": {p: "pr"}}]
    sent = [{"t": "e"}, *contact, _at_or_after(p), _same_session(p)]
    rules[f"{i}.sent"] = {
        "all": [{p: _proposal(i)}, {s: {"$and": sent}}],
        "run": f"retract:{p}",
    }
    if requires is not None and not recurring:
        kind = {"k": kinds[requires]}
        for suffix, correlating in variants:
            p, q, x = f"pq{suffix}{i}", f"q{suffix}{i}", f"x{suffix}{i}"
            found = _event(kind, p, correlating)
            earlier = {"$and": [*found["$and"][:-1], {"$lt": {"o": {q: "o"}}}, _same_session(q)]}
            rules[f"{i}.requires{suffix}"] = {
                "all": [
                    {p: _proposal(i, correlating=correlating, waiting=True)},
                    {q: found},
                    {f"{x}$not": earlier},
                ],
                "run": f"require:{p}:{q}",
            }
    return rules


def _anchor(i: int, on: str, first_only: bool, kinds: Mapping[str, int]) -> list[Any]:
    a = f"a{i}"
    if on == CUSTOMER:
        return [{a: {"t": "c"}}]
    kind = {"k": kinds[on]}
    terms: list[Any] = [{a: {"$and": [{"t": "e"}, kind]}}]
    if first_only:
        earlier = {"$and": [{"t": "e"}, kind, {"$lt": {"o": {a: "o"}}}, _same_session(a)]}
        terms.append({f"n{i}$not": earlier})
    return terms


def _proposal(i: int, *, correlating: int | None = None, waiting: bool = False) -> Any:
    tests: list[Any] = [{"t": "p"}, {"g": i}]
    if correlating is not None:
        tests.append({"cr": correlating})
    if waiting:
        tests.append({"w": 1})
    return {"$and": tests}


def _event(kind: Any, p: str, correlating: int) -> dict[str, Any]:
    tests: list[Any] = [{"t": "e"}, kind]
    if correlating:
        tests.append({"r": {p: "l"}})
    tests += [_at_or_after(p), _same_session(p)]
    return {"$and": tests}


def _at_or_after(p: str) -> Any:
    return {"$gte": {"at": {p: "at"}}}


def _same_session(term: str) -> Any:
    # Always true (every fact has z = 1). durable-rules 2.0.28 reads past the end of a
    # join's tests when the last one is an order test ($lt, $gte) that fails, and past the
    # end of a string in an equality test of strings; either sometimes crashes the process
    # (valgrind shows them on every such rule): an equality test of integers comes last.
    return {"z": {term: "z"}}


# -- one customer's replay ------------------------------------------------------------------


class Replay:
    """One customer's history as facts, what the rules' actions assert, and what is read.

    The host (``_durable_host``) feeds ``opening`` to durable-rules in order, calls
    ``anchored`` and ``ready`` from the actions, and hands the proposal facts still
    standing at the end to ``proposals``.
    """

    def __init__(self, program: Program, policy: Policy, history: History, now: int) -> None:
        self.program = program
        self.triggers = policy.triggers
        self.history = history
        self.now = now
        self._refs: dict[str | None, int] = {None: 0}
        self._occurrences: dict[tuple[int, int], str] = {}

    def _code(self, ref: str | None) -> int:
        return self._refs.setdefault(ref, len(self._refs))

    def opening(self) -> Iterator[Fact]:
        """The customer's start, the recurring triggers' occurrences, then the events that a
        rule names, in time order."""
        history = self.history
        yield {"t": "c", "id": "c", "z": 1, "at": history.since, "o": -1}
        for index, trigger in enumerate(self.triggers):
            if trigger.every is None:
                continue
            for k, at, ref in _occurrences(trigger, trigger.every, history, self.now):
                self._occurrences[index, k] = ref
                yield {
                    "t": "p",
                    "id": f"p{index}.k{k}",
                    "z": 1,
                    "g": index,
                    "at": at,
                    "o": k,
                    "cr": 0,
                    "l": 0,
                    "pr": self._code(ref),
                    "w": 0,
                }
        kinds, intents = self.program.kinds, self.program.intents
        contact = kinds[CONTACT_SENT]
        for o, (at, event) in enumerate(zip(history.times, history.events, strict=True)):
            kind = kinds.get(event.kind)
            if kind is None:
                continue  # no rule names it
            fact = {"t": "e", "id": f"e{o}", "z": 1, "k": kind, "r": self._code(event.ref)}
            fact.update(at=at, o=o)
            if kind == contact:
                # As History reads a contact: an intent that is not text is no intent.
                intent = event.data.get("intent")
                fact["ci"] = intents.get(intent if isinstance(intent, str) else "", -1)
            yield fact

    def anchored(self, index: int, anchor: Fact) -> Fact | None:
        """The proposal that trigger ``index`` grows from ``anchor``, if its conditions hold."""
        trigger = self.triggers[index]
        history = self.history
        o = int(anchor["o"])
        event = history.events[o] if o >= 0 else None
        at = history.times[o] if o >= 0 else history.since
        context = Context(history.customer, history, at, event)
        if not all(condition.holds(context) for condition in trigger.when):
            return None
        correlating = event is not None and event.ref is not None and trigger.correlate
        link = self._code(event.ref) if correlating and event is not None else 0
        return {
            "t": "p",
            "id": f"p{index}.{o}",
            "z": 1,
            "g": index,
            "at": at,
            "o": o,
            "cr": int(correlating),
            "l": link,
            "pr": self._code(_ref(event)),
            "w": int(trigger.requires is not None),
        }

    def ready(self, waiting: Fact, required: Fact) -> Fact:
        """The waiting proposal again, ready, measured from the required event's instant."""
        fact = {key: value for key, value in waiting.items() if key != "sid"}
        fact.update(id=f"r{waiting['g']}.{waiting['o']}", w=0, ba=int(required["at"]))
        return fact

    def proposals(self, facts: Sequence[Fact]) -> list[Proposal]:
        """The proposals still standing, in trigger and anchor order, one per intent and
        ref: one that can be placed beats one that waits, then the earliest anchor, then
        the trigger declared first (as native's)."""
        standing: dict[tuple[int, int], Fact] = {}
        for fact in facts:
            if fact.get("t") != "p":
                continue
            place = (int(fact["g"]), int(fact["o"]))
            if place in standing:
                raise EngineError(
                    "durable-rules kept two proposals for one anchor",
                    field="trigger",
                    value=self.triggers[place[0]].id,
                    hint="this is a bug in the durable engine; engine='native' is not affected",
                )
            standing[place] = fact
        kept: dict[tuple[str, str | None], tuple[tuple[bool, int, int], Proposal]] = {}
        for (order, o), fact in sorted(standing.items(), key=lambda item: item[0]):
            proposal = self._proposal(self.triggers[order], order, o, fact)
            key = (proposal.intent, proposal.ref)
            rank = (proposal.earliest is None, proposal.anchor_at, order)
            if key not in kept or rank < kept[key][0]:
                kept[key] = (rank, proposal)
        return [proposal for _, proposal in kept.values()]

    def _proposal(self, trigger: Trigger, index: int, o: int, fact: Fact) -> Proposal:
        history = self.history
        zone = history.customer.zone
        if trigger.every is not None:
            at = int(fact["at"])
            occurrence = f"occurrence {o + 1}"
            return timed(
                trigger,
                ref=self._occurrences[index, o],
                anchor=None,
                anchor_at=at,
                basis=occurrence,
                basis_at=at,
                zone=zone,
            )
        event: Event | None = history.events[o] if o >= 0 else None
        at = history.times[o] if o >= 0 else history.since
        ref = _ref(event)
        if fact["w"]:
            return waiting(trigger, ref=ref, anchor=event, anchor_at=at)
        basis, basis_at = trigger.on, at
        if trigger.requires is not None:
            basis, basis_at = trigger.requires, int(fact["ba"])
        return timed(
            trigger, ref=ref, anchor=event, anchor_at=at, basis=basis, basis_at=basis_at, zone=zone
        )


def _occurrences(
    trigger: Trigger, every: Duration, history: History, now: int
) -> list[tuple[int, int, str]]:
    """A recurring trigger's occurrences worth a decision at ``now``: the latest one begun
    and the next one if it begins within a period; each with its number and its ref, the
    local date it begins on."""
    customer = history.customer
    starts = [first_holds(condition, customer, history) for condition in trigger.when]
    if any(start is None for start in starts):
        return []
    start = max([history.since, *(s for s in starts if s is not None)])
    zone = customer.zone

    def occurrence(k: int) -> int:
        scaled = Duration(months=every.months * k, days=every.days * k, seconds=every.seconds * k)
        return scaled.add_to(start, zone)

    current = _last_at_or_before(occurrence, now)
    horizon = every.add_to(now, zone)
    found = []
    for k in (current, current + 1):
        if k < 0:
            continue
        at = occurrence(k)
        if at <= horizon:
            found.append((k, at, date_of_wall(zone.to_wall(at)).isoformat()))
    return found
