"""An export that fails part-way never looks complete: the download or the command fails, the log says so.

The database fails for real: a lock that outlasts the export's lock_timeout before the first row, and the
export's backend terminated (pg_terminate_backend) while it is sending rows.
"""

import contextlib
import datetime as dt
import re
import time

import psycopg
import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils.translation import override

import registry.services.exports as exports_service
from registry.exports import ExportFilters
from registry.models import ExportLog
from registry.models.audit import EXPORT_FAILED
from registry.services.exports import export_prepare, export_start
from registry.services.partitions import months_between, readings_partitions_ensure
from tests.factories import GridConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
# A backend terminated while blocked sending rows cannot send its error first: libpq sees the socket close.
CUT = "terminating connection due to administrator command|server closed the connection unexpectedly"


def other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )


@pytest.fixture
def readings(db):
    """200 meters × 1,500 hours: 300,000 rows (11 MB of CSV), more than the sockets between hold."""
    meters = [GridConnectionFactory(meter_id=f"M-{index:03d}") for index in range(200)]
    end = START + dt.timedelta(hours=1500)
    readings_partitions_ensure(months_between(START, end))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT c, h, 1.5 FROM unnest(%s::bigint[]) AS c,"
            " generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '1 hour') AS h",
            [[meter.pk for meter in meters], START, end],
        )


@pytest.fixture
def locked_connections(db):
    """Another session holds the grid connections; this one gives up waiting for a lock after 0.3 s."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    with other_connection() as other:
        other.execute("BEGIN")
        other.execute("LOCK TABLE registry_gridconnection IN ACCESS EXCLUSIVE MODE")
        yield
        other.execute("ROLLBACK")
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def terminate_while_sending(pid: int) -> None:
    """Wait until the backend is blocked sending rows (the reader has not taken them), then terminate it."""
    with other_connection() as other:
        deadline = time.monotonic() + 20
        while other.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() != (
            "ClientWrite",
        ):
            assert time.monotonic() < deadline, "the export's backend never waited to send rows"
            time.sleep(0.05)
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@contextlib.contextmanager
def cut_after_the_first_block(monkeypatch):
    """Terminate the export's backend once its first block has been read (the rest is still to come)."""
    stream = exports_service.csv_stream

    def cut(*args, **kwargs):
        blocks = stream(*args, **kwargs)
        yield next(blocks)
        terminate_while_sending(connection.connection.info.backend_pid)
        yield from blocks

    monkeypatch.setattr(exports_service, "csv_stream", cut)
    yield


def failure_of(entry: ExportLog) -> str | None:
    event = ExportLog.pgh_event_model.objects.filter(pgh_obj=entry, pgh_label=EXPORT_FAILED).first()
    return event and event.pgh_context.metadata["export_failed"]


# The stream


def test_a_failure_before_the_first_row_is_raised_before_any_byte(locked_connections):
    chosen = export_prepare(dataset_name="readings", filters=ExportFilters())

    with pytest.raises(DatabaseError, match="lock timeout"):
        export_start(dataset=chosen, filters=ExportFilters(), actor="pytest")

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)
    assert "lock timeout" in failure_of(entry)


def test_a_failure_mid_stream_is_raised_by_the_stream_and_logged(readings):
    chosen = export_prepare(dataset_name="readings", filters=ExportFilters())
    blocks = export_start(dataset=chosen, filters=ExportFilters(), actor="pytest")  # the first block is read
    terminate_while_sending(connection.connection.info.backend_pid)

    with pytest.raises(DatabaseError, match=CUT):
        for _ in blocks:
            pass

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)
    assert re.search(CUT, failure_of(entry))


def test_a_download_the_reader_breaks_off_is_logged_as_failed(readings):
    chosen = export_prepare(dataset_name="readings", filters=ExportFilters())
    blocks = export_start(dataset=chosen, filters=ExportFilters(), actor="pytest")
    next(blocks)

    blocks.close()

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)
    assert failure_of(entry) == "the reader stopped before the end"


def test_a_complete_export_is_not_failed(readings):
    chosen = export_prepare(dataset_name="readings", filters=ExportFilters(meter="M-007"))
    data = b"".join(export_start(dataset=chosen, filters=ExportFilters(meter="M-007"), actor="pytest"))

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (1500, False)
    assert data.count(b"\n") == 1 + 1500


# The web download


def test_a_download_that_fails_before_the_first_row_is_an_error_page(client, auditor, locked_connections):
    client.force_login(auditor)

    response = client.get(reverse("exports:download", args=["readings"]))

    assert response.status_code == 500
    assert "nothing was downloaded" in response.content.decode()
    assert ExportLog.objects.with_failed().get().failed


def test_a_download_that_fails_mid_stream_breaks_off(client, auditor, readings):
    client.force_login(auditor)
    response = client.get(reverse("exports:download", args=["readings"]))
    assert response.status_code == 200  # the first rows are on their way
    terminate_while_sending(connection.connection.info.backend_pid)

    # The server stops sending: gunicorn ends the chunked body without its last chunk, so the browser
    # marks the download failed instead of saving a short file.
    with pytest.raises(DatabaseError):
        b"".join(response.streaming_content)

    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)


# The command


def test_the_command_fails_before_the_first_row_and_writes_no_file(locked_connections, tmp_path):
    out = tmp_path / "readings.csv"

    with override("en"), pytest.raises(CommandError, match="the export failed") as caught:
        call_command("export", "readings", "--out", str(out))

    assert "nothing was written to" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    assert ExportLog.objects.with_failed().get().failed


def test_the_command_fails_mid_stream_and_leaves_no_partial_file(readings, tmp_path, monkeypatch):
    out = tmp_path / "readings.csv"
    out.write_text("yesterday's export\n")

    with override("en"), cut_after_the_first_block(monkeypatch), pytest.raises(CommandError) as caught:
        call_command("export", "readings", "--out", str(out))

    assert re.search(CUT, str(caught.value))
    assert [path.name for path in tmp_path.iterdir()] == ["readings.csv"]
    assert out.read_text() == "yesterday's export\n"  # untouched, not half overwritten
    entry = ExportLog.objects.with_failed().get()
    assert (entry.row_count, entry.failed) == (None, True)


def test_the_command_exits_non_zero_when_the_export_fails(locked_connections, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "export", "readings", "--out", str(tmp_path / "r.csv")]).execute()

    assert exited.value.code != 0
    assert "the export failed" in capsys.readouterr().err
