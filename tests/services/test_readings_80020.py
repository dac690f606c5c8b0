"""80020 XML through readings_import (docs/rules.md, "80020 XML"): hours, zones, encodings, errors, safety."""

import datetime as dt
import io
import time
import zoneinfo
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils.translation import override

from registry import clock
from registry.errors import ImportRejected
from registry.models import MeterReading, ReadingCorrection, ReadingImport
from registry.services import readings as readings_service
from registry.services.readings import readings_import, xml80020_source
from registry.services.xml80020 import is_xml
from tests.readings_files import (
    ASKUE_DAY,
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HOURLY,
    MISSING_PERIOD,
    QUARTER_HOURS,
    askue_day_stored,
    make_meters,
    stored,
    xml80020,
)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def meters(db):
    return make_meters()


def load(body: bytes, *, name: str = "feed.xml", zone: str = "Asia/Almaty", operator: str | None = None):
    """Import one 80020 body, in English."""
    source = xml80020_source(name, lambda: io.BytesIO(body), zone=zoneinfo.ZoneInfo(zone))
    with override("en"):
        return readings_import(sources=[source], label="test 80020", operator=operator)


def rejected(body: bytes, **kwargs) -> list[str]:
    """Import a body that must be rejected; return the error lines."""
    with pytest.raises(ImportRejected) as caught:
        load(body, **kwargs)
    return [str(error) for error in caught.value.errors]


def message(*points: str, day: str = "20250301", declaration: str = '<?xml version="1.0" encoding="UTF-8"?>\n'):
    """A small 80020 message around the given <measuringpoint> elements, one per line."""
    return (
        f'{declaration}<message class="80020" version="2" number="1">\n'
        f"<datetime><timestamp>20250302010000</timestamp><daylightsavingtime>0</daylightsavingtime>"
        f"<day>{day}</day></datetime>\n"
        "<area><inn>990740000683</inn><name>Павлодарский РЭС</name>\n" + "\n".join(points) + "\n</area>\n</message>\n"
    ).encode("utf-8")


def point(meter: str, *periods: tuple[str, str, str], channel: str = "01") -> str:
    """A measuring point, all on one line, with one channel of (start, end, value) periods."""
    body = "".join(f'<period start="{s}" end="{e}"><value status="0">{v}</value></period>' for s, e, v in periods)
    return (
        f'<measuringpoint code="{meter}" name="ТП-1204"><measuringchannel code="{channel}" desc="Активная энергия, '
        f'прием">{body}</measuringchannel></measuringpoint>'
    )


# The metering system's day


def test_a_metering_system_day_loads_as_hourly_readings_at_utc_instants(meters):
    record = load(xml80020(ASKUE_DAY), name=ASKUE_DAY)

    day = stored()
    assert day == askue_day_stored()
    # Local 00:00-01:00 of 1 March in Almaty (UTC+5) is 19:00 UTC of 28 February; 23:00-24:00 is 18:00 UTC.
    assert day["PV-0101", utc(2025, 2, 28, 19)] == Decimal("800.375")
    assert day["PV-0101", utc(2025, 3, 1, 18)] == Decimal("1260.375")
    assert day["PV-0102", utc(2025, 3, 1, 0)] == Decimal("30")
    assert (record.rows, record.inserted, record.unchanged, record.corrected) == (72, 72, 0, 0)


def test_only_channel_01_is_read(meters):
    load(xml80020(ASKUE_DAY), name=ASKUE_DAY)

    # Channel 03 (reactive energy) of PV-0103 has 3 kVArh every half hour; channel 01 has none.
    assert set(MeterReading.objects.filter(connection__meter_id="PV-0103").values_list("kwh", flat=True)) == {0}


def test_values_flagged_with_a_status_are_loaded_and_counted(meters):
    record = load(xml80020(ASKUE_DAY), name=ASKUE_DAY)

    # Two half hours of PV-0102's channel 01 carry status="1"; a status on channel 03 is not counted.
    assert record.flagged_values == 2
    assert stored()["PV-0102", utc(2025, 2, 28, 22)] == Decimal("28")


def test_a_file_without_flags_counts_none(meters):
    record = load(xml80020(QUARTER_HOURS), name=QUARTER_HOURS)

    assert record.flagged_values == 0


def test_quarter_hours_are_summed_exactly(meters):
    load(xml80020(QUARTER_HOURS), name=QUARTER_HOURS)

    assert stored() == {
        ("PV-0101", utc(2025, 3, 1, 19)): Decimal("1002.5"),  # 250.25 + 250.5 + 250.75 + 251
        ("PV-0101", utc(2025, 3, 1, 20)): Decimal("999.996"),  # 4 × 249.999
    }


def test_hourly_periods_load_and_a_period_may_end_at_midnight(meters):
    load(xml80020(HOURLY), name=HOURLY)

    assert stored() == {
        ("PV-0102", utc(2025, 3, 2, 19)): Decimal("30"),
        ("PV-0102", utc(2025, 3, 2, 20)): Decimal("31.5"),
        ("PV-0102", utc(2025, 3, 2, 21)): Decimal("32.001"),
        ("PV-0102", utc(2025, 3, 3, 18)): Decimal("29.75"),  # 23:00-00:00 local
    }


