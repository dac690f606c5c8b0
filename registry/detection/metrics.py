"""Set-based SQL over the readings: one aggregate per kind of subject, never a loop over readings.

Each function returns the small per-subject results the rules need. The
window is [start, end); an hour counts toward n when any of the subject's
connections has a reading in it, and its value is the sum of those present.

Cost: the three load rules share one parallel scan of the window
(`window_loads`), which also sums the window's last days. Readings lie in
the table in the order they arrived (hour by hour across all meters); the (connection, hour) key carries kwh, so a few
subjects' hours are read from the key alone (an index-only scan), never a
heap page per hour.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from django.db import connection

from registry import clock
from registry.models import Facility, Licence, licence_in_force_sql
from registry.selectors.declarations import declarations_missing

from .addresses import building_key
from .rules import (
    ConnectionLoad,
    DeclaredMonth,
    FacilityLoad,
    LicenceLoad,
    Load,
    OwnerLink,
    RelatedFirm,
    Thresholds,
    UndeclaredMonth,
    mining_signature,
    runs_around_the_clock,
    step_min_added_mw,
)
from .series import SeriesStats, Subject, baseline_levels, series_stats

# The cheap test before a candidate's full shape is read (see _possibly_steady).
STEADY_LOAD_FACTOR = Fraction(3, 5)
# A step candidate's last days average at least this many times the window's hours before them.
STEP_CANDIDATE_RATIO = 2

SANCTIONS = ("operation_cancelled", "equipment_confiscated", "criminal_case")

# A licence `l` in force on the window's day (docs/rules.md, "A licence in force").
IN_FORCE = licence_in_force_sql("l")


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime  # as_of

    @cached_property
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
    members: dict[tuple[str, int], set[int]]  # ("facility" | "licence", id) → its connections
    all_loads: dict[int, Load]  # every connection with readings in the window, linked or not


def window_loads(window: Window, *, recent_days: int = 3) -> WindowLoads:
    """The load of every subject of the three load rules.

    One parallel scan aggregates every connection over the window (what a
    bare per-connection aggregate costs). A subject fed by a single
    connection takes that connection's figures as they are; only subjects
    with several connections need their hours summed across them, which is
    done for their connections alone, through the (connection, hour) key.
    """
    per_connection: dict[int, Load] = {}
    meters: dict[int, tuple] = {}
    linked: set[int] = set()
    early: dict[int, tuple] = {}
    for row in _fetch(
        """
        SELECT a.connection_id, c.meter_id, c.tariff, c.region, c.address, c.consumer_bin,
               EXISTS (SELECT 1 FROM registry_gridconnection child WHERE child.parent_id = c.id),
               a.n, a.total, a.peak, a.recent_n, a.recent_total,
               EXISTS (SELECT 1 FROM registry_facilityconnection fc WHERE fc.connection_id = a.connection_id)
          FROM (SELECT connection_id, count(*) AS n, sum(kwh) AS total, max(kwh) AS peak,
                       count(*) FILTER (WHERE period_start >= %(recent)s) AS recent_n,
                       sum(kwh) FILTER (WHERE period_start >= %(recent)s) AS recent_total
                  FROM registry_meterreading
                 WHERE period_start >= %(start)s AND period_start < %(end)s
                 GROUP BY connection_id) a
          JOIN registry_gridconnection c ON c.id = a.connection_id
        """,
        window.params(recent=window.end - dt.timedelta(days=recent_days)),
    ):
        pk, meter_id, tariff, region, address, consumer_bin, is_parent, n, total, peak, recent_n, recent_total = row[
            :12
        ]
        is_linked = row[12]
        # The last days' average, and the average of the window's hours before them.
        earlier_n = n - recent_n
        early[pk] = (
            recent_total / recent_n if recent_n else None,
            (total - (recent_total or 0)) / earlier_n if earlier_n else None,
        )
        per_connection[pk] = Load(n, window.hours, total, peak)
        meters[pk] = (meter_id, tariff, region, address, consumer_bin, is_parent)
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
        connections=[
            ConnectionLoad(pk, meters[pk][0], meters[pk][1], load, *meters[pk][2:], *early[pk])
            for pk, load in per_connection.items()
            if pk not in linked
        ],
        all_loads=per_connection,
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
        members=dict(members),
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


@dataclass(frozen=True)
class Group:
    """Connections that belong together (one building, or one consumer BIN), summed per hour."""

    key: str  # subject_ref: "address:<region>:<building>" or "bin:<BIN>"
    members: tuple[ConnectionLoad, ...]  # largest average first
    stats: SeriesStats


@dataclass(frozen=True)
class Step:
    """A connection's last days against its own earlier baseline."""

    subject: ConnectionLoad
    recent: SeriesStats
    recent_start: dt.datetime
    baseline_start: dt.datetime
    baseline_end: dt.datetime
    baseline_hours: int
    baseline_kwh: float  # the median hour of the baseline


