"""The licensed-vs-illegal distinction (docs/rules.md, "Legal status"), computed in the query.

Each status is a condition built from EXISTS subqueries. A site's status is
the first that holds, in this order of precedence: what enforcement did to it
(cancelled, closed voluntarily), an inspection or a regulator confirming it
illegal, a licence in force, an open unlicensed-type flag, a pending
application, a lapsed licence. A registered site with none of these has no
status ("").

The changelist column annotates the page's rows with a CASE over the
conditions; the filter for one status is "its condition and none of the
higher ones", which PostgreSQL plans as semi- and anti-joins, fast on
100,000 rows.
"""

import datetime as dt

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.models import (
    EnforcementAction,
    Facility,
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

Conditions = dict[str, Q]


def _lapsed(today: dt.date, prefix: str = "") -> Q:
    """A licence that ended, or is active but past its last valid day (not yet marked expired)."""
    return Q(**{f"{prefix}status__in": LAPSED}) | Q(
        **{f"{prefix}status": Licence.Status.ACTIVE, f"{prefix}valid_until__lt": today}
    )


def _licence_states(facility_ref, today: dt.date) -> tuple[Exists, Exists, Exists]:
    """(in force, pending, lapsed) for the licences covering a facility."""
    coverage = LicenceCoverage.objects.filter(facility=facility_ref)
    return (
        Exists(coverage.filter(licence_in_force(today, "licence__"))),
        Exists(coverage.filter(licence__status__in=Licence.PENDING_STATUSES)),
        Exists(coverage.filter(_lapsed(today, "licence__"))),
    )


def facility_conditions(today: dt.date | None = None, here=None) -> Conditions:
    """Conditions on a facility; `here` is the reference to its id (the outer row's pk by default)."""
    today = today or clock.today()
    here = here if here is not None else OuterRef("pk")
    in_force, pending, lapsed = _licence_states(here, today)
    actions = EnforcementAction.objects.filter(facility=here)
    return {
        LegalStatus.CANCELLED: Q(Exists(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED))),
        LegalStatus.CLOSED_VOLUNTARILY: Q(Exists(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE))),
        LegalStatus.ILLEGAL: Q(
            Exists(Inspection.objects.filter(facility=here, outcome=Inspection.Outcome.ILLEGAL_OPERATION))
        )
        | Q(Exists(Flag.objects.filter(facility=here, rule__in=Flag.UNLICENSED_RULES, status=Flag.Status.CONFIRMED))),
        LegalStatus.LICENSED: Q(in_force),
        LegalStatus.SUSPECTED_ILLEGAL: Q(
            Exists(Flag.objects.filter(facility=here, rule__in=Flag.UNLICENSED_RULES, status__in=Flag.OPEN_STATUSES))
        ),
        LegalStatus.PENDING: Q(pending),
        LegalStatus.LICENCE_LAPSED: Q(lapsed),
    }


def connection_conditions(today: dt.date | None = None) -> Conditions:
    """A connection has its own record (flags, inspections, enforcement) and its facilities' statuses."""
    today = today or clock.today()
    here = OuterRef("pk")

    def through_facility(status: str) -> Q:
        # An uncorrelated set PostgreSQL can hash, rather than an EXISTS it must probe per connection.
        facilities = Facility.objects.filter(facility_conditions(today)[status]).values("pk")
        return Q(pk__in=FacilityConnection.objects.filter(facility__in=facilities).values("connection_id"))

    actions = EnforcementAction.objects.filter(connection=here)
    return {
        LegalStatus.CANCELLED: Q(Exists(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED)))
        | through_facility(LegalStatus.CANCELLED),
        LegalStatus.CLOSED_VOLUNTARILY: Q(Exists(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE)))
        | through_facility(LegalStatus.CLOSED_VOLUNTARILY),
        LegalStatus.ILLEGAL: Q(
            Exists(Inspection.objects.filter(connection=here, outcome=Inspection.Outcome.ILLEGAL_OPERATION))
        )
        | Q(Exists(Flag.objects.filter(connection=here, rule__in=Flag.UNLICENSED_RULES, status=Flag.Status.CONFIRMED)))
        | Q(Exists(_flagged_meter(here).filter(flag__status=Flag.Status.CONFIRMED)))
        | through_facility(LegalStatus.ILLEGAL),
        LegalStatus.LICENSED: through_facility(LegalStatus.LICENSED),
        LegalStatus.SUSPECTED_ILLEGAL: Q(
            Exists(Flag.objects.filter(connection=here, rule__in=Flag.UNLICENSED_RULES, status__in=Flag.OPEN_STATUSES))
        )
        | Q(Exists(_flagged_meter(here).filter(flag__status__in=Flag.OPEN_STATUSES)))
        | through_facility(LegalStatus.SUSPECTED_ILLEGAL),
        LegalStatus.PENDING: through_facility(LegalStatus.PENDING),
        LegalStatus.LICENCE_LAPSED: through_facility(LegalStatus.LICENCE_LAPSED),
    }


