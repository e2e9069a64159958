"""Extending a policy: merging a policy's data over a base, by intent name and rule id."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from outreach_rules._format import SPEC_KEYS, Reader

__all__ = ["merge"]


def merge(
    base: Mapping[str, Any], extra: Mapping[str, Any], reader: Reader
) -> tuple[dict[str, Any], dict[str, str]]:
    """``extra`` laid over ``base``, and where each merged rule came from in ``extra``.

    Intents merge by name and rules by id: the keys given replace the base's (a guard's
    spec as a whole), a new id adds a rule, and the ids in ``remove`` are dropped. The
    second value maps merged paths (``guards[12]``) to their paths in ``extra``
    (``guards[0]``), so errors can point at the right line.
    """
    if not isinstance(extra, Mapping):
        reader.fail(
            "",
            f"must be a table of changes, not {type(extra).__name__}",
            hint="such as {'remove': ['gift-season']}",
        )
    result = copy.deepcopy(dict(base))
    moved: dict[str, str] = {}
    for key, value in extra.items():
        if key in ("extends", "remove"):
            continue
        if key in ("triggers", "guards") and not isinstance(value, list | tuple):
            reader.fail(key, f"must be a list of rules, not {type(value).__name__}", value=value)
        if key == "intents" and isinstance(value, Mapping):
            intents = result.setdefault("intents", {})
            for name, body in value.items():
                known = intents.get(name)
                intents[name] = (
                    {**known, **body}
                    if isinstance(known, Mapping) and isinstance(body, Mapping)
                    else body
                )
        elif key in ("triggers", "guards"):
            _merge_rules(result.setdefault(key, []), list(value), key, reader, moved)
        else:
            result[key] = copy.deepcopy(value)
    _remove(result, extra.get("remove", []), reader, moved)
    return result, moved


def _merge_rules(
    rules: list[Any], extra: list[Any], key: str, reader: Reader, moved: dict[str, str]
) -> None:
    positions = {
        rule.get("id"): index for index, rule in enumerate(rules) if isinstance(rule, Mapping)
    }
    for index, rule in enumerate(extra):
        path = f"{key}[{index}]"
        if not isinstance(rule, Mapping) or not isinstance(rule.get("id"), str):
            reader.fail(
                f"{path}.id",
                "is required to merge a rule over the base",
                hint="give the id of a rule to change or a new one",
            )
        at = positions.get(rule["id"])
        if at is None:
            positions[rule["id"]] = at = len(rules)
            rules.append(copy.deepcopy(dict(rule)))
        else:
            known = rules[at]
            if key == "guards" and any(spec in rule for spec in SPEC_KEYS):
                known = {k: v for k, v in known.items() if k not in SPEC_KEYS}
            rules[at] = {**known, **copy.deepcopy(dict(rule))}
        moved[f"{key}[{at}]"] = path


def _remove(result: dict[str, Any], remove: Any, reader: Reader, moved: dict[str, str]) -> None:
    if isinstance(remove, str):
        remove = [remove]
    if not isinstance(remove, list):
        reader.fail("remove", "must be a list of rule ids", value=remove)
    ids = [rule.get("id") for key in ("triggers", "guards") for rule in result.get(key, [])]
    for index, rule_id in enumerate(remove):
        if rule_id not in ids:
            close = difflib.get_close_matches(str(rule_id), [str(i) for i in ids], n=1)
            hint = f"did you mean {close[0]!r}?" if close else "name a rule of the base policy"
            reader.fail(
                f"remove[{index}]", "is not a rule of the base policy", value=rule_id, hint=hint
            )
    for key in ("triggers", "guards"):
        kept: list[Any] = []
        for index, rule in enumerate(result.get(key, [])):
            if rule.get("id") in remove:
                moved.pop(f"{key}[{index}]", None)
                continue
            origin = moved.pop(f"{key}[{index}]", None)
            if origin is not None:
                moved[f"{key}[{len(kept)}]"] = origin
            kept.append(rule)
        result[key] = kept
