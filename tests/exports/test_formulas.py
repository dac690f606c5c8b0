"""No CSV cell is a formula, whether a spreadsheet splits the lines at `,` or at `;` (issue 15, item 4).

A Russian or Kazakh Excel splits a CSV at `;`, its list separator: a cell begins after every `;` and every
line break, quotes or not (it takes a quote in mid-cell as text). Those cells are checked too.
"""

import csv
import datetime as dt
import functools
import io
import json
import re
import unicodedata
from decimal import Decimal

import pytest

from registry.exports import DATASETS, ExportFilters
from registry.exports.base import cell
from registry.models import Facility, Firm, GridConnection, MeterReading
from registry.services.exports import export_prepare, export_start
from tests.factories import (
    EnforcementActionFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    InspectionFactory,
    PowerDeclarationFactory,
)

ZWSP = "\u200b"


@functools.cache
def unicode() -> tuple[str, str]:
    """What a spreadsheet may skip before a formula (spaces, control and invisible characters but line breaks),
    and what Unicode folds into a formula's first character (full-width ＝ and the like), from unicodedata."""
    everything = [chr(code) for code in range(0x110000)]
    blank = "".join(
        c for c in everything if c not in "\r\n" and (c.isspace() or unicodedata.category(c) in ("Cc", "Cf"))
    )
    starts = "".join(c for c in everything if unicodedata.normalize("NFKC", c) in ("=", "+", "-", "@"))
    return blank, starts


def export_bytes(dataset: str, **filters) -> bytes:
    chosen_filters = ExportFilters(**filters)
    chosen = export_prepare(dataset_name=dataset, filters=chosen_filters)
    return b"".join(export_start(dataset=chosen, filters=chosen_filters, actor="pytest"))


def comma_cells(data: bytes) -> list[list[str]]:
    """The cells a spreadsheet that splits at `,` reads (RFC 4180), header row first."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def semicolon_cells(data: bytes) -> list[str]:
    """The cells a spreadsheet that splits at `;` reads: a line break ends a row, a quote counts at a cell's start."""
    text = data.decode("utf-8-sig")
    return [value for line in re.split(r"\r\n|\r|\n", text) for value in next(csv.reader([line], delimiter=";"), [])]


def is_formula(value: str) -> bool:
    """What a spreadsheet may run: a cell read (its quotes taken off) whose first character but spaces and
    invisible ones is a formula's, or that begins with a tab or a carriage return. A leading `'` makes text."""
    blank, starts = unicode()
    meaningful = value.lstrip(blank)
    return value[:1] in ("\t", "\r") or (meaningful[:1] != "" and meaningful[0] in starts)


def number(value: str) -> bool:
    try:
        Decimal(value)
    except ArithmeticError:
        return False
    return True


# The address


def test_an_address_with_semicolons_is_quoted_and_its_pieces_neutralised(db):
    FirmFactory(name="Gamma", region="astana", address="x;=1+1;y")

    data = export_bytes("firms")

    assert b'"x;\'=1+1;y"' in data
    assert comma_cells(data)[1][3] == "x;'=1+1;y"
    assert "'=1+1" in semicolon_cells(data)
    assert not [value for value in semicolon_cells(data) if is_formula(value)]


def test_a_line_break_inside_a_cell_cannot_start_a_formula_either(db):
    FirmFactory(name="Gamma", region="astana", address='ул. Абая 1\r\n=HYPERLINK("http://x")')

    data = export_bytes("firms")

    assert comma_cells(data)[1][3] == 'ул. Абая 1\r\n\'=HYPERLINK("http://x")'
    assert not [value for value in semicolon_cells(data) if is_formula(value)]


# What comes before the formula's first character


@pytest.mark.parametrize(
    "name",
    [
        "'=1+1",
        '"=1+1',
        "\uff1d1+1",
        ZWSP + "=1+1",
        "\ufeff=1+1",
        " \u00a0=1+1",
        "\uff0b7",
        "\uff0d1",
        "\uff20SUM(A1)",
        "\u2066=1+1",
    ],
    ids=[
        "apostrophe",
        "quote",
        "full-width-equals",
        "zero-width-space",
        "bom",
        "spaces",
        "full-width-plus",
        "full-width-minus",
        "full-width-at",
        "direction-isolate",
    ],
)
def test_a_cell_that_only_looks_past_its_first_character_to_a_formula_gets_an_apostrophe(db, name):
    FirmFactory(name=name, region="astana")

    (_, row) = comma_cells(export_bytes("firms"))

    assert row[1] == "'" + name


