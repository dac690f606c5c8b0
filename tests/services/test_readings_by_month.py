"""Readings by month (docs/rules.md, "Readings by month"): partitions made ahead of the data, window queries that
read only their months, and months that leave the database only into an archive that reads back."""

import datetime as dt
import gzip
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override
from pghistory.models import Events

from registry.errors import RegistryError
from registry.models import Flag, MeterReading, ReadingArchive
from registry.selectors.dashboard import capacity_vs_suspected_load
from registry.selectors.loads import flag_chart
from registry.services import partitions
from registry.services.detection import detection_run, detection_run_create
from registry.services.partitions import (
    partition_name,
    readings_archive,
    readings_months,
    readings_months_due_for_archive,
    readings_partitions_ensure,
)
from registry.services.readings import bytes_source, file_source, readings_import
from tests.factories import FlagFactory, GridConnectionFactory

UTC = dt.UTC


def feed(*rows: tuple[str, dt.datetime, str]) -> bytes:
    lines = ["meter_id,period_start,kwh"] + [f"{m},{h:%Y-%m-%dT%H:%M:%SZ},{k}" for m, h, k in rows]
    return ("\n".join(lines) + "\n").encode()


def load(body: bytes):
    with override("en"):
        return readings_import(sources=[bytes_source("feed.csv", body)], label="test feed")


def stored_readings() -> set[tuple[str, dt.datetime, Decimal]]:
    return {
        (meter, hour, kwh)
        for meter, hour, kwh in MeterReading.objects.values_list("connection__meter_id", "period_start", "kwh")
    }