@dataclass(frozen=True)
class Balance:
    """A transformer's readings minus the sum of its children's, over the hours all of them reported."""

    parent: ConnectionLoad
    children: tuple[int, ...]
    stats: SeriesStats  # of parent − Σ children; positive_avg_kwh is the parent's own average


@dataclass(frozen=True)
class Hiding:
    shapes: dict[int, SeriesStats]  # candidate connections' own shapes
    groups: list[Group]
    steps: list[Step]
    balances: list[Balance]


def hiding_subjects(
    window: Window, connections: list[ConnectionLoad], all_loads: dict[int, Load], t: Thresholds
) -> Hiding:
    """The subjects of the rules on how farms hide, with their shapes (docs/rules.md, "Detection: how farms hide").

    Candidates come from the window's plain aggregate: a meter whose average could meet a rule's floor, the
    meters of buildings and consumers with several sizeable meters, connections whose last days could carry
    a new load, and transformers whose averages leave room for an unmetered load. The single meters are read
    through the (connection, hour) key, the transformers with their children in one scan of the window, and
    the few groups and baselines through the key again.
    """
    unlinked = [c for c in connections if not c.is_parent]
    by_id = {c.connection_id: c for c in unlinked}
    single_min = {
        True: Fraction(t.household_min_floor_mw),
        False: Fraction(min(t.unlicensed_min_avg_mw, t.base_min_floor_mw)) / 2,
    }
    sized = {c.connection_id: c for c in unlinked if c.load.avg_mw_at_least(single_min[c.tariff == "residential"])}
    keyed = _group_candidates(unlinked, t)
    sized |= {c.connection_id: c for members in keyed.values() for c in members}
    singles = _possibly_steady(list(sized.values()))
    steps = _step_candidates(unlinked, t)
    recent_start = window.end - dt.timedelta(days=t.step_recent_days)
    balances = _balance_candidates(connections, all_loads, t)
    subjects = [Subject(f"c:{pk}", ((pk, 1),)) for pk in singles]
    subjects += [Subject(f"s:{pk}", ((pk, 1),), since=recent_start) for pk in steps]
    stats = series_stats(start=min(window.start, recent_start), end=window.end, subjects=subjects)
    stats |= series_stats(
        start=window.start,
        end=window.end,
        subjects=[
            Subject(f"b:{pk}", ((pk, 1), *((child, -1) for child in children)), complete=True)
            for pk, children in balances.items()
        ],
    )
    shapes = {pk: stats[f"c:{pk}"] for pk in singles if f"c:{pk}" in stats}
    parents = {c.connection_id: c for c in connections if c.is_parent}
    return Hiding(
        shapes=shapes,
        groups=_groups(window, keyed, shapes, t),
        steps=_steps(window, [by_id[pk] for pk in steps], {pk: stats.get(f"s:{pk}") for pk in steps}, t),
        balances=[
            Balance(parents[pk], tuple(sorted(children)), stats[f"b:{pk}"])
            for pk, children in balances.items()
            if f"b:{pk}" in stats
        ],
    )


def _possibly_steady(candidates: list[ConnectionLoad]) -> set[int]:
    """The candidates that may have the mining signature, by a free test on the window's aggregate.

    A load with the signature holds a floor that carries most of it, so its load factor over the window
    reaches STEADY_LOAD_FACTOR (a farm that stops every evening still keeps its average near its peak). A
    home's or a shop's own daily cycle does not, so its readings are not read again.
    """
    return {c.connection_id for c in candidates if c.load.load_factor_at_least(STEADY_LOAD_FACTOR)}


