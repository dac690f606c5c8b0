"""The shape of a load over the window, for the rules on how farms hide (docs/rules.md, "Detection: how farms hide").

One set-based query reads the hourly readings of a few candidate subjects (a connection, a group of
connections summed per hour, or a transformer minus its children) through the (connection, hour) key and
returns, per subject, the figures the mining signature and the hiding rules need:

- `level`: the median hourly energy over the hours with readings;
- running hours: hours at or above half the level (outages and curtailed hours are not running);
- the daily floor: each registry-zone day's lowest steady hour (a running hour between two running hours:
  the first and last hour of a stop are partly stopped), for days with at least six steady hours;
  `floor` is their median, `floor_change` the 75th percentile of the day-to-day change ÷ `floor`;
- curtailment hours: the hours of the day (registry zone) in which the load is not running on at least half
  of the days with a reading in that hour.

Only candidates chosen from the window's plain per-connection aggregate are read here, never every meter.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from registry import clock

# A day's floor is judged only when the load ran steadily for at least this many of its hours.
MIN_RUNNING_HOURS_A_DAY = 6
# An hour runs when its energy is at least this share of the median hour.
RUNNING_SHARE_OF_LEVEL = 0.5
# Sorting the candidates' hours (a few hundred thousand rows) in memory rather than on disk.
WORK_MEM = "64MB"


# A subject's hours: its members' readings summed (signed) per hour, each member read from its own `since`.
# Every read also carries the constant bound `start` (the earliest since), so only the window's monthly
# partitions are read.
# Through a join, PostgreSQL scans the window once for all subjects (many subjects); through the index,
# it reads each member's own hours (a few subjects).
_JOINED_HOURS = """
                SELECT m.key, r.period_start AS hour, sum(m.sign * r.kwh) AS kwh,
                       sum(CASE WHEN m.sign > 0 THEN r.kwh ELSE 0 END) AS positive, count(*) AS present
                  FROM registry_meterreading r
                  JOIN m ON m.connection_id = r.connection_id AND r.period_start >= m.since
                 WHERE r.period_start >= %(start)s AND r.period_start < %(end)s
                 GROUP BY m.key, r.period_start"""
_INDEXED_HOURS = """
                SELECT m.key, r.period_start AS hour, sum(m.sign * r.kwh) AS kwh,
                       sum(CASE WHEN m.sign > 0 THEN r.kwh ELSE 0 END) AS positive, count(*) AS present
                  FROM m
                 CROSS JOIN LATERAL (
                       SELECT x.period_start, x.kwh FROM registry_meterreading x
                        WHERE x.connection_id = m.connection_id
                          AND x.period_start >= m.since AND x.period_start < %(end)s
                          AND x.period_start >= %(start)s
                       OFFSET 0) r
                 GROUP BY m.key, r.period_start"""


# One connection per subject: its readings as they are, no summing.
_SINGLE_HOURS = """
                SELECT m.key, r.period_start AS hour, r.kwh, r.kwh AS positive, 1 AS present
                  FROM m
                 CROSS JOIN LATERAL (
                       SELECT x.period_start, x.kwh FROM registry_meterreading x
                        WHERE x.connection_id = m.connection_id
                          AND x.period_start >= m.since AND x.period_start < %(end)s
                          AND x.period_start >= %(start)s) r"""


@dataclass(frozen=True)
class Subject:
    """What to read for one subject: its (connection id, sign) members, from `since` (else the window start).

    With `complete`, an hour counts only when every member has a reading in it (an energy balance).
    """

    key: str
    members: tuple[tuple[int, int], ...]
    since: dt.datetime | None = None
    complete: bool = False


@dataclass(frozen=True)
class SeriesStats:
    """Shape figures of one subject's hourly energy (kWh) over a window."""

    hours: int
    window_hours: int
    kwh_total: Decimal
    kwh_peak: Decimal
    kwh_level: float
    running_hours: int
    running_kwh: float
    days: int
    floor_kwh: float | None
    curtailment_hours: tuple[int, ...]
    positive_avg_kwh: float  # for a balance: the transformer's own average over the balanced hours
    floor_change_p75_kwh: float | None = None  # day-to-day change of the floor: its 75th percentile

    @property
    def running_avg_kwh(self) -> float:
        return self.running_kwh / self.running_hours if self.running_hours else 0.0

    @property
    def floor_change(self) -> float | None:
        """The floor's 75th-percentile day-to-day change, as a share of the floor."""
        if not self.floor_kwh or self.floor_change_p75_kwh is None:
            return None
        return self.floor_change_p75_kwh / self.floor_kwh

    @property
    def floor_share(self) -> float | None:
        if self.floor_kwh is None or not self.running_avg_kwh:
            return None
        return self.floor_kwh / self.running_avg_kwh


