"""`manage.py detect [--as-of ISO] [--window-days N] [--json]` (README.md, "Commands") and the flags it leaves."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override

from registry.models import DetectionRun, Flag
from registry.services.detection import RULES
from tests.detection.fixtures import HOUR, at, flat, meter

AS_OF = at(2025, 3, 1)
BOM = "\ufeff"
FLAG_COLUMNS = [
    "rule",
    "severity",
    "status",
    "subject_type",
    "subject_ref",
    "month",
    "window_start",
    "window_end",
    "evidence",
    "created_at",
]


@pytest.fixture
def farm(db):
    """An unlinked residential meter drawing a flat 0.5 MW for the whole week before 1 March 2025."""
    flat(meter("UN-0001", tariff="residential"), start=AS_OF - 7 * 24 * HOUR, hours=7 * 24, kwh=500)


def detect(*args) -> str:
    """Run the command in English; return what it printed."""
    out = io.StringIO()
    with override("en"):
        call_command("detect", *args, stdout=out)
    return out.getvalue()


def test_it_prints_a_json_summary_with_counts_per_rule(farm):
    out = detect("--as-of", "2025-03-01T00:00Z", "--window-days", "7", "--json")

    summary = json.loads(out)
    nothing = {"new": 0, "updated": 0, "silenced": 0}
    assert summary["as_of"] == "2025-03-01T00:00:00Z"
    assert summary["window_days"] == 7
    assert summary["run"] == DetectionRun.objects.get(trigger="command").pk
    assert isinstance(summary["duration_ms"], int)
    assert summary["flags"] == dict.fromkeys(RULES, nothing) | {
        "UNLICENSED_MINING": {"new": 1, "updated": 0, "silenced": 0}
    }


def test_it_takes_an_offset_other_than_utc(farm):
    out = detect("--as-of", "2025-03-01T05:00+05:00", "--window-days", "7", "--json")

    assert json.loads(out)["as_of"] == "2025-03-01T00:00:00Z"
    assert Flag.objects.get().window_end == AS_OF


def test_a_rerun_reports_the_flag_as_updated(farm):
    detect("--as-of", "2025-03-01T00:00Z", "--window-days", "7", "--json")

    out = detect("--as-of", "2025-03-01T00:00Z", "--window-days", "7", "--json")

    assert json.loads(out)["flags"]["UNLICENSED_MINING"] == {"new": 0, "updated": 1, "silenced": 0}
    assert Flag.objects.count() == 1


def test_it_prints_a_line_per_rule_without_json(farm):
    out = detect("--as-of", "2025-03-01T00:00Z", "--window-days", "7")

    lines = out.splitlines()
    assert lines[0].startswith("Detection as of 2025-03-01T00:00:00Z over 7 days (")
    assert [line.split()[0] for line in lines[1:]] == list(RULES)
    assert "UNLICENSED_MINING        1 new" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--as-of", "2025-03-01T00:00"],
            "--as-of must be an ISO 8601 instant with an offset or Z, e.g. 2026-11-24T00:00Z",
        ),
        (["--as-of", "yesterday"], "--as-of must be an ISO 8601 instant with an offset or Z, e.g. 2026-11-24T00:00Z"),
        (["--as-of", "2025-03-01T00:30Z"], "--as-of must be on the hour"),
        (["--window-days", "0"], "--window-days must be at least 1"),
    ],
    ids=["no offset", "not a date", "not on the hour", "empty window"],
)
def test_a_bad_argument_is_refused_and_nothing_runs(db, args, message):
    with pytest.raises(CommandError) as caught:
        detect(*args)

    assert str(caught.value) == message
    assert not DetectionRun.objects.filter(trigger="command").exists()


def test_export_flags_after_detect_lists_the_flags_written(farm, tmp_path):
    detect("--as-of", "2025-03-01T00:00Z", "--window-days", "7", "--json")
    out = tmp_path / "flags.csv"

    with override("en"):
        call_command("export", "flags", "--out", str(out))

    reader = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8").removeprefix(BOM), newline=""))
    rows = list(reader)
    assert set(FLAG_COLUMNS) <= set(reader.fieldnames)
    assert [{column: row[column] for column in FLAG_COLUMNS[:8]} for row in rows] == [
        {
            "rule": "UNLICENSED_MINING",
            "severity": "high",
            "status": "open",
            "subject_type": "connection",
            "subject_ref": "UN-0001",
            "month": "",
            "window_start": "2025-02-22T00:00:00Z",
            "window_end": "2025-03-01T00:00:00Z",
        }
    ]
    evidence = json.loads(rows[0]["evidence"])
    assert (evidence["avg_mw"], evidence["coverage"], evidence["tariff"]) == (0.5, 1, "residential")
    assert rows[0]["created_at"]