def test_a_declared_windows_1251_file_is_read_as_declared(meters):
    body = b'<?xml version="1.0" encoding="windows-1251"?>\r\n' + xml80020(ASKUE_DAY)

    load(body)

    assert stored() == askue_day_stored()


def test_a_windows_1251_file_declared_as_utf8_is_malformed(meters):
    body = b'<?xml version="1.0" encoding="UTF-8"?>\r\n' + xml80020(ASKUE_DAY)

    errors = rejected(body)

    assert errors == ["feed.xml:10: malformed XML: not well-formed (invalid token)"]


# Time zones


def test_the_senders_time_zone_places_the_hours(meters):
    load(xml80020(HOURLY), zone="Europe/Moscow")

    assert sorted(hour for _, hour in stored()) == [
        utc(2025, 3, 2, 21),
        utc(2025, 3, 2, 22),
        utc(2025, 3, 2, 23),
        utc(2025, 3, 3, 20),
    ]


def test_the_hour_lived_twice_when_clocks_go_back_is_two_readings(meters):
    body = message(
        '<measuringpoint code="PV-0101"><measuringchannel code="01">'
        '<period start="0200" end="0300" summer="1"><value>10</value></period>'
        '<period start="0200" end="0300" summer="0"><value>11</value></period>'
        "</measuringchannel></measuringpoint>",
        day="20251026",
    )

    load(body, zone="Europe/Berlin")

    assert stored() == {
        ("PV-0101", utc(2025, 10, 26, 0)): Decimal("10"),  # 02:00 CEST
        ("PV-0101", utc(2025, 10, 26, 1)): Decimal("11"),  # 02:00 CET
    }


def test_a_local_time_the_clocks_skip_is_an_error(meters):
    body = message(point("PV-0101", ("0200", "0300", "10")), day="20250330")

    errors = rejected(body, zone="Europe/Berlin")

    assert errors == [
        "feed.xml:5: period: 02:00 on 2025-03-30 does not exist in Europe/Berlin (the clocks went forward)"
    ]


# Errors


def test_a_missing_period_is_reported_and_nothing_is_saved(meters):
    errors = rejected(xml80020(MISSING_PERIOD), name=MISSING_PERIOD)

    assert errors == [
        "missing_period.xml:16: period: PV-0101, hour 01:00–02:00 of 2025-03-04 in Asia/Almaty (2025-03-03 20:00 UTC): "
        "no period 01:30–02:00, so the hour has no reading"
    ]
    assert not MeterReading.objects.exists()
    assert ReadingImport.objects.get().status == ReadingImport.Status.REJECTED


def test_an_unknown_meter_is_reported_on_its_measuring_point_line(meters):
    body = message(point("PV-0101", ("0000", "0100", "1")), point("PV-9999", ("0000", "0100", "1")))

    errors = rejected(body)

    assert errors == ["feed.xml:6: meter_id: unknown meter “PV-9999”"]


def test_an_operator_is_refused_another_operators_meter(meters):
    body = message(point("KR-0201", ("0000", "0100", "1")))

    errors = rejected(body, operator="Pavlodar REC")

    assert errors == ["feed.xml:5: meter_id: meter “KR-0201” belongs to another grid operator"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-5", "a reading cannot be negative"),
        ("1,5", "“1,5” is not a number (use a decimal point)"),
        ("1.2345", "“1.2345”: write a plain number below one billion with at most 3 decimal places"),
        ("", "a value is required"),
    ],
)
def test_a_bad_value_is_an_error_on_its_line(meters, value, reason):
    body = message(point("PV-0101", ("0000", "0030", "1"), ("0030", "0100", value)))

    assert rejected(body) == [f"feed.xml:5: value: {reason}"]


@pytest.mark.parametrize(
    ("periods", "reason"),
    [
        ([("0000", "0020", "1")], "00:00–00:20: a period lasts 15, 30 or 60 minutes"),
        ([("0000", "0100", "1"), ("0030", "0100", "1")], "00:30–01:00 overlaps another period of the channel"),
        ([("0000", "0100", "1"), ("0000", "0100", "1")], "00:00–01:00 overlaps another period of the channel"),
        ([("25", "0100", "1")], "start=“25” end=“0100”: write the times HHMM (end 0000 or 2400 for midnight)"),
    ],
)
def test_a_bad_period_is_an_error(meters, periods, reason):
    assert rejected(message(point("PV-0101", *periods))) == [f"feed.xml:5: period: {reason}"]


@pytest.mark.parametrize("value", ["-0", "-0.000", "-.0"])
def test_minus_zero_is_a_reading_of_zero(meters, value):
    load(message(point("PV-0101", ("0000", "0030", value), ("0030", "0100", "-0"))))

    assert stored() == {("PV-0101", utc(2025, 2, 28, 19)): Decimal("0")}


