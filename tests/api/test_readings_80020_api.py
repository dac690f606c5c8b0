"""POST /api/v1/readings/ with an 80020 XML body, read in the grid operator account's time zone."""

import datetime as dt
import time
from decimal import Decimal

import pytest

from registry.models import MeterReading, ReadingCorrection, ReadingImport
from tests.api.helpers import token_client
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

URL = "/api/v1/readings/"
REFUSED = (
    "refused: the file declares a document type (<!DOCTYPE …>), where entities that expand without limit or read "
    "other files can hide; 80020 messages have none"
)


@pytest.fixture
def meters(db):
    return make_meters()


@pytest.fixture
def pavlodar_grid(grid_operator):
    """Pavlodar REC's metering system, sending its token."""
    return token_client(grid_operator)


def test_a_grid_operator_pushes_its_metering_systems_day(pavlodar_grid, meters):
    response = pavlodar_grid.post(URL, xml80020(ASKUE_DAY), content_type="application/xml")

    assert response.status_code == 201, response.content
    assert response.json() | {"import": None} == {
        "import": None,
        "rows": 72,
        "inserted": 72,
        "unchanged": 0,
        "corrected": 0,
        "flagged": 2,
    }
    assert stored() == askue_day_stored()


def test_the_accounts_time_zone_places_the_hours(pavlodar_grid, meters, grid_operator):
    grid_operator.grid_operator.time_zone = "Europe/Moscow"
    grid_operator.grid_operator.save()

    response = pavlodar_grid.post(URL, xml80020(HOURLY), content_type="text/xml; charset=utf-8")

    assert response.status_code == 201, response.content
    # 00:00-01:00 of 3 March in Moscow (UTC+3).
    assert stored()["PV-0102", dt.datetime(2025, 3, 2, 21, tzinfo=dt.UTC)] == Decimal("30")


def test_an_account_reads_in_the_registry_zone_by_default(pavlodar_grid, meters, grid_operator):
    response = pavlodar_grid.post(URL, xml80020(HOURLY), content_type="application/xml")

    assert response.status_code == 201
    assert grid_operator.grid_operator.time_zone == "Asia/Almaty"
    # 00:00-01:00 of 3 March in Almaty (UTC+5).
    assert stored()["PV-0102", dt.datetime(2025, 3, 2, 19, tzinfo=dt.UTC)] == Decimal("30")


def test_a_repeat_changes_nothing_and_a_changed_value_is_a_correction(pavlodar_grid, meters):
    body = xml80020(QUARTER_HOURS)
    pavlodar_grid.post(URL, body, content_type="application/xml")

    again = pavlodar_grid.post(URL, body, content_type="application/xml")
    changed = pavlodar_grid.post(URL, body.replace(b">249.999<", b">250<", 1), content_type="application/xml")

    assert again.json()["unchanged"] == 2 and again.json()["inserted"] == 0
    assert changed.json()["corrected"] == 1
    correction = ReadingCorrection.objects.get()
    assert (correction.old_kwh, correction.new_kwh) == (Decimal("999.996"), Decimal("999.997"))


def test_a_missing_period_answers_400_and_saves_nothing(pavlodar_grid, meters):
    response = pavlodar_grid.post(URL, xml80020(MISSING_PERIOD), content_type="application/xml")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "line": 16,
                "column": "period",
                "message": "PV-0101, hour 01:00–02:00 of 2025-03-04 in Asia/Almaty (2025-03-03 20:00 UTC): "
                "no period 01:30–02:00, so the hour has no reading",
            }
        ]
    }
    assert not MeterReading.objects.exists()


def test_another_operators_meter_is_refused_on_its_measuring_point(pavlodar_grid, meters):
    body = xml80020(HOURLY).replace(b'code="PV-0102"', b'code="KR-0201"')

    response = pavlodar_grid.post(URL, body, content_type="application/xml")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "line": 14,
        "column": "meter_id",
        "message": "meter “KR-0201” belongs to another grid operator",
    }
    assert not MeterReading.objects.exists()


@pytest.mark.parametrize("name", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_answer_400_at_once(pavlodar_grid, meters, name):
    started = time.monotonic()

    response = pavlodar_grid.post(URL, xml80020(name), content_type="application/xml")

    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.json() == {"errors": [{"line": 2, "column": "", "message": REFUSED}]}
    assert not MeterReading.objects.exists()


def test_a_day_of_year_1_answers_400_not_500(pavlodar_grid, meters):
    body = xml80020(HOURLY).replace(b"<day>20250303</day>", b"<day>00010101</day>")

    response = pavlodar_grid.post(URL, body, content_type="application/xml")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "“00010101” is not a day of meter readings"
    assert ReadingImport.objects.get().status == "rejected"
