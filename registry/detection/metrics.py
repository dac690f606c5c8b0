"""Set-based SQL over the readings: one aggregate per kind of subject, never a loop over readings.

Each function returns the small per-subject results the rules need. The
window is [start, end); an hour counts toward n when any of the subject's
connections has a reading in it, and its value is the sum of those present.

Cost: the three load rules share one parallel scan of the window
(`window_loads`). Readings lie in the table in the order they arrived (hour
by hour across all meters), so reading one connection's month through the
index touches a page per hour: that is done only for the few subjects fed by
several connections.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from registry import clock
from registry.models import Facility, Licence, licence_in_force_sql
from registry.selectors.declarations import declarations_missing

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

# A licence `l` in force on the window's day (docs/rules.md, "A licence in force").
IN_FORCE = licence_in_force_sql("l")


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime  # as_of

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def day(self) -> dt.date:
        """as_of's date in the registry's zone, the day licences are judged on."""
        return clock.date_of(self.end)

    def params(self, **extra) -> dict:
        return {"start": self.start, "end": self.end, "day": self.day, **extra}


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class WindowLoads:
    connections: list[ConnectionLoad]  # connections no registered facility lists
    facilities: list[FacilityLoad]  # facilities with no licence in force
    licences: list[LicenceLoad]  # licences in force, over all their facilities' connections


def window_loads(window: Window) -> WindowLoads:
    """The load of every subject of the three load rules.

    One parallel scan aggregates every connection over the window (what a
    bare per-connection aggregate costs). A subject fed by a single
    connection takes that connection's figures as they are; only subjects
    with several connections need their hours summed across them, which is
    done for their connections alone, through the (connection, hour) key.
    """
    per_connection: dict[int, Load] = {}
    meters: dict[int, tuple[str, str]] = {}
    linked: set[int] = set()
    for pk, meter_id, tariff, n, total, peak, is_linked in _fetch(
        """
        SELECT a.connection_id, c.meter_id, c.tariff, a.n, a.total, a.peak,
               EXISTS (SELECT 1 FROM registry_facilityconnection fc WHERE fc.connection_id = a.connection_id)
          FROM (SELECT connection_id, count(*) AS n, sum(kwh) AS total, max(kwh) AS peak
                  FROM registry_meterreading
                 WHERE period_start >= %(start)s AND period_start < %(end)s
                 GROUP BY connection_id) a
          JOIN registry_gridconnection c ON c.id = a.connection_id
        """,
        window.params(),
    ):
        per_connection[pk] = Load(n, window.hours, total, peak)
        meters[pk] = (meter_id, tariff)
        if is_linked:
            linked.add(pk)
    members: dict[tuple[str, int], set[int]] = defaultdict(set)
    for (
        kind,
        subject_id,
        connection_id,
    ) in _fetch(  # bandit B608: only SQL fragments of this module are formatted in; values are bound
        f"""
        SELECT 'facility', fc.facility_id, fc.connection_id
          FROM registry_facilityconnection fc
         WHERE NOT EXISTS (SELECT 1 FROM registry_licencecoverage lc
                             JOIN registry_licence l ON l.id = lc.licence_id
                            WHERE lc.facility_id = fc.facility_id AND {IN_FORCE})
        UNION
        SELECT 'licence', l.id, fc.connection_id
          FROM registry_licence l
          JOIN registry_licencecoverage lc ON lc.licence_id = l.id
          JOIN registry_facilityconnection fc ON fc.facility_id = lc.facility_id
         WHERE {IN_FORCE}
        """,  # nosec B608
        window.params(),
    ):
        members[(kind, subject_id)].add(connection_id)

    loads: dict[tuple[str, int], Load] = {}
    several = {subject: connections for subject, connections in members.items() if len(connections) > 1}
    for subject, connections in members.items():
        if len(connections) == 1:
            (only,) = connections
            if only in per_connection:
                loads[subject] = per_connection[only]
    loads.update(_summed_hourly(window, several))

    facility_loads = {pk: load for (kind, pk), load in loads.items() if kind == "facility"}
    licence_loads_ = {pk: load for (kind, pk), load in loads.items() if kind == "licence"}
    return WindowLoads(
        connections=[ConnectionLoad(pk, *meters[pk], load) for pk, load in per_connection.items() if pk not in linked],
        facilities=[
            FacilityLoad(pk, ref, firm_id, facility_loads[pk])
            for pk, ref, firm_id in Facility.objects.filter(pk__in=facility_loads).values_list("pk", "ref", "firm_id")
        ],
        licences=[
            LicenceLoad(pk, number, firm_id, capacity, licence_loads_[pk])
            for pk, number, firm_id, capacity in Licence.objects.filter(pk__in=licence_loads_).values_list(
                "pk", "number", "firm_id", "capacity_mw"
            )
        ],
    )


def _summed_hourly(window: Window, subjects: dict[tuple[str, int], set[int]]) -> dict[tuple[str, int], Load]:
    """n, total and peak of subjects whose connections are summed per hour."""
    if not subjects:
        return {}
    pairs = [(kind, subject_id, pk) for (kind, subject_id), connections in subjects.items() for pk in connections]
    rows = _fetch(
        """
        WITH hourly AS (
            SELECT m.kind, m.subject_id, r.period_start, sum(r.kwh) AS kwh
              FROM unnest(%(kinds)s::text[], %(subjects)s::bigint[], %(connections)s::bigint[])
                   AS m(kind, subject_id, connection_id)
             CROSS JOIN LATERAL (
                   SELECT x.period_start, x.kwh FROM registry_meterreading x
                    WHERE x.connection_id = m.connection_id
                      AND x.period_start >= %(start)s AND x.period_start < %(end)s) r
             GROUP BY m.kind, m.subject_id, r.period_start
        )
        SELECT kind, subject_id, count(*), sum(kwh), max(kwh) FROM hourly GROUP BY kind, subject_id
        """,
        window.params(kinds=[p[0] for p in pairs], subjects=[p[1] for p in pairs], connections=[p[2] for p in pairs]),
    )
    return {(kind, subject_id): Load(n, window.hours, total, peak) for kind, subject_id, n, total, peak in rows}


def unlinked_connection_loads(window: Window) -> list[ConnectionLoad]:
    return window_loads(window).connections


def unlicensed_facility_loads(window: Window) -> list[FacilityLoad]:
    return window_loads(window).facilities


def licence_loads(window: Window) -> list[LicenceLoad]:
    return window_loads(window).licences


def months_ending_in(window: Window) -> list[dt.date]:
    """Months M whose end (the first instant of M+1, UTC) lies in (window start, as_of]."""
    months = []
    month = clock.month_of(window.start.astimezone(dt.UTC).date())
    while True:
        _, end = clock.month_bounds_utc(month)
        if end > window.end:
            return months
        if end > window.start:
            months.append(month)
        month = clock.next_month(month)


def months_due_in(window: Window) -> list[tuple[dt.date, dt.datetime]]:
    """Months M whose declaration deadline (clock.declaration_deadline) lies in (window start, as_of]."""
    months = []
    month = clock.previous_month(clock.month_of(window.start.astimezone(dt.UTC).date()))
    while True:
        deadline = clock.declaration_deadline(month)
        if deadline > window.end:
            return months
        if deadline > window.start:
            months.append((month, deadline))
        month = clock.next_month(month)


def declared_months(window: Window) -> list[DeclaredMonth]:
    """Declared and metered MWh of each facility under a licence in force, for the months ending in the window."""
    months = months_ending_in(window)
    if not months:
        return []
    rows = _fetch(  # bandit B608: only SQL fragments of this module are formatted in; values are bound
        f"""
        WITH facilities AS (
            SELECT DISTINCT lc.facility_id FROM registry_licencecoverage lc
              JOIN registry_licence l ON l.id = lc.licence_id WHERE {IN_FORCE}
        ), declared AS (
            SELECT d.facility_id, d.month, d.consumed_mwh,
                   d.month::timestamp AT TIME ZONE 'UTC' AS month_start,
                   (d.month + interval '1 month')::timestamp AT TIME ZONE 'UTC' AS month_end
              FROM registry_powerdeclaration d
              JOIN facilities x ON x.facility_id = d.facility_id
             WHERE d.is_current AND d.month = ANY(%(months)s)
        ), metered AS (
            SELECT d.facility_id, d.month, sum(r.kwh) / 1000 AS mwh
              FROM declared d
              JOIN registry_facilityconnection fc ON fc.facility_id = d.facility_id
              JOIN registry_meterreading r ON r.connection_id = fc.connection_id
                                          AND r.period_start >= d.month_start AND r.period_start < d.month_end
             WHERE r.period_start >= %(first)s AND r.period_start < %(last)s
             GROUP BY d.facility_id, d.month
        )
        SELECT f.id, f.ref, f.firm_id, d.month, d.consumed_mwh, coalesce(m.mwh, 0)
          FROM declared d
          JOIN registry_facility f ON f.id = d.facility_id
          LEFT JOIN metered m ON m.facility_id = d.facility_id AND m.month = d.month
        """,  # nosec B608
        window.params(
            months=months,
            first=clock.month_bounds_utc(months[0])[0],
            last=clock.month_bounds_utc(months[-1])[1],
        ),
    )
    return [DeclaredMonth(*row) for row in rows]


def undeclared_months(window: Window) -> list[UndeclaredMonth]:
    """Months past their declaration deadline that a facility owes and has not declared (one shared selector)."""
    due = months_due_in(window)
    if not due:
        return []
    deadlines = dict(due)
    return [
        UndeclaredMonth(facility.pk, facility.ref, facility.firm_id, month, deadlines[month])
        for facility, month in declarations_missing(months=list(deadlines), on=window.day)
    ]


def related_firms(window: Window, *, years: int) -> list[RelatedFirm]:
    """Firms with a licence in force or pending that share a beneficial owner with a sanctioned firm."""
    since = clock.add_years(window.day, -years)
    rows = _fetch(  # bandit B608: only SQL fragments of this module are formatted in; values are bound
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
        """,  # nosec B608
        window.params(sanctions=list(SANCTIONS), since=since),
    )
    links: dict[tuple[int, str], list[OwnerLink]] = defaultdict(list)
    for firm_id, firm_bin, person_id, full_name, other_bin, other_name, action, date in rows:
        links[(firm_id, firm_bin)].append(OwnerLink(person_id, full_name, other_bin, other_name, action, date))
    return [RelatedFirm(firm_id, firm_bin, tuple(items)) for (firm_id, firm_bin), items in links.items()]
