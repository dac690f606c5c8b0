"""Set-based SQL over the readings: one aggregate per kind of subject, never a loop over readings.

Each function returns the small per-subject results the rules need. The
window is [start, end); an hour counts toward n when any of the subject's
connections has a reading in it, and its value is the sum of those present.

Cost: the unlinked-connection aggregate reads the whole window once (it is
the same scan as a bare per-connection aggregate, run in parallel, filtered
after grouping). Facility and licence loads read only their own connections'
readings, through the (connection, hour) primary key (`LATERAL`), so
together they add what the registered sites draw, not another full scan.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from .rules import (
    ConnectionLoad,
    DeclaredMonth,
    FacilityLoad,
    LicenceLoad,
    Load,
    OwnerLink,
    RelatedFirm,
    UndeclaredMonth,
)

SANCTIONS = ("operation_cancelled", "equipment_confiscated", "criminal_case")

# A licence covering a facility is in force on %(day)s: CONTRACT §3.
IN_FORCE = "l.status = 'active' AND l.valid_from <= %(day)s AND l.valid_until >= %(day)s"


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime  # as_of

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def day(self) -> dt.date:
        """as_of's date (UTC), the day licences are judged on."""
        return self.end.astimezone(dt.UTC).date()

    def params(self, **extra) -> dict:
        return {"start": self.start, "end": self.end, "day": self.day, **extra}


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def unlinked_connection_loads(window: Window) -> list[ConnectionLoad]:
    """Load of every connection that no registered facility lists."""
    rows = _fetch(
        """
        SELECT c.id, c.meter_id, c.tariff, a.n, a.total, a.peak
          FROM (SELECT r.connection_id, count(*) AS n, sum(r.kwh) AS total, max(r.kwh) AS peak
                  FROM registry_meterreading r
                 WHERE r.period_start >= %(start)s AND r.period_start < %(end)s
                 GROUP BY r.connection_id) a
          JOIN registry_gridconnection c ON c.id = a.connection_id
         WHERE NOT EXISTS (SELECT 1 FROM registry_facilityconnection fc WHERE fc.connection_id = c.id)
        """,
        window.params(),
    )
    return [
        ConnectionLoad(pk, meter_id, tariff, Load(n, window.hours, total, peak))
        for pk, meter_id, tariff, n, total, peak in rows
    ]


def unlicensed_facility_loads(window: Window) -> list[FacilityLoad]:
    """Load of every facility with no licence in force, its connections summed per hour."""
    rows = _fetch(
        f"""
        WITH subjects AS (
            SELECT f.id, f.ref, f.firm_id FROM registry_facility f
             WHERE NOT EXISTS (SELECT 1 FROM registry_licencecoverage lc
                                 JOIN registry_licence l ON l.id = lc.licence_id
                                WHERE lc.facility_id = f.id AND {IN_FORCE})
        ), hourly AS (
            SELECT fc.facility_id, r.period_start, sum(r.kwh) AS kwh
              FROM subjects s
              JOIN registry_facilityconnection fc ON fc.facility_id = s.id
             CROSS JOIN LATERAL (
                   SELECT m.period_start, m.kwh FROM registry_meterreading m
                    WHERE m.connection_id = fc.connection_id
                      AND m.period_start >= %(start)s AND m.period_start < %(end)s) r
             GROUP BY fc.facility_id, r.period_start
        )
        SELECT s.id, s.ref, s.firm_id, h.n, h.total, h.peak
          FROM (SELECT facility_id, count(*) AS n, sum(kwh) AS total, max(kwh) AS peak
                  FROM hourly GROUP BY facility_id) h
          JOIN subjects s ON s.id = h.facility_id
        """,
        window.params(),
    )
    return [
        FacilityLoad(pk, ref, firm_id, Load(n, window.hours, total, peak))
        for pk, ref, firm_id, n, total, peak in rows
    ]


def licence_loads(window: Window) -> list[LicenceLoad]:
    """Load of every licence in force: all connections of all its facilities, summed per hour."""
    rows = _fetch(
        f"""
        WITH subjects AS (
            SELECT l.id, l.number, l.firm_id, l.capacity_mw FROM registry_licence l WHERE {IN_FORCE}
        ), connections AS (
            SELECT DISTINCT lc.licence_id, fc.connection_id
              FROM subjects s
              JOIN registry_licencecoverage lc ON lc.licence_id = s.id
              JOIN registry_facilityconnection fc ON fc.facility_id = lc.facility_id
        ), hourly AS (
            SELECT c.licence_id, r.period_start, sum(r.kwh) AS kwh
              FROM connections c
             CROSS JOIN LATERAL (
                   SELECT m.period_start, m.kwh FROM registry_meterreading m
                    WHERE m.connection_id = c.connection_id
                      AND m.period_start >= %(start)s AND m.period_start < %(end)s) r
             GROUP BY c.licence_id, r.period_start
        )
        SELECT s.id, s.number, s.firm_id, s.capacity_mw, h.n, h.total, h.peak
          FROM (SELECT licence_id, count(*) AS n, sum(kwh) AS total, max(kwh) AS peak
                  FROM hourly GROUP BY licence_id) h
          JOIN subjects s ON s.id = h.licence_id
        """,
        window.params(),
    )
    return [
        LicenceLoad(pk, number, firm_id, capacity, Load(n, window.hours, total, peak))
        for pk, number, firm_id, capacity, n, total, peak in rows
    ]


