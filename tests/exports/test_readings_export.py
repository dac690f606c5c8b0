"""The readings export, written by PostgreSQL's COPY: the contract's CSV to the byte (docs/rules.md, "Exports")."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorDebugWrapper
from django.test import override_settings
from django.urls import reverse

from registry.exports import ExportFilters
from registry.exports.base import cell
from registry.models import ExportLog, MeterReading
from registry.services.exports import export_prepare, export_start
from tests.factories import GridConnectionFactory

UTC = dt.UTC

# Meter ids are text written by grid companies: formulas, CSV's own characters, nothing at all.
METERS = ["=SUM(A1)", "+7", "-1", "@x", "\tTab", "\rCR", "a,b", 'say "hi"', "line\nbreak", "", "Счётчик 1", "'q"]
HOURS = [
    dt.datetime(2024, 2, 29, 23, tzinfo=UTC),
    dt.datetime(2024, 3, 1, 0, tzinfo=UTC),
    dt.datetime(2026, 12, 31, 23, tzinfo=UTC),
    dt.datetime(2027, 1, 1, 0, tzinfo=UTC),
]
KWH = ["0", "5", "5.5", "5.125", "999999999.999"]


def readings_bytes(**filters) -> bytes:
    chosen_filters = ExportFilters(**filters)
    chosen = export_prepare(dataset_name="readings", filters=chosen_filters)
    return b"".join(export_start(dataset=chosen, filters=chosen_filters, actor="pytest"))


@pytest.fixture
def tricky(db):
    """One reading per meter id above, each at a month's edge, with 0, 1 or 3 decimals of kWh."""
    for index, meter_id in enumerate(METERS):
        MeterReading.objects.create(
            connection=GridConnectionFactory(meter_id=meter_id),
            period_start=HOURS[index % len(HOURS)],
            kwh=Decimal(KWH[index % len(KWH)]),
        )


def test_tricky_values_are_written_as_the_contract_says(tricky):
    data = readings_bytes()

    assert (
        data
        == (
            "\ufeffmeter_id,period_start,kwh\n"
            "'=SUM(A1),2024-02-29T23:00:00Z,0.000\n"
            "'+7,2024-03-01T00:00:00Z,5.000\n"
            "'-1,2026-12-31T23:00:00Z,5.500\n"
            "'@x,2027-01-01T00:00:00Z,5.125\n"
            "'\tTab,2024-02-29T23:00:00Z,999999999.999\n"
            '"\'\rCR",2024-03-01T00:00:00Z,0.000\n'
            '"a,b",2026-12-31T23:00:00Z,5.000\n'
            '"say ""hi""",2027-01-01T00:00:00Z,5.500\n'
            '"line\nbreak",2024-02-29T23:00:00Z,5.125\n'
            ",2024-03-01T00:00:00Z,999999999.999\n"
            "Счётчик 1,2026-12-31T23:00:00Z,0.000\n"
            "'q,2027-01-01T00:00:00Z,5.000\n"
        ).encode()
    )


def test_postgresql_writes_the_cells_as_the_python_writer_does(tricky):
    """The formula rule and the instants live twice (cell(); sql_safe_text(), sql_instant_on_the_hour()): they agree."""
    readings = MeterReading.objects.order_by("connection_id", "period_start").values_list(
        "connection__meter_id", "period_start", "kwh"
    )

    _header, *rows = csv.reader(io.StringIO(readings_bytes().decode("utf-8-sig"), newline=""))

    assert rows == [[cell(value) for value in reading] for reading in readings]


def test_a_database_that_writes_dates_another_way_gets_the_same_bytes(tricky):
    expected = readings_bytes()
    with connection.cursor() as cursor:
        cursor.execute("SET DateStyle TO 'SQL, DMY'")  # the session's, until the test's transaction ends

    assert readings_bytes() == expected


def test_filters_reach_the_rows_postgresql_writes(tricky):
    data = readings_bytes(meter="a,b", date_from=dt.date(2026, 12, 31), date_to=dt.date(2026, 12, 31))

    assert data == '\ufeffmeter_id,period_start,kwh\n"a,b",2026-12-31T23:00:00Z,5.000\n'.encode()


def test_no_readings_is_the_header_alone_and_zero_rows_logged(db):
    assert readings_bytes() == "\ufeffmeter_id,period_start,kwh\n".encode()
    assert ExportLog.objects.get().row_count == 0


@pytest.fixture
def debug_cursor():
    """What DEBUG=1 (make run) gives every query: Django's debug cursor wrapper, whose copy() takes no parameters."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.force_debug_cursor = True
    yield
    wrapper.force_debug_cursor = False


@override_settings(DEBUG=True)
def test_it_works_with_debug_on(tricky, debug_cursor):
    with connection.cursor() as cursor:
        assert isinstance(cursor, CursorDebugWrapper)

    rows = list(csv.reader(io.StringIO(readings_bytes(meter="'q").decode("utf-8-sig"), newline="")))

    assert rows == [["meter_id", "period_start", "kwh"], ["'q", "2027-01-01T00:00:00Z", "5.000"]]
    assert ExportLog.objects.get().row_count == 1


@override_settings(DEBUG=True)
def test_the_web_download_works_with_debug_on(client, auditor, tricky, debug_cursor):
    client.force_login(auditor)

    response = client.get(reverse("exports:download", args=["readings"]) + "?meter=%27q")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode("utf-8-sig").splitlines() == [
        "meter_id,period_start,kwh",
        "'q,2027-01-01T00:00:00Z,5.000",
    ]


def test_every_row_of_a_large_export_arrives_in_order(db):
    meters = [GridConnectionFactory(meter_id=f"M-{index:03d}") for index in range(30)]
    start = dt.datetime(2026, 10, 31, 12, tzinfo=UTC)  # across the end of a month: two partitions
    MeterReading.objects.bulk_create(
        MeterReading(connection=meter, period_start=start + dt.timedelta(hours=hour), kwh=Decimal(hour))
        for meter in meters
        for hour in range(500)
    )

    data = readings_bytes()

    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 30 * 500
    assert lines[1] == "M-000,2026-10-31T12:00:00Z,0.000"
    assert lines[-1] == "M-029,2026-11-21T07:00:00Z,499.000"
    assert ExportLog.objects.get().row_count == 30 * 500
