"""Filters, ordering and pagination of the read endpoints, and the 400s for malformed queries."""

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Facility, Firm, Flag, PowerDeclaration
from tests.api.helpers import api_client
from tests.factories import (
    WINDOW_END,
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    LicenceFactory,
    PowerDeclarationFactory,
)


@pytest.fixture
def staff_api(regulator):
    return api_client(regulator)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(api, path: str, params: dict) -> tuple[list[int], str | None]:
    """Follow `next` links from the first page; return every id seen and the last page's URL."""
    seen: list[int] = []
    response = api.get(path, params)
    last = None
    while True:
        seen += ids(response)
        following = response.json()["next"]
        if following is None:
            return seen, last
        last = following
        response = api.get(following)


# Filters


def test_facilities_filter_by_region_firm_bin_and_meter(world, staff_api):
    assert ids(staff_api.get("/api/v1/facilities/", {"region": "karaganda"})) == [world.b.facility.pk]
    assert ids(staff_api.get("/api/v1/facilities/", {"firm_bin": world.a.firm.bin})) == [world.a.facility.pk]
    assert ids(staff_api.get("/api/v1/facilities/", {"meter_id": "PV-0001"})) == [world.a.facility.pk]
    assert ids(staff_api.get("/api/v1/facilities/", {"region": ["karaganda", "pavlodar"]})) == sorted(
        [world.a.facility.pk, world.b.facility.pk], key=lambda pk: Facility.objects.get(pk=pk).ref
    )


def test_staff_filter_facilities_by_legal_status(world, staff_api):
    response = staff_api.get("/api/v1/facilities/", {"legal_status": "suspected_illegal"})

    assert ids(response) == [world.b.facility.pk]


def test_licences_filter_by_status_dates_and_facility(world, staff_api):
    licence_a = world.a.licence

    assert ids(staff_api.get("/api/v1/licences/", {"status": "active"})) == [licence_a.pk]
    assert ids(staff_api.get("/api/v1/licences/", {"valid_from_after": "2024-01-01"})) == [licence_a.pk]
    assert ids(staff_api.get("/api/v1/licences/", {"valid_from_after": "2024-01-02"})) == []
    assert ids(staff_api.get("/api/v1/licences/", {"in_force_on": "2025-06-01"})) == [licence_a.pk]
    assert ids(staff_api.get("/api/v1/licences/", {"in_force_on": "2027-01-01"})) == []
    assert ids(staff_api.get("/api/v1/licences/", {"facility_ref": "FAC-B1"})) == [world.b.licence.pk]


def test_declarations_filter_by_month_and_facility_ref(world, staff_api):
    PowerDeclarationFactory(facility=world.a.facility, month=dt.date(2026, 10, 1), consumed_mwh=Decimal(1))

    assert ids(staff_api.get("/api/v1/declarations/", {"month": "2026-09", "facility_ref": "FAC-A1"})) == [
        world.a.declaration.pk
    ]
    assert len(ids(staff_api.get("/api/v1/declarations/", {"month_after": "2026-10"}))) == 1


def test_an_instant_with_any_offset_is_read_in_utc(world, staff_api):
    # +17:50 is valid ISO 8601 but beyond what PostgreSQL accepts; the filter turns it to UTC first.
    response = staff_api.get("/api/v1/flags/", {"created_after": "2000-01-01T00:00:00+17:50"})

    assert len(ids(response)) == 2


def test_flags_filter_by_status_firm_bin_and_region(world, staff_api):
    Flag.objects.filter(pk=world.a.flag.pk).update(status="dismissed")

    assert ids(staff_api.get("/api/v1/flags/", {"status": ["open", "under_inspection"]})) == [world.b.flag.pk]
    assert ids(staff_api.get("/api/v1/flags/", {"firm_bin": world.a.firm.bin})) == [world.a.flag.pk]
    assert ids(staff_api.get("/api/v1/flags/", {"region": "karaganda"})) == [world.b.flag.pk]


def test_enforcement_filters_by_action_and_date(world, staff_api):
    EnforcementActionFactory(
        action="voluntary_closure", firm=world.b.firm, region="karaganda", date=dt.date(2022, 9, 1)
    )

    response = staff_api.get("/api/v1/enforcement-actions/", {"action": "fine", "date_after": "2026-10-01"})

    assert sorted(ids(response)) == sorted([world.a.enforcement.pk, world.b.enforcement.pk])


