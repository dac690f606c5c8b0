"""Facilities a firm registers: meters the grid has under the firm's BIN are linked, any other is kept to verify."""

import pytest
from django.urls import reverse

from registry.models import Facility
from tests.factories import BIN_A, BIN_B, GridConnectionFactory

from .page import Page

NEW_FACILITY = {
    "name": "Alpha site 2",
    "region": "pavlodar",
    "address": "Ekibastuz",
    "capacity_mw": "5",
    "devices": "1500",
}


@pytest.fixture
def meters(firm_a):
    """PV-0100 is on Alpha's BIN at the grid company, PV-0200 on Beta's."""
    GridConnectionFactory(meter_id="PV-0100", consumer_bin=BIN_A)
    GridConnectionFactory(meter_id="PV-0200", consumer_bin=BIN_B)


def test_a_new_facility_links_the_meters_the_grid_has_under_the_firms_bin(alice_client, meters):
    data = {**NEW_FACILITY, "meter_ids": "PV-0100, PV-0200\nXX-9"}

    response = alice_client.post(reverse("portal:facility-add"), data, follow=True)

    facility = Facility.objects.get(name="Alpha site 2")
    assert facility.ref == f"F-{BIN_A}-1"
    assert list(facility.connections.values_list("meter_id", flat=True)) == ["PV-0100"]
    assert facility.unverified_meter_ids == ["PV-0200", "XX-9"]
    assert Page(response).messages() == [
        "Meters kept for the regulator to verify: PV-0200, XX-9",
        f"Facility F-{BIN_A}-1 saved.",
    ]


def test_the_facility_list_shows_meters_to_verify(alice_client, meters):
    alice_client.post(reverse("portal:facility-add"), {**NEW_FACILITY, "meter_ids": "PV-0100 PV-0200"})

    response = alice_client.get(reverse("portal:facilities"))

    row = next(row for row in Page(response).rows() if "Alpha site 2" in row)
    assert "PV-0100" in row and "to verify: PV-0200" in row


def test_editing_a_facility_keeps_its_linked_meters(alice_client, firm_a):
    facility = Facility.objects.get(ref="FAC-A1")
    form = Page(alice_client.get(reverse("portal:facility-edit", args=[facility.pk])))
    data = {
        name: form.value(name) for name in ("address", "latitude", "longitude", "capacity_mw", "devices", "meter_ids")
    }

    alice_client.post(
        reverse("portal:facility-edit", args=[facility.pk]), {**data, "name": "Alpha site one", "region": "pavlodar"}
    )

    facility.refresh_from_db()
    assert facility.name == "Alpha site one"
    assert list(facility.connections.values_list("meter_id", flat=True)) == ["PV-0001"]
    assert facility.unverified_meter_ids == []
