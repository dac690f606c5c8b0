"""Long commands show their progress on a terminal's stderr (rows or bytes, rate, time), and nowhere else."""

import datetime as dt
import io
import os
import pty
import re

import pytest
from django.core.management import call_command
from django.utils.translation import override

from registry.models import ReadingArchive
from registry.services.partitions import readings_partitions_ensure
from registry.services.readings import bytes_source, readings_import
from tests.readings_files import FEED, make_meters, readings

COUNTS = "4 rows: 4 inserted, 0 unchanged, 0 corrected.\n"
RATE = r"\[\d\d:\d\d, [0-9.]+[kMG]? rows/s\]"


@pytest.fixture
def meters(db):
    return make_meters()


@pytest.fixture
def feed(tmp_path):
    """Write a readings file; return its path."""

    def write(content: bytes) -> str:
        path = tmp_path / "readings.csv"
        path.write_bytes(content)
        return str(path)

    return write


@pytest.fixture
def terminal():
    """Run a command in English with its stderr on a pseudo-terminal; return (stdout, what the terminal showed)."""
    opened = []

    def run(*args, **options) -> tuple[str, str]:
        reader, writer = pty.openpty()
        opened.append(reader)
        out = io.StringIO()
        with open(writer, "w", encoding="utf-8") as stderr, override("en"):
            call_command(*args, stdout=out, stderr=stderr, **options)
        shown = b""
        while True:
            try:
                chunk = os.read(reader, 1 << 16)
            except OSError:  # EIO: the terminal's other end is closed and all it showed has been read
                break
            if not chunk:
                break
            shown += chunk
        return out.getvalue(), shown.decode("utf-8")

    yield run
    for reader in opened:
        os.close(reader)


def test_import_shows_the_rows_read_and_their_rate_on_a_terminal(meters, feed, terminal):
    out, shown = terminal("import_readings", feed(FEED.encode("utf-8")))

    assert out == COUNTS
    assert re.search(r"\rReading: 4\.00 rows " + RATE, shown)


def test_import_says_when_it_merges_hours_already_stored(meters, feed, terminal):
    path = feed(FEED.encode("utf-8"))
    terminal("import_readings", path)

    out, shown = terminal("import_readings", path)

    assert out == "4 rows: 0 inserted, 4 unchanged, 0 corrected.\n"
    assert re.search(r"\rReading: 4\.00 rows " + RATE + r".*\rMerging 4 rows… \[\d\d:\d\d\]", shown, re.S)


def test_import_says_why_it_reads_the_feed_again(meters, feed, terminal):
    readings_partitions_ensure([dt.date(2025, 3, 1)])  # so that new hours are copied straight in, at first
    path = feed(readings("PV-0101,2025-03-01T10:00Z,1", "PV-0101,2025-03-01T11:00Z,2", "PV-0101,2025-03-01T10:00Z,3"))

    out, shown = terminal("import_readings", path)

    assert out == "3 rows: 2 inserted, 0 unchanged, 1 corrected.\n"
    assert re.search(r"\rReading again \(an hour repeats in the feed\): 3\.00 rows " + RATE, shown)
    assert "Merging 3 rows…" in shown


def test_import_shows_no_progress_with_v0(meters, feed, terminal):
    out, shown = terminal("import_readings", feed(FEED.encode("utf-8")), verbosity=0)

    assert out == COUNTS
    assert shown == ""


def test_import_shows_no_progress_when_stderr_is_a_file(meters, feed, tmp_path):
    out = io.StringIO()
    with (tmp_path / "stderr.txt").open("w") as stderr, override("en"):
        call_command("import_readings", feed(FEED.encode("utf-8")), stdout=out, stderr=stderr)

    assert out.getvalue() == COUNTS
    assert (tmp_path / "stderr.txt").read_text() == ""


def test_archive_names_the_month_it_writes_on_a_terminal(meters, terminal, tmp_path):
    readings_import(sources=[bytes_source("feed.csv", FEED.encode("utf-8"))], label="test feed")

    out, shown = terminal("archive_readings", "--month", "2025-03", "--dir", str(tmp_path))

    assert out.startswith("2025-03: 4 readings → ")
    assert re.search(r"\rArchiving 2025-03… \[\d\d:\d\d\]", shown)
    assert ReadingArchive.objects.get().rows == 4


def test_export_to_a_file_shows_the_bytes_written_on_a_terminal(firm_a, terminal, tmp_path):
    out, shown = terminal("export", "firms", "--out", str(tmp_path / "firms.csv"))

    size = (tmp_path / "firms.csv").stat().st_size
    assert out == ""
    assert re.search(rf"\rWriting: {size}B \[\d\d:\d\d, [0-9.]+[kMG]?B/s\]", shown)


@pytest.mark.slow
def test_the_demo_seed_names_each_step_and_ends_complete_on_a_terminal(db, terminal):
    from tests.commands.test_seed_demo import SMALL_DEMO

    out, shown = terminal("seed_demo", *SMALL_DEMO)

    assert out.startswith("Demo data: 44 licensed or applying firms")
    steps = re.findall(r"\r([A-Z][a-z0-9 ]+): +\d+%\|", shown)
    assert steps[:2] == ["Demo data", "Staff and people"] and steps[-1] == "Demo data"
    assert {"Hourly readings", "The 2022 campaign", "Monthly declarations"} <= set(steps)
    assert re.search(r"\rDemo data: 100%\|[^|]*\| 9/9 \[\d\d:\d\d\]", shown)


@pytest.mark.slow
def test_the_demo_seed_is_quiet_with_v0_on_a_terminal(db, terminal):
    from tests.commands.test_seed_demo import SMALL_DEMO

    out, shown = terminal("seed_demo", *SMALL_DEMO, verbosity=0)

    assert shown == "" and out.startswith("Demo data: 44")
