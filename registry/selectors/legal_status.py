"""The licensed-vs-illegal distinction (docs/rules.md, "Legal status"), computed in the query.

Each status has a condition: records that name the site (an enforcement
action, an inspection, a flag, a covering licence). A site's status is the
first that holds, in this order of precedence: what enforcement did to it
(cancelled, closed voluntarily), an inspection or a regulator confirming it
illegal, a licence in force, an open unlicensed-type flag, a pending
application, a lapsed licence. A registered site with none of these has no
status ("").

The column is a CASE over the conditions; the filter for one status is "its
condition and none of the higher ones". The SQL keeps PostgreSQL's cost
estimate honest, so that it stays far below the JIT thresholds: "this
status" is `id IN (union of the records' ids)`, one set built once per
query; "not that status" is NOT EXISTS, an anti-join. Never an OR of
correlated EXISTS: PostgreSQL cannot join it and costs it as a probe for
every row of the table, and past its JIT threshold spends far longer
compiling the query than running it (tests/selectors/test_legal_status_plans.py).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.models import (
    EnforcementAction,
    FacilityConnection,
    Flag,
    FlagMeter,
    Inspection,
    Licence,
    LicenceCoverage,
    licence_in_force,
)


class LegalStatus(models.TextChoices):
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED_VOLUNTARILY = "closed_voluntarily", _("Closed voluntarily")
    ILLEGAL = "illegal", _("Illegal")
    LICENSED = "licensed", _("Licensed")
    SUSPECTED_ILLEGAL = "suspected_illegal", _("Suspected illegal")
    PENDING = "pending", _("Pending")
    LICENCE_LAPSED = "licence_lapsed", _("Licence lapsed")


PRECEDENCE = [
    LegalStatus.CANCELLED,
    LegalStatus.CLOSED_VOLUNTARILY,
    LegalStatus.ILLEGAL,
    LegalStatus.LICENSED,
    LegalStatus.SUSPECTED_ILLEGAL,
    LegalStatus.PENDING,
    LegalStatus.LICENCE_LAPSED,
]
LAPSED = [Licence.Status.EXPIRED, Licence.Status.SUSPENDED, Licence.Status.REVOKED, Licence.Status.SURRENDERED]


@dataclass(frozen=True)
class Records:
    """Records that give a status: the rows of `rows` whose `column` holds the subject's id.

    A condition is a list of them (any one suffices), written once; each use
    asks for the SQL shape it needs.
    """

    rows: models.QuerySet
    column: str

    def ids(self) -> models.QuerySet:
        """The ids of the subjects named: an uncorrelated set, which PostgreSQL builds once per query."""
        return self.rows.filter(**{f"{self.column}__isnull": False}).values(self.column)

    def unnamed(self) -> Q:
        """The row is not named: NOT EXISTS, an anti-join (NOT IN would be estimated blindly)."""
        return ~Q(Exists(self.rows.filter(**{self.column: OuterRef("pk")})))


Conditions = dict[str, list[Records]]


def _lapsed(today: dt.date, prefix: str = "") -> Q:
    """A licence that ended, or is active but past its last valid day (not yet marked expired)."""
    return Q(**{f"{prefix}status__in": LAPSED}) | Q(
        **{f"{prefix}status": Licence.Status.ACTIVE, f"{prefix}valid_until__lt": today}
    )


def facility_conditions(today: dt.date | None = None) -> Conditions:
    """A facility's conditions: records that name it (its licences through their coverage)."""
    today = today or clock.today()

    def on(rows: models.QuerySet) -> list[Records]:
        return [Records(rows, "facility_id")]

    actions, coverage = EnforcementAction.objects, LicenceCoverage.objects
    flags = Flag.objects.filter(rule__in=Flag.UNLICENSED_RULES)
    return {
        LegalStatus.CANCELLED: on(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED)),
        LegalStatus.CLOSED_VOLUNTARILY: on(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE)),
        LegalStatus.ILLEGAL: on(Inspection.objects.filter(outcome=Inspection.Outcome.ILLEGAL_OPERATION))
        + on(flags.filter(status=Flag.Status.CONFIRMED)),
        LegalStatus.LICENSED: on(coverage.filter(licence_in_force(today, "licence__"))),
        LegalStatus.SUSPECTED_ILLEGAL: on(flags.filter(status__in=Flag.OPEN_STATUSES)),
        LegalStatus.PENDING: on(coverage.filter(licence__status__in=Licence.PENDING_STATUSES)),
        LegalStatus.LICENCE_LAPSED: on(coverage.filter(_lapsed(today, "licence__"))),
    }


