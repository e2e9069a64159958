"""Mistakes in the input that used to pass unnoticed, refused or reported alike on both cores.

``NaN`` and ``Infinity`` (words JSON does not have), a number too large for a float, a
UTF-8 byte-order mark, a ``country`` outside ISO 3166, and an event kind the policy does
not know: each case runs through ``plan_files`` on each planning core (``each_core``),
and the Rust core is asked directly that it refused the line itself rather than leave it
to the Python planner.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from outreach_rules import Policy
from outreach_rules._cores import rust_module
from outreach_rules._parts import plan_files
from outreach_rules._reading import BUILT_IN_KINDS, Rejected
from outreach_rules._strict_json import NotFinite, loads
from outreach_rules.batch import UnknownKind, groups
from outreach_rules.contract import COUNTRIES, Line
from outreach_rules.errors import InputError, OutreachRulesError

NOW = "2026-12-10T14:00:00Z"
AT = "2026-12-01T10:00:00Z"
CUSTOMER = {
    "id": "c1",
    "timezone": "Europe/London",
    "country": "GB",
    "since": "2020-01-01T00:00:00Z",
}


def _event(**fields: Any) -> str:
    return json.dumps({"customer": "c1", "kind": "order_placed", "at": AT, "ref": "o1"} | fields)


def _files(tmp_path: Path, customers: list[str], events: list[str]) -> tuple[Path, Path]:
    paths = tmp_path / "customers.jsonl", tmp_path / "events.jsonl"
    for path, lines in zip(paths, (customers, events), strict=True):
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return paths


def _plan(
    paths: tuple[Path, Path], policy: Policy | None = None, **options: Any
) -> tuple[Any, str, list[Rejected]]:
    """The count planned (or the error raised), the output, and the lines rejected."""
    out = io.StringIO()
    rejected: list[Rejected] = []
    try:
        planned: Any = plan_files(
            policy or Policy.default(), *paths, out, now=NOW, reject=rejected.append, **options
        )
    except OutreachRulesError as error:
        planned = error
    return planned, out.getvalue(), rejected


def _warned(
    paths: tuple[Path, Path], **options: Any
) -> tuple[Any, str, list[Rejected], list[UnknownKind]]:
    """What ``_plan`` gives, and the events of an unknown kind reported."""
    warned: list[UnknownKind] = []
    return (*_plan(paths, on_unknown_kind=warned.append, **options), warned)


def _refused(paths: tuple[Path, Path]) -> InputError:
    """The error of a run that fails at its first bad line."""
    planned, out, _ = _plan(paths)
    assert isinstance(planned, InputError), planned
    assert out == ""
    return planned


def _core_refuses(paths: tuple[Path, Path], policy: Policy | None = None) -> list[Any]:
    """What the Rust core says of the files by itself: it plans them (no fallback to the
    Python planner) and refuses the lines given back; skipped where it is not built."""
    from outreach_rules import _rust  # noqa: PLC0415 - only where the core is built

    module = rust_module()
    if module is None:
        pytest.skip("the Rust core is not built here")
    compiled = _rust.compiled(policy or Policy.default())
    folder = paths[0].parent
    found = module.plan_files(
        compiled,
        *map(str, paths),
        str(folder / "out.jsonl"),
        now=0,
        form="jsonl",
        trace="full",
        on_error="skip",
        threads=1,
        workdir=str(folder),
    )
    assert found[1] is None, found[1]
    return [issue[:4] for issue in found[2]]


# -- NaN, Infinity and infinite numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": NaN}', "a"),
        ('{"a": {"b": [1, Infinity]}}', "a.b[1]"),
        ('{"a": -Infinity}', "a"),
        ('{"a": 1e400}', "a"),
        ('{"a": [-1E999]}', "a[0]"),
        ("NaN", "value"),
    ],
)
def test_nan_infinity_and_infinite_numbers_are_not_json(text: str, where: str) -> None:
    with pytest.raises(NotFinite) as refused:
        loads(text)
    assert refused.value.key == where


def test_large_and_tiny_finite_numbers_still_read() -> None:
    assert loads('{"a": 1e308, "b": -1.5e-400, "c": "NaN"}') == {"a": 1e308, "b": -0.0, "c": "NaN"}


def test_nan_in_event_data_is_refused_with_file_line_and_field(
    tmp_path: Path, each_core: str
) -> None:
    nan = _event()[:-1] + ', "data": {"total": NaN}}'
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], [_event(ref="o0"), nan])
    error = _refused(paths)
    assert (error.file, error.line, error.field) == (str(paths[1]), 2, "data.total")
    assert "is not a finite number" in str(error)
    assert _core_refuses(paths) == [("refused", False, str(paths[1]), 2)]


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "1e999"])
def test_infinite_numbers_in_customer_attributes_are_refused(
    tmp_path: Path, each_core: str, number: str
) -> None:
    line = json.dumps(CUSTOMER)[:-1] + f', "attributes": {{"score": {number}}}}}'
    paths = _files(tmp_path, [line], [_event()])
    error = _refused(paths)
    assert (error.file, error.line, error.field) == (str(paths[0]), 1, "attributes.score")
    assert _core_refuses(paths)[0] == ("refused", False, str(paths[0]), 1)


def test_nan_lines_are_skipped_alike_on_both_cores(tmp_path: Path, each_core: str) -> None:
    nan = _event()[:-1] + ', "data": {"x": NaN}}'
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], [nan, _event()])
    planned, out, rejected = _plan(paths, on_error="skip")
    assert planned == 1
    assert out.count('"intent"') >= 1
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(1, "data.x")]


# -- a byte-order mark -------------------------------------------------------------------------


def test_a_byte_order_mark_is_named(tmp_path: Path, each_core: str) -> None:
    paths = _files(tmp_path, ["\ufeff" + json.dumps(CUSTOMER)], [_event()])
    error = _refused(paths)
    assert (error.file, error.line, error.field) == (str(paths[0]), 1, "line")
    assert "byte-order mark" in str(error)
    assert error.hint == "save the file as UTF-8 without a byte-order mark"
    assert _core_refuses(paths)[0] == ("refused", False, str(paths[0]), 1)


def test_a_byte_order_mark_in_the_events_is_named_too(tmp_path: Path, each_core: str) -> None:
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], ["\ufeff" + _event()])
    error = _refused(paths)
    assert (error.file, error.line, error.field) == (str(paths[1]), 1, "line")
    assert "byte-order mark" in str(error)


def test_other_bad_json_is_not_taken_for_a_byte_order_mark() -> None:
    with pytest.raises(InputError) as bad:
        Line("f.jsonl", 3, "{").record()
    assert "byte-order mark" not in str(bad.value)


# -- countries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "hint"),
    [
        ("UK", "did you mean 'GB'?"),
        ("UK-ENG", "did you mean 'GB'?"),
        ("EL", "did you mean 'GR'?"),
        ("XX", "use an ISO 3166-1 alpha-2 code such as 'GB', or one with a subdivision: 'US-FL'"),
        ("EU", "use an ISO 3166-1 alpha-2 code such as 'GB', or one with a subdivision: 'US-FL'"),
    ],
)
def test_a_country_outside_iso_3166_is_refused_where_it_is_read(
    tmp_path: Path, each_core: str, country: str, hint: str
) -> None:
    # The default policy has no business-days guard that would need the country.
    paths = _files(tmp_path, [json.dumps(CUSTOMER | {"country": country})], [_event()])
    error = _refused(paths)
    assert (error.file, error.line, error.field) == (str(paths[0]), 1, "country")
    assert (error.value, error.hint) == (country, hint)
    assert "is not an ISO 3166 country code" in str(error)
    assert _core_refuses(paths)[0] == ("refused", False, str(paths[0]), 1)


def test_both_cores_take_the_same_countries(tmp_path: Path) -> None:
    """Every pair of capitals, and some with a subdivision: the same lines refused."""
    codes = [f"{chr(a)}{chr(b)}" for a in range(65, 91) for b in range(65, 91)]
    codes += ["US-FL", "AU-NSW", "XK-01", "UK-ENG", "ZZ-1"]
    lines = [json.dumps(CUSTOMER | {"id": f"c{n:03d}", "country": c}) for n, c in enumerate(codes)]
    paths = _files(tmp_path, lines, [])
    refused = {line for _, _, _, line in _core_refuses(paths)}
    expected = {n + 1 for n, code in enumerate(codes) if code[:2] not in COUNTRIES}
    assert refused == expected
    assert len(COUNTRIES) == 250
    assert {"GB", "US", "XK"} <= COUNTRIES
    assert not {"UK", "EU", "UN", "ZZ"} & COUNTRIES


# -- event kinds the policy does not know ------------------------------------------------------


def test_a_misspelt_kind_is_reported_with_the_likely_one(tmp_path: Path, each_core: str) -> None:
    events = [_event(), _event(kind="order_delivred"), _event(kind="parcel_scanned")]
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], events)
    planned, out, rejected, warned = _warned(paths)
    assert (planned, rejected) == (1, [])
    name = str(paths[1])
    assert warned == [
        UnknownKind(name, 2, "order_delivred", "order_delivered"),
        UnknownKind(name, 3, "parcel_scanned", None),
    ]
    assert str(warned[0]) == (
        f"{name}:2: kind 'order_delivred' is not an event kind the policy knows "
        "(did you mean 'order_delivered'?)"
    )
    assert warned[1].hint == "add it to the policy's events if your system sends it"
    if each_core == "rust":
        # The core found them itself, without handing the run to the Python planner.
        reported = _core_run(paths, refuse_unknown_kinds=False)[4]
        assert reported == [(name, 2, "order_delivred"), (name, 3, "parcel_scanned")]
    # Reported, not refused: planned as before, the review waiting for the delivery.
    assert out == _plan(paths)[1]
    assert '"status":"waiting"' in out


def test_the_policy_s_events_and_the_built_in_kinds_are_known(
    tmp_path: Path, each_core: str
) -> None:
    policy = Policy.default().with_overrides({"events": ["order_placed", "parcel_scanned"]})
    kinds = ["order_placed", "parcel_scanned", *BUILT_IN_KINDS, "order_delivered"]
    events = [_event(kind=kind, ref=f"o{n}") for n, kind in enumerate(kinds)]
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], events)
    warned: list[UnknownKind] = []
    planned, _, rejected = _plan(paths, policy, on_unknown_kind=warned.append)
    # order_delivered is not among this policy's events: reported, with no near kind.
    assert [(w.line, w.kind) for w in warned] == [(len(kinds), "order_delivered")]
    assert (planned, rejected) == (1, [])


def test_unknown_kinds_come_in_line_order_however_the_files_are_read(
    tmp_path: Path, each_core: str
) -> None:
    people = [json.dumps(CUSTOMER | {"id": f"c{n}"}) for n in range(5)]
    events = [_event(customer=f"c{n % 5}", ref=f"o{n}") for n in range(30)]
    for n in (3, 11, 12, 29):
        events[n] = _event(customer=f"c{n % 5}", ref=f"o{n}", kind="order_delivred")
    broadcast = json.dumps({"kind": "chanel_down", "at": AT, "data": {"channel": "sms"}})
    events.insert(0, broadcast)
    ordered = sorted(events[1:], key=lambda line: json.loads(line)["customer"])
    for lines in (events, [broadcast, *ordered]):
        paths = _files(tmp_path, people, lines)
        for workers in (1, 2):
            planned, _, rejected, warned = _warned(paths, workers=workers)
            assert (planned, rejected) == (5, [])
            expected = [n + 1 for n, line in enumerate(lines) if "order_delivred" in line]
            assert [w.line for w in warned] == [1, *expected]
            assert [w.suggestion for w in warned] == ["channel_down", *["order_delivered"] * 4]


def test_refused_kinds_are_bad_lines_naming_file_line_and_kind(
    tmp_path: Path, each_core: str
) -> None:
    events = [_event(), _event(kind="order_delivred", ref="o2")]
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], events)
    planned, out, _, warned = _warned(paths, unknown_kinds="refuse")
    assert isinstance(planned, InputError)
    assert (planned.file, planned.line, planned.field) == (str(paths[1]), 2, "kind")
    assert (planned.value, planned.hint) == ("order_delivred", "did you mean 'order_delivered'?")
    assert "is not an event kind the policy knows" in str(planned)
    assert (out, warned) == ("", [])
    assert _core_refuses_kinds(paths) == [("refused", False, str(paths[1]), 2)]


def test_refused_kinds_are_skipped_with_on_error_skip(tmp_path: Path, each_core: str) -> None:
    events = [_event(kind="order_delivred", ref="o2"), _event()]
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], events)
    planned, out, rejected, warned = _warned(paths, unknown_kinds="refuse", on_error="skip")
    assert (planned, warned) == (1, [])
    reason = (
        "kind='order_delivred': is not an event kind the policy knows "
        "(did you mean 'order_delivered'?)"
    )
    assert [(r.line, r.reason) for r in rejected] == [(1, reason)]
    assert out != ""


def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    paths = _files(tmp_path, [json.dumps(CUSTOMER)], [_event()])
    with pytest.raises(InputError, match="must be 'warn' or 'refuse'"):
        plan_files(Policy.default(), *paths, io.StringIO(), now=NOW, unknown_kinds="ignore")  # type: ignore[arg-type]


def test_groups_reports_unknown_kinds_when_given_the_policy(tmp_path: Path) -> None:
    events = [_event(kind="order_delivred"), _event()]
    for lines in (events, events[::-1]):
        paths = _files(tmp_path, [json.dumps(CUSTOMER)], lines)
        warned: list[UnknownKind] = []
        read = list(groups(*paths, policy=Policy.default(), on_unknown_kind=warned.append))
        assert [len(group.history) for group in read] == [2]
        assert [(w.line, w.suggestion) for w in warned] == [
            (lines.index(events[0]) + 1, "order_delivered")
        ]
        assert [len(g.history) for g in groups(*paths)] == [2]
        with pytest.raises(InputError, match="kind='order_delivred'"):
            list(groups(*paths, policy=Policy.default(), unknown_kinds="refuse"))


def _core_refuses_kinds(paths: tuple[Path, Path]) -> list[Any]:
    """The Rust core's own issues with the policy's kinds refused."""
    found = _core_run(paths, refuse_unknown_kinds=True)
    assert found[4] == []
    return [issue[:4] for issue in found[2]]


def _core_run(paths: tuple[Path, Path], *, refuse_unknown_kinds: bool) -> Any:
    """What the Rust core's ``plan_files`` gives with the default policy's kinds."""
    from outreach_rules import _rust  # noqa: PLC0415 - only where the core is built
    from outreach_rules._reading import Kinds  # noqa: PLC0415

    module = rust_module()
    if module is None:
        pytest.skip("the Rust core is not built here")
    folder = paths[0].parent
    found = module.plan_files(
        _rust.compiled(Policy.default()),
        *map(str, paths),
        str(folder / "out.jsonl"),
        now=0,
        form="jsonl",
        trace="full",
        on_error="skip",
        threads=1,
        workdir=str(folder),
        known_kinds=Kinds.of(Policy.default()).names,
        refuse_unknown_kinds=refuse_unknown_kinds,
    )
    assert found[1] is None, found[1]
    return found
