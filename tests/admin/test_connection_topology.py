"""A connection's page in the admin shows its upstream meter and the meters it feeds; a cycle is refused."""

import pytest
from django.urls import reverse

from registry.models import GridConnection
from tests.factories import GridConnectionFactory


@pytest.fixture
def feeder(db):
    """A transformer TP-1 under a feeder head, feeding two households."""
    head = GridConnectionFactory(meter_id="FEEDER-1", consumer_name="Pavlodar REC")
    transformer = GridConnectionFactory(meter_id="TP-1", consumer_name="Pavlodar REC", parent=head)
    GridConnectionFactory(meter_id="H-2", consumer_name="Ахметов Б.", tariff="residential", parent=transformer)
    GridConnectionFactory(meter_id="H-1", consumer_name="Оспанова А.", tariff="residential", parent=transformer)
    return transformer


def change_url(connection: GridConnection) -> str:
    return reverse("admin:registry_gridconnection_change", args=[connection.pk])


def form_of(connection: GridConnection, **changes) -> dict:
    values = {
        "meter_id": connection.meter_id,
        "operator": connection.operator,
        "consumer_name": connection.consumer_name,
        "consumer_bin": connection.consumer_bin,
        "region": connection.region,
        "address": connection.address,
        "tariff": connection.tariff,
        "contracted_mw": "",
        "parent": connection.parent_id or "",
    }
    return {**values, **changes}


def test_the_page_shows_the_upstream_meter_and_the_meters_it_feeds(rita, feeder):
    page = rita.get(change_url(feeder)).content.decode()

    head = GridConnection.objects.get(meter_id="FEEDER-1")
    assert f'<a href="{change_url(head)}">FEEDER-1</a> — Pavlodar REC' in page
    assert "2 meters" in page
    assert f"?parent__id__exact={feeder.pk}" in page
    assert page.index(">H-1</a> — Оспанова А.") < page.index(">H-2</a> — Ахметов Б.")


def test_an_auditor_sees_the_topology_read_only(client, auditor, feeder):
    client.force_login(auditor)

    page = client.get(change_url(feeder)).content.decode()

    head = GridConnection.objects.get(meter_id="FEEDER-1")
    assert page.count(f'<a href="{change_url(head)}">FEEDER-1</a>') == 1
    assert ">H-1</a>" in page


def test_the_list_of_a_transformers_meters_opens_from_its_page(rita, feeder):
    response = rita.get(reverse("admin:registry_gridconnection_changelist"), {"parent__id__exact": feeder.pk})

    assert [row.meter_id for row in response.context["cl"].result_list] == ["H-1", "H-2"]


def test_the_topology_filter_finds_the_meters_that_feed_others(rita, feeder):
    response = rita.get(reverse("admin:registry_gridconnection_changelist"), {"topology": "feeds"})

    assert [row.meter_id for row in response.context["cl"].result_list] == ["FEEDER-1", "TP-1"]


def test_a_regulator_sets_an_upstream_meter(rita, feeder):
    loose = GridConnectionFactory(meter_id="H-3", tariff="residential")

    response = rita.post(change_url(loose), form_of(loose, parent=feeder.pk))

    assert response.status_code == 302
    assert GridConnection.objects.get(pk=loose.pk).parent == feeder


def test_the_form_refuses_a_parent_that_closes_a_cycle(rita, feeder):
    head = GridConnection.objects.get(meter_id="FEEDER-1")
    household = GridConnection.objects.get(meter_id="H-1")

    response = rita.post(change_url(head), form_of(head, parent=household.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == ["cycle: FEEDER-1 → H-1 → TP-1 → FEEDER-1"]
    assert GridConnection.objects.get(pk=head.pk).parent is None


def test_the_form_refuses_a_meter_as_its_own_parent(rita, feeder):
    response = rita.post(change_url(feeder), form_of(feeder, parent=feeder.pk))

    assert response.context["adminform"].form.errors["parent"] == ["a meter cannot be its own parent"]
