"""Reading policy files: TOML, YAML and JSON into plain data, with a map from path to line.

The formats differ in what they say about positions. YAML gives every node's line; for
TOML the line of each table header and each ``key =`` is found by scanning the text;
JSON gives lines for syntax errors only.

Hostile files are refused quickly, each with its file and line: a file larger than
``MAX_POLICY_BYTES``, values nested more than ``MAX_DEPTH`` levels deep, a whole number of
more than ``MAX_DIGITS`` digits, and YAML aliases that repeat more than ``MAX_ALIASED``
values in all (a "billion laughs") or a value that holds itself.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from outreach_rules._strict_json import (
    MAX_DEPTH,
    MAX_DIGITS,
    LoneSurrogate,
    NotStrict,
    TooDeep,
    TooLong,
    has_surrogate,
    loads,
    printable,
    scan,
)
from outreach_rules.errors import PolicyError

__all__ = ["MAX_ALIASED", "MAX_POLICY_BYTES", "Source", "read"]

#: The largest policy file read, in bytes: 256 KiB, some fourteen times the built-in
#: playbook, and what PyYAML's Python reader reads in a few seconds.
MAX_POLICY_BYTES = 256 * 1024
#: The most values YAML aliases (``*name``) may repeat in one file, counted in full.
MAX_ALIASED = 10_000


@attrs.frozen
class Source:
    """Where policy data came from, and the lines of its paths where the format tells."""

    file: str | None = None
    lines: Mapping[str, int] = attrs.field(factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of the nearest enclosing path that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


_FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def read(path: str | Path) -> tuple[Any, Source]:
    """The data in a policy file, and where its paths stand."""
    file = Path(path)
    name = str(path)
    kind = _FORMATS.get(file.suffix.lower())
    if kind is None:
        raise PolicyError(
            "is not a policy file I can read",
            field="file",
            value=name,
            hint="name it .toml, .yaml, .yml or .json",
        )
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_POLICY_BYTES + 1)
        if len(raw) > MAX_POLICY_BYTES:
            raise PolicyError(
                "is larger than a policy file may be (256 KiB)",
                field="file",
                value=name,
                hint="a policy is rules, not data: keep it within 256 KiB",
            )
        text = raw.decode("utf-8")
    except OSError as error:
        raise PolicyError(f"cannot be read ({error.strerror})", field="file", value=name) from None
    except UnicodeDecodeError:
        raise PolicyError("is not UTF-8 text", field="file", value=name) from None
    if kind == "toml":
        return _toml(text, name)
    if kind == "yaml":
        return _yaml(text, name)
    return _json(text, name)


def _toml(text: str, name: str) -> tuple[Any, Source]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise PolicyError(
            f"is not valid TOML: {error}",
            file=name,
            line=int(line.group(1)) if line else None,
        ) from None
    except RecursionError:
        # Arrays or inline tables nested past Python's recursion limit.
        raise PolicyError(
            TooDeep.problem, file=name, line=_deep_line(text), hint=TooDeep.hint
        ) from None
    except ValueError:
        # A whole number past Python's own limit on digits (4,300): read it again with each
        # such number cut to one digit past ours, for the walk below to say where it is.
        shorter = re.sub(r"[0-9_]+", _shorter, text)
        try:
            again = tomllib.loads(shorter)
        except (ValueError, RecursionError):
            again = None
        _check_limits(again, Source(name, _toml_lines(shorter)))
        raise PolicyError(
            TooLong.problem, file=name, line=_long_line(text), hint=TooLong.hint
        ) from None
    source = Source(name, _toml_lines(text))
    _check_limits(data, source)
    return data, source


def _deep_line(text: str) -> int | None:
    """The line where brackets outside strings and comments nest past ``MAX_DEPTH``."""
    depth = 0
    for token in re.finditer(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[{\]}]', text):
        if token.group() in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif token.group() in ("]", "}"):
            depth = max(depth - 1, 0)
    return None


def _shorter(run: re.Match[str]) -> str:
    return "9" * (MAX_DIGITS + 1) if len(run.group()) > MAX_DIGITS else run.group()


def _long_line(text: str) -> int | None:
    """The line of the first run of digits longer than ``MAX_DIGITS``."""
    for run in re.finditer(r"[0-9_]+", text):
        if len(run.group().replace("_", "")) > MAX_DIGITS:
            return text.count("\n", 0, run.start()) + 1
    return None


_BOUND = 10**MAX_DIGITS


def _check_limits(data: Any, source: Source) -> None:
    """Refuse data nested past ``MAX_DEPTH`` or a whole number past ``MAX_DIGITS``."""
    for path, value, depth in _walk(data):
        if depth > MAX_DEPTH:
            top = re.split(r"[.\[]", path, maxsplit=1)[0]
            raise PolicyError(
                TooDeep.problem,
                field=top or None,
                file=source.file,
                line=source.line(path),
                hint=TooDeep.hint,
            )
        if isinstance(value, int) and not -_BOUND < value < _BOUND:
            raise PolicyError(
                TooLong.problem,
                field=path or None,
                file=source.file,
                line=source.line(path),
                hint=TooLong.hint,
            )


def _walk(data: Any) -> Iterator[tuple[str, Any, int]]:
    """Each value in ``data`` with its path and its level (arrays and tables count), in
    order, without recursion: the walk stops where the caller stops it."""
    pending: list[tuple[str, Any, int]] = [("", data, 0)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, Mapping):
            depth += 1
            items = [(f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
        elif isinstance(value, list):
            depth += 1
            items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        else:
            items = []
        yield path, value, depth
        pending.extend((child, item, depth) for child, item in reversed(items))


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def _toml_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), 1):
        header = _HEADER.match(raw)
        if header:
            dotted = ".".join(part.strip().strip("\"'") for part in header.group(2).split("."))
            dotted = _in_last_element(dotted, counts)
            if header.group(1) == "[[":
                index = counts.get(dotted, 0)
                counts[dotted] = index + 1
                table = f"{dotted}[{index}]"
            else:
                table = dotted
            lines.setdefault(table, number)
            continue
        key = _KEY.match(raw)
        if key:
            dotted = ".".join(part.strip("\"'") for part in key.group(1).split("."))
            lines.setdefault(f"{table}.{dotted}" if table else dotted, number)
    return lines


def _in_last_element(dotted: str, counts: Mapping[str, int]) -> str:
    """``guards.frequency_cap`` after the third ``[[guards]]`` is ``guards[2].frequency_cap``."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in counts:
            return f"{prefix}[{counts[prefix] - 1}].{'.'.join(parts[cut:])}"
    return dotted


