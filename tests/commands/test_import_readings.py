"""`manage.py import_readings FILE [FILE…]` (README.md, "Commands"): counts on stdout, errors on stderr, exit 1."""

import io
import types
from decimal import Decimal

import pytest
from pghistory.models import Events

from registry.models import MeterReading, ReadingCorrection, ReadingImport
from tests.readings_files import (
    BAD_FILES,
    FEED,
    FEED_STORED,
    hour,
    import_readings,
    make_meters,
    readings,
    rejected,
    stored,
)


@pytest.fixture
def meters(db):
    return make_meters()


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Write files into the working directory, so messages name them as given on the command line."""
    monkeypatch.chdir(tmp_path)

    def write(**contents: str | bytes) -> list[str]:
        for name, content in contents.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (tmp_path / f"{name}.csv").write_bytes(data)
        return [f"{name}.csv" for name in contents]

    return write


@pytest.fixture
def stdin(monkeypatch):
    """Give the command these bytes on standard input."""

    def feed(data: bytes) -> None:
        monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))

    return feed


def test_it_prints_the_counts(meters, files):
    names = files(readings=FEED)

    out, err = import_readings(*names)

    assert out == "4 rows: 4 inserted, 0 unchanged, 0 corrected.\n"
    assert err == ""
    assert stored() == FEED_STORED


def test_rerun_prints_all_unchanged(meters, files):
    names = files(readings=FEED)
    import_readings(*names)

    out, _ = import_readings(*names)

    assert out == "4 rows: 0 inserted, 4 unchanged, 0 corrected.\n"
    assert stored() == FEED_STORED


def test_it_prints_a_correction(meters, files):
    import_readings(*files(first=FEED))

    out, _ = import_readings(*files(second=readings("PV-0101,2025-03-01T10:00Z,12.75", "PV-0101,2025-03-01T13:00Z,1")))

    assert out == "2 rows: 1 inserted, 0 unchanged, 1 corrected.\n"
    assert stored()[("PV-0101", hour(10))] == Decimal("12.75")


def test_it_records_the_import_with_the_files_it_read(meters, files):
    names = files(readings=FEED)

    import_readings(*names)

    record = ReadingImport.objects.get()
    assert (record.status, record.source, record.inserted) == ("succeeded", "import_readings readings.csv", 4)


def test_it_tags_the_correction_in_the_audit_trail_with_the_command(meters, files):
    import_readings(*files(first=FEED))

    import_readings(*files(second=readings("PV-0101,2025-03-01T10:00Z,12.75")))

    # A correction is its own append-only record; who made it is its import's audit event (issue 15).
    correction = ReadingCorrection.objects.get()
    event = Events.objects.get(
        pgh_obj_model="registry.ReadingImport", pgh_obj_id=str(correction.reading_import_id), pgh_label="insert"
    )
    assert event.pgh_context["command"] == "import_readings"
    assert event.pgh_context["files"] == ["second.csv"]


@pytest.mark.parametrize("name", BAD_FILES)
def test_it_exits_with_status_1_and_lists_the_errors_on_stderr(meters, files, name):
    body, expected = BAD_FILES[name]
    before = MeterReading.objects.count()

    error, err = rejected(*files(readings=body))

    assert error.returncode == 1
    assert str(error) == "Import rejected: nothing was saved."
    assert err.splitlines() == expected
    assert MeterReading.objects.count() == before
    assert ReadingImport.objects.get().status == "rejected"


def test_a_nul_byte_is_an_error_it_can_print_and_record(meters, files):
    error, err = rejected(*files(readings=readings("PV-0101\x00,2025-03-02T00:00Z,1")))

    assert error.returncode == 1
    assert err.splitlines() == ["readings.csv:2: meter_id: unknown meter “PV-0101\\u0000”"]
    assert ReadingImport.objects.get().errors == err.splitlines()


def test_a_good_file_is_not_saved_beside_a_bad_one(meters, files):
    names = files(good=FEED, bad=readings("PV-0101,2025-03-02T00:00Z,-1"))

    error, err = rejected(*names)

    assert error.returncode == 1
    assert err.splitlines() == ["bad.csv:2: kwh: a reading cannot be negative"]
    assert stored() == {}


def test_it_says_when_it_stopped_at_100_errors(meters, files):
    names = files(readings=readings(*(f"XX-{n},2025-03-01T10:00Z,1" for n in range(150))))

    error, err = rejected(*names)

    lines = err.splitlines()
    assert len(lines) == 101
    assert lines[99] == "readings.csv:101: meter_id: unknown meter “XX-99”"
    assert lines[100] == "Stopped after the first 100 errors."
    assert error.returncode == 1


def test_it_refuses_a_file_that_does_not_exist(meters, files):
    error, _ = rejected("missing.csv")

    assert str(error) == "cannot read missing.csv: no such file"
    assert ReadingImport.objects.count() == 0


# Standard input


def test_it_reads_standard_input(meters, stdin):
    stdin(FEED.encode("utf-8"))

    out, _ = import_readings("-")

    assert out == "4 rows: 4 inserted, 0 unchanged, 0 corrected.\n"
    assert stored() == FEED_STORED
    assert ReadingImport.objects.get().source == "import_readings -"


def test_it_reads_standard_input_twice_when_an_hour_repeats(meters, stdin):
    stdin(readings("PV-0101,2025-03-01T10:00Z,1", "PV-0101,2025-03-01T11:00Z,2", "PV-0101,2025-03-01T10:00Z,3"))

    out, _ = import_readings("-")

    assert out == "3 rows: 2 inserted, 0 unchanged, 1 corrected.\n"
    assert stored() == {("PV-0101", hour(10)): Decimal("3"), ("PV-0101", hour(11)): Decimal("2")}


def test_it_names_standard_input_in_errors(meters, stdin):
    stdin(readings("PV-0101,2025-03-01T10:00Z,1", "PV-0101,2025-03-01T11:00,2"))

    error, err = rejected("-")

    assert error.returncode == 1
    assert err.splitlines() == [
        "stdin:3: period_start: “2025-03-01T11:00” is not an ISO 8601 instant with an offset or Z"
    ]
    assert stored() == {}


def test_it_reads_files_and_standard_input_together(meters, files, stdin):
    names = files(readings=readings("PV-0101,2025-03-01T10:00Z,1"))
    stdin(readings("PV-0102,2025-03-01T10:00Z,2"))

    out, _ = import_readings(*names, "-")

    assert out == "2 rows: 2 inserted, 0 unchanged, 0 corrected.\n"
    assert stored() == {("PV-0101", hour(10)): Decimal("1"), ("PV-0102", hour(10)): Decimal("2")}
