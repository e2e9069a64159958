"""JSON text to data, refusing an object that gives the same key twice.

The standard library keeps the last of two equal keys and drops the first without a
word; a record or a policy that says two things about one field is bad input here.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DuplicateKey", "loads"]


class DuplicateKey(ValueError):
    """An object gave ``key`` twice: the caller says where."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return data


_DECODER = json.JSONDecoder(object_pairs_hook=_unique)


def loads(text: str | bytes) -> Any:
    """The value of a JSON text; raises :class:`json.JSONDecodeError` for bad syntax and
    :class:`DuplicateKey` for an object that gives a key twice."""
    return _DECODER.decode(text if isinstance(text, str) else text.decode("utf-8"))