class _Refused(Exception):
    """A YAML document the composer stopped reading, at ``mark``."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.hint = problem, hint
        self.line: int | None = None if mark is None else mark.line + 1


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading plain scalars as YAML 1.2 does where 1.1 surprises.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans (a trigger's ``on:``
    key became ``True``), ``10:00`` as the base-60 number 600 and an ISO 8601 instant as a
    datetime. Here only ``true`` and ``false`` are booleans, and the others stay text.

    Composing, it counts: the levels of collections (at most ``MAX_DEPTH``, before Python's
    recursion limit is near), and the values each alias repeats, counted in full (at most
    ``MAX_ALIASED`` in all, so that nine aliases of nine aliases of ... cannot make a
    billion values). An alias inside the value it names would make a value that holds
    itself: it is refused too.
    """

    def compose_document(self) -> yaml.Node | None:
        self._levels = 0
        self._aliased = 0
        self._open: set[str] = set()  # anchors whose values are still being read
        self._sizes: dict[int, int] = {}  # values in a node, aliases counted in full, by id
        return super().compose_document()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
        if isinstance(event, yaml.AliasEvent):
            self._alias(event)
            return super().compose_node(parent, index)
        nests = isinstance(event, yaml.CollectionStartEvent)
        if nests:
            self._levels += 1
            if self._levels > MAX_DEPTH:
                raise _Refused(TooDeep.problem, event.start_mark, TooDeep.hint)
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None and node is not None:
            self._open.discard(anchor)
            self._size(node)
        if nests:
            self._levels -= 1
        return node

    def _alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor in self._open:
            raise _Refused(
                f"is an alias (*{event.anchor}) inside the value it names, which then holds itself",
                event.start_mark,
                "write the value out",
            )
        node = self.anchors.get(event.anchor)
        if node is not None:  # else PyYAML says the alias is undefined
            self._aliased += self._size(node)
            if self._aliased > MAX_ALIASED:
                raise _Refused(
                    f"makes the aliases of this file repeat more than {MAX_ALIASED:,} values",
                    event.start_mark,
                    "write the values out, or repeat fewer",
                )

    def _size(self, node: yaml.Node) -> int:
        """The values in ``node``, counting each alias in it in full; known once read."""
        size = self._sizes.get(id(node))
        if size is None:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            size = 1 + sum(self._size(child) for child in children)
            self._sizes[id(node)] = size
        return size


_BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{tag}" for tag in ("bool", "int", "float"))
_LOADER_DROPS = (_BOOL, _INT, _FLOAT, "tag:yaml.org,2002:timestamp")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _LOADER_DROPS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# PyYAML's own patterns for floats and integers, without the base-60 forms.
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver(
    _INT,
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+)$""",
        re.X,
    ),
    list("-+0123456789"),
)


def _yaml(text: str, name: str) -> tuple[Any, Source]:
    loader = _Loader(text)
    lines: dict[str, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            # Before constructing: this refuses what construction would fail on.
            _yaml_lines(node, "", lines, name)
        data = None if node is None else loader.construct_document(node)
    except _Refused as error:
        raise PolicyError(error.problem, file=name, line=error.line, hint=error.hint) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PolicyError(
            f"is not valid YAML: {getattr(error, 'problem', None) or error}",
            file=name,
            line=None if mark is None else mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    return data, Source(name, lines)


def _yaml_lines(node: yaml.Node, path: str, lines: dict[str, int], name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            line = key.start_mark.line + 1
            _refuse_surrogate(key, child, name)
            if key.value in seen:
                raise PolicyError(
                    f"is given twice in one mapping (first at line {seen[key.value]})",
                    field=child,
                    file=name,
                    line=line,
                    hint="give each key once",
                )
            seen[key.value] = line
            lines.setdefault(child, line)
            _yaml_lines(value, child, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines.setdefault(child, item.start_mark.line + 1)
            _yaml_lines(item, child, lines, name)
    else:
        _refuse_surrogate(node, path, name)
        if node.tag == _INT and len(node.value.lstrip("+-").replace("_", "")) > MAX_DIGITS:
            raise PolicyError(
                TooLong.problem,
                field=path or None,
                file=name,
                line=node.start_mark.line + 1,
                hint=TooLong.hint,
            )


def _refuse_surrogate(node: yaml.Node, path: str, name: str) -> None:
    # A double-quoted scalar can escape half a surrogate pair, which PyYAML lets through.
    if isinstance(node.value, str) and has_surrogate(node.value):
        raise PolicyError(
            LoneSurrogate.problem,
            field=printable(path) or "value",
            file=name,
            line=node.start_mark.line + 1,
            hint=LoneSurrogate.hint,
        )


def _json(text: str, name: str) -> tuple[Any, Source]:
    try:
        data = loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(f"is not valid JSON: {error.msg}", file=name, line=error.lineno) from None
    except NotStrict as error:
        found = scan(text) if isinstance(error, TooDeep | TooLong) else None
        line = None if found is None else text.count("\n", 0, found[1]) + 1
        raise PolicyError(
            error.problem, field=error.key, file=name, line=line, hint=error.hint
        ) from None
    return data, Source(name)
