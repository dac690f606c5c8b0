"""The busiest changelists take a fixed number of queries, however many rows the page shows."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from registry.models import EnforcementAction, Facility, Firm, Flag, GridConnection, Inspection, Licence
from registry.validators import bin_check_digit

N = 4
WINDOW = {
    "window_start": dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
    "window_end": dt.datetime(2025, 5, 31, tzinfo=dt.UTC),
}
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _bin() -> str:
    while True:
        eleven = f"5{next(_serial):010d}"
        check = bin_check_digit(eleven)
        if check is not None:
            return f"{eleven}{check}"


def site(i: int) -> Facility:
    """A firm with a facility on its own meter, under its own licence in force: every row its own relations."""
    firm = Firm.objects.create(bin=_bin(), name=f"Firm {i}", region="pavlodar")
    meter = GridConnection.objects.create(
        meter_id=f"M-{firm.bin}", operator="Pavlodar REC", region="pavlodar", tariff="industrial"
    )
    facility = Facility.objects.create(
        ref=f"FAC-{firm.bin}", firm=firm, name=f"Site {i}", region="pavlodar", capacity_mw=Decimal("5")
    )
    facility.connections.add(meter)
    licence = Licence.objects.create(
        number=f"KZ-DM-2024-{int(firm.bin[:11]) % 1_000_000:06d}",
        firm=firm,
        capacity_mw=Decimal("5"),
        status="active",
        valid_from=dt.date(2024, 1, 1),
        valid_until=dt.date(2030, 12, 31),
    )
    licence.facilities.add(facility)
    return facility


def flag_on(facility: Facility, *, status: str = "open", assigned_to=None) -> Flag:
    return Flag.objects.create(
        rule="NO_VALID_LICENCE",
        severity="high",
        status=status,
        subject_type="facility",
        subject_ref=facility.ref,
        facility=facility,
        firm=facility.firm,
        assigned_to=assigned_to,
        evidence={"avg_mw": 0.3},
        **WINDOW,
    )


def make_flags(n: int) -> None:
    for i in range(n):
        inspector = User.objects.create_user(f"inspector{next(_serial)}", is_staff=True)
        flag_on(site(i), assigned_to=inspector)


def make_sites(n: int) -> None:
    for i in range(n):
        facility = site(i)
        flag_on(facility, status="dismissed")
        Inspection.objects.create(facility=facility, date=dt.date(2025, 5, 1), outcome="compliant")
        EnforcementAction.objects.create(
            action="fine",
            firm=facility.firm,
            facility=facility,
            region="pavlodar",
            date=dt.date(2025, 5, 2),
            fine_kzt=1000,
        )


def make_inspections(n: int) -> None:
    for i in range(n):
        facility = site(i)
        inspection = Inspection.objects.create(
            facility=facility,
            connection=facility.connections.get(),
            firm=facility.firm,
            flag=flag_on(facility, status="under_inspection"),
            date=dt.date(2025, 5, 1),
            outcome="violations",
        )
        inspection.inspectors.set([User.objects.create_user(f"inspector{next(_serial)}", is_staff=True)])


# changelist (and filter): how to make n of its rows, the queries for the page (pinned, as measured).
# Each page: session, user, the second-factor device, user and group permissions, then its own: the row
# estimate (unfiltered lists only), COUNT, the rows with their legal status; licences and inspections add the
# date hierarchy's range and days.
PAGES = {
    "flag": (make_flags, 8),
    "facility": (make_sites, 8),
    "facility?legal_status=licensed": (make_sites, 7),
    "gridconnection": (make_sites, 8),
    "gridconnection?legal_status=licensed": (make_sites, 7),
    "firm": (make_sites, 8),
    "firm?legal_status=licensed": (make_sites, 7),
    "licence": (make_sites, 10),
    "inspection": (make_inspections, 10),
}


@pytest.mark.parametrize("rows", [N, 3 * N], ids=lambda n: f"{n}_rows")
@pytest.mark.parametrize("model", list(PAGES))
def test_a_changelist_takes_the_same_queries_for_any_number_of_rows(
    client, regulator, django_assert_num_queries, model, rows
):
    make, queries = PAGES[model]
    make(rows)
    client.force_login(regulator)
    name, _, filters = model.partition("?")
    url = reverse(f"admin:registry_{name}_changelist") + (f"?{filters}" if filters else "")

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