def connection_conditions(today: dt.date | None = None) -> Conditions:
    """A connection has its own record (flags, inspections, enforcement) and its facilities' statuses."""
    facility = facility_conditions(today)

    def on(rows: models.QuerySet) -> list[Records]:
        return [Records(rows, "connection_id")]

    def through_facility(status: str) -> list[Records]:
        return [
            Records(FacilityConnection.objects.filter(facility_id__in=records.ids()), "connection_id")
            for records in facility[status]
        ]

    actions = EnforcementAction.objects
    flags = Flag.objects.filter(rule__in=Flag.UNLICENSED_RULES)
    # A subject or a group member of an unlicensed-type flag (a transformer's children are not).
    meters = FlagMeter.objects.filter(role__in=FlagMeter.SUSPECT_ROLES, flag__rule__in=Flag.UNLICENSED_RULES)
    return {
        LegalStatus.CANCELLED: on(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED))
        + through_facility(LegalStatus.CANCELLED),
        LegalStatus.CLOSED_VOLUNTARILY: on(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE))
        + through_facility(LegalStatus.CLOSED_VOLUNTARILY),
        LegalStatus.ILLEGAL: on(Inspection.objects.filter(outcome=Inspection.Outcome.ILLEGAL_OPERATION))
        + on(flags.filter(status=Flag.Status.CONFIRMED))
        + on(meters.filter(flag__status=Flag.Status.CONFIRMED))
        + through_facility(LegalStatus.ILLEGAL),
        LegalStatus.LICENSED: through_facility(LegalStatus.LICENSED),
        LegalStatus.SUSPECTED_ILLEGAL: on(flags.filter(status__in=Flag.OPEN_STATUSES))
        + on(meters.filter(flag__status__in=Flag.OPEN_STATUSES))
        + through_facility(LegalStatus.SUSPECTED_ILLEGAL),
        LegalStatus.PENDING: through_facility(LegalStatus.PENDING),
        LegalStatus.LICENCE_LAPSED: through_facility(LegalStatus.LICENCE_LAPSED),
    }


def firm_conditions(today: dt.date | None = None) -> Conditions:
    today = today or clock.today()

    def on(rows: models.QuerySet, column: str = "firm_id") -> list[Records]:
        return [Records(rows, column)]

    actions = EnforcementAction.objects
    illegal = Inspection.objects.filter(outcome=Inspection.Outcome.ILLEGAL_OPERATION)
    flags = Flag.objects.filter(rule__in=Flag.UNLICENSED_RULES)
    return {
        LegalStatus.CANCELLED: on(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED)),
        LegalStatus.CLOSED_VOLUNTARILY: on(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE)),
        LegalStatus.ILLEGAL: on(illegal)
        + on(illegal, "facility__firm_id")
        + on(flags.filter(status=Flag.Status.CONFIRMED)),
        LegalStatus.LICENSED: on(Licence.objects.filter(licence_in_force(today))),
        LegalStatus.SUSPECTED_ILLEGAL: on(flags.filter(status__in=Flag.OPEN_STATUSES)),
        LegalStatus.PENDING: on(Licence.objects.filter(status__in=Licence.PENDING_STATUSES)),
        LegalStatus.LICENCE_LAPSED: on(Licence.objects.filter(_lapsed(today))),
    }


def annotate(queryset: models.QuerySet, conditions: Conditions) -> models.QuerySet:
    """Add `legal_status` to each row (a page, or a whole table to count: each set is built once per query)."""
    return queryset.annotate(
        legal_status=Case(
            *[When(_holds(conditions[status]), then=Value(str(status))) for status in PRECEDENCE],
            default=Value(""),
            output_field=models.CharField(),
        )
    )


def with_status(queryset: models.QuerySet, conditions: Conditions, status: str) -> models.QuerySet:
    """Rows whose legal status is `status`: its condition holds and no higher one does.

    Rows annotated by `annotate` keep their `legal_status`, as the constant it
    must be, rather than working it out again for each row.
    """
    higher = PRECEDENCE if status == "" else PRECEDENCE[: PRECEDENCE.index(status)]
    if status != "":
        queryset = queryset.filter(_holds(conditions[status]))
    if "legal_status" in queryset.query.annotations:
        queryset = queryset.annotate(legal_status=Value(str(status), output_field=models.CharField()))
    return queryset.filter(*[records.unnamed() for h in higher for records in conditions[h]])


def _holds(condition: list[Records]) -> Q:
    """One of the records names the row: its id is in their union, one set built once per query."""
    first, *rest = [records.ids() for records in condition]
    return Q(pk__in=first.union(*rest, all=True) if rest else first)
