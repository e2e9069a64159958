"""The documentation site: every page in the nav, every public name in the API reference,
the generated sections up to date, the quick start true, and a strict build."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import outreach_rules

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def mkdocs_config() -> dict[str, object]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert isinstance(config, dict)
    return config


def nav_pages() -> list[str]:
    nav = mkdocs_config()["nav"]
    assert isinstance(nav, list)
    return [page for entry in nav for page in entry.values()]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_policy_reference", DOCS / "gen_policy_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_nav_lists_every_page_once_and_only_pages_that_exist():
    pages = nav_pages()
    assert len(pages) == len(set(pages))
    assert sorted(pages) == sorted(path.name for path in DOCS.glob("*.md"))
    assert pages[0] == "index.md"


@pytest.mark.parametrize("name", outreach_rules.__all__)
def test_the_api_reference_documents_every_public_name(name):
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    assert f"\n::: outreach_rules.{name}\n" in page


def test_the_api_reference_names_nothing_that_is_not_public():
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in re.findall(r"^::: outreach_rules\.(\w+)$", page, re.M):
        assert name in outreach_rules.__all__


@pytest.mark.parametrize("page", ["policy-format.md", "playbook.md"])
def test_the_generated_sections_are_up_to_date(page):
    module = generator()
    path = DOCS / page
    assert path in module.pages()
    assert module.rendered(path) == path.read_text(encoding="utf-8"), (
        "run: python docs/gen_policy_reference.py"
    )


def test_the_policy_reference_has_every_key_of_the_schema():
    page = (DOCS / "policy-format.md").read_text(encoding="utf-8")
    schema = outreach_rules.Policy.json_schema()
    for key in schema["properties"]:
        assert f"| `{key}` |" in page
    for definition in ("intent", "trigger"):
        for key in schema["$defs"][definition]["properties"]:
            assert f"| `{key}` |" in page
    for key in schema["$defs"]["guard"]["properties"]:
        assert f"`{key}`" in page


def test_the_playbook_page_gives_every_rule_its_settings():
    page = (DOCS / "playbook.md").read_text(encoding="utf-8")
    policy = outreach_rules.Policy.default()
    assert "| `review-after-delivery` | P1, P4 | `review_request` |" in page
    assert '`delay = "3 days"`, `expires = "60 days"`' in page
    assert '`frequency_cap = { limit = 2, period = "1 week", per = "all" }`' in page
    for rule in (*policy.triggers, *policy.guards):
        assert page.count(f"| `{rule.id}` |") >= 2, rule.id  # its practice, and its settings


def test_the_quick_start_prints_what_it_shows():
    page = (DOCS / "index.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, re.S)[0]
    shown = re.search(r"```\n(review_request for o1.*?)```", page, re.S)
    assert shown is not None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == shown.group(1)


def test_the_site_builds_without_a_warning(tmp_path):
    # CI builds the site after the tests with the docs extra; locally, when it is there.
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    assert (tmp_path / "api" / "index.html").exists()
