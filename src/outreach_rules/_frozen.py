"""Read-only, hashable copies of JSON-like data, so value objects stay frozen all the way down."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from outreach_rules._strict_json import has_surrogate

__all__ = ["FrozenMap", "NotText", "freeze", "thaw"]


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping that hashes by its items; compares equal to a dict with them."""

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._items: dict[str, Any] = {} if items is None else dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return repr(self._items)


class NotText(ValueError):
    """A key or string in data given to ``freeze`` holds a lone surrogate."""


def freeze(value: Any) -> Any:
    """A deep read-only copy: mappings become ``FrozenMap``, lists become tuples.

    Raises ``NotText`` for a key or string that holds a lone surrogate, which no
    UTF-8 output can carry; the caller finds where with ``surrogate_at``.
    """
    if isinstance(value, str):
        # Nearly all text is ASCII, and every event's data passes here: spare it the call.
        if not value.isascii() and has_surrogate(value):
            raise NotText
        return value
    if isinstance(value, Mapping):
        return FrozenMap({freeze(str(key)): freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again, for JSON."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    return value
