"""The regulator's queues, first on the admin home: open flags, applications to decide, inspections due.

Each is a fixed number of small queries over indexed columns, whatever the size of the registry.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min

from registry.models import Flag, Inspection, Licence

SEVERITIES: list[str] = [Flag.Severity.HIGH, Flag.Severity.MEDIUM, Flag.Severity.LOW]
TO_DECIDE: list[str] = [Licence.Status.APPLIED, Licence.Status.UNDER_REVIEW]
# Inspections planned within this many days count as due; earlier ones that nobody recorded are overdue.
DUE_WITHIN_DAYS = 7


@dataclass(frozen=True)
class OpenFlags:
    by_severity: dict[str, int]  # severity -> open flags
    under_inspection: int
    oldest_open: dt.datetime | None

    @property
    def open(self) -> int:
        return sum(self.by_severity.values())


@dataclass(frozen=True)
class Queue:
    count: int
    first: list  # the oldest (or earliest) few, in the order to work on them


def open_flags() -> OpenFlags:
    """Flags waiting for a decision, by severity, and flags whose site is being inspected."""
    rows = (
        Flag.objects.filter(status__in=[Flag.Status.OPEN, Flag.Status.UNDER_INSPECTION])
        .values("status", "severity")
        .annotate(n=Count("*"), oldest=Min("created_at"))
    )
    by_severity = dict.fromkeys(SEVERITIES, 0)
    under_inspection = 0
    oldest = None
    for row in rows:
        if row["status"] == Flag.Status.UNDER_INSPECTION:
            under_inspection += row["n"]
            continue
        by_severity[row["severity"]] += row["n"]
        oldest = row["oldest"] if oldest is None else min(oldest, row["oldest"])
    return OpenFlags(by_severity=by_severity, under_inspection=under_inspection, oldest_open=oldest)


def applications_to_decide(*, limit: int = 8) -> Queue:
    """Licence applications applied for or under review, the longest waiting first."""
    pending = Licence.objects.filter(status__in=TO_DECIDE)
    first = list(pending.select_related("firm").order_by("created_at", "pk")[:limit])
    return Queue(count=pending.count(), first=first)


def inspections_due(*, today: dt.date, limit: int = 8) -> Queue:
    """Planned inspections with no outcome recorded, dated up to a week ahead, the earliest (overdue) first."""
    due = Inspection.objects.filter(outcome="", date__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS))
    first = list(
        due.select_related("facility", "connection", "firm")
        .prefetch_related("inspectors")
        .order_by("date", "pk")[:limit]
    )
    return Queue(count=due.count(), first=first)
