"""POST /api/v1/readings/: only a grid operator's token, only its own meters, all or nothing."""

import json
import tracemalloc
from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from registry.models import MeterReading, ReadingImport
from registry.services.readings import readings_import
from tests.api.helpers import token_client
from tests.factories import GridConnectionFactory

URL = "/api/v1/readings/"


@pytest.fixture
def meters(db):
    GridConnectionFactory(meter_id="PV-1", operator="Pavlodar REC", region="pavlodar")
    GridConnectionFactory(meter_id="KR-1", operator="Karaganda Grid", region="karaganda")


@pytest.fixture
def pavlodar_grid(grid_operator):
    """Pavlodar REC's feed, sending its token."""
    return token_client(grid_operator)


def test_a_grid_operator_pushes_a_json_list(pavlodar_grid, meters):
    body = [
        {"meter_id": "PV-1", "period_start": "2026-11-01T00:00:00Z", "kwh": "120.5"},
        {"meter_id": "PV-1", "period_start": "2026-11-01T01:00:00Z", "kwh": 118},
    ]

    response = pavlodar_grid.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json() | {"import": None} == {
        "import": None,
        "rows": 2,
        "inserted": 2,
        "unchanged": 0,
        "corrected": 0,
    }
    assert sorted(MeterReading.objects.values_list("kwh", flat=True)) == [Decimal("118"), Decimal("120.5")]


def test_a_grid_operator_pushes_a_csv_body_and_a_repeat_changes_nothing(pavlodar_grid, meters):
    body = "meter_id,period_start,kwh\nPV-1,2026-11-01T00:00:00Z,120.5\nPV-1,2026-11-01T00:00:00Z,121\n"

    first = pavlodar_grid.post(URL, body, content_type="text/csv")
    again = pavlodar_grid.post(URL, body, content_type="text/csv")

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["inserted"] == 1 and first.json()["corrected"] == 1
    assert again.json()["unchanged"] == 2
    assert MeterReading.objects.get().kwh == Decimal("121")


def test_bad_rows_answer_400_with_every_error_and_save_nothing(pavlodar_grid, meters):
    body = (
        "meter_id,period_start,kwh\n"
        "PV-1,2026-11-01T00:30:00Z,1\nPV-1,2026-11-01T01:00:00Z,-4\nPV-1,2026-11-01T02:00:00Z,5\n"
    )

    with translation.override("en"):
        response = pavlodar_grid.post(URL, body, content_type="text/csv")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"line": 2, "column": "period_start", "message": "“2026-11-01T00:30:00Z” is not on the hour (UTC)"},
            {"line": 3, "column": "kwh", "message": "a reading cannot be negative"},
        ]
    }
    assert not MeterReading.objects.exists()


def test_malformed_json_answers_400(pavlodar_grid, meters):
    with translation.override("en"):
        response = pavlodar_grid.post(URL, "[{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("malformed JSON")


def test_another_operators_meter_is_refused(pavlodar_grid, meters):
    body = [{"meter_id": "KR-1", "period_start": "2026-11-01T00:00:00Z", "kwh": "1"}]

    with translation.override("en"):
        response = pavlodar_grid.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 1, "column": "meter_id", "message": "meter “KR-1” belongs to another grid operator"}
    ]
    assert not MeterReading.objects.exists()


def test_an_unsupported_media_type_answers_415(pavlodar_grid, meters):
    response = pavlodar_grid.post(URL, "meter_id\tperiod_start\tkwh\n", content_type="text/tab-separated-values")

    assert response.status_code == 415


@pytest.mark.parametrize("who", ["anonymous", "firm user", "regulator"])
def test_only_a_grid_operator_may_push_readings(client, meters, alice, regulator, who):
    api = APIClient()
    if who == "firm user":
        api.force_authenticate(alice)
    elif who == "regulator":
        api.force_authenticate(regulator)
    body = [{"meter_id": "PV-1", "period_start": "2026-11-01T00:00:00Z", "kwh": "1"}]

    response = api.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code in (401, 403)
    assert not MeterReading.objects.exists()


def test_a_body_over_the_limit_answers_413(pavlodar_grid, meters, settings):
    settings.READINGS_API_MAX_BYTES = 100
    body = "meter_id,period_start,kwh\n" + "PV-1,2026-11-01T00:00:00Z,1\n" * 10

    response = pavlodar_grid.post(URL, body, content_type="text/csv")

    assert response.status_code == 413
    assert not MeterReading.objects.exists()


def test_deeply_nested_json_answers_400_and_the_rejection_is_recorded(pavlodar_grid, meters):
    body = "[" * 100_000 + "]" * 100_000

    with translation.override("en"):
        response = pavlodar_grid.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][-1] == {
        "line": 1,
        "column": "",
        "message": "nested too deep: a reading is an object of plain values in one list (not read further)",
    }
    assert ReadingImport.objects.get().status == "rejected"


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("meter_id,period_start,kwh\nPV-1\x00,2026-11-01T00:00:00Z,1\n", "text/csv"),
        ('[{"meter_id": "PV-1\\u0000", "period_start": "2026-11-01T00:00:00Z", "kwh": 1}]', "application/json"),
    ],
    ids=["csv", "json"],
)
def test_a_nul_byte_in_a_value_answers_400_and_the_rejection_is_recorded(pavlodar_grid, meters, body, content_type):
    with translation.override("en"):
        response = pavlodar_grid.post(URL, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "unknown meter “PV-1\\u0000”"
    assert ReadingImport.objects.get().errors == [
        f"request:{2 if content_type == 'text/csv' else 1}: meter_id: unknown meter “PV-1\\u0000”"
    ]


def test_a_json_body_is_not_held_in_memory_whole(pavlodar_grid, meters, monkeypatch):
    """The import reads the spooled upload in pieces: its memory does not grow with the body (9 MB here)."""
    body = '[{"meter_id": "PV-1", "period_start": "2026-11-01T00:00:00Z", "kwh": 1}' + " " * (9 << 20) + "]"
    grown = []

    def measured(**kwargs):
        tracemalloc.start()
        try:
            return readings_import(**kwargs)
        finally:
            grown.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr("registry.api.readings.readings_import", measured)

    response = pavlodar_grid.post(URL, body, content_type="application/json")

    assert response.status_code == 201, response.content
    assert grown[0] < 2 << 20
