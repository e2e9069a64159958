"""Reading policy files: TOML, YAML and JSON into plain data, with a map from path to line.

The formats differ in what they say about positions. YAML gives every node's line; for
TOML the line of each table header and each ``key =`` is found by scanning the text;
JSON gives lines for syntax errors only.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from outreach_rules._strict_json import (
    LoneSurrogate,
    NotStrict,
    has_surrogate,
    loads,
    printable,
)
from outreach_rules.errors import PolicyError

__all__ = ["Source", "read"]


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
        text = file.read_text(encoding="utf-8")
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
    return data, Source(name, _toml_lines(text))


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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading plain scalars as YAML 1.2 does where 1.1 surprises.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans (a trigger's ``on:``
    key became ``True``), ``10:00`` as the base-60 number 600 and an ISO 8601 instant as a
    datetime. Here only ``true`` and ``false`` are booleans, and the others stay text.
    """


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
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PolicyError(
            f"is not valid YAML: {getattr(error, 'problem', None) or error}",
            file=name,
            line=None if mark is None else mark.line + 1,
        ) from None
    lines: dict[str, int] = {}
    if node is not None:
        _yaml_lines(node, "", lines, name)
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
        raise PolicyError(error.problem, field=error.key, file=name, hint=error.hint) from None
    return data, Source(name)
