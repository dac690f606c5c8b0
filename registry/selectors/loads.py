"""A flag's meters and its load chart: the readings that made the flag, in the registry's local time.

One query reads every series of a chart: the meters' readings through their (connection, hour) key, summed
per series and hour in the database, then each series cut to at most a few thousand points (a long range
shows the highest hour of each 2 h or more). What the chart shows per rule is decided here, once.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry import clock
from registry.models import DetectionSettings, Flag, FlagMeter, GridConnection
from registry.services.csvfiles import parse_instant

Rule = Flag.Rule
Role = FlagMeter.Role

# Subject first, then members of a group, then a transformer's children; within a role by meter id.
ROLE_RANK = Case(
    When(role=Role.SUBJECT, then=Value(0)),
    When(role=Role.MEMBER, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
METER_ORDER = (ROLE_RANK, "connection__meter_id")

# A chart shows every hour of a range up to this long; a longer one shows the highest hour of each 2 h (or more).
HOURLY_DAYS = 60
# Points over all the series of one chart (a group of 14 meters over 30 days is drawn per 3 h).
MAX_POINTS = 4000

# The rules judged on an average load against the unlicensed-mining minimum.
MIN_AVG_RULES = (Rule.UNLICENSED_MINING, Rule.PATCHY_LOAD, Rule.CURTAILED_LOAD, Rule.SPLIT_LOAD)


def flag_meters(*, flag: Flag) -> QuerySet[FlagMeter]:
    """The meters whose readings made the flag, with their connections: subject first, then by meter id."""
    return flag.meters.select_related("connection").order_by(*METER_ORDER)


@dataclass
class _Series:
    label: str
    kind: str  # load, member, sum, parent, children: how the page draws it
    connections: list[int]
    points: list[list[Any]] = field(default_factory=list)
    hours: int = 0
    avg_mw: float | None = None
    peak_mw: float | None = None


def flag_chart(*, flag: Flag) -> dict[str, Any]:
    """The load chart of a flag: its series over the range, the thresholds it was judged on, local-time labels.

    Per rule: a split load shows each member and their sum; an energy balance the transformer against the
    sum of its children; a load step its meter from the baseline's start, with the baseline and the recent
    level; any other rule the subject's meters summed per hour. Points are `[local ISO hour, MW]`, only
    where readings exist (a missing hour is a gap).
    """
    meters = list(flag_meters(flag=flag).values_list("connection_id", "connection__meter_id", "role"))
    start, end = flag.window_start, flag.window_end
    if flag.rule == Rule.LOAD_STEP:
        start = _instant(flag.evidence.get("baseline_start")) or start
    series = _series_of(flag, meters)
    step = _step_hours(start, end, len(series))
    _read(series, start=start, end=end, step=step)
    buckets = [start + dt.timedelta(hours=step * i) for i in range(math.ceil(_hours(start, end) / step))]
    return {
        "locale": translation.get_language() or settings.LANGUAGE_CODE,
        "unit": _("MW"),
        "y_title": _("Load, MW"),
        "x_title": _("Time in %(zone)s") % {"zone": settings.TIME_ZONE},
        "step_hours": step,
        "note": (
            ngettext("Each point is the highest of %(n)d hour.", "Each point is the highest of %(n)d hours.", step)
            % {"n": step}
            if step > 1
            else ""
        ),
        "labels": [_label(bucket) for bucket in buckets],
        "series": [
            {
                "label": s.label,
                "kind": s.kind,
                "points": s.points,
                "hours": s.hours,
                "avg_mw": s.avg_mw,
                "peak_mw": s.peak_mw,
                "summary": _summary(s),
            }
            for s in series
        ],
        "thresholds": _thresholds(flag, start=start, end=end, step=step),
        "has_readings": any(s.hours for s in series),
    }


def _series_of(flag: Flag, meters: list[tuple[int, str, str]]) -> list[_Series]:
    suspects = [(pk, meter_id) for pk, meter_id, role in meters if role in FlagMeter.SUSPECT_ROLES]
    if flag.rule == Rule.SPLIT_LOAD and suspects:
        every = [pk for pk, _meter_id in suspects]
        return [_Series(meter_id, "member", [pk]) for pk, meter_id in suspects] + [
            _Series(_("Sum of the %(n)d meters") % {"n": len(every)}, "sum", every)
        ]
    if flag.rule == Rule.ENERGY_BALANCE:
        parent = [(pk, meter_id) for pk, meter_id, role in meters if role == Role.SUBJECT]
        children = [pk for pk, _meter_id, role in meters if role == Role.CHILD]
        if not parent and flag.connection_id:
            parent = [(flag.connection_id, flag.subject_ref)]
            children = list(GridConnection.objects.filter(parent_id=flag.connection_id).values_list("pk", flat=True))
        if parent:
            (parent_pk, parent_meter), *_others = parent
            return [
                _Series(_("Transformer meter %(meter)s") % {"meter": parent_meter}, "parent", [parent_pk]),
                _Series(
                    ngettext("Sum of its %(n)d downstream meter", "Sum of its %(n)d downstream meters", len(children))
                    % {"n": len(children)},
                    "children",
                    children,
                ),
            ]
    connections = [pk for pk, _meter_id in suspects] or _subject_connections(flag)
    if not connections:
        return []
    return [_Series(_("Hourly load of %(subject)s") % {"subject": flag.subject_ref}, "load", connections)]


def _subject_connections(flag: Flag) -> list[int]:
    """A flag without meter rows (written before flags named their meters): the meters of its subject."""
    if flag.connection_id:
        return [flag.connection_id]
    if flag.facility_id:
        found = GridConnection.objects.filter(facilities=flag.facility_id)
    elif flag.licence_id:
        found = GridConnection.objects.filter(facilities__licences=flag.licence_id)
    else:
        return []
    return list(found.values_list("pk", flat=True).distinct().order_by("pk"))


_SERIES_SQL = """
    WITH chosen AS (
        SELECT * FROM unnest(%(connections)s::bigint[], %(series)s::int[]) AS c(connection_id, series)
    ), hourly AS (
        SELECT c.series, r.period_start, sum(r.kwh) / 1000 AS mw
          FROM (SELECT DISTINCT connection_id FROM chosen) m
         CROSS JOIN LATERAL (
               SELECT x.period_start, x.kwh FROM registry_meterreading x
                WHERE x.connection_id = m.connection_id
                  AND x.period_start >= %(start)s AND x.period_start < %(end)s) r
          JOIN chosen c ON c.connection_id = m.connection_id
         GROUP BY c.series, r.period_start
    )
    SELECT series, date_bin(%(step)s, period_start, %(start)s) AS bucket, max(mw),
           sum(count(*)) OVER w, sum(sum(mw)) OVER w, max(max(mw)) OVER w
      FROM hourly
     GROUP BY series, bucket
    WINDOW w AS (PARTITION BY series)
     ORDER BY series, bucket
