"""`manage.py export DATASET [--out] [--from] [--to] [--region] [--status] [--meter]` (docs/rules.md, "Exports")."""

import csv
import datetime as dt
import getpass
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override
from pghistory.models import Events

from registry.models import ExportLog, Firm, GridConnection, MeterReading
from tests.factories import BIN_A, BIN_B

BOM = "\ufeff".encode()


@pytest.fixture
def export(capsysbinary):
    """Run the command in English; return what it wrote to standard output."""

    def run(*args) -> bytes:
        capsysbinary.readouterr()
        with override("en"):
            call_command("export", *args)
        return capsysbinary.readouterr().out

    return run


def parsed(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM), "the export starts with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def test_it_writes_the_dataset_to_stdout(export, firm_a, firm_b):
    data = export("firms")

    rows = parsed(data)
    assert [(row["bin"], row["name"]) for row in rows] == [(BIN_A, "Alpha Mining LLP"), (BIN_B, "Beta Hash TOO")]


def test_out_file_holds_the_same_bytes_as_stdout(export, firm_a, firm_b, tmp_path):
    Firm.objects.filter(pk=firm_b.pk).update(name="=Бета «Хэш»\r\nТОО")
    on_stdout = export("firms", "--region", "karaganda")

    nothing = export("firms", "--region", "karaganda", "--out", str(tmp_path / "firms.csv"))

    assert nothing == b""
    assert (tmp_path / "firms.csv").read_bytes() == on_stdout
    assert parsed(on_stdout)[0]["name"] == "'=Бета «Хэш»\r\nТОО"


def test_it_logs_who_exported_what_with_which_filters(export, firm_a, firm_b):
    export("firms", "--region", "pavlodar", "--status", "registered", "--from", "2020-01-01", "--to", "2099-12-31")

    entry = ExportLog.objects.get()
    assert entry.actor == f"cli:{getpass.getuser()}"
    assert entry.user is None
    assert entry.dataset == "firms"
    assert entry.filters == {
        "region": "pavlodar",
        "status": "registered",
        "date_from": "2020-01-01",
        "date_to": "2099-12-31",
    }
    assert entry.row_count == 1


def test_an_empty_export_logs_zero_rows(export, db):
    data = export("flags")

    assert parsed(data) == []
    assert ExportLog.objects.get().row_count == 0


def test_from_and_to_take_whole_days(export, firm_a):
    connection = GridConnection.objects.get(meter_id="PV-0001")
    for hour in (dt.datetime(2025, 1, 1, 23, tzinfo=dt.UTC), dt.datetime(2025, 1, 2, 0, tzinfo=dt.UTC)):
        MeterReading.objects.create(connection=connection, period_start=hour, kwh=Decimal("3.5"))

    data = export("readings", "--meter", "PV-0001", "--from", "2025-01-01", "--to", "2025-01-01")

    assert parsed(data) == [{"meter_id": "PV-0001", "period_start": "2025-01-01T23:00:00Z", "kwh": "3.500"}]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["nope"],
            "unknown dataset “nope”: use one of firms, facilities, licences, declarations, connections, readings, "
            "flags, inspections, enforcement, audit",
        ),
        (
            ["firms", "--region", "narnia"],
            "“narnia” is not a region code: use one of abai, akmola, aktobe, almaty_region, atyrau, east_kazakhstan, "
            "jambyl, jetisu, karaganda, kostanay, kyzylorda, mangystau, north_kazakhstan, pavlodar, turkistan, ulytau, "
            "west_kazakhstan, astana, almaty, shymkent",
        ),
        (
            ["licences", "--status", "granted"],
            "“granted” is not a status of licences: use one of applied, under_review, active, suspended, revoked, "
            "expired, surrendered, rejected",
        ),
        (["connections", "--status", "active"], "the connections export has no status filter"),
        (["connections", "--from", "2025-01-01"], "the connections export has no date filter"),
        (["inspections", "--region", "astana"], "the inspections export has no region filter"),
        (["firms", "--meter", "PV-0001"], "the firms export has no meter filter"),
        (["firms", "--from", "2025-02-30"], "“2025-02-30” is not a date YYYY-MM-DD"),
        (["firms", "--to", "31.12.2025"], "“31.12.2025” is not a date YYYY-MM-DD"),
    ],
    ids=[
        "unknown dataset",
        "bad region",
        "status not a choice",
        "no status filter",
        "no date filter",
        "no region filter",
        "no meter filter",
        "impossible date",
        "date in another format",
    ],
)
def test_a_bad_request_is_refused_with_a_clear_message(firm_a, capsysbinary, tmp_path, args, message):
    out = tmp_path / "export.csv"

    with override("en"), pytest.raises(CommandError) as caught:
        call_command("export", *args, "--out", str(out))

    assert str(caught.value) == message
    assert not out.exists()
    assert capsysbinary.readouterr().out == b""
    assert not ExportLog.objects.exists()


def test_an_out_path_that_cannot_be_written_is_refused_cleanly(firm_a, tmp_path):
    with override("en"), pytest.raises(CommandError):
        call_command("export", "firms", "--out", str(tmp_path / "no-such-dir" / "firms.csv"))

    assert not ExportLog.objects.exists()


def test_a_bulk_update_is_in_the_audit_trail(export, firm_a, firm_b):
    Firm.objects.filter(bin__in=[BIN_A]).update(name="Alpha Renamed LLP")

    data = export("audit")

    event = Events.objects.get(pgh_obj_model="registry.Firm", pgh_obj_id=str(firm_a.pk), pgh_label="update")
    assert event.pgh_diff == {"name": ["Alpha Mining LLP", "Alpha Renamed LLP"]}
    (row,) = [
        row
        for row in parsed(data)
        if (row["model"], row["object_id"], row["action"]) == ("registry.Firm", str(firm_a.pk), "update")
    ]
    assert json.loads(row["changes"]) == {"name": ["Alpha Mining LLP", "Alpha Renamed LLP"]}
    assert json.loads(row["values"])["name"] == "Alpha Renamed LLP"


def test_every_export_appears_in_the_audit_trail(export, firm_a):
    export("firms", "--region", "pavlodar")

    data = export("audit")

    exports = [row for row in parsed(data) if row["model"] == "registry.ExportLog" and row["action"] == "insert"]
    first = json.loads(exports[0]["values"])
    assert (first["dataset"], first["filters"]) == ("firms", {"region": "pavlodar"})
    assert json.loads(exports[0]["context"])["command"] == "export"
