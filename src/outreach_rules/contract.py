"""The data contract of DESIGN.md: customer and event records, one JSON object per line.

Records become value objects here, with errors that name the record's field; the batch
reader adds the file and the line. A customer's ``country`` must be an ISO 3166-1 code
(``COUNTRIES``), with a subdivision or without; a line that begins with a UTF-8
byte-order mark is refused with an error that says so.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from outreach_rules._frozen import thaw
from outreach_rules._strict_json import NotStrict, loads
from outreach_rules.errors import InputError, OutreachRulesError
from outreach_rules.model import Customer, Event

__all__ = [
    "COUNTRIES",
    "CUSTOMER_FIELDS",
    "EVENT_FIELDS",
    "Line",
    "customer_from_record",
    "customer_record",
    "event_from_record",
    "event_record",
    "read_lines",
]

CUSTOMER_FIELDS = ("id", "timezone", "country", "since", "channels", "consents", "attributes")
EVENT_FIELDS = ("id", "customer", "kind", "at", "ref", "data")
_CUSTOMER_REQUIRED = ("id", "timezone", "country", "since")
_EVENT_REQUIRED = ("kind", "at")

#: The ISO 3166-1 alpha-2 codes a customer's ``country`` may begin with: the 249 that ISO
#: assigns, and XK, which the European Union, the `holidays` package and most data sources
#: use for Kosovo. The Rust core (``rust/core/src/reading.rs``) holds the same list.
COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - 250 codes read better as a table than as a list
)
# Codes ISO reserves for other uses that are often taken for a country's.
_RESERVED = {"UK": "GB", "EL": "GR", "EU": None, "UN": None}
_BOM = "\ufeff"


@attrs.frozen
class Line:
    """One line of a JSON Lines file: where it stands and what it says."""

    file: str
    number: int
    text: str

    def record(self) -> dict[str, Any]:
        """The line's JSON object; a malformed line raises ``InputError`` saying where."""
        try:
            value = loads(self.text)
        except json.JSONDecodeError as error:
            if self.text.startswith(_BOM):
                raise InputError(
                    "begins with a UTF-8 byte-order mark (U+FEFF), which JSON Lines does not allow",
                    field="line",
                    file=self.file,
                    line=self.number,
                    hint="save the file as UTF-8 without a byte-order mark",
                ) from None
            raise InputError(
                f"is not valid JSON ({error.msg} at column {error.colno})",
                field="line",
                file=self.file,
                line=self.number,
            ) from None
        except NotStrict as error:
            raise InputError(
                error.problem, field=error.key, file=self.file, line=self.number, hint=error.hint
            ) from None
        if not isinstance(value, dict):
            raise InputError(
                f"must be a JSON object, not {type(value).__name__}",
                file=self.file,
                line=self.number,
            )
        return value


def read_lines(
    path: str | Path, *, start: int = 0, end: int | None = None, first_line: int = 1
) -> Iterator[Line]:
    """The non-blank lines of a JSON Lines file, numbered from 1.

    ``start`` and ``end`` read only the lines that begin in that byte range (``start``
    must be where a line begins, and ``first_line`` its number).
    """
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})", field="file", value=name) from None
    with handle:
        handle.seek(start)
        position, number = start, first_line
        for raw in handle:
            if end is not None and position >= end:
                break
            position += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    "is not UTF-8 text", field="line", file=name, line=number
                ) from None
            if text.strip():
                yield Line(name, number, text.rstrip("\r\n"))
            number += 1


def _check_keys(
    record: Mapping[str, Any], allowed: tuple[str, ...], required: tuple[str, ...]
) -> None:
    for key in record:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(allowed)}"
            raise InputError("is not a field of this record", field=str(key), hint=hint)
    for key in required:
        if record.get(key) is None:
            raise InputError("is required", field=key)


def customer_from_record(record: Mapping[str, Any]) -> Customer:
    """A ``Customer`` from a customer record."""
    _check_keys(record, CUSTOMER_FIELDS, _CUSTOMER_REQUIRED)
    customer = Customer(**record)
    _check_country(customer.country)
    return customer


def _check_country(country: str) -> None:
    # The model has checked the form (two capitals, and a subdivision of up to three).
    code = country[:2]
    if code in COUNTRIES:
        return
    if _RESERVED.get(code):
        hint = f"did you mean {_RESERVED[code]!r}?"
    else:
        hint = "use an ISO 3166-1 alpha-2 code such as 'GB', or one with a subdivision: 'US-FL'"
    raise InputError("is not an ISO 3166 country code", field="country", value=country, hint=hint)


def event_from_record(record: Mapping[str, Any]) -> Event:
    """An ``Event`` from an event record; without ``customer`` it is a broadcast."""
    _check_keys(record, EVENT_FIELDS, _EVENT_REQUIRED)
    return Event(**record)


def customer_record(customer: Customer) -> dict[str, Any]:
    """A customer as a record of the contract; ``customer_from_record`` reads it back."""
    return {
        "id": customer.id,
        "timezone": customer.timezone,
        "country": customer.country,
        "since": customer.since.isoformat(),
        "channels": {str(channel): True for channel in sorted(customer.channels)},
        "consents": thaw(customer.consents),
        "attributes": thaw(customer.attributes),
    }


def event_record(event: Event) -> dict[str, Any]:
    """An event as a record of the contract; ``event_from_record`` reads it back."""
    record: dict[str, Any] = {"kind": event.kind, "at": event.at.isoformat()}
    for key in ("id", "customer", "ref"):
        if getattr(event, key) is not None:
            record[key] = getattr(event, key)
    if event.data:
        record["data"] = thaw(event.data)
    return record


def located(error: OutreachRulesError, line: Line) -> OutreachRulesError:
    """``error`` with the file and line of ``line``."""
    return error.located(file=line.file, line=line.number)
