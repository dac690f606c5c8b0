"""The busiest changelists take a fixed number of queries, however many rows the page shows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.models import Facility, Flag
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FlagFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
    StaffFactory,
)

N = 4
WINDOW_END = dt.datetime(2025, 5, 31, tzinfo=dt.UTC)


def site(i: int) -> Facility:
    """A firm with a facility on its own meter, under its own licence in force: every row its own relations."""
    facility = FacilityFactory(firm__name=f"Firm {i}", capacity_mw=Decimal("5"), connections=[GridConnectionFactory()])
    LicenceFactory(
        firm=facility.firm,
        capacity_mw=Decimal("5"),
        valid_from=dt.date(2024, 1, 1),
        valid_until=dt.date(2030, 12, 31),
        facilities=[facility],
    )
    return facility


def flag_on(facility: Facility, *, status: str = "open", assigned_to=None) -> Flag:
    return FlagFactory(
        status=status,
        facility=facility,
        firm=facility.firm,
        assigned_to=assigned_to,
        evidence={"avg_mw": 0.3},
        window_end=WINDOW_END,
    )


def make_flags(n: int) -> None:
    for i in range(n):
        flag_on(site(i), assigned_to=StaffFactory())


def make_sites(n: int) -> None:
    for i in range(n):
        facility = site(i)
        flag_on(facility, status="dismissed")
        InspectionFactory(facility=facility, date=dt.date(2025, 5, 1), outcome="compliant")
        EnforcementActionFactory(
            action="fine", firm=facility.firm, facility=facility, date=dt.date(2025, 5, 2), fine_kzt=1000
        )


def make_inspections(n: int) -> None:
    for i in range(n):
        facility = site(i)
        inspection = InspectionFactory(
            facility=facility,
            connection=facility.connections.get(),
            firm=facility.firm,
            flag=flag_on(facility, status="under_inspection"),
            date=dt.date(2025, 5, 1),
            outcome="violations",
        )
        inspection.inspectors.set([StaffFactory()])


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
