"""JSON text to data, refusing what the standard library lets through.

The standard library keeps the last of two equal keys and drops the first without a
word, and turns an escape such as ``\\ud800`` into a lone surrogate, which no UTF-8 output
can hold: a record or a policy with either is bad input here, refused where it is read.
So are ``NaN``, ``Infinity`` and ``-Infinity``, which the standard library reads though
JSON has no such words, and a number too large for a float, which it reads as infinity.

Two limits keep hostile input cheap to refuse: values nested more than ``MAX_DEPTH``
levels deep (the standard library would recurse until Python's recursion limit ends it
with a ``RecursionError``) and whole numbers of more than ``MAX_DIGITS`` digits (Python
refuses more than 4,300 with a ``ValueError``, and converts fewer in quadratic time). The
Rust core's reader (``rust/core/src/reading.rs``) keeps the same two limits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "DuplicateKey",
    "LoneSurrogate",
    "NotFinite",
    "NotStrict",
    "TooDeep",
    "TooLong",
    "has_surrogate",
    "loads",
    "printable",
    "surrogate_at",
]

_SURROGATE = re.compile("[\ud800-\udfff]")

#: The most levels of arrays and objects (tables, mappings, lists) one in another that the
#: library reads: in a line of the data contract (the record itself is the first level) and
#: in a policy file. The Rust core reads as deep (its ``MAX_DEPTH``), and carries data of
#: a customer or an event nested no deeper (``_compile.json_data``).
MAX_DEPTH = 100
#: The most digits of a whole number the library reads, sign aside; the Rust core too.
MAX_DIGITS = 100


class NotStrict(ValueError):
    """Valid JSON that is still bad input, at ``key`` (a dotted path): the caller says where."""

    problem: ClassVar[str]
    hint: ClassVar[str]

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class DuplicateKey(NotStrict):
    """An object gave ``key`` twice."""

    problem = "is given twice in one object"
    hint = "give each field once"


class LoneSurrogate(NotStrict):
    """The text at ``key`` holds half of a surrogate pair, which is not a character."""

    problem = "holds a lone surrogate (\\ud800 to \\udfff), which is not a character"
    hint = "write the character itself, or both halves of its surrogate pair"


class NotFinite(NotStrict):
    """The number at ``key`` is ``NaN``, ``Infinity`` or ``-Infinity`` (words that JSON
    does not have), or too large for a float, which would make it infinite."""

    problem = "is not a finite number (NaN, Infinity, or too large for a float)"
    hint = "write a finite number, null or text"


class TooDeep(NotStrict):
    """The value at ``key`` nests arrays and objects more than ``MAX_DEPTH`` levels deep."""

    problem = f"nests arrays and objects more than {MAX_DEPTH} levels deep"
    hint = f"keep data within {MAX_DEPTH} levels"


class TooLong(NotStrict):
    """The whole number at ``key`` has more than ``MAX_DIGITS`` digits."""

    problem = f"is a whole number of more than {MAX_DIGITS} digits"
    hint = "write it as text"


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a code point that UTF-8 cannot encode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def printable(text: str) -> str:
    """``text`` with each lone surrogate written as its escape, so an error can show it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def surrogate_at(value: Any, path: str = "") -> str | None:
    """The path of the first key or text in ``value`` that holds a lone surrogate."""
    return _first(value, lambda item: isinstance(item, str) and has_surrogate(item), path)


def _first(value: Any, bad: Callable[[Any], bool], path: str = "") -> str | None:
    """The path of the first key or value in ``value`` that is ``bad``."""
    if bad(value):
        return path
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and bad(key):
                return printable(child)
            found = _first(item, bad, child)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first(item, bad, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(printable(key))
            seen.add(key)
    return data


class _Long(Exception):
    """A whole number past ``MAX_DIGITS``, met while decoding: ``_scan`` says where."""


def _int(text: str) -> int:
    if len(text) > MAX_DIGITS and len(text.lstrip("-")) > MAX_DIGITS:
        raise _Long
    return int(text)


class _Infinite(Exception):
    """``NaN``, ``Infinity`` or an infinite float, met while decoding: ``loads`` says
    where."""


def _constant(_: str) -> Any:
    raise _Infinite


def _float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _Infinite
    return number


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique, parse_int=_int, parse_float=_float, parse_constant=_constant
)