"""


def _read(series: list[_Series], *, start: dt.datetime, end: dt.datetime, step: int) -> None:
    """Fill every series in one query: per bucket its highest hour (the meters summed per hour), and its totals."""
    pairs = [(pk, index) for index, s in enumerate(series) for pk in s.connections]
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _SERIES_SQL,
            {
                "connections": [pk for pk, _index in pairs],
                "series": [index for _pk, index in pairs],
                "start": start,
                "end": end,
                "step": dt.timedelta(hours=step),
            },
        )
        for index, bucket, mw, hours, total_mw, peak_mw in cursor.fetchall():
            s = series[index]
            s.points.append([_label(bucket), _mw(mw)])
            s.hours, s.avg_mw, s.peak_mw = int(hours), _mw(total_mw / hours), _mw(peak_mw)


def _thresholds(flag: Flag, *, start: dt.datetime, end: dt.datetime, step: int) -> list[dict[str, Any]]:
    """The levels the flag was judged on, as horizontal lines: over the whole range unless a span is given."""
    evidence = flag.evidence or {}
    limits = DetectionSettings.current()
    lines: list[tuple[str, str, Any, dt.datetime | None, dt.datetime | None]] = []
    if flag.rule in MIN_AVG_RULES:
        lines.append(("threshold", _("Minimum average load"), limits.unlicensed_min_avg_mw, None, None))
    elif flag.rule == Rule.NO_VALID_LICENCE:
        lines.append(("threshold", _("Minimum average load"), limits.no_licence_min_avg_mw, None, None))
    elif flag.rule == Rule.HOUSEHOLD_MINING:
        lines.append(("threshold", _("Household floor"), limits.household_min_floor_mw, None, None))
    elif flag.rule == Rule.BASE_LOAD:
        lines.append(("threshold", _("Minimum steady floor"), limits.base_min_floor_mw, None, None))
    elif flag.rule == Rule.OVER_CAPACITY:
        capacity = evidence.get("capacity_mw")
        if capacity is None and flag.licence_id:
            capacity = flag.licence.capacity_mw
        if capacity is not None:
            limit = Decimal(str(capacity)) * limits.over_capacity_ratio
            label = _("Licensed capacity × %(ratio)s") % {"ratio": _decimals(limits.over_capacity_ratio, 2)}
            lines.append(("threshold", label, limit, None, None))
    elif flag.rule == Rule.LOAD_STEP:
        if evidence.get("baseline_mw") is not None:
            span = (_instant(evidence.get("baseline_start")), _instant(evidence.get("baseline_end")))
            lines.append(("baseline", _("Baseline level"), evidence["baseline_mw"], *span))
        if evidence.get("recent_floor_mw") is not None:
            recent_start = _instant(evidence.get("recent_start"))
            if recent_start is None:
                recent_start = end - dt.timedelta(days=limits.step_recent_days)
            lines.append(("recent", _("Recent level"), evidence["recent_floor_mw"], recent_start, end))
    return [
        {
            "kind": kind,
            "label": _("%(what)s: %(mw)s MW") % {"what": what, "mw": _decimals(_mw(value), 3)},
            "value_mw": _mw(value),
            # The first and the last point of the span on the chart's axis.
            "start": _label(_bucket_of(max(span_start or start, start), start, step)),
            "end": _label(_bucket_of(min(span_end or end, end) - dt.timedelta(hours=1), start, step)),
        }
        for kind, what, value, span_start, span_end in lines
    ]


def _summary(s: _Series) -> str:
    if not s.hours:
        return _("%(series)s: no readings in this range.") % {"series": s.label}
    return ngettext(
        "%(series)s: %(hours)d hour with readings, average %(avg)s MW, highest hour %(peak)s MW.",
        "%(series)s: %(hours)d hours with readings, average %(avg)s MW, highest hour %(peak)s MW.",
        s.hours,
    ) % {
        "series": s.label,
        "hours": s.hours,
        "avg": _decimals(s.avg_mw, 3),
        "peak": _decimals(s.peak_mw, 3),
    }


def _step_hours(start: dt.datetime, end: dt.datetime, series: int) -> int:
    hours = _hours(start, end)
    step = 1 if hours <= HOURLY_DAYS * 24 else math.ceil(hours / (HOURLY_DAYS * 24))
    return max(step, math.ceil(hours * max(series, 1) / MAX_POINTS))


def _hours(start: dt.datetime, end: dt.datetime) -> int:
    return max(1, math.ceil((end - start) / dt.timedelta(hours=1)))


def _bucket_of(instant: dt.datetime, start: dt.datetime, step: int) -> dt.datetime:
    """The chart's point holding `instant`: the buckets of `step` hours start on the range's start."""
    return start + (instant - start) // dt.timedelta(hours=step) * dt.timedelta(hours=step)


def _label(instant: dt.datetime) -> str:
    """An hour as the chart's axis names it: its local time with the offset, to the minute."""
    return instant.astimezone(clock.registry_zone()).isoformat(timespec="minutes")


def _instant(value: Any) -> dt.datetime | None:
    """An instant the evidence stores as ISO text (None when absent or not an instant)."""
    return parse_instant(value) if isinstance(value, str) else None


def _mw(value: Any) -> float:
    return round(float(value), 5)


def _decimals(value: Any, places: int) -> str:
    """A figure for people: rounded half up, in the language's decimal notation."""
    return str(floatformat(value, places))
