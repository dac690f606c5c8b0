"""readings_import (docs/rules.md, "Bulk formats"): all or nothing, repeated hours as no-ops or corrections."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils.translation import override
from pghistory.models import Events

from registry import clock
from registry.errors import ImportRejected
from registry.models import MeterReading, ReadingCorrection, ReadingImport
from registry.services import readings as readings_service
from registry.services.readings import ReadingSource, bytes_source, json_source, readings_import
from tests.readings_files import (
    BAD_FILES,
    FEED,
    FEED_STORED,
    GOOD_ROW,
    KARAGANDA_ZHARYK,
    PAVLODAR_REC,
    hour,
    make_meters,
    readings,
    stored,
)


@pytest.fixture
def meters(db):
    return make_meters()


def run_import(*bodies: str | bytes, operator: str | None = None) -> ReadingImport:
    """Import the bodies as CSV files named readings.csv, readings2.csv, …, in English."""
    sources = [
        bytes_source(f"readings{n if n > 1 else ''}.csv", body if isinstance(body, bytes) else body.encode("utf-8"))
        for n, body in enumerate(bodies, start=1)
    ]
    with override("en"):
        return readings_import(sources=sources, label="test feed", operator=operator)


def import_errors(*bodies: str | bytes, operator: str | None = None) -> list[str]:
    """Import files that must be rejected; return the error lines."""
    with pytest.raises(ImportRejected) as caught:
        run_import(*bodies, operator=operator)
    return [str(error) for error in caught.value.errors]


def json_errors(body: bytes) -> list[str]:
    with override("en"), pytest.raises(ImportRejected) as caught:
        readings_import(sources=[json_source("readings.json", body)], label="test feed")
    return [str(error) for error in caught.value.errors]


def counts(record: ReadingImport) -> dict[str, int]:
    return {
        "rows": record.rows,
        "inserted": record.inserted,
        "unchanged": record.unchanged,
        "corrected": record.corrected,
    }


@pytest.fixture
def staged_loads(monkeypatch):
    """Count the imports that fell back from the fast COPY to staging every row."""
    calls = []
    original = readings_service._load_staged

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(readings_service, "_load_staged", spy)
    return calls


# Happy path


def test_it_stores_the_readings_as_utc_hours(meters):
    run_import(FEED)

    assert stored() == FEED_STORED


def test_it_reports_what_it_did(meters):
    record = run_import(FEED)

    assert counts(record) == {"rows": 4, "inserted": 4, "unchanged": 0, "corrected": 0}
    assert (record.status, record.source, record.errors) == ("succeeded", "test feed", [])
    assert record.finished_at >= record.started_at
    assert ReadingImport.objects.get() == record


def test_it_reads_several_files_as_one_import(meters):
    record = run_import(readings("PV-0101,2025-03-01T10:00Z,1"), readings("PV-0102,2025-03-01T10:00Z,2"))

    assert counts(record) == {"rows": 2, "inserted": 2, "unchanged": 0, "corrected": 0}
    assert stored() == {("PV-0101", hour(10)): Decimal("1"), ("PV-0102", hour(10)): Decimal("2")}


def test_it_accepts_a_file_with_only_a_header(meters):
    record = run_import(readings())

    assert counts(record) == {"rows": 0, "inserted": 0, "unchanged": 0, "corrected": 0}
    assert record.status == "succeeded"


def test_it_reads_crlf_line_ends_and_skips_blank_lines(meters):
    record = run_import("meter_id,period_start,kwh\r\n\r\nPV-0101,2025-03-01T10:00Z,7\r\n")

    assert record.rows == 1
    assert stored() == {("PV-0101", hour(10)): Decimal("7")}


# Re-import and corrections


def test_reimport_changes_nothing(meters):
    run_import(FEED)
    audit_rows = Events.objects.exclude(pgh_obj_model="registry.ReadingImport").count()

    record = run_import(FEED)

    assert counts(record) == {"rows": 4, "inserted": 0, "unchanged": 4, "corrected": 0}
    assert stored() == FEED_STORED
    assert ReadingCorrection.objects.count() == 0
    assert Events.objects.exclude(pgh_obj_model="registry.ReadingImport").count() == audit_rows


def test_a_changed_value_replaces_the_stored_one(meters):
    run_import(FEED)

    record = run_import(readings("PV-0101,2025-03-01T10:00Z,12.75"))

    assert counts(record) == {"rows": 1, "inserted": 0, "unchanged": 0, "corrected": 1}
    assert stored() == {**FEED_STORED, ("PV-0101", hour(10)): Decimal("12.75")}


def test_a_changed_value_is_recorded_as_a_correction(meters):
    run_import(FEED)

    record = run_import(readings("PV-0101,2025-03-01T10:00Z,12.75"))

    correction = ReadingCorrection.objects.get()
    assert correction.reading_import == record
    assert (correction.connection, correction.period_start) == (meters["PV-0101"], hour(10))
    assert (correction.old_kwh, correction.new_kwh) == (Decimal("12.5"), Decimal("12.75"))


def test_two_corrections_in_one_transaction_both_apply(meters):
    run_import(FEED)
    # One enclosing transaction, as a caller batching imports (or ATOMIC_REQUESTS) would hold.
    with transaction.atomic():
        # The first correction is the stage's third row; the second is its first row.
        run_import(
            readings("PV-0101,2025-03-01T11:00Z,13", "PV-0102,2025-03-01T10:00Z,0", "PV-0101,2025-03-01T10:00Z,20")
        )

        record = run_import(readings("PV-0101,2025-03-01T10:00Z,30"))

    assert counts(record) == {"rows": 1, "inserted": 0, "unchanged": 0, "corrected": 1}
    assert stored()[("PV-0101", hour(10))] == Decimal("30")


# The same hour twice in one file


def test_an_hour_repeated_with_the_same_value_is_stored_once(meters):
    record = run_import(readings("PV-0101,2025-03-01T10:00Z,5", "PV-0101,2025-03-01T10:00Z,5.000"))

    assert counts(record) == {"rows": 2, "inserted": 1, "unchanged": 1, "corrected": 0}
    assert stored() == {("PV-0101", hour(10)): Decimal("5")}
    assert ReadingCorrection.objects.count() == 0


def test_an_hour_repeated_with_another_value_takes_the_last_one(meters):
    record = run_import(readings("PV-0101,2025-03-01T10:00Z,5", "PV-0101,2025-03-01T10:00Z,7"))

    assert counts(record) == {"rows": 2, "inserted": 1, "unchanged": 0, "corrected": 1}
    assert stored() == {("PV-0101", hour(10)): Decimal("7")}
    correction = ReadingCorrection.objects.get()
    assert (correction.old_kwh, correction.new_kwh, correction.reading_import) == (Decimal("5"), Decimal("7"), record)


def test_new_hours_with_repeats_late_data_and_changes_in_one_file(meters, staged_loads):
    run_import(FEED)

    record = run_import(
        readings(
            "PV-0101,2025-03-01T13:00Z,1",  # new
            "PV-0101,2025-03-01T14:00Z,2",  # new
            "PV-0101,2025-03-01T13:00Z,3",  # new, repeated with another value
            "PV-0101,2025-03-01T10:00Z,12.5",  # stored, same value
            "PV-0101,2025-03-01T11:00Z,20",  # stored, another value
            "PV-0101,2025-03-01T09:00Z,4",  # late: before the latest stored hour
        )
    )

    assert len(staged_loads) == 1, "the repeated new hour makes the fast COPY fall back to staging"
    assert counts(record) == {"rows": 6, "inserted": 3, "unchanged": 1, "corrected": 2}
    assert stored() == {
        **FEED_STORED,
        ("PV-0101", hour(9)): Decimal("4"),
        ("PV-0101", hour(11)): Decimal("20"),
        ("PV-0101", hour(13)): Decimal("3"),
        ("PV-0101", hour(14)): Decimal("2"),
    }
    assert sorted(ReadingCorrection.objects.values_list("period_start", "old_kwh", "new_kwh")) == [
        (hour(11), Decimal("13"), Decimal("20")),
        (hour(13), Decimal("1"), Decimal("3")),
    ]


def test_late_data_is_merged_beside_new_hours(meters, staged_loads):
    run_import(FEED)

    record = run_import(
        readings(
            "PV-0101,2025-03-01T09:00Z,4",  # late: before the latest stored hour
            "PV-0101,2025-03-01T11:00Z,20",  # stored, another value
            "PV-0101,2025-03-01T13:00Z,6",  # new
            "PV-0102,2025-03-01T11:00Z,1.5",  # new
        )
    )

    assert staged_loads == [], "no repeated hour: the fast COPY and the spill file suffice"
    assert counts(record) == {"rows": 4, "inserted": 3, "unchanged": 0, "corrected": 1}
    assert stored() == {
        **FEED_STORED,
        ("PV-0101", hour(9)): Decimal("4"),
        ("PV-0101", hour(11)): Decimal("20"),
        ("PV-0101", hour(13)): Decimal("6"),
        ("PV-0102", hour(11)): Decimal("1.5"),
    }


# Errors: file, line, column and reason; nothing saved; the rejection recorded


@pytest.mark.parametrize("name", BAD_FILES)
def test_it_names_file_line_column_and_reason(meters, name):
    body, expected = BAD_FILES[name]

    errors = import_errors(body)

    assert errors == expected


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_saves_nothing(meters, name):
    run_import(FEED)
    before = MeterReading.objects.count()

    import_errors(BAD_FILES[name][0])

    assert MeterReading.objects.count() == before
    assert stored() == FEED_STORED


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_recorded_as_rejected(meters, name):
    body, expected = BAD_FILES[name]

    import_errors(body)

    record = ReadingImport.objects.get()
    assert (record.status, record.source, record.errors) == ("rejected", "test feed", expected)
    assert counts(record) == {"rows": 0, "inserted": 0, "unchanged": 0, "corrected": 0}


def test_it_reports_every_bad_row(meters):
    errors = import_errors(
        readings("PV-0101,2025-03-01T10:00Z,-1", "PV-0101,2025-03-01T11:00Z,2", "PV-0404,2025-03-01T10:00Z,1")
    )

    assert errors == [
        "readings.csv:2: kwh: a reading cannot be negative",
        "readings.csv:4: meter_id: unknown meter “PV-0404”",
    ]


def test_a_bad_row_in_a_file_with_a_repeated_hour_saves_nothing(meters):
    errors = import_errors(
        readings("PV-0101,2025-03-01T10:00Z,1", "PV-0101,2025-03-01T10:00Z,2", "PV-0101,2025-03-01T11:00Z,x")
    )

    assert errors == ["readings.csv:4: kwh: “x” is not a number (use a decimal point)"]
    assert stored() == {}


def test_it_names_the_second_file(meters):
    errors = import_errors(readings("PV-0101,2025-03-01T10:00Z,1"), readings("PV-0101,2025-03-01T11:30Z,1"))

    assert errors == ["readings2.csv:2: period_start: “2025-03-01T11:30Z” is not on the hour (UTC)"]
    assert stored() == {}


def test_it_stops_at_100_errors(meters):
    body = readings(*(f"XX-{n},2025-03-01T10:00Z,1" for n in range(150)))

    errors = import_errors(body)

    assert len(errors) == 100
    assert errors[0] == "readings.csv:2: meter_id: unknown meter “XX-0”"
    assert errors[-1] == "readings.csv:101: meter_id: unknown meter “XX-99”"
    assert len(ReadingImport.objects.get(status="rejected").errors) == 100


@pytest.mark.parametrize(
    "text, utc_hour",
    [("2025-03-01T10Z", hour(10)), ("2025-W09-6T10:00Z", hour(10))],
    ids=["hour-only", "week-date"],
)
def test_an_instant_postgresql_cannot_read_is_answered_not_crashed(meters, text, utc_hour):
    try:
        run_import(readings(f"PV-0101,{text},1"))
    except ImportRejected as rejected:
        assert [str(error) for error in rejected.errors] == [
            f"readings.csv:2: period_start: “{text}” is not an ISO 8601 instant with an offset or Z"
        ]
    else:
        assert stored() == {("PV-0101", utc_hour): Decimal("1")}


@pytest.mark.parametrize("text", ["0001-01-01T00:00+05:00", "9999-12-31T23:00-05:00"])
def test_an_instant_out_of_range_is_a_line_numbered_error(meters, text):
    errors = import_errors(readings(f"PV-0101,{text},1"))

    assert errors == [f"readings.csv:2: period_start: “{text}” is not an ISO 8601 instant with an offset or Z"]


# JSON


def test_it_imports_a_json_list(meters):
    body = json.dumps(
        [
            {"meter_id": "PV-0101", "period_start": "2025-03-01T10:00Z", "kwh": 12.5},
            {"kwh": "13", "period_start": "2025-03-01T16:00+05:00", "meter_id": "PV-0102"},
        ]
    ).encode()

    with override("en"):
        record = readings_import(sources=[json_source("readings.json", body)], label="api")

    assert counts(record) == {"rows": 2, "inserted": 2, "unchanged": 0, "corrected": 0}
    assert stored() == {("PV-0101", hour(10)): Decimal("12.5"), ("PV-0102", hour(11)): Decimal("13")}


def test_it_refuses_malformed_json_and_records_the_rejection(meters):
    with override("en"), pytest.raises(ImportRejected) as caught:
        readings_import(sources=[json_source("readings.json", b'[{"meter_id": "PV-0101",')], label="api")

    assert [str(error) for error in caught.value.errors] == [
        "readings.json:1: malformed JSON: parse error: premature EOF"
    ]
    assert ReadingImport.objects.get().status == "rejected"


GOOD_ITEM = {"meter_id": "PV-0101", "period_start": "2025-03-01T10:00Z", "kwh": "1"}


@pytest.mark.parametrize(
    "payload, expected",
    [
        (GOOD_ITEM, "readings.json:0: expected a JSON list of readings"),
        (
            [GOOD_ITEM, {"meter_id": "PV-0101", "period_start": "2025-03-01T11:00Z"}],
            "readings.json:2: kwh: a value is required",
        ),
        ([GOOD_ITEM, {**GOOD_ITEM, "unit": "kWh"}], "readings.json:2: unit: unknown field"),
        (
            [GOOD_ITEM, GOOD_ITEM, "PV-0101,2025-03-01T10:00Z,1"],
            "readings.json:3: each reading must be an object with meter_id, period_start and kwh",
        ),
        ([GOOD_ITEM, {**GOOD_ITEM, "kwh": -1}], "readings.json:2: kwh: a reading cannot be negative"),
    ],
    ids=["not a list", "missing kwh", "unknown field", "not an object", "negative"],
)
def test_it_names_the_bad_json_item(meters, payload, expected):
    errors = json_errors(json.dumps(payload).encode())

    assert errors == [expected]
    assert stored() == {}


GOOD_TEXT = json.dumps(GOOD_ITEM)
TOO_DEEP = "readings.json:2: nested too deep: a reading is an object of plain values in one list (not read further)"


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            f'[{GOOD_TEXT}, {{"meter_id": "PV-0101", "period_start": "2025-03-01T11:00Z", "kwh": [1]}}]',
            ["readings.json:2: kwh: a list or an object where a value is expected"],
        ),
        (
            f'[{GOOD_TEXT}, {{"meter_id": {{"id": "PV-0101"}}, "period_start": "2025-03-01T11:00Z", "kwh": 1}}]',
            ["readings.json:2: meter_id: a list or an object where a value is expected"],
        ),
        (
            f"[{GOOD_TEXT}, [[1, 2]], {GOOD_TEXT}]",
            ["readings.json:2: each reading must be an object with meter_id, period_start and kwh"],
        ),
        (
            f"[{GOOD_TEXT}, " + "[" * 100_000 + "]" * 100_000 + "]",
            ["readings.json:2: each reading must be an object with meter_id, period_start and kwh", TOO_DEEP],
        ),
        (
            f'[{GOOD_TEXT}, {{"kwh": ' + '{"kwh": ' * 100_000,
            ["readings.json:2: kwh: a list or an object where a value is expected", TOO_DEEP],
        ),
    ],
    ids=["list as a value", "object as a value", "list as an item", "deep lists", "deep objects"],
)
def test_json_nested_beyond_a_list_of_objects_is_named_not_recursed(meters, body, expected):
    errors = json_errors(body.encode())

    assert errors == expected
    assert ReadingImport.objects.get().errors == expected


@pytest.mark.parametrize("digits", [101, 5000, 1 << 20])
def test_a_json_number_too_long_for_any_reading_is_an_error(meters, digits):
    body = f'[{GOOD_TEXT}, {{"meter_id": "PV-0101", "period_start": "2025-03-01T11:00Z", "kwh": {"9" * digits}}}]'

    errors = json_errors(body.encode())

    assert errors == [
        "readings.json:0: a run of more than 100 digits: no value of a reading is that long (not read further)"
    ]


def test_a_json_number_beyond_the_decimal_range_is_an_error(meters):
    huge = GOOD_TEXT.replace('"kwh": "1"', '"kwh": 1e99999999999999999999')

    errors = json_errors(f"[{GOOD_TEXT}, {huge}]".encode())

    assert errors == ["readings.json:2: malformed JSON: a number too large to read"]


class Trickle:
    """A body that can only be read piece by piece, and remembers the largest piece asked for."""

    def __init__(self, body: bytes):
        self.stream = io.BytesIO(body)
        self.largest = 0

    def read(self, size: int = -1) -> bytes:
        assert 0 <= size, "the body was read whole"
        self.largest = max(self.largest, size)
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)


def test_a_json_body_streams_in_pieces(meters):
    rows = [{**GOOD_ITEM, "period_start": f"2025-03-{day:02}T{h:02}:00Z"} for day in range(1, 29) for h in range(24)]
    body = Trickle(json.dumps(rows * 20).encode())

    record = readings_import(sources=[ReadingSource("readings.json", "json", lambda: body)], label="api")

    assert record.rows == 28 * 24 * 20
    assert body.largest <= 1 << 16


def test_a_json_body_may_begin_with_a_bom(meters):
    body = b"\xef\xbb\xbf" + json.dumps([GOOD_ITEM]).encode()

    record = readings_import(sources=[json_source("readings.json", body)], label="api")

    assert record.inserted == 1


@pytest.mark.parametrize("kwh", ["-0", "-0.000", "-.0", "-00.0"])
def test_minus_zero_in_csv_is_a_reading_of_zero(meters, kwh):
    record = run_import(readings(f"PV-0101,2025-03-01T10:00Z,{kwh}"))

    assert record.inserted == 1
    assert stored() == {("PV-0101", hour(10)): Decimal("0")}


@pytest.mark.parametrize("kwh", ["-0", "-0.0", '"-0"', '"-0.000"', "-0e2"])
def test_minus_zero_in_json_is_a_reading_of_zero(meters, kwh):
    body = f'[{{"meter_id": "PV-0101", "period_start": "2025-03-01T10:00Z", "kwh": {kwh}}}]'.encode()

    readings_import(sources=[json_source("readings.json", body)], label="api")

    assert stored() == {("PV-0101", hour(10)): Decimal("0")}


# The hours a reading may have: 2000 to a day ahead of the registry's clock


@pytest.fixture
def now(monkeypatch):
    instant = dt.datetime(2026, 12, 7, 3, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: instant)
    return instant


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00Z", "1999-12-31T23:00Z", "2026-12-08T04:00Z", "9999-12-31T23:00Z", "9999-12-31T23:00+05:00"],
)
def test_an_hour_out_of_range_names_the_row_and_the_range(meters, now, text):
    errors = import_errors(readings(GOOD_ROW, f"PV-0101,{text},1"))

    assert errors == [
        f"readings.csv:3: period_start: “{text}” is out of range: readings are accepted from 2000-01-01 00:00 UTC "
        "to a day ahead of now (2026-12-08 03:30 UTC)"
    ]


@pytest.mark.parametrize("text", ["2000-01-01T00:00Z", "2026-12-08T03:00Z"])
def test_the_first_and_the_last_hours_in_range_load(meters, now, text):
    record = run_import(readings(f"PV-0101,{text},1"))

    assert record.inserted == 1


# What a rejection quotes is stored and shown escaped


@pytest.mark.parametrize(
    "body, expected",
    [
        (readings("PV-0101\x00,2025-03-01T10:00Z,1"), "readings.csv:2: meter_id: unknown meter “PV-0101\\u0000”"),
        (
            readings("PV-0101,2025-03-01T10:00Z,\x1b[2J"),
            "readings.csv:2: kwh: “\\u001b[2J” is not a number (use a decimal point)",
        ),
        (readings("PV-0101,1", header="meter_id,kwh\x00"), "readings.csv:1: kwh\\u0000: unknown column"),
    ],
    ids=["NUL in a value", "terminal escape in a value", "NUL in the header"],
)
def test_control_characters_are_recorded_escaped(meters, body, expected):
    errors = import_errors(body)

    assert errors[0] == expected
    assert ReadingImport.objects.get(status="rejected").errors[0] == expected


# As a JSON string escapes them, and as they are quoted back: the same text.
@pytest.mark.parametrize("value", ["PV\\u0000", "PV\\u001b[2J", "\\u202ePV"])
def test_json_escapes_of_control_characters_are_recorded_escaped(meters, value):
    body = f'[{{"meter_id": "{value}", "period_start": "2025-03-01T10:00Z", "kwh": 1}}]'.encode()

    errors = json_errors(body)

    expected = f"readings.json:1: meter_id: unknown meter “{value}”"
    assert errors == [expected]
    assert ReadingImport.objects.get().errors == [expected]


# A grid operator's own meters only


def test_an_operator_may_load_its_own_meters(meters):
    record = run_import(readings("PV-0101,2025-03-01T10:00Z,1", "PV-0102,2025-03-01T10:00Z,2"), operator=PAVLODAR_REC)

    assert record.inserted == 2


def test_an_operator_is_refused_another_operators_meter(meters):
    errors = import_errors(
        readings("PV-0101,2025-03-01T10:00Z,1", "KR-0201,2025-03-01T10:00Z,2"), operator=PAVLODAR_REC
    )

    assert errors == ["readings.csv:3: meter_id: meter “KR-0201” belongs to another grid operator"]
    assert stored() == {}


def test_an_operator_is_told_of_an_unknown_meter_as_anyone_is(meters):
    errors = import_errors(readings("XX-0001,2025-03-01T10:00Z,1"), operator=KARAGANDA_ZHARYK)

    assert errors == ["readings.csv:2: meter_id: unknown meter “XX-0001”"]
