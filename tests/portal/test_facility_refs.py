"""Facility references F-<BIN>-<n>: never given twice, after a deletion or when two users add at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from registry.models import Facility
from registry.services import facilities
from tests.clients import english_client
from tests.factories import BIN_A, FacilityFactory, FirmUserFactory

FACILITY = {
    "name": "Alpha site",
    "region": "pavlodar",
    "address": "",
    "capacity_mw": "5",
    "devices": "1500",
    "meter_ids": "PV-0042",
}


def _add(firm, name: str = "Alpha site") -> Facility:
    return facilities.facility_save(
        firm=firm,
        name=name,
        region="pavlodar",
        address="",
        latitude=None,
        longitude=None,
        capacity_mw=Decimal("5"),
        devices=None,
        meter_ids=["PV-0042"],
    )


def _refs(firm) -> list[str]:
    return sorted(Facility.objects.filter(firm=firm, ref__startswith="F-").values_list("ref", flat=True))


def test_a_firm_adds_a_facility_after_the_regulator_deleted_an_earlier_one(alice_client, firm_a):
    first, __ = _add(firm_a), _add(firm_a)
    first.delete()

    response = alice_client.post(reverse("portal:facility-add"), FACILITY)

    assert response.status_code == 302
    assert _refs(firm_a) == [f"F-{BIN_A}-2", f"F-{BIN_A}-3"]


def test_the_reference_of_a_deleted_facility_is_not_given_again(firm_a):
    _add(firm_a)
    _add(firm_a).delete()

    added = _add(firm_a)

    assert added.ref == f"F-{BIN_A}-3"


def test_numbering_continues_past_a_reference_an_import_brought(firm_a):
    FacilityFactory(ref=f"F-{BIN_A}-7", firm=firm_a)

    added = _add(firm_a)

    assert added.ref == f"F-{BIN_A}-8"


def test_each_firm_counts_its_own_facilities(firm_a, firm_b):
    _add(firm_a)

    added = _add(firm_b)

    assert added.ref == f"F-{firm_b.bin}-1"


@pytest.mark.django_db(transaction=True)
def test_two_facilities_added_at_the_same_moment_both_get_a_reference(alice, firm_a, monkeypatch):
    """Each POST runs in its own thread on its own connection; both reach the numbering before either moves on."""
    carol = FirmUserFactory(username="carol", email="carol@alpha.test", firm=firm_a)
    both_inside = threading.Barrier(2, timeout=10)
    numbered = facilities.facility_ref_next

    def after_both_arrive(*, firm):
        both_inside.wait()
        return numbered(firm=firm)

    monkeypatch.setattr(facilities, "facility_ref_next", after_both_arrive)
    responses = [None, None]

    def add(i, user):
        try:
            responses[i] = english_client(user).post(
                reverse("portal:facility-add"), {**FACILITY, "name": user.username}
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i, user)) for i, user in enumerate([alice, carol])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [response.status_code for response in responses] == [302, 302]
    assert _refs(firm_a) == [f"F-{BIN_A}-1", f"F-{BIN_A}-2"]