# Reads what `_DECODER` refuses as infinite, each such number as `_INFINITE`, to find it.
_INFINITE = object()
_FINDER = json.JSONDecoder(
    parse_float=lambda text: _INFINITE if math.isinf(float(text)) else 0.0,
    parse_constant=lambda _: _INFINITE,
)

# The tokens of JSON text that say where a value stands: a string, a bracket, a comma, a
# colon, a number (an int where it has neither fraction nor exponent).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]|-?\d+(\.\d+)?([eE][-+]?\d+)?')


def scan(text: str) -> tuple[NotStrict, int] | None:
    """The first value of a JSON text nested past ``MAX_DEPTH`` or a whole number past
    ``MAX_DIGITS``, with the offset in ``text`` where it begins; None when there is none.

    A ``TooDeep`` names the top-level key that holds the nesting (``value`` for the
    text itself); a ``TooLong`` the number's path (``data.items[1].n``). The text need
    not be valid JSON after that point.
    """
    # Each level: the key of the value being read (an object) or its index (an array).
    levels: list[list[Any]] = []
    string = ""
    for token in _TOKEN.finditer(text):
        first = token.group()[0]
        if first in "[{":
            if len(levels) >= MAX_DEPTH:
                top = levels[0][0] if levels and isinstance(levels[0][0], str) else None
                return TooDeep(printable(top) if top else "value"), token.start()
            levels.append([None if first == "{" else 0])
        elif first in "]}":
            if levels:
                levels.pop()
        elif first == '"':
            string = token.group()
        elif first == ":":
            if levels:
                levels[-1][0] = _key(string)
        elif first == ",":
            if levels and isinstance(levels[-1][0], int):
                levels[-1][0] += 1
        elif token.group(1) is None and token.group(2) is None:
            digits = len(token.group()) - token.group().startswith("-")
            if digits > MAX_DIGITS:
                return TooLong(_path(levels) or "value"), token.start()
    return None


def _key(string: str) -> str:
    try:
        key = json.loads(string)
    except ValueError:
        return string.strip('"')
    return printable(key) if isinstance(key, str) else string


def _path(levels: list[list[Any]]) -> str:
    path = ""
    for (step,) in levels:
        if isinstance(step, int):
            path += f"[{step}]"
        elif step is not None:
            path = f"{path}.{step}" if path else step
    return path


def loads(text: str | bytes) -> Any:
    """The value of a JSON text; raises ``json.JSONDecodeError`` for bad syntax and
    ``NotStrict`` for a key given twice, a lone surrogate, ``NaN`` or an infinite
    number, nesting past ``MAX_DEPTH`` or a whole number past ``MAX_DIGITS``."""
    if not isinstance(text, str):
        text = text.decode("utf-8")
    try:
        value = _DECODER.decode(text)
    except (RecursionError, _Long):
        found = scan(text)
        if found is None:  # Python's stack was nearly full already: deep, not too deep.
            raise
        raise found[0] from None
    except _Infinite:
        # The rest of the text is not read yet: what is too deep or too long there first.
        found = scan(text)
        if found is not None:
            raise found[0] from None
        where = _first(_FINDER.decode(text), lambda item: item is _INFINITE)
        raise NotFinite(where or "value") from None
    # A text of few brackets cannot nest deeply: only a text of many is scanned.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        found = scan(text)
        if found is not None:
            raise found[0]
    # Decoded UTF-8 holds no surrogates, so only an escape can make one.
    if "\\u" in text or has_surrogate(text):
        where = surrogate_at(value)
        if where is not None:
            raise LoneSurrogate(where or "value")
    return value
