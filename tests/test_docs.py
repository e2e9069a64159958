"""The docs say what the code does: every playbook rule and practice is in docs/playbook.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach_rules import Policy

DOCS = Path(__file__).parent.parent / "docs"
PLAYBOOK = Policy.default()


@pytest.mark.parametrize("rule", [*PLAYBOOK.triggers, *PLAYBOOK.guards], ids=lambda r: r.id)
def test_every_playbook_rule_is_in_the_playbook_page(rule):
    page = (DOCS / "playbook.md").read_text(encoding="utf-8")
    assert f"| `{rule.id}` |" in page
    assert rule.description in page


@pytest.mark.parametrize("practice", [f"P{n}" for n in range(1, 18)])
def test_every_practice_has_a_section(practice):
    page = (DOCS / "playbook.md").read_text(encoding="utf-8")
    assert f"## {practice} " in page


def test_every_intent_is_listed_with_its_category():
    page = (DOCS / "playbook.md").read_text(encoding="utf-8")
    for intent in PLAYBOOK.intents:
        assert f"| `{intent.name}` | {intent.category} |" in page


@pytest.mark.parametrize(
    "name", ["concepts.md", "policy-format.md", "cli.md", "playbook.md", "testing.md"]
)
def test_the_readme_links_each_page(name):
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert f"docs/{name}" in readme
