"""Hourly load of a flag's subject, for the evidence chart."""

import datetime as dt

from django.db import connection

from registry.models import Flag


def subject_hourly_load(*, flag: Flag) -> list[tuple[dt.datetime, float]]:
    """(hour, MW) over the flag's window, the subject's connections summed per hour (at most window × 24 points)."""
    if flag.connection_id:
        members = "SELECT %(subject)s::bigint AS connection_id"
        subject = flag.connection_id
    elif flag.facility_id:
        members = "SELECT connection_id FROM registry_facilityconnection WHERE facility_id = %(subject)s"
        subject = flag.facility_id
    elif flag.licence_id:
        members = (
            "SELECT DISTINCT fc.connection_id FROM registry_licencecoverage lc"
            " JOIN registry_facilityconnection fc ON fc.facility_id = lc.facility_id WHERE lc.licence_id = %(subject)s"
        )
        subject = flag.licence_id
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(  # bandit B608: only the member query above (code, no input) is formatted in; values are bound
            f"""
            SELECT r.period_start, sum(r.kwh) / 1000
              FROM ({members}) m
             CROSS JOIN LATERAL (
                   SELECT period_start, kwh FROM registry_meterreading x
                    WHERE x.connection_id = m.connection_id
                      AND x.period_start >= %(start)s AND x.period_start < %(end)s) r
             GROUP BY r.period_start ORDER BY r.period_start
            """,  # nosec B608
            {"subject": subject, "start": flag.window_start, "end": flag.window_end},
        )
        return [(hour, float(mw)) for hour, mw in cursor.fetchall()]