@pytest.mark.parametrize("name", ["ТОО 'Кен' = ok", '"Kazakh" Ore', "Ōsaka+", "a-b;c@d", " x", "1;2"])
def test_text_that_only_holds_such_characters_is_left_alone(db, name):
    FirmFactory(name=name, region="astana")

    (_, row) = comma_cells(export_bytes("firms"))

    assert row[1] == name


def test_json_cells_keep_no_semicolon_and_read_back_as_the_same_json(firm_a):
    FlagFactory(facility=Facility.objects.get(ref="FAC-A1"), evidence={"note": "a;=1+1;b", "mw": "1.5"})

    data = export_bytes("flags")

    (evidence,) = [row[9] for row in comma_cells(data)[1:]]
    assert ";" not in evidence
    assert json.loads(evidence) == {"note": "a;=1+1;b", "mw": "1.5"}


# Every dataset, read either way


@pytest.fixture
def planted(firm_a, firm_b):
    """A formula after a `;` or a line break in a text column of each dataset (the audit trail gets them too)."""
    payload = 'ok;=HYPERLINK("http://x");\n@SUM(A1)'
    Firm.objects.filter(pk=firm_a.pk).update(name=payload, address="x;=1+1;y")
    GridConnection.objects.filter(meter_id="PV-0001").update(consumer_name=payload, address="+1;-2")
    Facility.objects.filter(ref="FAC-A1").update(name=payload, address=ZWSP + "=1")
    meter = GridConnection.objects.get(meter_id="PV-0001")
    MeterReading.objects.create(connection=meter, period_start=dt.datetime(2026, 10, 1, tzinfo=dt.UTC), kwh=1)
    PowerDeclarationFactory(facility=Facility.objects.get(ref="FAC-A1"), month=dt.date(2026, 9, 1))
    FlagFactory(facility=Facility.objects.get(ref="FAC-B1"), firm=firm_b, decision_reason=payload)
    InspectionFactory(facility=Facility.objects.get(ref="FAC-A1"), firm=firm_a, findings=payload)
    EnforcementActionFactory(action="fine", firm=firm_b, region="karaganda", fine_kzt=1, notes=payload)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_no_dataset_has_a_formula_for_a_spreadsheet_that_splits_at_semicolons(planted, dataset):
    data = export_bytes(dataset)

    formulas = [value for value in semicolon_cells(data) if is_formula(value) and not number(value)]

    assert formulas == []


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_cell_with_a_semicolon_is_quoted(planted, dataset):
    data = export_bytes(dataset)
    text = data.decode("utf-8-sig")

    with_semicolons = [value for row in comma_cells(data) for value in row if ";" in value]

    assert all('"' + value.replace('"', '""') + '"' in text for value in with_semicolons)


# The readings export, written by PostgreSQL


def readings_rows(data: bytes) -> list[list[str]]:
    return comma_cells(data)[1:]


@pytest.fixture
def odd_meters(db):
    hour = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for meter_id in ["x;=1+1;y", "'=1", ZWSP + "=1", "\uff1d1", "PV-0001"]:
        MeterReading.objects.create(connection=GridConnectionFactory(meter_id=meter_id), period_start=hour, kwh=1)


def test_the_readings_export_quotes_meter_ids_when_one_holds_a_semicolon(odd_meters):
    data = export_bytes("readings")

    assert b'"x;\'=1+1;y",2026-10-01T00:00:00Z,1.000\n' in data
    assert not [value for value in semicolon_cells(data) if is_formula(value) and not number(value)]
    assert [row[0] for row in readings_rows(data)] == ["x;'=1+1;y", "''=1", "'" + ZWSP + "=1", "'\uff1d1", "PV-0001"]


def test_the_readings_export_leaves_plain_meter_ids_unquoted(firm_a):
    meter = GridConnection.objects.get(meter_id="PV-0001")
    MeterReading.objects.create(connection=meter, period_start=dt.datetime(2026, 10, 1, tzinfo=dt.UTC), kwh=1)

    assert export_bytes("readings").decode("utf-8-sig").splitlines()[1] == "PV-0001,2026-10-01T00:00:00Z,1.000"


def test_postgresql_writes_the_readings_cells_as_the_python_writer_does(odd_meters):
    readings = MeterReading.objects.order_by("connection_id", "period_start").values_list(
        "connection__meter_id", "period_start", "kwh"
    )

    assert readings_rows(export_bytes("readings")) == [[cell(value) for value in reading] for reading in readings]
