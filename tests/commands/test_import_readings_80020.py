"""`manage.py import_readings` with 80020 XML files (docs/rules.md, "80020 XML"): detection, --format, --time-zone."""

import datetime as dt
import io
import time
import types
from decimal import Decimal

import pytest

from registry.models import MeterReading, ReadingImport
from tests.readings_files import (
    ASKUE_DAY,
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HOURLY,
    MISSING_PERIOD,
    askue_day_stored,
    import_readings,
    make_meters,
    rejected,
    stored,
    xml80020,
)


@pytest.fixture
def meters(db):
    return make_meters()


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Write the 80020 files into the working directory under the given names."""
    monkeypatch.chdir(tmp_path)

    def write(**contents: bytes) -> list[str]:
        for name, content in contents.items():
            (tmp_path / name).write_bytes(content)
        return list(contents)

    return write


def test_it_reads_a_file_that_begins_like_xml_as_80020(meters, files):
    names = files(**{"askue.xml": xml80020(ASKUE_DAY)})

    out, err = import_readings(*names)

    assert out == (
        "72 rows: 72 inserted, 0 unchanged, 0 corrected.\n"
        "2 values flagged with a non-zero status by the metering system (80020).\n"
    )
    assert err == ""
    assert stored() == askue_day_stored()
    assert ReadingImport.objects.get().flagged_values == 2


def test_a_rerun_prints_all_unchanged(meters, files):
    names = files(**{"askue.xml": xml80020(ASKUE_DAY)})
    import_readings(*names)

    out, _ = import_readings(*names)

    assert out.startswith("72 rows: 0 inserted, 72 unchanged, 0 corrected.\n")
    assert stored() == askue_day_stored()


def test_it_reads_80020_from_standard_input(meters, monkeypatch):
    monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(xml80020(HOURLY))))

    out, _ = import_readings("--format", "80020", "-")

    assert out.startswith("4 rows: 4 inserted")


def test_the_time_zone_option_places_the_hours(meters, files):
    names = files(**{"hourly.xml": xml80020(HOURLY)})

    import_readings("--time-zone", "Europe/Moscow", *names)

    # 00:00-01:00 of 3 March in Moscow (UTC+3), not in Almaty (UTC+5).
    assert stored()["PV-0102", dt.datetime(2025, 3, 2, 21, tzinfo=dt.UTC)] == Decimal("30")


def test_it_refuses_an_unknown_time_zone(meters, files):
    names = files(**{"hourly.xml": xml80020(HOURLY)})

    error, _ = rejected("--time-zone", "Asia/Nowhere", *names)

    assert str(error) == "“Asia/Nowhere” is not a time zone: use an IANA name such as Asia/Almaty."


def test_it_reads_csv_and_80020_files_in_one_load(meters, files):
    names = files(
        **{"feed.csv": b"meter_id,period_start,kwh\nKR-0201,2025-03-01T10:00Z,5\n", "hourly.xml": xml80020(HOURLY)}
    )

    out, _ = import_readings(*names)

    assert out.startswith("5 rows: 5 inserted")


def test_a_missing_period_exits_with_status_1_and_saves_nothing(meters, files):
    names = files(**{"day.xml": xml80020(MISSING_PERIOD)})

    error, err = rejected(*names)

    assert error.returncode == 1
    assert err == (
        "day.xml:16: period: PV-0101, hour 01:00–02:00 of 2025-03-04 in Asia/Almaty (2025-03-03 20:00 UTC): "
        "no period 01:30–02:00, so the hour has no reading\n"
    )
    assert not MeterReading.objects.exists()


@pytest.mark.parametrize("name", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_it_refuses_entities_clearly_and_quickly(meters, files, name):
    names = files(**{name: xml80020(name)})
    started = time.monotonic()

    error, err = rejected(*names)

    assert time.monotonic() - started < 2
    assert str(error) == "Import rejected: nothing was saved."
    assert err == (
        f"{name}:2: refused: the file declares a document type (<!DOCTYPE …>), where entities that expand without "
        "limit or read other files can hide; 80020 messages have none\n"
    )
