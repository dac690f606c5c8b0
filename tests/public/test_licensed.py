"""/register/: licences in force, searched by BIN, name or licence number, filtered by region."""

import csv
import io

import pytest

from registry.selectors.public import licences_in_force
from tests.clients import english_client
from tests.factories import LicenceFactory
from tests.public.helpers import FORMULA_NAME, body, register_rows

pytestmark = pytest.mark.django_db


def listed(world, **params) -> set[str]:
    """The licence numbers the register page lists for a search."""
    return {row[2] for row in register_rows(english_client().get("/register/", params))}


def test_it_lists_licences_in_force_only(world):
    assert listed(world) == {world.licences[k].number for k in ("altyn-1", "altyn-2", "zhuldyz", "formula")}


def test_a_firm_with_two_licences_in_force_is_listed_twice(world):
    rows = list(licences_in_force(today=world.today, q=world.firms["altyn"].bin))

    assert [row.number for row in rows] == sorted([world.licences["altyn-1"].number, world.licences["altyn-2"].number])
    assert [row.regions for row in rows] == [["pavlodar"], ["karaganda"]]


def test_it_finds_a_firm_by_its_exact_bin(world):
    firm = world.firms["zhuldyz"]

    assert listed(world, q=firm.bin) == {world.licences["zhuldyz"].number}
    assert listed(world, q=f"  {firm.bin[:6]} {firm.bin[6:]} ") == {world.licences["zhuldyz"].number}
    assert listed(world, q=firm.bin[:11]) == set()


@pytest.mark.parametrize("query", ["altyn", "ALTYN HASH", "hash  llp"])
def test_it_finds_a_firm_by_part_of_its_name_in_any_case(world, query):
    assert listed(world, q=query) == {world.licences["altyn-1"].number, world.licences["altyn-2"].number}


def test_it_finds_a_cyrillic_name_in_any_case(world):
    assert listed(world, q="жулдыз") == {world.licences["zhuldyz"].number}
    assert listed(world, q="ЖУЛДЫЗ МАЙНИНГ") == {world.licences["zhuldyz"].number}


def test_it_finds_a_licence_by_its_number(world):
    number = world.licences["formula"].number

    assert listed(world, q=number) == {number}
    assert listed(world, q=number.lower()) == {number}


@pytest.mark.parametrize("key", ["suspended", "revoked", "expired", "lapsed", "future"])
def test_a_licence_not_in_force_is_not_found_even_by_its_number(world, key):
    number = world.licences[key].number

    assert listed(world, q=number) == set()
    assert listed(world, q=world.firms[key].bin) == set()


def test_an_application_is_never_shown(world):
    page = body(english_client().get("/register/"))

    assert "Altyn Hash LLP" in page  # the register is listed, and without the applicants:
    assert "Applied Compute" not in page and "Review Compute" not in page


def test_the_region_filter_keeps_licences_with_a_site_in_that_region(world):
    assert listed(world, region="karaganda") == {world.licences["altyn-2"].number}
    assert listed(world, region="astana") == set()


def test_an_unknown_region_lists_nothing_and_says_why(world):
    response = english_client().get("/register/", {"region": "atlantis"})

    assert response.status_code == 200
    assert "Select a valid choice" in body(response)
    assert listed(world, region="atlantis") == set()


def test_a_row_shows_what_the_law_makes_public(world):
    first, second = register_rows(english_client().get("/register/", {"q": world.firms["altyn"].bin}))

    one, two = world.licences["altyn-1"], world.licences["altyn-2"]
    assert first == [
        "Altyn Hash LLP",
        world.firms["altyn"].bin,
        one.number,
        "I — own mining data centre",
        "Pavlodar Region",
        "12.500",
        f"{one.valid_from:%Y-%m-%d} – {one.valid_until:%Y-%m-%d}",
    ]
    assert second[2:5] == [two.number, "II — hosted in another's data centre", "Karaganda Region"]


def test_pages_hold_fifty_rows_and_a_bad_page_number_shows_the_first(world, settings):
    template = world.licences["altyn-1"]
    for n in range(60):
        LicenceFactory(
            number=f"KZ-DM-2025-{n:06d}",
            firm=world.firms["altyn"],
            capacity_mw=1,
            valid_from=template.valid_from,
            valid_until=template.valid_until,
        )
    client = english_client()

    first, second = body(client.get("/register/")), body(client.get("/register/", {"page": 2}))
    assert "KZ-DM-2025-000000" in first and "KZ-DM-2025-000059" not in first
    assert "KZ-DM-2025-000059" in second and "Page 2 of 2" in second
    for odd in ["abc", "0", "-1", "99999999999999999999", "1.5", ""]:
        response = client.get("/register/", {"page": odd})
        assert response.status_code == 200, odd
    assert "KZ-DM-2025-000000" in body(client.get("/register/", {"page": "abc"}))


def test_the_page_needs_no_javascript(world):
    assert "<script" not in body(english_client().get("/register/"))


def test_the_number_of_queries_does_not_grow_with_the_rows(world, django_assert_max_num_queries):
    template = world.licences["altyn-1"]
    for n in range(40):
        LicenceFactory(
            number=f"KZ-DM-2025-{n:06d}",
            firm=world.firms["altyn"],
            capacity_mw=1,
            valid_from=template.valid_from,
            valid_until=template.valid_until,
        )

    with django_assert_max_num_queries(2):  # the count and the page
        english_client().get("/register/", {"region": "pavlodar"})


# The CSV download


def csv_rows(response) -> list[list[str]]:
    text = body(response)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_lists_the_same_licences_with_a_bom_and_a_header(world):
    response = english_client().get("/register/licensed.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="minereg-licensed-{world.today}.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "firm_name",
        "bin",
        "licence_number",
        "subtype",
        "regions",
        "capacity_mw",
        "valid_from",
        "valid_until",
    ]
    assert sorted(row[2] for row in rows[1:]) == sorted(
        world.licences[k].number for k in ("altyn-1", "altyn-2", "zhuldyz", "formula")
    )
    altyn = next(row for row in rows if row[2] == world.licences["altyn-1"].number)
    licence = world.licences["altyn-1"]
    assert altyn == [
        "Altyn Hash LLP",
        world.firms["altyn"].bin,
        licence.number,
        "I",
        "pavlodar",
        "12.500",
        licence.valid_from.isoformat(),
        licence.valid_until.isoformat(),
    ]


def test_the_csv_neutralises_a_name_that_a_spreadsheet_would_run(world):
    rows = csv_rows(english_client().get("/register/licensed.csv"))

    names = [row[0] for row in rows[1:]]
    assert "'" + FORMULA_NAME in names
    assert FORMULA_NAME not in names


def test_the_csv_follows_the_search(world):
    rows = csv_rows(english_client().get("/register/licensed.csv", {"q": "altyn", "region": "karaganda"}))

    assert [row[2] for row in rows[1:]] == [world.licences["altyn-2"].number]


def test_a_refused_search_answers_400_not_a_file(world):
    response = english_client().get("/register/licensed.csv", {"region": "atlantis"})

    assert response.status_code == 400
    assert "Cache-Control" not in response
