"""Write the generated parts of the docs: the policy file reference and the playbook's rules.

    python docs/gen_policy_reference.py           # rewrite them in place
    python docs/gen_policy_reference.py --check   # exit 1 if a page is out of date

Two sections, each between its own pair of markers, are generated, never edited by hand:

- in docs/policy-format.md, the reference of every key of the policy file, from the JSON
  Schema that ships in the package (src/outreach_rules/playbook/policy.schema.json);
- in docs/playbook.md, every rule of the built-in playbook with its settings, the
  defaults a policy that extends the playbook starts from (Policy.default()).

tests/test_docs_site.py fails when a page is out of date with its source.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMA = ROOT / "src" / "outreach_rules" / "playbook" / "policy.schema.json"

# The pattern of event kinds and intent names (outreach_rules._checks.KIND).
_NAME = "^[A-Za-z][A-Za-z0-9_.:-]*$"
# Guard rule specs, in the order the schema lists them; every other guard key is common.
_COMMON_GUARD_KEYS = ("id", "practices", "description", "intents", "categories", "channels", "when")


# -- rendering schema nodes -----------------------------------------------------------------


def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(value: Any) -> str:
    return f"`{value}`"


def _type(node: Mapping[str, Any], defs: Mapping[str, str]) -> str:  # noqa: PLR0912 - one per shape
    """A schema node as a short phrase: ``string (a duration: '3 days' ...)``."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        title = defs.get(name, name)
        return f"a [{title}](#{title.replace(' ', '-')})"
    if "oneOf" in node:
        return " or ".join(_type(option, defs) for option in node["oneOf"])
    if "enum" in node:
        return "one of " + ", ".join(_code(value) for value in node["enum"])
    kind = node.get("type")
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"table of {_type(node['additionalProperties'], defs)[2:]}, by name"
    if kind == "array":
        items = node.get("items", {})
        if "enum" in items:
            phrase = "list of " + ", ".join(_code(value) for value in items["enum"])
        elif "$ref" in items:
            phrase = f"list of {_type(items, defs)[2:]}s"
        elif items.get("pattern") == _NAME:
            phrase = "list of names"
        else:
            phrase = f"list of {_type(items, defs)}s"
        if node.get("minItems"):
            phrase += f", at least {node['minItems']}"
        if node.get("uniqueItems"):
            phrase += ", no repeats"
        return phrase
    if kind == "object":
        return "table (below)" if node.get("properties") else "table"
    if kind == "string":
        if node.get("pattern") == _NAME:
            return "name"
        phrase = "string"
        if "description" in node:
            return f"{phrase}: {node['description']}"
        if "pattern" in node:
            return f"{phrase} matching {_code(node['pattern'])}"
        return f"non-empty {phrase}" if node.get("minLength") else phrase
    if kind == "integer":
        return f"integer >= {node['minimum']}" if "minimum" in node else "integer"
    if kind == "boolean":
        return "`true` or `false`"
    if not node:
        return "any value"
    return str(kind)


def _table(node: Mapping[str, Any], defs: Mapping[str, str], keys: tuple[str, ...] = ()) -> str:
    properties: Mapping[str, Any] = node.get("properties", {})
    required = set(node.get("required", ()))
    rows = ["| key | required | value |", "| --- | --- | --- |"]
    for key, child in properties.items():
        if keys and key not in keys:
            continue
        described = _type(child, defs)
        if child.get("description") and child.get("type") != "string":
            described = f"{described}: {child['description']}"
        rows.append(f"| `{key}` | {'yes' if key in required else ''} | {_cell(described)} |")
    return "\n".join(rows)


