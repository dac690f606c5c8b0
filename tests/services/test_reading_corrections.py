"""Reading corrections (docs/rules.md, "Bulk formats"): recorded set-based, append-only, answered by their import."""

from decimal import Decimal

import pghistory
import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override
from pghistory.models import Events

from registry.models import MeterReading, ReadingCorrection, ReadingImport
from registry.services.readings import bytes_source, readings_import
from tests.readings_files import FEED, hour, make_meters, readings

CORRECTED = readings("PV-0101,2025-03-01T10:00Z,12.75", "PV-0102,2025-03-01T10:00Z,0.5")


@pytest.fixture
def meters(db):
    return make_meters()


def run_import(body: str | bytes, *, user=None) -> ReadingImport:
    source = bytes_source("readings.csv", body if isinstance(body, bytes) else body.encode("utf-8"))
    with override("en"):
        return readings_import(sources=[source], label="test feed", user=user)


def test_no_trigger_or_foreign_key_check_runs_per_correction(db):
    # A row-level trigger on the corrections (pghistory's copy, PostgreSQL's own foreign-key checks) made a
    # load of n corrections cost n², not n: 56 s for 88k rows (issue 15).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'registry_readingcorrection'::regclass"
            " AND tgtype & 1 = 1 ORDER BY tgname"  # TRIGGER_TYPE_ROW
        )
        row_level = [name for (name,) in cursor.fetchall()]

    assert row_level == []


def test_the_corrections_of_a_load_are_written_by_one_statement(meters):
    run_import(FEED)

    with CaptureQueriesContext(connection) as queries:
        record = run_import(CORRECTED)

    writes = [q["sql"] for q in queries if "INSERT INTO registry_readingcorrection" in q["sql"]]
    assert record.corrected == 2
    assert len(writes) == 1


def test_the_merge_gives_the_transaction_back_its_planner_settings(meters):
    run_import(FEED)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '8MB'")
        run_import(CORRECTED)
        cursor.execute("SELECT current_setting('work_mem'), current_setting('enable_memoize')")
        settings = cursor.fetchone()

    assert settings == ("8MB", "on")


def test_a_correction_records_which_import_changed_which_hour_from_what_to_what(meters, grid_operator):
    run_import(FEED)

    record = run_import(CORRECTED, user=grid_operator)

    assert sorted(
        ReadingCorrection.objects.values_list(
            "reading_import", "connection__meter_id", "period_start", "old_kwh", "new_kwh"
        )
    ) == [
        (record.pk, "PV-0101", hour(10), Decimal("12.5"), Decimal("12.75")),
        (record.pk, "PV-0102", hour(10), Decimal("0"), Decimal("0.5")),
    ]
    assert (record.user, record.corrected) == (grid_operator, 2)


def test_who_made_a_correction_is_in_its_imports_audit_trail(meters):
    run_import(FEED)

    with pghistory.context(command="import_readings", files=["corrected.csv"]):
        run_import(CORRECTED)

    correction = ReadingCorrection.objects.get(connection__meter_id="PV-0101")
    event = Events.objects.get(
        pgh_obj_model="registry.ReadingImport", pgh_obj_id=str(correction.reading_import_id), pgh_label="insert"
    )
    assert event.pgh_context["command"] == "import_readings"
    assert event.pgh_context["files"] == ["corrected.csv"]


def test_a_correction_cannot_be_changed(meters):
    run_import(FEED)
    run_import(CORRECTED)

    with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
        ReadingCorrection.objects.filter(connection__meter_id="PV-0101").update(new_kwh=99)

    assert ReadingCorrection.objects.get(connection__meter_id="PV-0101").new_kwh == Decimal("12.75")


def test_a_correction_cannot_be_deleted(meters):
    run_import(FEED)
    run_import(CORRECTED)

    with pytest.raises(ProgrammingError, match="Cannot delete"), transaction.atomic():
        ReadingCorrection.objects.all().delete()

    assert ReadingCorrection.objects.count() == 2


def test_a_connection_with_corrections_is_kept(meters):
    run_import(FEED)
    run_import(CORRECTED)
    # Its readings gone (an archived month), its corrections still name it.
    MeterReading.objects.filter(connection=meters["PV-0101"]).delete()

    with pytest.raises(ProtectedError):
        meters["PV-0101"].delete()
