"""The documentation site: every page in the nav, every public name in the API reference,
the generated sections up to date, the quick start true, and a strict build."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import outreach_rules

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
SOURCE = ROOT / "src" / "outreach_rules"

# A Sphinx role as a docstring writes it (:class:`Decision`) and as the site would show
# it: the role's name, then the code it marks.
SPHINX_ROLE = re.compile(r":(?:py:)?(?:attr|class|const|data|exc|func|meth|mod|obj):(?:`|<code>)")
# A Jupyter kernel's own log line on stderr: not a warning of the site's build.
KERNEL_SAYS = "[IPKernelApp] WARNING | Kernel is running over TCP without encryption."
# A mkdocstrings cross-reference: [`Decision`][outreach_rules.Decision].
CROSS_REFERENCE = re.compile(r"\]\[(outreach_rules(?:\.\w+)+)\]")


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
    # The example notebook comes from examples/ (the hook docs/notebook_page.py).
    assert sorted(pages) == sorted([*(path.name for path in DOCS.glob("*.md")), "notebook.ipynb"])
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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for the tests that read it."""
    # CI builds the site after the tests with the docs extra; locally, when it is there.
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    built = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    # The notebook's kernel says, on its own stderr, that it listens on loopback TCP.
    own = [line for line in done.stderr.splitlines() if not line.startswith(KERNEL_SAYS)]
    assert not [line for line in own if "WARNING" in line]
    return built


def inventory(site: Path) -> set[str]:
    """The Python objects the site documents, from its objects.inv (Sphinx's format)."""
    data = (site / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):  # four lines of plain text, then zlib
        header_end = data.index(b"\n", header_end) + 1
    lines = zlib.decompress(data[header_end:]).decode().splitlines()
    return {line.split()[0] for line in lines if line.split()[1].startswith("py:")}


def docstrings(path: Path) -> list[str]:
    """Every docstring in a module: its own, its classes', its functions'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    nodes = [node for node in ast.walk(tree) if isinstance(node, kinds)]
    return [doc for node in nodes if (doc := ast.get_docstring(node))]


def test_the_site_builds_without_a_warning(site):
    assert (site / "api" / "index.html").exists()


def test_no_api_page_shows_a_raw_sphinx_role(site):
    pages = [site / "api" / "index.html", site / "spark" / "index.html"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        raw = {
            html[found.start() : html.find("</code>", found.end())]
            for found in SPHINX_ROLE.finditer(html)
        }
        assert not raw, (page.parent.name, raw)


def test_every_cross_reference_in_a_docstring_names_a_documented_object(site):
    # Those of rendered docstrings fail the strict build; this checks the rest too.
    documented = inventory(site)
    for path in sorted(SOURCE.rglob("*.py")):
        for doc in docstrings(path):
            for target in CROSS_REFERENCE.findall(doc):
                assert target in documented, (path.relative_to(ROOT), target)


def test_the_site_links_the_repository_that_pyproject_names():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    repo_url = mkdocs_config()["repo_url"]
    assert isinstance(repo_url, str)
    assert repo_url.startswith("https://")
    assert all(url.startswith(repo_url) for url in urls.values())


def test_the_install_instructions_work_from_a_checkout():
    # The package is not on PyPI yet: `pip install outreach-rules` would find nothing.
    page = (DOCS / "index.md").read_text(encoding="utf-8")
    commands = "".join(re.findall(r"```sh\n(.*?)```", page, re.S))
    assert "pip install ." in commands
    assert "pip install -e '.[docs]'" in commands
    assert not re.search(r"pip install '?outreach-rules", commands)


def test_the_site_has_the_example_notebook_with_its_outputs(site):
    page = site / "notebook" / "index.html"
    assert page.exists()
    html = page.read_text(encoding="utf-8")
    assert "outreach-rules in a notebook" in html
    # Executed at build time: the plan's view, the backtest's summary, and both plots.
    assert '<div class="outreach-rules"><style>' in html
    assert "customer c02-bruno" in html
    assert "contacts sent to 24 customers" in html
    assert html.count("data:image/png;base64,") >= 2
    nav = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="notebook/"' in nav


def test_no_docstring_holds_a_sphinx_role():
    # The site shows only some modules' docstrings; none should hold a role all the same.
    role = re.compile(r":(?:py:)?(?:attr|class|const|data|exc|func|meth|mod|obj):`")
    for path in sorted(SOURCE.rglob("*.py")):
        found = role.search(path.read_text(encoding="utf-8"))
        assert found is None, (path, found.group(0) if found else None)