def partitions_read(sql: str) -> set[str]:
    """The readings partitions PostgreSQL reads to run `sql` (EXPLAIN ANALYZE: pruned partitions are not shown)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    found = set()

    def walk(node):
        name = node.get("Relation Name", "")
        if name.startswith(partitions.PARENT + "_p"):
            found.add(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def readings_queries(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "registry_meterreading" in q["sql"] and q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]


@pytest.fixture
def year_of_readings(db):
    """Two meters with a reading every 6 hours from 2026-01 to 2026-11 (partitions 2026-01 … 2026-11)."""
    meters = [GridConnectionFactory(meter_id=f"M-{n}", tariff="residential") for n in (1, 2)]
    start, end = dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC)
    readings_partitions_ensure(partitions.months_between(start, end))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT c, h, 500 FROM unnest(%s::bigint[]) c,"
            " generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '6 hours') h",
            [[m.pk for m in meters], start, end],
        )
    return meters


def test_a_month_with_no_partition_is_made_by_the_import(db):
    GridConnectionFactory(meter_id="M-1")
    # Months no other test writes: partitions, unlike rows, outlive a transactional test.
    assert not {dt.date(2019, 10, 1), dt.date(2019, 11, 1)} & set(readings_months())

    record = load(
        feed(
            ("M-1", dt.datetime(2019, 10, 31, 23, tzinfo=UTC), "1.5"),
            ("M-1", dt.datetime(2019, 11, 1, tzinfo=UTC), "2"),
        )
    )

    assert record.inserted == 2
    assert {dt.date(2019, 10, 1), dt.date(2019, 11, 1)} <= set(readings_months())
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, kwh FROM registry_meterreading ORDER BY period_start")
        assert cursor.fetchall() == [
            ("registry_meterreading_p201910", Decimal("1.500")),
            ("registry_meterreading_p201911", Decimal("2.000")),
        ]


def test_an_orm_save_makes_its_months_partition(db):
    meter = GridConnectionFactory()
    assert not {dt.date(2024, 2, 1), dt.date(2024, 3, 1)} & set(readings_months())
    MeterReading.objects.create(connection=meter, period_start=dt.datetime(2024, 2, 29, 23, tzinfo=UTC), kwh=1)
    MeterReading.objects.bulk_create(
        [MeterReading(connection=meter, period_start=dt.datetime(2024, 3, 1, tzinfo=UTC), kwh=2)]
    )
    assert {dt.date(2024, 2, 1), dt.date(2024, 3, 1)} <= set(readings_months())


def test_the_monthly_step_makes_the_months_ahead(db):
    current = dt.date.today().replace(day=1)
    ahead = [current, partitions.clock.next_month(current), partitions.clock.add_months(current, 2)]

    made = partitions.readings_partitions_ahead(months=2)

    assert set(made) <= set(ahead) <= set(readings_months())  # some may exist already: partitions outlive tests
    assert partitions.readings_partitions_ahead(months=2) == []  # already there: nothing made twice


def test_detection_reads_only_its_windows_months(year_of_readings):
    as_of = dt.datetime(2026, 11, 1, tzinfo=UTC)
    with CaptureQueriesContext(connection) as queries:
        detection_run(run=detection_run_create(as_of=as_of, window_days=30, trigger="command"))
    read = set().union(*(partitions_read(sql) for sql in readings_queries(queries.captured_queries)))
    assert read == {partition_name(dt.date(2026, 10, 1))}


def test_the_dashboards_suspected_load_reads_only_its_windows_months(year_of_readings):
    with CaptureQueriesContext(connection) as queries:
        capacity_vs_suspected_load(as_of=dt.datetime(2026, 6, 15, tzinfo=UTC), days=30)
    read = set().union(*(partitions_read(sql) for sql in readings_queries(queries.captured_queries)))
    assert read <= {partition_name(dt.date(2026, 5, 1)), partition_name(dt.date(2026, 6, 1))}


def test_a_flag_chart_reads_only_its_windows_months(year_of_readings):
    meter = year_of_readings[0]
    flag = FlagFactory(
        rule="UNLICENSED_MINING",
        subject_type="connection",
        subject_ref=meter.meter_id,
        connection=meter,
        window_start=dt.datetime(2026, 8, 3, tzinfo=UTC),
        window_end=dt.datetime(2026, 9, 2, tzinfo=UTC),
    )
    with CaptureQueriesContext(connection) as queries:
        chart = flag_chart(flag=flag)
    read = set().union(*(partitions_read(sql) for sql in readings_queries(queries.captured_queries)))
    assert chart["series"]
    assert read and read <= {partition_name(dt.date(2026, 8, 1)), partition_name(dt.date(2026, 9, 1))}


def test_the_readings_export_with_dates_reads_only_their_months(year_of_readings):
    from psycopg import ClientCursor

    from registry.exports.base import ExportFilters
    from registry.exports.readings import ReadingsExport

    sql, params = ReadingsExport().copy_query(ExportFilters(date_from=dt.date(2026, 3, 5), date_to=dt.date(2026, 4, 2)))
    read = partitions_read(ClientCursor(connection.connection).mogrify(sql, params))
    assert read == {partition_name(dt.date(2026, 3, 1)), partition_name(dt.date(2026, 4, 1))}


# The archive


def test_an_old_month_goes_to_an_archive_that_reads_back(year_of_readings, tmp_path):
    january = {r for r in stored_readings() if r[1].month == 1}
    before = len(stored_readings())

    archive = readings_archive(dt.date(2026, 1, 1), directory=tmp_path)

    assert archive.rows == len(january) == 2 * 31 * 4
    path = tmp_path / "readings-2026-01.csv.gz"
    assert archive.path == str(path) and archive.bytes == path.stat().st_size
    assert gzip.open(path, "rt").readline() == "meter_id,period_start,kwh\n"
    assert dt.date(2026, 1, 1) not in readings_months()
    assert len(stored_readings()) == before - len(january)
    assert Events.objects.filter(pgh_model="registry.ReadingArchiveEvent", pgh_obj_id=archive.pk).exists()

    with override("en"):
        record = readings_import(sources=[file_source(str(path))], label=str(path))

    assert record.inserted == len(january)
    assert {r for r in stored_readings() if r[1].month == 1} == january


def test_the_command_archives_every_month_past_retention(year_of_readings, tmp_path, settings):
    settings.READINGS_RETENTION_MONTHS = 9
    settings.READINGS_ARCHIVE_DIR = tmp_path
    on = dt.datetime(2026, 11, 20, tzinfo=UTC)
    assert readings_months_due_for_archive(on=on) == [dt.date(2026, 1, 1)]  # before 2026-02, 9 months back

    call_command("archive_readings", "--month", "2026-01", "--month", "2026-02", stdout=open("/dev/null", "w"))

    assert sorted(a.month for a in ReadingArchive.objects.all()) == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readings-2026-01.csv.gz", "readings-2026-02.csv.gz"]


def test_no_retention_keeps_every_month(year_of_readings, settings):
    settings.READINGS_RETENTION_MONTHS = 0
    assert readings_months_due_for_archive(on=dt.datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_a_month_inside_an_open_flags_window_stays(year_of_readings, tmp_path):
    meter = year_of_readings[0]
    FlagFactory(
        rule="UNLICENSED_MINING",
        subject_type="connection",
        subject_ref=meter.meter_id,
        connection=meter,
        status=Flag.Status.OPEN,
        window_start=dt.datetime(2026, 2, 20, tzinfo=UTC),
        window_end=dt.datetime(2026, 3, 22, tzinfo=UTC),
    )
    with override("en"), pytest.raises(RegistryError, match="open flag"):
        readings_archive(dt.date(2026, 3, 1), directory=tmp_path)
    assert dt.date(2026, 3, 1) in readings_months()
    assert list(tmp_path.iterdir()) == []


def test_a_month_inside_detections_baseline_stays(year_of_readings, tmp_path):
    recent = dt.date.today().replace(day=1)
    readings_partitions_ensure([recent])
    with override("en"), pytest.raises(RegistryError, match="detection"):
        readings_archive(recent, directory=tmp_path)


def test_an_interrupted_archive_leaves_the_readings(year_of_readings, tmp_path, monkeypatch):
    before = stored_readings()

    def disk_full(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gzip.GzipFile, "write", disk_full)
    with pytest.raises(OSError):
        readings_archive(dt.date(2026, 1, 1), directory=tmp_path)

    assert stored_readings() == before
    assert dt.date(2026, 1, 1) in readings_months()
    assert not ReadingArchive.objects.exists()
    assert not (tmp_path / "readings-2026-01.csv.gz").exists()


# The migration


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_reading_into_its_month():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("registry", "0015_readings_covering_key")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO registry_gridconnection (meter_id, operator, consumer_name, consumer_bin, region, address,"
                " tariff) VALUES ('MIG-1', 'REC', '', '', 'almaty', '', 'residential') RETURNING id"
            )
            (pk,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO registry_meterreading SELECT %s, h, 2.5 FROM generate_series("
                "'2025-12-31 20:00+00'::timestamptz, '2026-02-01 03:00+00', interval '1 hour') h",
                [pk],
            )
        executor = MigrationExecutor(connection)
        executor.migrate([("registry", "0016_readings_by_month")])
        with connection.cursor() as cursor:
            cursor.execute("SELECT tableoid::regclass::text, count(*) FROM registry_meterreading GROUP BY 1 ORDER BY 1")
            assert cursor.fetchall() == [
                ("registry_meterreading_p202512", 4),
                ("registry_meterreading_p202601", 31 * 24),
                ("registry_meterreading_p202602", 4),
            ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        with connection.cursor() as cursor:  # partitions outlive a test's data: leave none behind
            for month in ("202512", "202601", "202602"):
                cursor.execute(f"DROP TABLE IF EXISTS registry_meterreading_p{month}")


def test_the_monthly_task_makes_months_ahead_and_archives_past_retention(year_of_readings, tmp_path, settings):
    from registry.tasks import readings_monthly

    settings.READINGS_RETENTION_MONTHS = 9
    settings.READINGS_ARCHIVE_DIR = tmp_path
    done = readings_monthly.apply().get()

    current = dt.date.today().replace(day=1)
    assert {current, partitions.clock.next_month(current)} <= set(readings_months())
    # Every month of the fixture before (now − 9 months) has left, into its archive.
    assert done["archived"] and all((tmp_path / f"readings-{a['month']}.csv.gz").exists() for a in done["archived"])


def test_the_command_says_what_it_would_do_and_refuses_a_bad_month(year_of_readings, capsys):
    with override("en"):
        call_command("archive_readings", "--month", "2026-01", "--dry-run")
        assert "would archive 2026-01" in capsys.readouterr().out
        with pytest.raises(CommandError, match="YYYY-MM"):
            call_command("archive_readings", "--month", "2026-13")
        with pytest.raises(CommandError, match="open flag|detection|no readings"):
            call_command("archive_readings", "--month", "2019-01")
    assert dt.date(2026, 1, 1) in readings_months()


def test_a_dry_run_without_a_month_makes_no_partition(db, capsys):
    ahead = partitions.clock.next_month(partitions.clock.next_month(dt.date.today().replace(day=1)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS registry_meterreading_p{ahead:%Y%m}")
    before = set(readings_months())

    with override("en"):
        call_command("archive_readings", "--dry-run")

    assert set(readings_months()) == before and ahead not in before
