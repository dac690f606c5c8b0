"""/api/v1/public/: the register as JSON, paginated, searchable, read-only, for anyone."""

import pytest

from tests.clients import english_client

pytestmark = pytest.mark.django_db


def test_the_licensed_list_is_json_for_anyone(world):
    response = english_client().get("/api/v1/public/licensed/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["count"] == 4
    altyn = next(row for row in data["results"] if row["licence_number"] == world.licences["altyn-1"].number)
    licence = world.licences["altyn-1"]
    assert altyn == {
        "firm_name": "Altyn Hash LLP",
        "bin": world.firms["altyn"].bin,
        "licence_number": licence.number,
        "subtype": "I",
        "regions": ["pavlodar"],
        "capacity_mw": "12.500",
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
    }


def test_it_pages_with_page_and_page_size(world):
    client = english_client()

    first = client.get("/api/v1/public/licensed/", {"page_size": 3}).json()
    second = client.get("/api/v1/public/licensed/", {"page_size": 3, "page": 2}).json()

    assert first["count"] == second["count"] == 4
    assert len(first["results"]) == 3 and len(second["results"]) == 1
    assert first["next"].endswith("/api/v1/public/licensed/?page=2&page_size=3") and first["previous"] is None
    assert second["next"] is None


def test_it_searches_like_the_page(world):
    client = english_client()

    def numbers(**params):
        return [row["licence_number"] for row in client.get("/api/v1/public/licensed/", params).json()["results"]]

    assert sorted(numbers(q=world.firms["altyn"].bin)) == sorted(
        [world.licences["altyn-1"].number, world.licences["altyn-2"].number]
    )
    assert numbers(q="ЖУЛДЫЗ") == [world.licences["zhuldyz"].number]
    assert numbers(q=world.licences["formula"].number) == [world.licences["formula"].number]
    assert numbers(q=world.licences["suspended"].number) == []
    assert numbers(region="karaganda") == [world.licences["altyn-2"].number]


def test_the_warning_list_is_json_the_latest_first(world):
    data = english_client().get("/api/v1/public/warnings/").json()

    assert [row["operator_name"] for row in data["results"]] == [
        "Flagged Farm Four",
        "Inspected Farm Three",
        "Raided Farm Two",
        "Closed Farm One",
    ]
    raided = data["results"][2]
    assert raided["bin"] == world.firms["raided"].bin and raided["regions"] == ["jambyl"]
    assert raided["actions"] == ["operation_cancelled", "equipment_confiscated", "criminal_case"]
    assert english_client().get("/api/v1/public/warnings/", {"region": "jetisu"}).json()["count"] == 1


@pytest.mark.parametrize(
    "params, status",
    [
        ({"region": "atlantis"}, 400),
        ({"q": "x" * 300}, 400),
        ({"q": "a\x00b"}, 400),
        ({"page": "abc"}, 400),
        ({"page": "999"}, 400),
        ({"page": "0"}, 400),
        ({"page_size": "abc"}, 400),
        ({"page_size": "100000"}, 400),
        ({"page_size": "500"}, 200),
        ({"q": "", "region": ""}, 200),
    ],
)
def test_odd_parameters_are_refused_naming_the_parameter_never_a_500(world, params, status):
    for url in ("/api/v1/public/licensed/", "/api/v1/public/warnings/"):
        response = english_client().get(url, params)
        assert response.status_code == status, (url, params)
        if status == 400:
            assert set(response.json()) <= set(params)
            assert "Cache-Control" not in response


def test_it_is_read_only(world):
    client = english_client()

    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/public/licensed/", {}).status_code == 405


def test_a_stale_token_does_not_lock_a_visitor_out(world):
    response = english_client().get("/api/v1/public/licensed/", HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code == 200


def test_an_address_is_throttled_past_the_public_rate(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "3/minute"}}
    client = english_client()

    answers = [client.get("/api/v1/public/warnings/").status_code for _ in range(4)]
    other = english_client(REMOTE_ADDR="192.0.2.7").get("/api/v1/public/warnings/")

    assert answers == [200, 200, 200, 429]
    assert other.status_code == 200


def test_the_default_rate_lets_a_script_page_through_the_register(world):
    client = english_client()

    assert {
        client.get("/api/v1/public/licensed/", {"page_size": 1, "page": n % 4 + 1}).status_code for n in range(100)
    } == {200}


def test_the_schema_documents_the_public_endpoints(world):
    schema = english_client().get("/api/schema/", {"format": "json"}).json()

    for path in ("/api/v1/public/licensed/", "/api/v1/public/warnings/"):
        operation = schema["paths"][path]["get"]
        assert {p["name"] for p in operation["parameters"]} == {"q", "region", "page", "page_size"}
        assert operation["security"] == [{}] or "security" not in operation
