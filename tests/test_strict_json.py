"""JSON text is read as the standard library reads it, but a key given twice and a lone
surrogate are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach_rules import InputError
from outreach_rules._strict_json import DuplicateKey, LoneSurrogate, loads
from outreach_rules.spark import _builder

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(values)
def test_what_has_no_key_twice_reads_as_the_standard_library_reads_it(value: Any) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert loads(text.encode("utf-8")) == json.loads(text)


@given(st.dictionaries(st.text(max_size=4), scalars, min_size=1), st.data())
def test_a_key_given_twice_is_named(data: dict[str, Any], draw: st.DataObject) -> None:
    key = draw.draw(st.sampled_from(sorted(data)))
    inner = json.dumps(data)[1:-1]
    again = f"{json.dumps(key)}: 0"
    with pytest.raises(DuplicateKey) as twice:
        loads(f'{{"outer": {{{inner}, {again}}}}}')
    assert twice.value.key == key


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "c\\ud800"}', "id"),
        ('{"data": {"note": "a\\udfffb"}}', "data.note"),
        ('{"data": {"n\\udc00té": 1}}', "data.n\\udc00té"),
        ('[1, {"a": ["ok", "\\uDBFF"]}]', "[1].a[1]"),
        ('"\\ud800"', "value"),
        # Half a pair the wrong way round is as lone as half a pair.
        ('{"id": "\\ude00\\ud83d"}', "id"),
    ],
)
def test_a_lone_surrogate_is_refused_where_it_stands(text: str, where: str) -> None:
    with pytest.raises(LoneSurrogate) as lone:
        loads(text)
    assert lone.value.key == where


def test_a_surrogate_pair_is_one_character() -> None:
    assert loads('{"id": "c\\ud83d\\ude00"}') == {"id": "c\U0001f600"}
    assert loads('{"id": "c\\u00e9"}') == {"id": "c\u00e9"}


@given(values, st.characters(categories=("Cs",)))
def test_a_surrogate_anywhere_in_a_value_is_found(value: Any, half: str) -> None:
    text = json.dumps({"x": value, "y": [half]})
    with pytest.raises(LoneSurrogate) as lone:
        loads(text)
    assert lone.value.key == "y[0]"


def test_bad_syntax_is_still_a_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads('{"a": }')


def test_a_spark_string_column_with_a_key_twice_names_the_column_and_key() -> None:
    build = _builder(dict, ("data",))
    assert build({"data": '{"gift": true}'}) == {"data": {"gift": True}}
    with pytest.raises(InputError, match=r"data\.gift=.*: is given twice in one object"):
        build({"data": '{"gift": true, "gift": false}'})


def test_a_spark_string_column_with_a_lone_surrogate_names_the_column_and_key() -> None:
    build = _builder(dict, ("data",))
    with pytest.raises(InputError, match=r"data\.note=.*: holds a lone surrogate"):
        build({"data": '{"note": "\\ud800"}'})
