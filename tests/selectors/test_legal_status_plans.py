"""Legal status at the registry's size: PostgreSQL estimates every query of it below its JIT threshold.

An OR of correlated EXISTS cannot become a join, so PostgreSQL costs it as a probe for every row of the table;
past `jit_above_cost` it then compiles the query to machine code before running it, which cost far more than
running it (issue 13: the connection list filtered by legal status). The planner here sees 10,000
connections; the times at 100,000 are measured by bench/admin_pages.py.
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.db.models import Count

from registry.models import Flag, GridConnection
from registry.selectors.legal_status import PRECEDENCE, annotate, connection_conditions, with_status
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FlagFactory,
    FlagMeterFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TODAY = dt.date(2026, 11, 10)
CONNECTIONS = 10_000
TABLES = [
    "registry_gridconnection",
    "registry_facility",
    "registry_facilityconnection",
    "registry_licence",
    "registry_licencecoverage",
    "registry_flag",
    "registry_flagmeter",
    "registry_inspection",
    "registry_enforcementaction",
]


@pytest.fixture
def big_grid():
    """10,000 connections; a few with a record of every kind that gives a status, or feeding a facility that has."""
    meters = GridConnection.objects.bulk_create(GridConnectionFactory.build_batch(CONNECTIONS), batch_size=5000)
    for status in ["active", "applied", "expired"]:
        LicenceFactory(status=status, facilities=[FacilityFactory(connections=meters[:2])])
    meters = meters[2:]
    flagged = FacilityFactory(connections=[meters[0]])
    FlagFactory(facility=flagged, firm=flagged.firm, status=Flag.Status.OPEN)
    FlagFactory(connection=meters[1], rule=Flag.Rule.UNLICENSED_MINING, status=Flag.Status.CONFIRMED)
    FlagMeterFactory(connection=meters[2], role="member")
    InspectionFactory(connection=meters[3], outcome="illegal_operation")
    EnforcementActionFactory(connection=meters[4], action="operation_cancelled")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def estimated_cost(queryset) -> float:
    return json.loads(queryset.explain(format="json"))[0]["Plan"]["Total Cost"]


def test_no_legal_status_query_over_connections_is_costly_enough_to_be_jit_compiled(big_grid):
    conditions = connection_conditions(TODAY)
    every = annotate(GridConnection.objects.all(), conditions)
    queries = {
        "page": every.order_by("meter_id")[:50],
        "count by region and status": every.order_by().values("region", "legal_status").annotate(n=Count("pk")),
    }
    for status in [*PRECEDENCE, ""]:
        filtered = with_status(every, conditions, status)
        queries[f"page of {status or 'no status'}"] = filtered.order_by("meter_id")[:50]
        queries[f"all of {status or 'no status'}"] = filtered.order_by().values("pk")

    costs = {name: estimated_cost(queryset) for name, queryset in queries.items()}

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit_above_cost')::float")
        jit_above_cost = cursor.fetchone()[0]
    assert {name: cost for name, cost in costs.items() if cost >= jit_above_cost} == {}