def series_stats(
    *, start: dt.datetime, end: dt.datetime, subjects: list[Subject], through_index: bool = False
) -> dict[str, SeriesStats]:
    """Shape figures of each subject over [its since or `start`, `end`), in one query."""
    if not subjects:
        return {}
    # Subjects are numbered in the query: sorting and grouping on an integer is cheaper than on text.
    keys, connections, signs, sinces, completes = [], [], [], [], []
    for number, subject in enumerate(subjects):
        for connection_id, sign in subject.members:
            keys.append(number)
            connections.append(connection_id)
            signs.append(sign)
            sinces.append(subject.since or start)
            completes.append(subject.complete)
    window_hours = {subject.key: int((end - (subject.since or start)).total_seconds() // 3600) for subject in subjects}
    single = all(len(s.members) == 1 and s.members[0][1] == 1 for s in subjects)
    hours = _SINGLE_HOURS if single else _INDEXED_HOURS if through_index else _JOINED_HOURS
    with connection.cursor() as cursor:
        # The shape needs sorts of every subject's hours; let them stay in memory for this transaction.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute(  # bandit B608: only one of this module's constant fragments is formatted in
            f"""
            WITH m AS (
                SELECT * FROM unnest(%(keys)s::int[], %(connections)s::bigint[], %(signs)s::int[],
                                     %(sinces)s::timestamptz[], %(completes)s::boolean[])
                           AS m(key, connection_id, sign, since, complete)
            ), sizes AS (
                SELECT key, count(*) AS members, bool_or(complete) AS complete FROM m GROUP BY key
            ), hourly AS ({hours}
            ), complete AS (
                -- The shape is figured in float8 (cheaper than numeric); only the total and peak stay exact.
                SELECT h.key, h.hour, h.kwh, h.kwh::float8 AS x, h.positive FROM hourly h JOIN sizes s USING (key)
                 WHERE NOT s.complete OR h.present = s.members
            ), levels AS (
                SELECT key, count(*) AS n, sum(kwh) AS total, max(kwh) AS peak, avg(positive) AS positive_avg,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS level
                  FROM complete GROUP BY key
            ), marked AS (
                -- A steady hour runs and so do the hours either side of it: the first and last hour of a stop
                -- are partly stopped, and would pass for a low floor.
                SELECT key, local, x, running,
                       count(*) FILTER (WHERE running) OVER (
                           PARTITION BY key ORDER BY hour RANGE BETWEEN '1 hour' PRECEDING AND '1 hour' FOLLOWING
                       ) = 3 AS steady
                  FROM (SELECT c.key, c.hour, c.hour AT TIME ZONE %(zone)s AS local, c.x,
                               (l.level > 0 AND c.x >= %(running_share)s * l.level) AS running
                          FROM complete c JOIN levels l USING (key)) flagged
            ), daily AS (
                SELECT key, local::date AS day, min(x) AS floor
                  FROM marked WHERE steady
                 GROUP BY key, day HAVING count(*) >= %(min_running)s
            ), day_to_day AS (
                SELECT key, day, floor, abs(floor - lag(floor) OVER (PARTITION BY key ORDER BY day)) AS change
                  FROM daily
            ), floors AS (
                SELECT key, count(*) AS days,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY floor) AS f50,
                       percentile_cont(0.75) WITHIN GROUP (ORDER BY change) AS step75
                  FROM day_to_day GROUP BY key
            ), hours_of_day AS (
                SELECT key, extract(hour FROM local)::int AS hod, count(*) AS n,
                       count(*) FILTER (WHERE running) AS running_n, sum(x) FILTER (WHERE running) AS running_kwh
                  FROM marked GROUP BY key, hod
            ), running AS (
                -- An hour of the day is curtailed when the load is not running on at least half of its days.
                SELECT key, sum(running_n)::bigint AS n, coalesce(sum(running_kwh), 0) AS kwh,
                       array_agg(hod ORDER BY hod) FILTER (WHERE 2 * running_n <= n) AS hods
                  FROM hours_of_day GROUP BY key
            )
            SELECT l.key, l.n, l.total, l.peak, l.level, r.n, r.kwh, coalesce(f.days, 0), f.f50,
                   coalesce(r.hods, '{{}}'), coalesce(l.positive_avg, 0), f.step75
              FROM levels l
              JOIN running r USING (key)
              LEFT JOIN floors f USING (key)
            """,  # nosec B608
            {
                "keys": keys,
                "connections": connections,
                "signs": signs,
                "sinces": sinces,
                "completes": completes,
                "start": start,
                "end": end,
                "running_share": RUNNING_SHARE_OF_LEVEL,
                "min_running": MIN_RUNNING_HOURS_A_DAY,
                "zone": clock.registry_zone().key,
            },
        )
        rows = cursor.fetchall()
    return {
        subjects[number].key: SeriesStats(
            hours=n,
            window_hours=window_hours[subjects[number].key],
            kwh_total=total,
            kwh_peak=peak,
            kwh_level=float(level),
            running_hours=running_n,
            running_kwh=float(running_kwh),
            days=days,
            floor_kwh=None if f50 is None else float(f50),
            curtailment_hours=tuple(hods),
            positive_avg_kwh=float(positive_avg),
            floor_change_p75_kwh=None if s75 is None else float(s75),
        )
        for (number, n, total, peak, level, running_n, running_kwh, days, f50, hods, positive_avg, s75) in rows
    }


def baseline_levels(*, start: dt.datetime, end: dt.datetime, connection_ids: list[int]) -> dict[int, tuple[int, float]]:
    """(hours with readings, median hourly kWh) of each connection over [start, end), through the key."""
    if not connection_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, count(r.kwh), percentile_cont(0.5) WITHIN GROUP (ORDER BY r.kwh)
              FROM unnest(%(ids)s::bigint[]) AS c(id)
              JOIN LATERAL (
                   SELECT x.kwh FROM registry_meterreading x
                    WHERE x.connection_id = c.id AND x.period_start >= %(start)s AND x.period_start < %(end)s
                   OFFSET 0) r ON true
             GROUP BY c.id
            """,
            {"ids": connection_ids, "start": start, "end": end},
        )
        return {pk: (n, float(level)) for pk, n, level in cursor.fetchall()}
