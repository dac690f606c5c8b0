"""Small worlds for detection tests that need real readings."""

import datetime as dt

from django.db import connection

from registry.services.partitions import months_between, readings_partitions_ensure
from tests.factories import GridConnectionFactory

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def a_hidden_farm(*, meter_id: str, kwh: int = 500, as_of: dt.datetime = AS_OF) -> dt.datetime:
    """A residential meter, linked to no facility, drawing a flat 0.5 MW every hour of the 30 days before as_of."""
    grid = GridConnectionFactory(meter_id=meter_id, operator="Test REC", region="almaty", tariff="residential")
    readings_partitions_ensure(months_between(as_of - dt.timedelta(days=30), as_of))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT %s, h, %s FROM generate_series(%s::timestamptz - interval '30 days',"
            " %s::timestamptz - interval '1 hour', interval '1 hour') h",
            [grid.pk, kwh, as_of, as_of],
        )
    return as_of