def _group_candidates(unlinked: list[ConnectionLoad], t: Thresholds) -> dict[str, list[ConnectionLoad]]:
    """Buildings (region + building key) and consumer BINs with two or more meters of the member minimum."""
    keyed: dict[str, list[ConnectionLoad]] = defaultdict(list)
    member_min = Fraction(t.split_member_min_avg_mw)
    for c in unlinked:
        if not c.load.avg_mw_at_least(member_min):
            continue
        building = building_key(c.address)
        if building:
            keyed[f"address:{c.region}:{building}"[:64]].append(c)
        if c.consumer_bin:
            keyed[f"bin:{c.consumer_bin}"].append(c)
    return {key: members for key, members in keyed.items() if len(members) > 1}


def _groups(
    window: Window, keyed: dict[str, list[ConnectionLoad]], shapes: dict[int, SeriesStats], t: Thresholds
) -> list[Group]:
    """The groups of two or more pieces of a farm, summed per hour.

    A member is a piece of a farm: it runs around the clock (but for a curtailment) and has the mining
    signature by itself; a shop's, an office's or a block's common meter with their daily cycles do not.
    """
    half = t.unlicensed_min_avg_mw / 2
    groups = {}
    for key, members in keyed.items():
        pieces = [
            c
            for c in members
            if (shape := shapes.get(c.connection_id)) is not None
            and runs_around_the_clock(shape, t)
            and mining_signature(shape, t)
        ]
        if len(pieces) > 1 and sum(c.load.avg_mw for c in pieces) >= half:
            groups[key] = sorted(pieces, key=lambda c: c.load.avg_mw, reverse=True)
    stats = series_stats(
        start=window.start,
        end=window.end,
        # Summed over the hours all its meters reported: an hour one of them missed would pass for a low floor.
        subjects=[
            Subject(key, tuple((c.connection_id, 1) for c in members), complete=True) for key, members in groups.items()
        ],
        through_index=True,
    )
    return [Group(key, tuple(groups[key]), stats[key]) for key in groups if key in stats]


def _step_candidates(unlinked: list[ConnectionLoad], t: Thresholds) -> list[int]:
    """Connections whose last days average at least the step's minimum added load and twice their early days."""
    return [
        c.connection_id
        for c in unlinked
        if c.recent_avg_kwh is not None
        and c.recent_avg_kwh >= step_min_added_mw(c, t) * 1000
        and (c.early_avg_kwh is None or c.recent_avg_kwh >= STEP_CANDIDATE_RATIO * c.early_avg_kwh)
    ]


def _steps(
    window: Window, candidates: list[ConnectionLoad], recent: dict[int, SeriesStats | None], t: Thresholds
) -> list[Step]:
    """The step candidates' last days against their baselines, read from the feed whatever the window."""
    recent_start = window.end - dt.timedelta(days=t.step_recent_days)
    baseline_start = window.end - dt.timedelta(days=t.step_baseline_days)
    baseline_end = window.end - dt.timedelta(days=t.step_gap_days)
    ids = [c.connection_id for c in candidates if recent.get(c.connection_id) is not None]
    baselines = baseline_levels(start=baseline_start, end=baseline_end, connection_ids=ids)
    return [
        Step(c, recent[c.connection_id], recent_start, baseline_start, baseline_end, *baselines[c.connection_id])
        for c in candidates
        if c.connection_id in baselines and recent.get(c.connection_id) is not None
    ]


def _balance_candidates(
    connections: list[ConnectionLoad], all_loads: dict[int, Load], t: Thresholds
) -> dict[int, list[int]]:
    """Transformers whose window averages leave room for an unmetered load, with their children.

    A transformer is read again only when its average, less its children's and the normal losses, reaches
    half the balance's minimum unmetered load (the full test is on the hours all of them reported).
    """
    parents = {c.connection_id: c for c in connections if c.is_parent}
    if not parents:
        return {}
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in _fetch(
        "SELECT id, parent_id FROM registry_gridconnection WHERE parent_id = ANY(%(ids)s)", {"ids": list(parents)}
    ):
        children[parent].append(child)
    loss = Fraction(t.balance_loss_share)
    room = {
        pk: parent.load.avg_mw * (1 - loss) - sum((all_loads[c].avg_mw for c in children[pk] if c in all_loads), 0)
        for pk, parent in parents.items()
    }
    return {pk: children[pk] for pk in parents if room[pk] >= Fraction(t.balance_min_mw) / 2}
