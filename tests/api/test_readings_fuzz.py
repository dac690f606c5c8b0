"""Property-based run of POST /api/v1/readings/ over generated bodies: never a 5xx, every rejection recorded.

Bodies in JSON, CSV and 80020 XML, from readings with odd values (NUL and other control characters, lone
surrogates, numbers too large for Python or PostgreSQL, -0, instants from year 1 to 9999 with any offset) to
deep nesting, random bytes and other encodings. Each answer is 201 (and the import is recorded as succeeded)
or 400 (and the rejection is recorded with the very errors the answer lists). Bounded: 300 bodies of each
kind, about 20 s. Schemathesis (test_schemathesis.py) covers the documented shapes; this file the rest.

On the code before issue 15 it found, in its first 120 bodies: deep nesting (RecursionError), a NUL or a lone
surrogate in a quoted value (the rejection could not be stored in jsonb), an integer of 5000 digits, and
readings in year 1 or 9999 (the partitions of the readings). On the first streaming parser it found a
segmentation fault: see JSON_DIGITS in registry/services/readings.py.
"""

import csv
import datetime as dt
import io
import json
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.models import ReadingImport
from tests.api.helpers import token_client
from tests.readings_files import make_meters

URL = "/api/v1/readings/"
# A longer run by hand: READINGS_FUZZ_EXAMPLES=5000 pytest tests/api/test_readings_fuzz.py
EXAMPLES = int(os.environ.get("READINGS_FUZZ_EXAMPLES", 300))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values a grid company's system might send by mistake, and some no system should.
ODD_TEXT = st.sampled_from(
    ["", " ", "\x00", "PV-0101\x00", "\ud800", "PV-\udfff", "\x1b[31mPV-0101", "\u202ePV-0101", "ПВ-0101", "\ufeff"]
)
METERS = st.one_of(st.sampled_from(["PV-0101", "PV-0102", "KR-0201", " PV-0101 "]), ODD_TEXT, st.text(max_size=12))
OFFSETS = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=5)),
        dt.timezone(dt.timedelta(hours=-12)),
        dt.timezone(dt.timedelta(hours=14)),
    ]
)
HOURS = st.datetimes(dt.datetime(1999, 12, 31), dt.datetime(2027, 1, 1), timezones=OFFSETS).map(
    lambda t: t.replace(minute=0, second=0, microsecond=0).isoformat()
)
INSTANTS = st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59), timezones=OFFSETS).map(
    lambda t: t.isoformat()
)
PERIODS = st.one_of(
    HOURS,
    INSTANTS,
    st.sampled_from(["0001-01-01T00:00Z", "9999-12-31T23:00Z", "2026-11-01T00:00Z\x00", "2026-11-01T00:00"]),
    ODD_TEXT,
    st.text(max_size=25),
)
# kWh as the text of a JSON number or a CSV cell: plain, signed, with exponents, far too long.
NUMBERS = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,12})(\.[0-9]{1,5})?([eE][+-]?[0-9]{1,22})?", fullmatch=True),
    st.sampled_from(["-0", "-0.0", "-0.000", "0.000", "999999999.999", "1000000000", "1" * 5000, "1." + "1" * 5000]),
)
KWH_TEXT = st.one_of(
    NUMBERS, st.sampled_from(["NaN", "Infinity", "-Infinity", "1,5", "1_000"]), ODD_TEXT, st.text(max_size=8)
)
ENCODINGS = st.sampled_from(["utf-8"] * 5 + ["utf-8-sig", "utf-16", "utf-16-le", "cp1251", "latin-1"])


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


@st.composite
def json_items(draw) -> str:
    """One item of a JSON readings list, as JSON text: an object of odd values, or anything else."""
    columns = draw(
        st.one_of(
            st.permutations(["meter_id", "period_start", "kwh"]),
            st.lists(st.sampled_from(["meter_id", "period_start", "kwh", "unit", ""]), max_size=4),
        )
    )
    values = {
        "meter_id": st.one_of(METERS.map(json.dumps), NUMBERS),
        "period_start": st.one_of(PERIODS.map(json.dumps), NUMBERS),
        "kwh": st.one_of(NUMBERS, KWH_TEXT.map(json.dumps), st.sampled_from(["true", "null", "[]", "{}", "[[1]]"])),
    }
    fields = [f"{json.dumps(column)}: {draw(values.get(column, st.just('1')))}" for column in columns]
    anything = st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    ).map(json.dumps)
    return draw(st.sampled_from(["{" + ", ".join(fields) + "}"] * 4) | anything)


