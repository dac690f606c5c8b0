"""/api/v1/connections/: the grid connections with their upstream meter, for staff only."""

import pytest

from tests.api.helpers import api_client, token_client
from tests.factories import GridConnectionFactory

URL = "/api/v1/connections/"


@pytest.fixture
def transformer(db):
    """TP-1 feeding household H-1."""
    head = GridConnectionFactory(meter_id="TP-1", consumer_name="Pavlodar REC")
    GridConnectionFactory(meter_id="H-1", tariff="residential", parent=head)
    return head


@pytest.mark.parametrize("staff", ["regulator", "inspector", "auditor"])
def test_staff_read_each_connections_upstream_meter(request, transformer, staff):
    listing = api_client(request.getfixturevalue(staff)).get(URL)

    assert listing.status_code == 200
    assert {row["meter_id"]: row["parent_meter_id"] for row in listing.json()["results"]} == {
        "H-1": "TP-1",
        "TP-1": None,
    }


def test_one_connection_reads_with_every_field(regulator, transformer):
    household = transformer.children.get()

    record = api_client(regulator).get(f"{URL}{household.pk}/").json()

    assert record == {
        "id": household.pk,
        "meter_id": "H-1",
        "operator": "Pavlodar REC",
        "consumer_name": "",
        "consumer_bin": "",
        "region": "pavlodar",
        "address": "",
        "tariff": "residential",
        "contracted_mw": None,
        "parent_meter_id": "TP-1",
    }


def test_staff_list_the_meters_a_transformer_feeds(regulator, transformer):
    listing = api_client(regulator).get(URL, {"parent_meter_id": "TP-1"})

    assert [row["meter_id"] for row in listing.json()["results"]] == ["H-1"]


def test_firm_users_and_grid_operators_read_no_connections(alice, grid_operator, transformer):
    answers = [token_client(alice).get(URL), token_client(grid_operator).get(URL), token_client(None).get(URL)]

    assert [answer.status_code for answer in answers] == [403, 403, 401]
