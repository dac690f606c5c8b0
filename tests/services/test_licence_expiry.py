"""licences_expire: a licence past its last valid day (inclusive) becomes expired (docs/rules.md, "Licences")."""

import datetime as dt

import pytest

from registry.models import Licence
from registry.services.licences import licences_expire
from tests.detection.fixtures import facility, firm, licence
from tests.factories import LicenceFactory

TODAY = dt.date(2025, 3, 1)
YESTERDAY = dt.date(2025, 2, 28)


@pytest.fixture
def owner(db):
    return firm("10000000001", "Owner Mining LLP")


def status_of(number: str) -> str:
    return Licence.objects.get(number=number).status


def grant(owner, number: str, *, status: str = "active", valid_until: dt.date) -> Licence:
    return licence(number, owner, facility(f"FAC-{number[-1]}", owner), status=status, valid_until=valid_until)


def test_it_expires_an_active_licence_after_its_last_valid_day(owner):
    grant(owner, "KZ-DM-2022-000001", valid_until=YESTERDAY)

    expired = licences_expire(today=TODAY)

    assert expired == 1
    assert status_of("KZ-DM-2022-000001") == "expired"
    assert Licence.objects.get(number="KZ-DM-2022-000001").status_reason


def test_it_expires_a_suspended_licence_after_its_last_valid_day(owner):
    grant(owner, "KZ-DM-2022-000001", status="suspended", valid_until=YESTERDAY)

    licences_expire(today=TODAY)

    assert status_of("KZ-DM-2022-000001") == "expired"


def test_a_licence_on_its_last_valid_day_stays_active(owner):
    grant(owner, "KZ-DM-2022-000001", valid_until=TODAY)

    expired = licences_expire(today=TODAY)

    assert expired == 0
    assert status_of("KZ-DM-2022-000001") == "active"


def test_it_leaves_ended_licences_and_applications_alone(owner):
    grant(owner, "KZ-DM-2022-000001", status="revoked", valid_until=YESTERDAY)
    grant(owner, "KZ-DM-2022-000002", status="surrendered", valid_until=YESTERDAY)
    LicenceFactory(firm=owner, capacity_mw=5, status="applied")

    expired = licences_expire(today=TODAY)

    assert expired == 0
    assert sorted(Licence.objects.values_list("status", flat=True)) == ["applied", "revoked", "surrendered"]


def test_a_second_run_expires_nothing_more(owner):
    grant(owner, "KZ-DM-2022-000001", valid_until=YESTERDAY)
    licences_expire(today=TODAY)

    expired = licences_expire(today=TODAY)

    assert expired == 0
