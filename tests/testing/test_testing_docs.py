"""docs/testing.md runs: its worked example, as a user's project, passes; its failure and
error messages are the ones the library prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PAGE = (Path(__file__).parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", PAGE, re.S)


def files() -> dict[str, str]:
    """The page's code blocks that start with a comment naming their file."""
    found = {}
    for _, text in BLOCKS:
        first = text.splitlines()[0]
        if re.fullmatch(r"# [\w/.-]+\.(toml|py|yaml)", first):
            found[first[2:]] = text
    return found


def block_after(marker: str) -> str:
    start = PAGE.index(marker)
    return re.search(r"```\w*\n(.*?)```", PAGE[start:], re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def project(pytester):
    for name, text in files().items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    ini = next(text for _, text in BLOCKS if text.startswith("[tool.pytest.ini_options]"))
    (pytester.path / "pyproject.toml").write_text(ini, encoding="utf-8")
    return pytester


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach_rules", *args],
        cwd=folder,
        check=False,
        capture_output=True,
        text=True,
    )


def test_the_page_names_its_files():
    assert set(files()) == {
        "policies/shop.toml",
        "tests/test_gifts.py",
        "tests/test_properties.py",
        "scenarios/gifts.toml",
    }


def test_the_worked_example_passes(project):
    result = project.runpytest_subprocess("tests", "--strict-config")
    result.assert_outcomes(passed=2)
    done = cli(project.path, "test", "policies/shop.toml", "scenarios/gifts.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout


def test_the_shop_fails_the_playbooks_scenarios_that_expect_nine_oclock(project):
    done = cli(project.path, "test", "policies/shop.toml", "default")
    assert done.returncode == 1
    assert "FAIL  P3: an order placed in gift season is asked about after Christmas" in done.stdout


def test_the_failure_shown_is_the_one_printed(project):
    shop = project.path / "policies" / "shop.toml"
    shop.write_text(shop.read_text().replace('start = "10:00"', 'start = "09:00"'))
    result = project.runpytest_subprocess("tests/test_gifts.py")
    result.assert_outcomes(failed=1)
    shown = block_after("#### When a test fails").splitlines()
    printed = [line.removeprefix("E   ").rstrip() for line in result.outlines]
    for line in shown:
        if line.strip() != "...":
            assert any(p.endswith(line.rstrip()) for p in printed), line


def test_the_error_shown_is_the_one_printed(project):
    gifts = project.path / "scenarios" / "gifts.toml"
    gifts.write_text(gifts.read_text().replace('status = "scheduled"', 'status = "sheduled"'))
    done = cli(project.path, "test", "policies/shop.toml", "scenarios/gifts.toml")
    assert done.returncode == 2
    shown = block_after("names the file, the line, the scenario and the field").strip()
    assert done.stderr.strip() == shown
