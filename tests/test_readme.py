"""The README's first example runs and prints what the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_first_example_prints_what_the_readme_shows():
    code = re.findall(r"```python\n(.*?)```", README, re.S)[0]
    shown = re.search(r"```\n(review_request for o1.*?)```", README, re.S)
    assert shown is not None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == shown.group(1)


def test_the_set_up_commands_are_the_ones_ci_runs():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install . && .venv/bin/outreach-rules demo" in README
    assert "pip install --quiet . && outreach-rules demo" in ci
    assert "pip install -e '.[test]' && .venv/bin/python -m pytest" in README
    assert "pip install --quiet -e '.[test]'" in ci
    assert "python -m pytest" in ci


def _use_it() -> str:
    return README[README.index("## Use it") : README.index("## How it plans")]


def test_use_it_commands_run_as_written_from_the_root_of_a_checkout(tmp_path):
    root = Path(__file__).parent.parent
    commands = re.findall(r"```sh\n(.*?)```", _use_it(), re.S)[0].strip().splitlines()
    assert len(commands) == 3
    for command in commands:
        words = command.split()
        assert words[0] == "outreach-rules"
        args = words[1 : words.index(">")] if ">" in words else words[1:]
        done = subprocess.run(
            [sys.executable, "-m", "outreach_rules", *args],
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout


def test_use_it_python_runs_as_written(tmp_path):
    root = Path(__file__).parent.parent
    code = re.findall(r"```python\n(.*?)```", _use_it(), re.S)[0]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert "c01-ada review_request" in done.stdout
