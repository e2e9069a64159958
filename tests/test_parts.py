"""The batch writer: the bytes of decision records in JSON Lines and CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from outreach_rules._parts import CSV_COLUMNS, write_records

# Any text a record can carry: control characters, quotes, backslashes, non-ASCII and
# astral characters; not lone surrogates, which UTF-8 cannot encode.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_OPTIONAL = st.none() | _TEXT
_STEP = st.fixed_dictionaries(
    {"rule": _TEXT, "effect": _TEXT, "from": _OPTIONAL, "to": _OPTIONAL, "why": _TEXT}
)
_RECORD = st.fixed_dictionaries(
    {
        **dict.fromkeys(CSV_COLUMNS[:-1], _OPTIONAL),
        "id": _TEXT,
        "customer": _TEXT,
        "trace": st.lists(_STEP, max_size=4),
    }
)
_BATCHES = st.lists(st.lists(_RECORD, max_size=3), max_size=3)


def _standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _written(batches: list[list[dict[str, Any]]], form: str, *, header: bool = False) -> str:
    out = io.StringIO(newline="")
    write_records(iter(batches), form, out, header=header)
    return out.getvalue()


@given(_BATCHES)
def test_jsonl_is_what_the_standard_library_writes(batches: list[list[dict[str, Any]]]) -> None:
    expected = "".join(_standard(record) + "\n" for records in batches for record in records)
    assert _written(batches, "jsonl") == expected


@given(_BATCHES)
def test_csv_has_the_columns_and_the_trace_as_json(batches: list[list[dict[str, Any]]]) -> None:
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for records in batches:
        for record in records:
            cells = ["" if record[c] is None else record[c] for c in CSV_COLUMNS[:-1]]
            writer.writerow([*cells, _standard(record["trace"])])
    assert _written(batches, "csv", header=True) == expected.getvalue()


@given(_BATCHES)
def test_jsonl_reads_back_as_the_records(batches: list[list[dict[str, Any]]]) -> None:
    lines = _written(batches, "jsonl").split("\n")
    assert lines.pop() == ""
    assert [json.loads(line) for line in lines] == [r for records in batches for r in records]


def test_a_header_alone() -> None:
    assert _written([], "csv", header=True) == ",".join(CSV_COLUMNS) + "\n"
    assert _written([], "csv") == ""
    assert _written([], "jsonl", header=True) == ""
