"""examples/notebook.ipynb runs top to bottom in a Python kernel and shows what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).parent.parent / "examples"
NOTEBOOK = EXAMPLES / "notebook.ipynb"


def outputs(notebook: Any, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if mime == "stream" and output.get("output_type") == "stream":
                found.append(output["text"])
            elif mime in output.get("data", {}):
                found.append(output["data"][mime])
    return found


@pytest.fixture(scope="module")
def executed() -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # jupyter_client starts a kernel spec whose command is "python" with this interpreter.
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()
    return notebook


def test_the_notebook_is_kept_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_every_cell_runs_without_an_error(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert all(output["output_type"] != "error" for output in cell.outputs)


def test_the_notebook_shows_a_plan_with_folded_traces(executed):
    tables = outputs(executed, "text/html")
    plans = [table for table in tables if "customer c02-bruno" in table]
    assert plans, "the plan's HTML table"
    assert "<details><summary>trace:" in plans[0]
    assert "gift-season" in plans[0]


def test_the_notebook_explains_tweaks_backtests_and_compares(executed):
    printed = "".join(outputs(executed, "stream"))
    assert "review_request for o-2390: scheduled by sms" in printed
    assert "playbook:           2026-12-27 09:00:00-05:00" in printed
    assert "flagged gifts only: 2026-12-14 09:00:00-05:00" in printed
    assert "contacts sent to 24 customers; 58 contacts of the history left out" in printed
    assert "contacts differ; by rule: {'gift-season':" in printed
    frames = [html for html in outputs(executed, "text/html") if "dataframe" in html]
    # The plan, the backtest's intents by channel, and the comparison, as DataFrames.
    assert len(frames) == 3
    assert "a_send_at_local" in frames[-1]
    assert "gift-season" in frames[-1]
    assert "send_at_local" in frames[0]


def test_the_notebook_shows_the_short_plan_and_the_backtest_and_comparison_views(executed):
    printed = "".join(outputs(executed, "stream"))
    assert "customer c02-bruno (America/Sao_Paulo, BR), planned at" in printed
    assert "(plan.explain() shows each decision's trace)" in printed
    views = [html for html in outputs(executed, "text/html") if "outreach-rules" in html]
    assert all(view.count("<style>") == 1 for view in views)
    assert any("<strong>backtest</strong> of policy" in view for view in views)
    assert any("<strong>comparison</strong> of policy A" in view for view in views)


def test_the_notebook_draws_both_plots(executed):
    images = outputs(executed, "image/png")
    assert len(images) == 2