def months_ending_in(window: Window) -> list[dt.date]:
    """Months M whose end (the first instant of M+1, UTC) lies in (window start, as_of]."""
    months = []
    month = dt.date(window.start.year, window.start.month, 1)
    while True:
        following = _next_month(month)
        end = dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC)
        if end > window.end:
            return months
        if end > window.start:
            months.append(month)
        month = following


def months_due_in(window: Window) -> list[tuple[dt.date, dt.datetime]]:
    """Months M whose deadline (the start of the 16th day of M+1, UTC) lies in (window start, as_of]."""
    months = []
    month = _previous_month(dt.date(window.start.year, window.start.month, 1))
    while True:
        following = _next_month(month)
        deadline = dt.datetime(following.year, following.month, 16, tzinfo=dt.UTC)
        if deadline > window.end:
            return months
        if deadline > window.start:
            months.append((month, deadline))
        month = following


def declared_months(window: Window) -> list[DeclaredMonth]:
    """Declared and metered MWh of each facility under a licence in force, for the months ending in the window."""
    months = months_ending_in(window)
    if not months:
        return []
    rows = _fetch(
        f"""
        WITH facilities AS (
            SELECT DISTINCT lc.facility_id FROM registry_licencecoverage lc
              JOIN registry_licence l ON l.id = lc.licence_id WHERE {IN_FORCE}
        )
        SELECT f.id, f.ref, f.firm_id, d.month, d.consumed_mwh, coalesce(m.mwh, 0)
          FROM registry_powerdeclaration d
          JOIN facilities x ON x.facility_id = d.facility_id
          JOIN registry_facility f ON f.id = d.facility_id
          LEFT JOIN LATERAL (
                SELECT sum(r.kwh) / 1000 AS mwh
                  FROM registry_facilityconnection fc
                  JOIN registry_meterreading r ON r.connection_id = fc.connection_id
                 WHERE fc.facility_id = d.facility_id
                   AND r.period_start >= d.month::timestamp AT TIME ZONE 'UTC'
                   AND r.period_start < (d.month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
          ) m ON true
         WHERE d.is_current AND d.month = ANY(%(months)s)
        """,
        window.params(months=months),
    )
    return [DeclaredMonth(*row) for row in rows]


def undeclared_months(window: Window) -> list[UndeclaredMonth]:
    """Months past their deadline with no declaration, for facilities under a licence in force since before the month."""
    due = months_due_in(window)
    if not due:
        return []
    deadlines = dict(due)
    rows = _fetch(
        f"""
        SELECT f.id, f.ref, f.firm_id, m.month
          FROM registry_facility f
         CROSS JOIN unnest(%(months)s::date[]) AS m(month)
         WHERE EXISTS (SELECT 1 FROM registry_licencecoverage lc
                         JOIN registry_licence l ON l.id = lc.licence_id
                        WHERE lc.facility_id = f.id AND {IN_FORCE} AND l.valid_from <= m.month)
           AND NOT EXISTS (SELECT 1 FROM registry_powerdeclaration d
                            WHERE d.facility_id = f.id AND d.month = m.month)
        """,
        window.params(months=list(deadlines)),
    )
    return [UndeclaredMonth(pk, ref, firm_id, month, deadlines[month]) for pk, ref, firm_id, month in rows]


def related_firms(window: Window, *, years: int) -> list[RelatedFirm]:
    """Firms with a licence in force or pending that share a beneficial owner with a sanctioned firm."""
    since = _years_before(window.day, years)
    rows = _fetch(
        f"""
        SELECT f.id, f.bin, p.person_id, p.full_name, other.bin, other.name, ea.action, ea.date
          FROM registry_firm f
          JOIN registry_ownership o ON o.firm_id = f.id AND o.role = 'beneficial_owner'
          JOIN registry_ownership o2 ON o2.person_id = o.person_id AND o2.role = 'beneficial_owner'
                                    AND o2.firm_id <> f.id
          JOIN registry_enforcementaction ea ON ea.firm_id = o2.firm_id
          JOIN registry_person p ON p.id = o.person_id
          JOIN registry_firm other ON other.id = o2.firm_id
         WHERE ea.action = ANY(%(sanctions)s) AND ea.date >= %(since)s AND ea.date <= %(day)s
           AND EXISTS (SELECT 1 FROM registry_licence l
                        WHERE l.firm_id = f.id
                          AND ({IN_FORCE} OR l.status IN ('applied', 'under_review')))
         ORDER BY f.id, p.person_id, other.bin, ea.date, ea.action
        """,
        window.params(sanctions=list(SANCTIONS), since=since),
    )
    links: dict[tuple[int, str], list[OwnerLink]] = defaultdict(list)
    for firm_id, firm_bin, person_id, full_name, other_bin, other_name, action, date in rows:
        links[(firm_id, firm_bin)].append(OwnerLink(person_id, full_name, other_bin, other_name, action, date))
    return [RelatedFirm(firm_id, firm_bin, tuple(items)) for (firm_id, firm_bin), items in links.items()]


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