@pytest.mark.parametrize(
    ("day", "zone"), [("00010101", "Asia/Almaty"), ("99991231", "America/New_York"), ("99991231", "UTC")]
)
def test_a_day_python_cannot_place_in_utc_is_an_error_not_a_crash(meters, day, zone):
    body = message(point("PV-0101", ("0000", "0100", "1")), day=day)

    assert rejected(body, zone=zone) == [f"feed.xml:3: day: “{day}” is not a day of meter readings"]


def test_an_hour_before_2000_is_out_of_range(meters, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: utc(2026, 12, 7, 3, 30))
    body = message(point("PV-0101", ("0000", "0100", "1")), day="19991231")

    assert rejected(body, zone="UTC") == [
        "feed.xml:5: period_start: “1999-12-31T00:00:00Z” is out of range: readings are accepted from 2000-01-01 "
        "00:00 UTC to a day ahead of now (2026-12-08 03:30 UTC)"
    ]


def test_a_period_without_a_value_is_an_error(meters):
    body = message(
        '<measuringpoint code="PV-0101"><measuringchannel code="01">'
        '<period start="0000" end="0100"></period></measuringchannel></measuringpoint>'
    )

    assert rejected(body) == ["feed.xml:5: value: the period has no value"]


def test_a_bad_period_of_another_channel_is_ignored(meters):
    body = message(
        '<measuringpoint code="PV-0101">'
        '<measuringchannel code="01"><period start="0000" end="0100"><value>7</value></period></measuringchannel>'
        '<measuringchannel code="03"><period start="0000" end="0010"><value>-1</value></period></measuringchannel>'
        "</measuringpoint>"
    )

    load(body)

    assert stored() == {("PV-0101", utc(2025, 2, 28, 19)): Decimal("7")}


def test_a_message_of_another_class_is_refused(meters):
    body = b'<?xml version="1.0"?>\n<message class="80040" version="2"><area/></message>\n'

    assert rejected(body) == [
        'feed.xml:2: not an 80020 message: the file must begin with <message class="80020">, not <message>'
    ]


def test_malformed_xml_names_its_line(meters):
    body = message(point("PV-0101", ("0000", "0100", "1"))).replace(b"</area>", b"</areas>")

    assert rejected(body) == ["feed.xml:6: malformed XML: mismatched tag"]


def test_an_empty_body_is_refused(meters):
    assert rejected(b"  \n") == ["feed.xml:1: the file is empty"]


@pytest.mark.parametrize("name", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_are_refused_at_once(meters, name):
    started = time.monotonic()

    errors = rejected(xml80020(name), name=name)

    assert time.monotonic() - started < 2
    assert errors == [
        f"{name}:2: refused: the file declares a document type (<!DOCTYPE …>), where entities that expand without "
        "limit or read other files can hide; 80020 messages have none"
    ]
    assert not MeterReading.objects.exists()


# Repeats


def test_a_rerun_changes_nothing(meters):
    load(xml80020(ASKUE_DAY))

    record = load(xml80020(ASKUE_DAY))

    assert (record.rows, record.inserted, record.unchanged, record.corrected) == (72, 0, 72, 0)
    assert stored() == askue_day_stored()
    assert not ReadingCorrection.objects.exists()


def test_a_changed_value_becomes_a_recorded_correction(meters):
    load(xml80020(QUARTER_HOURS))
    resent = xml80020(QUARTER_HOURS).replace(b">250.25<", b">260.25<")

    record = load(resent)

    assert (record.inserted, record.unchanged, record.corrected) == (0, 1, 1)
    correction = ReadingCorrection.objects.get()
    assert (correction.connection.meter_id, correction.period_start, correction.old_kwh, correction.new_kwh) == (
        "PV-0101",
        utc(2025, 3, 1, 19),
        Decimal("1002.5"),
        Decimal("1012.5"),
    )
    assert correction.reading_import == record


def test_the_flag_count_is_not_doubled_when_the_file_is_read_twice(meters, monkeypatch):
    appending = readings_service._load_appending

    def appending_then_repeated_hour(*args):
        appending(*args)
        raise IntegrityError("as if the feed repeated a new hour")

    # The straight COPY fails after reading the file, and the load reads it again to stage every row.
    monkeypatch.setattr(readings_service, "_load_appending", appending_then_repeated_hour)

    record = load(xml80020(ASKUE_DAY))

    assert (record.rows, record.inserted, record.flagged_values) == (72, 72, 2)


# Telling XML from CSV


@pytest.mark.parametrize(
    ("head", "xml"),
    [
        (b"<message", True),
        (b'\xef\xbb\xbf<?xml version="1.0"?>', True),
        (b'\r\n  <?xml version="1.0"?>', True),
        (b"meter_id,period_start,kwh", False),
        (b"\xef\xbb\xbfkwh,meter_id,period_start", False),
    ],
)
def test_it_tells_xml_from_csv_by_the_first_bytes(head, xml):
    assert is_xml(head) is xml