@st.composite
def json_bodies(draw) -> bytes:
    items = draw(st.lists(json_items(), max_size=6))
    text = "[" + ", ".join(items) + "]"
    depth = draw(st.sampled_from([2, 3, 4, 1_000, 10_000, 200_000]) | st.integers(0, 200_000))
    shape = draw(st.sampled_from(["list"] * 4 + ["nested", "nested item", "nested value", "cut", "object"]))
    if shape == "nested":
        text = "[" * depth + "]" * depth
    elif shape == "nested item":
        text = "[" + text + ", " + "[" * depth + "]" * depth + "]"
    elif shape == "nested value":
        text = '[{"meter_id": "PV-0101", "period_start": "2026-11-01T00:00Z", "kwh": ' + "{" * depth + "}"
    elif shape == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif shape == "object":
        text = items[0] if items else "{}"
    return draw(st.sampled_from([encoded(text, draw(ENCODINGS))] * 5) | st.binary(max_size=64))


@st.composite
def csv_bodies(draw) -> bytes:
    header = draw(
        st.one_of(
            st.permutations(["meter_id", "period_start", "kwh"]),
            st.lists(st.sampled_from(["meter_id", "period_start", "kwh", "note", "\x00", ""]), max_size=4),
        )
    )
    row = st.tuples(METERS, PERIODS, KWH_TEXT).map(list) | st.lists(st.one_of(METERS, PERIODS, KWH_TEXT), max_size=4)
    rows = draw(st.lists(row, max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return draw(st.sampled_from([encoded(out.getvalue(), draw(ENCODINGS))] * 5) | st.binary(max_size=64))


@st.composite
def xml_bodies(draw) -> bytes:
    day = draw(st.one_of(st.sampled_from(["20261101", "00010101", "99991231", "20000101"]), st.text(max_size=9)))
    clock = st.one_of(st.sampled_from(["0000", "0030", "0100", "2300", "2400"]), st.text(max_size=5))
    periods = draw(st.lists(st.tuples(clock, clock, KWH_TEXT, st.sampled_from(["0", "1", "\x00"])), max_size=4))
    code = draw(METERS)
    body = (
        f'<message class="80020" version="2"><datetime><day>{day}</day></datetime><area>'
        f'<measuringpoint code="{code}"><measuringchannel code="01">'
        + "".join(
            f'<period start="{start}" end="{end}"><value status="{status}">{value}</value></period>'
            for start, end, value, status in periods
        )
        + "</measuringchannel></measuringpoint></area></message>"
    )
    return draw(st.sampled_from([encoded(body, draw(ENCODINGS))] * 5) | st.binary(max_size=64))


@pytest.fixture
def meters(db):
    return make_meters()


@pytest.fixture
def pavlodar_grid(grid_operator, meters):
    return token_client(grid_operator)


def assert_answered_and_recorded(client, body: bytes, content_type: str) -> None:
    """POST the body: a 201 with its import succeeded, or a 400 whose errors are the rejection's, recorded."""
    # In a savepoint: a request that breaks the database cannot spoil the examples after it.
    with transaction.atomic():
        last = ReadingImport.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        response = client.post(URL, body, content_type=content_type)

        assert response.status_code in (201, 400), (response.status_code, response.content[:500])
        record = ReadingImport.objects.get(pk__gt=last)
        if response.status_code == 201:
            assert (record.status, record.pk) == ("succeeded", response.json()["import"])
        else:
            errors = response.json()["errors"]
            assert errors and record.status == "rejected"
            assert record.errors == [
                f"request:{e['line']}: {e['column']}: {e['message']}"
                if e["column"]
                else f"request:{e['line']}: {e['message']}"
                for e in errors
            ]


@FUZZ
@given(body=json_bodies())
def test_no_json_body_fails_the_server(pavlodar_grid, body):
    assert_answered_and_recorded(pavlodar_grid, body, "application/json")


@FUZZ
@given(body=csv_bodies())
def test_no_csv_body_fails_the_server(pavlodar_grid, body):
    assert_answered_and_recorded(pavlodar_grid, body, "text/csv")


@FUZZ
@given(body=xml_bodies())
def test_no_80020_body_fails_the_server(pavlodar_grid, body):
    assert_answered_and_recorded(pavlodar_grid, body, "application/xml")