def _object(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """The table form of a node that may be a table or a list of tables."""
    if node.get("type") == "object":
        return node
    for option in node.get("oneOf", ()):
        if option.get("type") == "object":
            return option
        if option.get("type") == "array" and option.get("items", {}).get("type") == "object":
            found: Mapping[str, Any] = option["items"]
            return found
    return node


def _top_level(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The top level, with the shapes of intents, triggers and guards of a file that does
    not extend another (the schema gives them in its ``else``)."""
    shapes = schema.get("else", {}).get("properties", {})
    properties = {key: shapes.get(key, node) for key, node in schema["properties"].items()}
    return {**schema, "properties": properties}


def policy_reference(schema: Mapping[str, Any]) -> str:
    """The reference of the policy file format, in Markdown, from its JSON Schema."""
    defs = {
        "intent": "intent",
        "trigger": "trigger",
        "guard": "guard rule",
        "condition": "condition",
    }
    parts = [
        "## Reference",
        "",
        (
            "Every key the policy file accepts, generated from the JSON Schema that ships in "
            "the package (`Policy.json_schema()`). In a file with `extends`, every key of an "
            "intent or rule is optional: it is merged into the base's. A *name* (an event "
            "kind, an intent) is a letter, then letters, digits, `_`, `.`, `:` or `-`: "
            "`order_placed`, `crm:lead.won`."
        ),
        "",
        "### Top level",
        "",
        _table(_top_level(schema), defs),
        "",
        "### Intent",
        "",
        _table(schema["$defs"]["intent"], defs),
        "",
        "### Trigger",
        "",
        _table(schema["$defs"]["trigger"], defs),
        "",
        "### Guard rule",
        "",
        "Every guard rule has these keys, and exactly one spec key (below).",
        "",
        _table(schema["$defs"]["guard"], defs, _COMMON_GUARD_KEYS),
        "",
    ]
    guard = schema["$defs"]["guard"]
    for key, node in guard["properties"].items():
        if key in _COMMON_GUARD_KEYS:
            continue
        table = _object(node)
        parts += [f"#### `{key}`", ""]
        if table is not node:
            parts += ["A table, or a list of such tables (at least one).", ""]
        if table.get("properties"):
            parts += [_table(table, defs), ""]
        else:
            parts += ["An empty table: `{}`.", ""]
    parts += ["### Condition", "", "A condition is one of these tables.", ""]
    for option in schema["$defs"]["condition"]["oneOf"]:
        (key,) = option["required"]
        node = option["properties"][key]
        parts += [f"#### `{key}`", ""]
        if key == "field":
            parts += [_table(option, defs), ""]
        elif node.get("type") == "object":
            parts += [_table(node, defs), ""]
        else:
            items = _type(node.get("items", {}), defs)[2:]
            parts += [f"A list of {items}s, at least one: it holds when one of them does.", ""]
    return "\n".join(parts).rstrip() + "\n"


# -- the playbook's rules and their settings ---------------------------------------------------


def _inline(value: Any) -> str:
    """A value as inline TOML, as a policy file would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key} = {_inline(item)}" for key, item in value.items()) + " }"
    return str(value)


def playbook_rules(policy: Mapping[str, Any]) -> str:
    """Every rule of the playbook with its settings, in Markdown, from ``Policy.to_dict()``."""
    skip = {"id", "description", "practices", "intent"}
    parts = [
        "## Every rule and its defaults",
        "",
        (
            "The settings of each rule of the built-in playbook, as a policy file writes them: "
            'the defaults that a policy with `extends = "default"` starts from, and changes by '
            "giving the same `id`."
        ),
        "",
        "### Triggers",
        "",
        "| rule | practices | intent | settings |",
        "| --- | --- | --- | --- |",
    ]
    for trigger in policy["triggers"]:
        settings = ", ".join(f"`{k} = {_inline(v)}`" for k, v in trigger.items() if k not in skip)
        practices = ", ".join(trigger.get("practices", ()))
        parts.append(
            f"| `{trigger['id']}` | {practices} | `{trigger['intent']}` | {_cell(settings)} |"
        )
    parts += ["", "### Guards", "", "| rule | practices | settings |", "| --- | --- | --- |"]
    for guard in policy["guards"]:
        settings = ", ".join(f"`{k} = {_inline(v)}`" for k, v in guard.items() if k not in skip)
        practices = ", ".join(guard.get("practices", ()))
        parts.append(f"| `{guard['id']}` | {practices} | {_cell(settings)} |")
    return "\n".join(parts) + "\n"


# -- the pages --------------------------------------------------------------------------------


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- {name}: generated by docs/gen_policy_reference.py; do not edit by hand -->",
        f"<!-- end of {name} -->",
    )


def _sections() -> dict[Path, tuple[str, Callable[[], str]]]:
    def reference() -> str:
        return policy_reference(json.loads(SCHEMA.read_text(encoding="utf-8")))

    def rules() -> str:
        sys.path.insert(0, str(ROOT / "src"))
        from outreach_rules import Policy  # noqa: PLC0415 - the package, from this checkout

        return playbook_rules(Policy.default().to_dict())

    return {
        DOCS / "policy-format.md": ("policy-reference", reference),
        DOCS / "playbook.md": ("playbook-rules", rules),
    }


def rendered(page: Path, text: str | None = None) -> str:
    """``page`` (or ``text``, its content) with its generated section brought up to date."""
    name, render = _sections()[page]
    text = page.read_text(encoding="utf-8") if text is None else text
    begin, end = _markers(name)
    section = f"{begin}\n\n{render()}\n{end}\n"
    if begin in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        return head + section + tail.lstrip("\n")
    return text.rstrip("\n") + "\n\n" + section


def pages() -> list[Path]:
    """The pages with a generated section."""
    return list(_sections())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    args = parser.parse_args(argv)
    stale = []
    for page in pages():
        current = page.read_text(encoding="utf-8")
        fresh = rendered(page, current)
        if fresh != current:
            stale.append(page)
            if not args.check:
                page.write_text(fresh, encoding="utf-8")
    for page in stale:
        print(f"{page.relative_to(ROOT)}: {'out of date' if args.check else 'rewritten'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
