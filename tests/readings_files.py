"""Grid-feed readings in the CSV format of docs/rules.md, "Bulk formats", for the readings import tests.

Two grid operators: Pavlodar REC runs PV-0101, PV-0102 and PV-0103, Karaganda
Zharyk runs KR-0201. FEED is a first day of readings; BAD_FILES break one thing
each, after a good row, so a rejected import visibly drops rows it had already
read. The 80020 XML files of Pavlodar REC's metering system are in
tests/data/80020 (ASKUE_DAY and the others, read with `xml80020`).
"""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override

from registry.models import GridConnection, MeterReading
from tests.factories import GridConnectionFactory

PAVLODAR_REC = "Pavlodar REC"
KARAGANDA_ZHARYK = "Karaganda Zharyk"
OPERATORS = {"PV-0101": PAVLODAR_REC, "PV-0102": PAVLODAR_REC, "PV-0103": PAVLODAR_REC, "KR-0201": KARAGANDA_ZHARYK}

# Columns out of the documented order, a UTF-8 BOM, and the three ways of writing an offset.
FEED = (
    "\ufeffkwh,meter_id,period_start\n"
    "12.5,PV-0101,2025-03-01T10:00Z\n"
    "13,PV-0101,2025-03-01T11:00:00+00:00\n"
    "14.125,PV-0101,2025-03-01T17:00+05:00\n"
    "0,PV-0102,2025-03-01T10:00Z\n"
)


def hour(h: int) -> dt.datetime:
    """An hour of 1 March 2025, UTC."""
    return dt.datetime(2025, 3, 1, h, tzinfo=dt.UTC)


FEED_STORED = {
    ("PV-0101", hour(10)): Decimal("12.5"),
    ("PV-0101", hour(11)): Decimal("13"),
    ("PV-0101", hour(12)): Decimal("14.125"),
    ("PV-0102", hour(10)): Decimal("0"),
}


def make_meters() -> dict[str, GridConnection]:
    """The four grid connections, by meter id."""
    return {
        meter_id: GridConnectionFactory(meter_id=meter_id, operator=operator, region="pavlodar", tariff="industrial")
        for meter_id, operator in OPERATORS.items()
    }


def readings(*rows: str, header: str = "meter_id,period_start,kwh") -> bytes:
    """A readings file: the header, then one line per row."""
    return "".join(line + "\n" for line in (header, *rows)).encode("utf-8")


def stored() -> dict[tuple[str, dt.datetime], Decimal]:
    """Every stored reading of the three meters as {(meter_id, hour): kWh}."""
    return {
        (meter_id, period_start): kwh
        for meter_id, period_start, kwh in MeterReading.objects.filter(
            connection__meter_id__in=list(OPERATORS)
        ).values_list("connection__meter_id", "period_start", "kwh")
    }


GOOD_ROW = "PV-0101,2025-03-02T00:00Z,5"