def test_inspections_filter_by_outcome_and_operator(world, staff_api):
    response = staff_api.get("/api/v1/inspections/", {"outcome": "violations", "firm_bin": world.b.firm.bin})

    assert ids(response) == [world.b.inspection.pk]


# Malformed queries answer 400 naming the parameter


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/api/v1/licences/", {"valid_from_after": "notadate"}, "valid_from_after"),
        ("/api/v1/licences/", {"status": "dormant"}, "status"),
        ("/api/v1/facilities/", {"region": "atlantis"}, "region"),
        ("/api/v1/facilities/", {"firm_bin": "12345"}, "firm_bin"),
        ("/api/v1/facilities/", {"capacity_mw_min": "lots"}, "capacity_mw_min"),
        ("/api/v1/facilities/", {"firm": "0"}, "firm"),
        ("/api/v1/declarations/", {"month": "2026-13"}, "month"),
        ("/api/v1/declarations/", {"is_current": "maybe"}, "is_current"),
        ("/api/v1/flags/", {"created_after": "yesterday"}, "created_after"),
        ("/api/v1/flags/", {"created_after": "2026-11-01T00:00:00"}, "created_after"),  # no offset
        ("/api/v1/licences/", {"valid_until_before": "31.12.2026"}, "valid_until_before"),  # a Russian format
        ("/api/v1/facilities/", {"firm_bin": "291417776310\n"}, "firm_bin"),
        ("/api/v1/facilities/", {"firm": "1.0"}, "firm"),
        ("/api/v1/facilities/", {"capacity_mw_min": " 5"}, "capacity_mw_min"),
        ("/api/v1/declarations/", {"is_current": "1"}, "is_current"),
        ("/api/v1/declarations/", {"page_size": "1_0"}, "page_size"),
        ("/api/v1/flags/", {"subject_ref": "nul\x00byte"}, "subject_ref"),
        ("/api/v1/firms/", {"ordering": "password"}, "ordering"),
        ("/api/v1/flags/", {"ordering": "-evidence"}, "ordering"),
        ("/api/v1/flags/", {"cursor": "not-a-cursor"}, "cursor"),
        ("/api/v1/firms/", {"page": "two"}, "page"),
        ("/api/v1/firms/", {"page": "99"}, "page"),
        ("/api/v1/firms/", {"page_size": "0"}, "page_size"),
        ("/api/v1/declarations/", {"page_size": "100000"}, "page_size"),
        ("/api/v1/declarations/", {"month": ["2026-09", "2026-10"]}, "month"),
        ("/api/v1/firms/", {"page": ["1", "2"]}, "page"),
        ("/api/v1/flags/", {"ordering": ["rule", "status"]}, "ordering"),
    ],
)
def test_a_malformed_query_answers_400_naming_the_parameter(world, staff_api, path, params, field):
    response = staff_api.get(path, params)

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and body[field][0]


@pytest.mark.parametrize(
    "token",
    [
        {"r": 0, "p": ["notadate", 1]},  # a value of the wrong type
        {"r": 0, "p": ["2026-11-01T00:00:00+00:00"]},  # made for another ordering
        {"r": 2, "p": ["2026-11-01T00:00:00+00:00", 1]},
        {"r": 0, "p": [None, 1]},
        {"r": 0, "p": ["2026-11-01T00:00:00", 1]},  # no offset
        {"r": 0, "p": ["2026-11-01T00:00:00+00:00", "Infinity"]},
        ["not", "an", "object"],
    ],
)
def test_a_made_up_cursor_answers_400(world, staff_api, token):
    cursor = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()

    response = staff_api.get("/api/v1/flags/", {"cursor": cursor})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


# Ordering and pagination


def test_ordering_by_a_listed_field(world, staff_api):
    Facility.objects.filter(pk=world.b.facility.pk).update(capacity_mw=Decimal("99"))

    descending = ids(staff_api.get("/api/v1/facilities/", {"ordering": "-capacity_mw"}))
    ascending = ids(staff_api.get("/api/v1/facilities/", {"ordering": "capacity_mw"}))

    assert descending == [world.b.facility.pk, world.a.facility.pk] == ascending[::-1]