def _flagged_meter(here) -> models.QuerySet:
    """The connection is a subject or a group member of an unlicensed-type flag (a transformer's children are not)."""
    return FlagMeter.objects.filter(
        connection=here, role__in=FlagMeter.SUSPECT_ROLES, flag__rule__in=Flag.UNLICENSED_RULES
    )


def firm_conditions(today: dt.date | None = None) -> Conditions:
    today = today or clock.today()
    here = OuterRef("pk")
    licences = Licence.objects.filter(firm=here)
    actions = EnforcementAction.objects.filter(firm=here)
    return {
        LegalStatus.CANCELLED: Q(Exists(actions.filter(action=EnforcementAction.Action.OPERATION_CANCELLED))),
        LegalStatus.CLOSED_VOLUNTARILY: Q(Exists(actions.filter(action=EnforcementAction.Action.VOLUNTARY_CLOSURE))),
        LegalStatus.ILLEGAL: Q(
            Exists(Inspection.objects.filter(firm=here, outcome=Inspection.Outcome.ILLEGAL_OPERATION))
        )
        | Q(Exists(Inspection.objects.filter(facility__firm=here, outcome=Inspection.Outcome.ILLEGAL_OPERATION)))
        | Q(Exists(Flag.objects.filter(firm=here, rule__in=Flag.UNLICENSED_RULES, status=Flag.Status.CONFIRMED))),
        LegalStatus.LICENSED: Q(Exists(licences.filter(licence_in_force(today)))),
        LegalStatus.SUSPECTED_ILLEGAL: Q(
            Exists(Flag.objects.filter(firm=here, rule__in=Flag.UNLICENSED_RULES, status__in=Flag.OPEN_STATUSES))
        ),
        LegalStatus.PENDING: Q(Exists(licences.filter(status__in=Licence.PENDING_STATUSES))),
        LegalStatus.LICENCE_LAPSED: Q(Exists(licences.filter(_lapsed(today)))),
    }


def annotate(queryset: models.QuerySet, conditions: Conditions) -> models.QuerySet:
    """Add `legal_status` to each row (use on a page of rows: each status is a subquery)."""
    return queryset.annotate(
        legal_status=Case(
            *[When(conditions[status], then=Value(str(status))) for status in PRECEDENCE],
            default=Value(""),
            output_field=models.CharField(),
        )
    )


def with_status(queryset: models.QuerySet, conditions: Conditions, status: str) -> models.QuerySet:
    """Rows whose legal status is `status`: its condition holds and no higher one does.

    Each part of each higher condition is negated on its own, so that every
    part becomes a NOT EXISTS / NOT IN that PostgreSQL plans as an anti-join
    (a negated OR of EXISTS would be probed row by row).
    """
    higher = PRECEDENCE if status == "" else PRECEDENCE[: PRECEDENCE.index(status)]
    if status != "":
        queryset = queryset.filter(conditions[status])
    return queryset.filter(*[~part for h in higher for part in _or_parts(conditions[h])])


def _or_parts(condition: Q) -> list:
    """The alternatives of a condition written as A | B | …"""
    if condition.connector == Q.OR and not condition.negated and len(condition.children) > 1:
        return [part for child in condition.children for part in _or_parts(child if isinstance(child, Q) else Q(child))]
    return [condition]
