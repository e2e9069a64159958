"""The library's own durable-rules host: where a customer's replay runs.

Imported only when ``engine="durable"`` is asked for (``outreach_rules.engines.durable``),
since durable-rules' C extension does not import everywhere. What this module guards
against, each measured on durable-rules 2.0.28:

* Ruleset names are global to a host, and ``durable.lang``'s shared host starts dispatch
  and timer threads: this host is private, starts no thread, and every call into it holds
  one lock. Actions run inside the call that caused them.
* A session's state lives in C memory (at most 1,024 live sessions per ruleset) under the
  32-bit FNV-1a hash of its id: each replay opens its own session, and deletes it at the
  end. A new session id whose hash is that of a live one is refused, never merged.
* Facts are known by the 32-bit FNV-1a hash of their id within a session, and a second
  fact with the same hash is dropped as "already observed": every id is checked first.
* ``delete_state`` on a session in which no action ran crashes the process: every session
  opens with the customer's start fact, which the ``open`` rule always answers.
* An exception in an action is swallowed into the session's state: this host keeps the
  exception itself and raises it once durable-rules hands control back, and raises
  anything else it finds in the state at the end.
* A fact that no rule can match raises ``MessageNotHandledException`` and is not kept:
  that is no error, since no rule can ever want it.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import durable_rules_engine
from durable import engine as durable_engine

from outreach_rules.engines._durable_program import Fact, Program, Replaying, fnv1a32
from outreach_rules.errors import EngineError

__all__ = ["run"]

# How many compiled policies stay registered; the least recently used beyond are deleted.
MAX_RULESETS = 32

_LOCK = threading.RLock()


def run(program: Program, replay: Replaying) -> list[Fact]:
    """Replay one customer on ``program``; the proposal facts still standing at the end."""
    with _LOCK:
        return _host().replay(program, replay)


_hosts: list[_Host] = []


def _host() -> _Host:
    # Called with the lock held.
    if not _hosts:
        _hosts.append(_Host())
    return _hosts[0]


class _Session:
    """One replay's session: its id, the fact ids it used, and what went wrong in it."""

    def __init__(self, ruleset: str, sid: str, replay: Replaying) -> None:
        self.ruleset = ruleset
        self.sid = sid
        self.replay = replay
        self.ids: dict[int, str] = {}
        self.error: BaseException | None = None
        self.opened = False
        self.foreign = False
        # durable-rules keeps the session's state as a fact of this id.
        self.claim(f"sid-{sid}")

    def claim(self, fact_id: str) -> None:
        """Take ``fact_id`` for a fact of this session, unless its hash is taken."""
        value = fnv1a32(fact_id)
        taken = self.ids.setdefault(value, fact_id)
        if taken != fact_id:
            raise EngineError(
                f"fact ids {taken!r} and {fact_id!r} of session {self.sid!r} have the same "
                f"32-bit hash ({value:#010x}); durable-rules would take the second for the first",
                field="id",
                value=fact_id,
                hint="this is a limit of durable-rules; engine='native' has none",
            )

    def record(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def check(self) -> None:
        """Raise what went wrong in an action, now that durable-rules has handed back."""
        if self.error is not None:
            raise self.error


if TYPE_CHECKING:
    _HostBase = Any
else:
    _HostBase = durable_engine.Host


class _Host(_HostBase):  # type: ignore[misc]  # durable-rules has no type hints
    """A durable-rules host of the library's own: no threads, actions by name, one replay
    at a time (the module's lock)."""

    def __init__(self) -> None:
        self._programs: OrderedDict[str, str] = OrderedDict()
        self._ruleset_numbers = itertools.count(1)
        self._session_numbers = itertools.count(1)
        self._live: dict[int, str] = {}
        self._current: _Session | None = None
        super().__init__()

    def _run(self) -> None:
        """Start nothing: durable.engine.Host would start its dispatch and timer threads."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        """The function for an action name of a compiled program, such as ``anchor:3``."""
        verb, *terms = action_name.split(":")
        handlers: dict[str, Callable[..., None]] = {
            "open": self._open,
            "anchor": self._anchor,
            "retract": self._retract,
            "require": self._require,
        }
        if verb not in handlers:
            raise EngineError("is not an action of a compiled program", value=action_name)
        handler = handlers[verb]

        def action(c: Any) -> None:
            session = self._current
            if session is None:
                raise EngineError("durable-rules ran an action outside a replay")
            try:
                handler(session, c, *terms)
            except BaseException as error:
                session.record(error)
                raise

        return action

    # -- a replay ---------------------------------------------------------------------------

    def replay(self, program: Program, replay: Replaying) -> list[Fact]:
        if self._current is not None:
            raise EngineError(
                "a replay started inside another one",
                hint="a condition of a trigger must not plan with engine='durable'",
            )
        session = _Session(self._ruleset(program), self._new_session_id(), replay)
        self._current = session
        try:
            for fact in replay.opening():
                self._post(session, fact)
            facts: list[Fact] = self.get_facts(session.ruleset, session.sid)
            state: Fact = self.get_state(session.ruleset, session.sid)
            self._check_state(session, state, facts)
            return [fact for fact in facts if fact.get("t") == "p"]
        finally:
            self._current = None
            self._close(session)

    def _new_session_id(self) -> str:
        sid = f"s{next(self._session_numbers)}"
        value = fnv1a32(sid)
        taken = self._live.get(value)
        if taken is not None:
            raise EngineError(
                f"session ids {taken!r} and {sid!r} have the same 32-bit hash "
                f"({value:#010x}); durable-rules would give them one state",
                field="session",
                value=sid,
                hint="this is a limit of durable-rules; engine='native' has none",
            )
        self._live[value] = sid
        return sid

    def _post(self, session: _Session, fact: Fact) -> None:
        session.claim(fact["id"])
        try:
            self.assert_fact(session.ruleset, {**fact, "sid": session.sid})
        except durable_engine.MessageNotHandledException:
            pass  # no rule can match it, now or later
        except durable_engine.MessageObservedException:
            raise _observed(session, fact) from None
        session.check()

    def _check_state(self, session: _Session, state: Fact, facts: Iterable[Fact]) -> None:
        session.check()
        if not session.opened:
            raise EngineError(
                f"session {session.sid!r} never opened: the open rule did not run",
                field="session",
                value=session.sid,
                hint="this is a bug in the durable engine; engine='native' is not affected",
            )
        if state.get("sid") != session.sid:
            session.foreign = True
            raise EngineError(
                f"session {session.sid!r} got the state of session {state.get('sid')!r}",
                field="session",
                value=session.sid,
                hint="this is a limit of durable-rules (32-bit session hashes)",
            )
        for fact in facts:
            if fact.get("sid") != session.sid:
                session.foreign = True
                raise EngineError(
                    f"session {session.sid!r} holds a fact of session {fact.get('sid')!r}",
                    field="session",
                    value=session.sid,
                )
        if "exception" in state:
            text = str(state["exception"])
            error = EngineError(
                "durable-rules swallowed an error in an action: "
                + text.split(", traceback [", 1)[0],
                field="session",
                value=session.sid,
            )
            error.add_note(f"durable-rules kept it as: {text}")
            raise error

    def _close(self, session: _Session) -> None:
        # A session in which no action ran cannot be deleted (durable-rules crashes), nor
        # one that turns out to share its state: its hash stays taken instead.
        if session.opened and not session.foreign:
            self.delete_state(session.ruleset, session.sid)
            del self._live[fnv1a32(session.sid)]

    def _ruleset(self, program: Program) -> str:
        name = self._programs.get(program.text)
        if name is not None:
            self._programs.move_to_end(program.text)
            return name
        name = f"outreach-triggers-{next(self._ruleset_numbers)}"
        try:
            self.register_rulesets({name: program.definition()})
        except Exception as error:
            raise EngineError(
                f"durable-rules refused the compiled triggers: {error}",
                hint="this is a bug in the durable engine; engine='native' is not affected",
            ) from error
        self._programs[program.text] = name
        if len(self._programs) > MAX_RULESETS:
            _, oldest = self._programs.popitem(last=False)
            # durable.engine.Host has no way to forget a ruleset: these are its own tables.
            ruleset = self._ruleset_directory.pop(oldest)
            self._ruleset_list.remove(ruleset)
            durable_rules_engine.delete_ruleset(ruleset._handle)
        return name

    # -- the actions ------------------------------------------------------------------------

    def _open(self, session: _Session, c: Any) -> None:
        if c.s["sid"] != session.sid:
            session.foreign = True
            raise EngineError(
                f"session {session.sid!r} opened in the state of session {c.s['sid']!r}",
                field="session",
                value=session.sid,
                hint="this is a limit of durable-rules (32-bit session hashes)",
            )
        session.opened = True

    def _anchor(self, session: _Session, c: Any, index: str) -> None:
        found = session.replay.anchored(int(index), _fact(c, f"a{index}"))
        if found is not None:
            self._assert_in_action(session, c, found)

    def _retract(self, session: _Session, c: Any, proposal: str) -> None:
        c.retract_fact(getattr(c, proposal))

    def _require(self, session: _Session, c: Any, proposal: str, required: str) -> None:
        ready = session.replay.ready(_fact(c, proposal), _fact(c, required))
        c.retract_fact(getattr(c, proposal))
        self._assert_in_action(session, c, ready)

    def _assert_in_action(self, session: _Session, c: Any, fact: Fact) -> None:
        session.claim(fact["id"])
        try:
            c.assert_fact({**fact, "sid": session.sid})
        except durable_engine.MessageNotHandledException:
            pass
        except durable_engine.MessageObservedException:
            raise _observed(session, fact) from None


def _fact(c: Any, term: str) -> Fact:
    return dict(getattr(c, term).items())


def _observed(session: _Session, fact: Fact) -> EngineError:
    return EngineError(
        f"durable-rules took fact {fact['id']!r} of session {session.sid!r} for one it had "
        "seen: their ids' 32-bit hashes collide",
        field="id",
        value=fact["id"],
        hint="this is a limit of durable-rules; engine='native' has none",
    )
