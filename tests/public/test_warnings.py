"""/register/warnings/: operators confirmed to have mined illegally, the latest action first."""

import csv
import datetime as dt
import io

import pytest

from tests.clients import english_client
from tests.factories import EnforcementActionFactory, FirmFactory
from tests.public.helpers import body, register_rows

pytestmark = pytest.mark.django_db


def test_it_lists_confirmed_illegal_operations_the_latest_first(world):
    listed = register_rows(english_client().get("/register/warnings/"))

    assert [row[0] for row in listed] == [
        "Flagged Farm Four",
        "Inspected Farm Three",
        "Raided Farm Two",
        "Closed Farm One",
    ]


def test_a_row_names_the_operator_region_date_and_every_action(world):
    listed = {row[0]: row for row in register_rows(english_client().get("/register/warnings/"))}

    raided = world.firms["raided"]
    criminal_case_day = world.today - dt.timedelta(days=600)
    assert listed["Raided Farm Two"] == [
        "Raided Farm Two",
        raided.bin,
        "Jambyl Region",
        f"{criminal_case_day:%Y-%m-%d}",
        "Operation cancelled Equipment confiscated Criminal case opened",
    ]
    assert listed["Closed Farm One"][2:] == [
        "Turkistan Region",
        f"{world.today - dt.timedelta(days=900):%Y-%m-%d}",
        "Closed voluntarily",
    ]
    assert listed["Inspected Farm Three"][2] == "Almaty Region"
    assert listed["Inspected Farm Three"][4] == "Illegal operation found by an inspection"
    assert listed["Flagged Farm Four"][2] == "Jetisu Region"
    assert listed["Flagged Farm Four"][4] == "Mining without a licence confirmed"


def test_fines_suspensions_open_or_dismissed_flags_and_compliant_inspections_do_not_list(world):
    page = body(english_client().get("/register/warnings/"))

    assert "Raided Farm Two" in page  # the list is shown, and without those who were not found illegal:
    assert "Fined But Legal" not in page and "Suspended Compute" not in page


def test_it_searches_by_bin_or_name_and_filters_by_region(world):
    client = english_client()

    def operators(**params) -> list[str]:
        return [row[0] for row in register_rows(client.get("/register/warnings/", params))]

    assert operators(q=world.firms["raided"].bin) == ["Raided Farm Two"]
    assert operators(q="farm t") == ["Inspected Farm Three", "Raided Farm Two"]
    assert operators(region="turkistan") == ["Closed Farm One"]
    assert operators(region="astana") == []


def test_the_csv_has_a_bom_a_header_and_the_same_order(world):
    response = english_client().get("/register/warnings.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="minereg-warnings-{world.today}.csv"'
    text = body(response)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["operator_name", "operator_bin", "regions", "date", "actions"]
    assert [row[0] for row in table[1:]] == [
        "Flagged Farm Four",
        "Inspected Farm Three",
        "Raided Farm Two",
        "Closed Farm One",
    ]
    assert table[3][1:] == [
        world.firms["raided"].bin,
        "jambyl",
        (world.today - dt.timedelta(days=600)).isoformat(),
        "operation_cancelled;equipment_confiscated;criminal_case",
    ]


def test_the_csv_neutralises_an_operator_named_like_a_formula(world):
    firm = FirmFactory(name="@SUM(A1:A9)", region="abai", origin="unregistered")
    EnforcementActionFactory(action="voluntary_closure", firm=firm, region="abai", date=world.today)

    text = body(english_client().get("/register/warnings.csv"))

    assert "\r\n'@SUM(A1:A9)," in text


def test_the_number_of_queries_does_not_grow_with_the_rows(world, django_assert_max_num_queries):
    for n in range(30):
        firm = FirmFactory(name=f"Extra operation {n}", region="abai", origin="unregistered")
        EnforcementActionFactory(action="operation_cancelled", firm=firm, region="abai", date=world.today)

    with django_assert_max_num_queries(2):
        english_client().get("/register/warnings/")
