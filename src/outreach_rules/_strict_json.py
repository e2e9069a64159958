"""JSON text to data, refusing what the standard library lets through.

The standard library keeps the last of two equal keys and drops the first without a
word, and turns an escape such as ``\\ud800`` into a lone surrogate, which no UTF-8 output
can hold: a record or a policy with either is bad input here, refused where it is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "DuplicateKey",
    "LoneSurrogate",
    "NotStrict",
    "has_surrogate",
    "loads",
    "printable",
    "surrogate_at",
]

_SURROGATE = re.compile("[\ud800-\udfff]")


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


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a code point that UTF-8 cannot encode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def printable(text: str) -> str:
    """``text`` with each lone surrogate written as its escape, so an error can show it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def surrogate_at(value: Any, path: str = "") -> str | None:
    """The path of the first key or text in ``value`` that holds a lone surrogate."""
    if isinstance(value, str):
        return path if has_surrogate(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_surrogate(key):
                return printable(child)
            found = surrogate_at(item, child)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = surrogate_at(item, f"{path}[{index}]")
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


_DECODER = json.JSONDecoder(object_pairs_hook=_unique)


def loads(text: str | bytes) -> Any:
    """The value of a JSON text; raises :class:`json.JSONDecodeError` for bad syntax and
    :class:`NotStrict` for a key given twice or a lone surrogate."""
    if not isinstance(text, str):
        text = text.decode("utf-8")
    value = _DECODER.decode(text)
    # Decoded UTF-8 holds no surrogates, so only an escape can make one.
    if "\\u" in text or has_surrogate(text):
        where = surrogate_at(value)
        if where is not None:
            raise LoneSurrogate(where or "value")
    return value