# name: (file content, the errors reported for "readings.csv")
BAD_FILES = {
    "unknown meter": (
        readings(GOOD_ROW, "PV-9999,2025-03-02T01:00Z,5"),
        ["readings.csv:3: meter_id: unknown meter “PV-9999”"],
    ),
    "negative kwh": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T01:00Z,-12.5"),
        ["readings.csv:3: kwh: a reading cannot be negative"],
    ),
    "period not on the hour": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T10:30Z,5"),
        ["readings.csv:3: period_start: “2025-03-02T10:30Z” is not on the hour (UTC)"],
    ),
    "offset not a whole number of hours": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T15:00+05:30,5"),
        ["readings.csv:3: period_start: “2025-03-02T15:00+05:30” is not on the hour (UTC)"],
    ),
    "period without offset": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T10:00,5"),
        ["readings.csv:3: period_start: “2025-03-02T10:00” is not an ISO 8601 instant with an offset or Z"],
    ),
    "malformed period": (
        readings(GOOD_ROW, "PV-0101,2025-02-30T10:00Z,5"),
        ["readings.csv:3: period_start: “2025-02-30T10:00Z” is not an ISO 8601 instant with an offset or Z"],
    ),
    "kwh with 4 decimals": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T01:00Z,1.2345"),
        ["readings.csv:3: kwh: “1.2345”: write a plain number below one billion with at most 3 decimal places"],
    ),
    "kwh not a number": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T01:00Z,abc"),
        ["readings.csv:3: kwh: “abc” is not a number (use a decimal point)"],
    ),
    "comma as decimal separator": (
        readings(GOOD_ROW, 'PV-0101,2025-03-02T01:00Z,"1,5"'),
        ["readings.csv:3: kwh: “1,5” is not a number (use a decimal point)"],
    ),
    "wrong number of fields": (
        readings(GOOD_ROW, "PV-0101,2025-03-02T01:00Z"),
        ["readings.csv:3: 2 fields, the header has 3"],
    ),
    "unknown column": (
        readings("PV-0101,2025-03-02T01:00Z,5,day", header="meter_id,period_start,kwh,note"),
        ["readings.csv:1: note: unknown column"],
    ),
    "missing column": (
        readings("PV-0101,5", header="meter_id,kwh"),
        ["readings.csv:1: period_start: required column is missing"],
    ),
    "empty file": (
        b"",
        ["readings.csv:1: the file is empty (a header row is required)"],
    ),
    "not UTF-8": (
        readings(GOOD_ROW) + "ПВ-0101,2025-03-02T01:00Z,5\n".encode("cp1251"),
        ["readings.csv:3: the file is not valid UTF-8"],
    ),
}


# 80020 XML (docs/rules.md, "80020 XML"), as Pavlodar REC's metering system sends it.

XML_DIR = Path(__file__).resolve().parent / "data" / "80020"
# The day of 1 March 2025 (Asia/Almaty, UTC+5) for PV-0101, PV-0102 and PV-0103: windows-1251 without an
# encoding declaration, CRLF, half-hour periods, channels 01-04. Channel 01 of PV-0101 has 400+10h.125 and
# 400+10h.250 kWh in local hour h, of PV-0102 12.5 and 12.5+h (both flagged with status 1 in hour 3), of PV-0103
# zeros; channel 03 has other values (and a status 1 in hour 5), which must not be read.
ASKUE_DAY = "pavlodar_askue_20250301_cp1251.xml"
# 2 March 2025, 00:00-02:00 local of PV-0101 in quarter hours, UTF-8 with a declaration.
QUARTER_HOURS = "quarter_hours_utf8.xml"
# 3 March 2025, hours 00, 01, 02 and 23 (ending 0000) of PV-0102 in 60-minute periods, UTF-8 without a declaration.
HOURLY = "hourly_utf8_undeclared.xml"
# 4 March 2025, PV-0101: channel 01 lacks 01:30-02:00 (its measuringchannel is line 16).
MISSING_PERIOD = "missing_period.xml"
BILLION_LAUGHS = "billion_laughs.xml"
EXTERNAL_ENTITY = "external_entity.xml"


def xml80020(name: str) -> bytes:
    """The bytes of an 80020 file of tests/data/80020."""
    return (XML_DIR / name).read_bytes()


def askue_day_stored() -> dict[tuple[str, dt.datetime], Decimal]:
    """What ASKUE_DAY stores: 24 hours of each meter, local hour h of 1 March being 19:00 UTC of 28 February + h."""
    first = dt.datetime(2025, 2, 28, 19, tzinfo=dt.UTC)
    day = {}
    for h in range(24):
        at = first + dt.timedelta(hours=h)
        day["PV-0101", at] = Decimal("800.375") + 20 * h
        day["PV-0102", at] = Decimal(25 + h)
        day["PV-0103", at] = Decimal(0)
    return day


def import_readings(*args: str) -> tuple[str, str]:
    """Run `manage.py import_readings` in English; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with override("en"):
        call_command("import_readings", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rejected(*args: str) -> tuple[CommandError, str]:
    """Run `manage.py import_readings` on files it must reject; return the error and stderr."""
    err = io.StringIO()
    with override("en"), pytest.raises(CommandError) as caught:
        call_command("import_readings", *args, stdout=io.StringIO(), stderr=err)
    return caught.value, err.getvalue()
