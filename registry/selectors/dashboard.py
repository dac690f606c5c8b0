"""The figures of the staff dashboard: one set-based aggregate per figure.

Every function takes the instant or the day it reports on; none reads the
clock. Each runs a fixed number of queries whatever the number of sites,
actions, flags or readings, and returns small per-region (or per-week) rows.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models
from django.db.models import Count, ExpressionWrapper, Q, Sum
from django.db.models.functions import Coalesce, TruncWeek

from registry import clock
from registry.models import (
    EnforcementAction,
    Facility,
    FacilityConnection,
    Flag,
    GridConnection,
    MeterReading,
    Region,
    licence_in_force_sql,
)

from .legal_status import (
    LegalStatus,
    annotate,
    connection_conditions,
    facility_conditions,
    with_status,
)

# The statuses of docs/rules.md, "Legal status", from licensed to cancelled, then sites with no status ("").
STATUS_COLUMNS: list[str] = [
    LegalStatus.LICENSED,
    LegalStatus.PENDING,
    LegalStatus.LICENCE_LAPSED,
    LegalStatus.SUSPECTED_ILLEGAL,
    LegalStatus.ILLEGAL,
    LegalStatus.CLOSED_VOLUNTARILY,
    LegalStatus.CANCELLED,
    "",
]
STOPPING = [EnforcementAction.Action.VOLUNTARY_CLOSURE, EnforcementAction.Action.OPERATION_CANCELLED]
SEVERITIES: list[str] = [Flag.Severity.HIGH, Flag.Severity.MEDIUM, Flag.Severity.LOW]
ZERO_MW = Decimal("0.000")
MW = models.DecimalField()


# 1. Legal status by region


@dataclass(frozen=True)
class RegionStatusCounts:
    region: str
    counts: list[int]  # one per STATUS_COLUMNS entry
    total: int


@dataclass(frozen=True)
class StatusTable:
    rows: list[RegionStatusCounts]  # regions with at least one site, in Region order
    totals: list[int]  # per status, over all regions
    total: int


def facility_status_by_region(*, today: dt.date) -> StatusTable:
    """Count facilities per region and legal status."""
    return _status_table(Facility.objects.all(), facility_conditions(today))


def connection_status_by_region(*, today: dt.date) -> StatusTable:
    """Count grid connections per region and legal status."""
    return _status_table(GridConnection.objects.all(), connection_conditions(today))


def _status_table(queryset: models.QuerySet, conditions) -> StatusTable:
    grouped = annotate(queryset.order_by(), conditions).values("region", "legal_status").annotate(n=Count("pk"))
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in grouped.order_by():
        counts[row["region"]][row["legal_status"]] = row["n"]
    rows = [
        RegionStatusCounts(
            region=region,
            counts=[counts[region][status] for status in STATUS_COLUMNS],
            total=sum(counts[region].values()),
        )
        for region in Region.values
        if region in counts
    ]
    totals = [sum(row.counts[i] for row in rows) for i in range(len(STATUS_COLUMNS))]
    return StatusTable(rows=rows, totals=totals, total=sum(totals))


# 2. Enforcement


@dataclass(frozen=True)
class EnforcementFigures:
    region: str  # "" for the total
    voluntary_closures: int
    operations_cancelled: int
    devices_confiscated: int
    value_confiscated_usd: Decimal
    criminal_cases: int

    @property
    def operations_stopped(self) -> int:
        return self.voluntary_closures + self.operations_cancelled


@dataclass(frozen=True)
class EnforcementSummary:
    total: EnforcementFigures
    regions: list[EnforcementFigures]  # regions with any action, in Region order


def enforcement_summary(*, today: dt.date) -> EnforcementSummary:
    """Sum every enforcement action dated up to `today`: operations stopped, equipment confiscated, cases opened."""
    Action = EnforcementAction.Action
    confiscated = Q(action=Action.EQUIPMENT_CONFISCATED)
    grouped = (
        EnforcementAction.objects.filter(date__lte=today)
        .order_by()
        .values("region")
        .annotate(
            voluntary_closures=Count("pk", filter=Q(action=Action.VOLUNTARY_CLOSURE)),
            operations_cancelled=Count("pk", filter=Q(action=Action.OPERATION_CANCELLED)),
            devices_confiscated=Coalesce(Sum("devices", filter=confiscated), 0),
            value_confiscated_usd=Coalesce(Sum("value_usd", filter=confiscated), Decimal(0)),
            criminal_cases=Count("pk", filter=Q(action=Action.CRIMINAL_CASE)),
        )
    )
    by_region = {row["region"]: EnforcementFigures(**row) for row in grouped}
    regions = [by_region[region] for region in Region.values if region in by_region]
    total = EnforcementFigures(
        region="",
        voluntary_closures=sum(r.voluntary_closures for r in regions),
        operations_cancelled=sum(r.operations_cancelled for r in regions),
        devices_confiscated=sum(r.devices_confiscated for r in regions),
        value_confiscated_usd=sum((r.value_confiscated_usd for r in regions), Decimal(0)),
        criminal_cases=sum(r.criminal_cases for r in regions),
    )
    return EnforcementSummary(total=total, regions=regions)


# 3. Licensed capacity against the load of suspected-illegal sites


@dataclass(frozen=True)
class RegionCapacity:
    region: str
    licensed_mw: Decimal  # licences in force
    suspected_sites: int  # connections of suspected-illegal sites
    suspected_load_mw: Decimal  # their average load over the window


def capacity_vs_suspected_load(*, as_of: dt.datetime, days: int = 30) -> list[RegionCapacity]:
    """Per region: the capacity licensed, and the metered load of sites suspected of mining illegally.

    Sites are the connections whose legal status is suspected_illegal and the
    connections of facilities with that status, each counted once in its
    connection's region. A connection's load is its average over the hours
    metered in [as_of − days, as_of) (avg_mw of docs/rules.md, "Detection"), 0 without readings.
    """
    today = clock.date_of(as_of)
    licensed = licensed_capacity_by_region(today=today)
    load = _suspected_load_by_region(today=today, start=as_of - dt.timedelta(days=days), end=as_of)
    regions = [region for region in Region.values if region in licensed or region in load]
    return [
        RegionCapacity(
            region=region,
            licensed_mw=licensed.get(region, ZERO_MW),
            suspected_sites=load.get(region, (0, ZERO_MW))[0],
            suspected_load_mw=load.get(region, (0, ZERO_MW))[1],
        )
        for region in regions
    ]


def licensed_capacity_by_region(*, today: dt.date) -> dict[str, Decimal]:
    """Sum the capacity of the licences in force on `today`, per region of the facilities they cover.

    A licence covering facilities in several regions is split among them in
    proportion to their installed capacity (equally when that is all zero),
    so every licensed MW is counted once.
    """
    with connection.cursor() as cursor:
        cursor.execute(  # bandit B608: only the in-force fragment of models.licences is formatted in
            f"""
            SELECT f.region,
                   sum(l.capacity_mw * coalesce(f.capacity_mw / nullif(t.installed_mw, 0), 1.0 / t.facilities))
              FROM registry_licence l
              JOIN registry_licencecoverage lc ON lc.licence_id = l.id
              JOIN registry_facility f ON f.id = lc.facility_id
              JOIN (SELECT lc2.licence_id, sum(f2.capacity_mw) AS installed_mw, count(*) AS facilities
                      FROM registry_licencecoverage lc2
                      JOIN registry_facility f2 ON f2.id = lc2.facility_id
                     GROUP BY lc2.licence_id) t ON t.licence_id = l.id
             WHERE {licence_in_force_sql("l")}
             GROUP BY f.region
            """,  # nosec B608
            {"day": today},
        )
        return {region: mw.quantize(ZERO_MW) for region, mw in cursor.fetchall()}


def _suspected_load_by_region(
    *, today: dt.date, start: dt.datetime, end: dt.datetime
) -> dict[str, tuple[int, Decimal]]:
    suspected = LegalStatus.SUSPECTED_ILLEGAL
    facilities = with_status(Facility.objects.all(), facility_conditions(today), suspected).values("pk")
    connections = with_status(GridConnection.objects.all(), connection_conditions(today), suspected).values("pk")
    sites = dict(
        GridConnection.objects.filter(
            Q(pk__in=connections)
            | Q(pk__in=FacilityConnection.objects.filter(facility__in=facilities).values("connection_id"))
        ).values_list("pk", "region")
    )
    # A site's avg_mw over the window (docs/rules.md, "Detection"), read for the sites alone through the
    # (connection, hour) key and the window's monthly partitions; a site without readings counts 0.
    # (A correlated subquery per site was estimated past PostgreSQL's JIT threshold and compiled for seconds.)
    avg_mw = (
        MeterReading.objects.filter(connection_id__in=list(sites), period_start__gte=start, period_start__lt=end)
        .order_by()
        .values("connection")
        .annotate(avg_mw=ExpressionWrapper(Sum("kwh") / Count("*") / 1000, output_field=MW))
        .values_list("connection", "avg_mw")
    )
    by_region: dict[str, list] = defaultdict(lambda: [0, ZERO_MW])
    for region in sites.values():
        by_region[region][0] += 1
    for pk, mw in avg_mw:
        by_region[sites[pk]][1] += mw
    return {region: (count, mw.quantize(ZERO_MW)) for region, (count, mw) in by_region.items()}


# 4. Power released by enforcement


@dataclass(frozen=True)
class ReleasedPower:
    region: str  # "" for the total
    voluntary_closure_sites: int
    operation_cancelled_sites: int
    metered_sites: int  # sites with at least one reading in the 30 days before the action
    voluntary_closure_mw: Decimal
    operation_cancelled_mw: Decimal

    @property
    def sites(self) -> int:
        return self.voluntary_closure_sites + self.operation_cancelled_sites

    @property
    def released_mw(self) -> Decimal:
        return self.voluntary_closure_mw + self.operation_cancelled_mw


@dataclass(frozen=True)
class ReleasedPowerSummary:
    total: ReleasedPower
    regions: list[ReleasedPower]


def power_released(*, today: dt.date, days: int = 30) -> ReleasedPowerSummary:
    """The load that enforcement took off the grid, per region and outcome.

    For each voluntary closure or cancelled operation dated up to `today`, the
    site's average load over the `days` before the action's date (its first instant in the registry's zone): its
    connection and its facility's connections summed per hour, as docs/rules.md, "Detection"
    measures a set of connections. A site with no readings in that window
    counts 0 MW (and not among `metered_sites`).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.region, a.action, count(*) AS sites, count(m.avg_mw) AS metered,
                   coalesce(sum(m.avg_mw), 0) AS mw
              FROM registry_enforcementaction a
              CROSS JOIN LATERAL (
                SELECT sum(h.kwh) / 1000 / nullif(count(*), 0) AS avg_mw
                  FROM (SELECT r.period_start, sum(r.kwh) AS kwh
                          FROM registry_meterreading r
                         WHERE r.connection_id = ANY (ARRAY(
                                   SELECT a.connection_id WHERE a.connection_id IS NOT NULL
                                   UNION
                                   SELECT fc.connection_id FROM registry_facilityconnection fc
                                    WHERE fc.facility_id = a.facility_id))
                           AND r.period_start >= (a.date::timestamp AT TIME ZONE %(zone)s)
                                                 - make_interval(days => %(days)s)
                           AND r.period_start < (a.date::timestamp AT TIME ZONE %(zone)s)
                         GROUP BY r.period_start) h
              ) m
             WHERE a.action = ANY (%(actions)s) AND a.date <= %(today)s
             GROUP BY a.region, a.action
            """,
            {
                "days": days,
                "actions": [str(action) for action in STOPPING],
                "today": today,
                "zone": clock.registry_zone().key,
            },
        )
        rows = cursor.fetchall()
    figures: dict[str, dict[str, tuple[int, int, Decimal]]] = defaultdict(dict)
    for region, action, sites, metered, mw in rows:
        figures[region][action] = (sites, metered, Decimal(mw).quantize(ZERO_MW))
    regions = [_released(region, figures[region]) for region in Region.values if region in figures]
    total = ReleasedPower(
        region="",
        voluntary_closure_sites=sum(r.voluntary_closure_sites for r in regions),
        operation_cancelled_sites=sum(r.operation_cancelled_sites for r in regions),
        metered_sites=sum(r.metered_sites for r in regions),
        voluntary_closure_mw=sum((r.voluntary_closure_mw for r in regions), ZERO_MW),
        operation_cancelled_mw=sum((r.operation_cancelled_mw for r in regions), ZERO_MW),
    )
    return ReleasedPowerSummary(total=total, regions=regions)


def _released(region: str, by_action: dict[str, tuple[int, int, Decimal]]) -> ReleasedPower:
    closed = by_action.get(EnforcementAction.Action.VOLUNTARY_CLOSURE, (0, 0, ZERO_MW))
    cancelled = by_action.get(EnforcementAction.Action.OPERATION_CANCELLED, (0, 0, ZERO_MW))
    return ReleasedPower(
        region=region,
        voluntary_closure_sites=closed[0],
        operation_cancelled_sites=cancelled[0],
        metered_sites=closed[1] + cancelled[1],
        voluntary_closure_mw=closed[2],
        operation_cancelled_mw=cancelled[2],
    )


# 5. New flags per week


@dataclass(frozen=True)
class WeekFlags:
    week: dt.date  # Monday (UTC) the week starts on
    counts: list[int]  # one per SEVERITIES entry
    total: int


def flags_per_week(*, as_of: dt.datetime, weeks: int = 12) -> list[WeekFlags]:
    """Count the flags raised in each of the last `weeks` weeks (Monday to Sunday, registry zone), by severity.

    The last week is the one `as_of` lies in, with every flag raised in it so far: the dashboard's `as_of` is
    the start of the current hour, and the flags of a detection run minutes ago belong in the chart.
    """
    this_week = clock.date_of(as_of)
    this_week -= dt.timedelta(days=this_week.weekday())
    first_week = this_week - dt.timedelta(weeks=weeks - 1)
    start = clock.day_start(first_week)
    end = clock.day_start(this_week + dt.timedelta(weeks=1))
    grouped = (
        Flag.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .annotate(week=TruncWeek("created_at", tzinfo=clock.registry_zone(), output_field=models.DateField()))
        .values("week", "severity")
        .annotate(n=Count("pk"))
    )
    counts: dict[dt.date, Counter] = defaultdict(Counter)
    for row in grouped:
        counts[row["week"]][row["severity"]] = row["n"]
    result = []
    for offset in range(weeks):
        week = first_week + dt.timedelta(weeks=offset)
        per_severity = [counts[week][severity] for severity in SEVERITIES]
        result.append(WeekFlags(week=week, counts=per_severity, total=sum(per_severity)))
    return result