def test_page_numbers_count_and_link(firm_a, staff_api):
    for n in range(4):
        FirmFactory(name=f"Firm {n}", region="astana")

    first = staff_api.get("/api/v1/firms/", {"page_size": 2, "ordering": "name"})
    rest, _ = walk(staff_api, "/api/v1/firms/", {"page_size": 2, "ordering": "name"})

    assert first.json()["count"] == 5
    assert [f.pk for f in Firm.objects.order_by("name", "pk")] == rest


@pytest.fixture
def many_declarations(firm_a) -> list[int]:
    """21 facilities × 2 months: many rows share a month, the first ordering field."""
    facilities = [FacilityFactory(ref=f"FAC-X{n:02}", firm=firm_a, capacity_mw=1) for n in range(21)]
    for month in (dt.date(2026, 8, 1), dt.date(2026, 9, 1)):
        for facility in facilities:
            PowerDeclarationFactory(facility=facility, month=month, consumed_mwh=Decimal("10"))
    return list(PowerDeclaration.objects.order_by("-month", "facility__ref", "-pk").values_list("pk", flat=True))


def test_a_cursor_walk_sees_every_declaration_once_in_order(many_declarations, staff_api):
    seen, _ = walk(staff_api, "/api/v1/declarations/", {"page_size": 4})

    assert seen == many_declarations


def test_a_cursor_walk_in_another_order_and_back(many_declarations, staff_api):
    expected = list(PowerDeclaration.objects.order_by("month", "-consumed_mwh", "pk").values_list("pk", flat=True))
    params = {"page_size": 5, "ordering": "month,-consumed_mwh"}

    forward, last_page = walk(staff_api, "/api/v1/declarations/", params)
    backward: list[int] = []
    response = staff_api.get(last_page)
    while response.json()["previous"]:
        response = staff_api.get(response.json()["previous"])
        backward = ids(response) + backward
    last = ids(staff_api.get(last_page))

    assert forward == expected
    assert backward + last == expected


def test_the_first_cursor_page_has_no_previous_link(world, staff_api):
    body = staff_api.get("/api/v1/flags/").json()

    assert body["previous"] is None and body["next"] is None
    assert [row["id"] for row in body["results"]] == [world.b.flag.pk, world.a.flag.pk]


def test_representations_use_natural_keys_and_utc(world, staff_api):
    flag = staff_api.get(f"/api/v1/flags/{world.b.flag.pk}/").json()
    declaration = staff_api.get(f"/api/v1/declarations/{world.a.declaration.pk}/").json()
    licence = staff_api.get(f"/api/v1/licences/{world.a.licence.pk}/").json()

    assert flag["facility_ref"] == "FAC-B1" and flag["region"] == "karaganda"
    assert flag["window_end"] == WINDOW_END.isoformat().replace("+00:00", "Z")
    assert declaration["month"] == "2026-09" and declaration["consumed_mwh"] == "1200.500"
    assert declaration["firm_bin"] == world.a.firm.bin
    assert licence["facility_refs"] == ["FAC-A1"] and licence["number"] == "KZ-DM-2024-000001"


def test_a_cursor_with_a_far_offset_still_pages(world, staff_api):
    token = {"r": 0, "p": ["2100-01-01T00:00:00+17:50", 10**30]}
    cursor = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()

    response = staff_api.get("/api/v1/flags/", {"cursor": cursor})

    assert ids(response) == [world.b.flag.pk, world.a.flag.pk]


@pytest.mark.parametrize(
    "endpoint, grow",
    [
        ("facilities", lambda firm, n: FacilityFactory(firm=firm, capacity_mw=1)),
        ("licences", lambda firm, n: LicenceFactory(firm=firm, capacity_mw=1, status="applied")),
        ("flags", lambda firm, n: FlagFactory(rule="RELATED_PARTY", severity="low", firm=firm, subject_ref=f"{n}")),
    ],
)
def test_a_list_costs_the_same_queries_for_one_row_or_many(world, staff_api, endpoint, grow):
    with CaptureQueriesContext(connection) as few:
        staff_api.get(f"/api/v1/{endpoint}/")
    for n in range(10):
        grow(world.a.firm, n)
    with CaptureQueriesContext(connection) as many:
        staff_api.get(f"/api/v1/{endpoint}/")

    assert len(many) == len(few)
