"""The public register: licences in force, the warning list, and the check of one operator.

Only what the law makes public leaves these functions: a firm's name and BIN,
its licences' numbers, subtypes, capacities, validity and regions, and the
actions taken against an operator. Never owners, persons, addresses, emails,
phones, meter ids or grid consumer names; pending applications stay private.

Every function takes `today` (a registry-zone date, like the legal status of the admin)
and never reads the clock.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, Exists, F, Func, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.models import EnforcementAction, Firm, Flag, Inspection, Licence, LicenceCoverage, licence_in_force

BIN_PATTERN = re.compile(r"^[0-9]{12}$")
REGIONS = ArrayField(models.CharField(max_length=32))
ACTIONS = ArrayField(models.CharField(max_length=32))
# The warning list: the latest action first.
WARNING_ORDER = (F("last_date").desc(nulls_last=True), "name", "pk")


class WarningAction(models.TextChoices):
    """What put an operator on the warning list, in the order the actions escalate."""

    VOLUNTARY_CLOSURE = "voluntary_closure", _("Closed voluntarily")
    OPERATION_CANCELLED = "operation_cancelled", _("Operation cancelled")
    EQUIPMENT_CONFISCATED = "equipment_confiscated", _("Equipment confiscated")
    CRIMINAL_CASE = "criminal_case", _("Criminal case opened")
    # Findings, listed only for an operator no enforcement action names yet.
    ILLEGAL_OPERATION_FOUND = "illegal_operation_found", _("Illegal operation found by an inspection")
    UNLICENSED_CONFIRMED = "unlicensed_confirmed", _("Mining without a licence confirmed")


ENFORCEMENT_ACTIONS = [
    WarningAction.VOLUNTARY_CLOSURE,
    WarningAction.OPERATION_CANCELLED,
    WarningAction.EQUIPMENT_CONFISCATED,
    WarningAction.CRIMINAL_CASE,
]
# Licences a visitor may see whether in force or not; applications and rejections stay private.
GRANTED = [
    Licence.Status.ACTIVE,
    Licence.Status.SUSPENDED,
    Licence.Status.REVOKED,
    Licence.Status.EXPIRED,
    Licence.Status.SURRENDERED,
]


class _Array(Func):
    """A one-element array of text."""

    template = "ARRAY[%(expressions)s]::varchar[]"
    output_field = REGIONS


def _terms(query: str) -> tuple[str, str]:
    """The query with runs of white space made single (for names) and removed (for BINs and numbers)."""
    return " ".join(query.split()), "".join(query.split())


# Licences in force


def _licence_regions():
    """The regions of the facilities a licence covers (the firm's own region for a licence without any)."""
    covered = (
        LicenceCoverage.objects.filter(licence=OuterRef("pk"))
        .values("licence")
        .annotate(regions=ArrayAgg("facility__region", distinct=True, order_by="facility__region"))
        .values("regions")
    )
    return Coalesce(Subquery(covered, output_field=REGIONS), _Array(F("firm__region")), output_field=REGIONS)


def _public_licences() -> models.QuerySet:
    return Licence.objects.only("number", "subtype", "capacity_mw", "valid_from", "valid_until", "status").annotate(
        firm_name=F("firm__name"), firm_bin=F("firm__bin"), regions=_licence_regions()
    )


def licences_in_force(*, today: dt.date, q: str = "", region: str = "") -> models.QuerySet:
    """Licences in force on `today`, one row per licence, by firm name.

    `q` matches a BIN, part of a name or of a number.

    Rows carry `firm_name`, `firm_bin` and `regions` (region codes), and the licence's public fields only.
    """
    licences = _public_licences().filter(licence_in_force(today))
    name, compact = _terms(q)
    if compact:
        condition = Q(firm__name__icontains=name) | Q(number__icontains=compact)
        if BIN_PATTERN.match(compact):
            condition |= Q(firm__bin=compact)
        licences = licences.filter(condition)
    if region:
        licences = licences.filter(regions__contains=[region])
    return licences.order_by("firm__name", "number")


# The warning list


def _warning_membership() -> Q:
    """Firms on the warning list.

    Those with a listed enforcement action, an inspection that found illegal operation, or a confirmed
    unlicensed-type flag.

    Uncorrelated sets that PostgreSQL hashes once, rather than EXISTS probes for every firm.
    """
    illegal = Inspection.objects.filter(outcome=Inspection.Outcome.ILLEGAL_OPERATION)
    confirmed = Flag.objects.filter(rule__in=Flag.UNLICENSED_RULES, status=Flag.Status.CONFIRMED)
    return (
        Q(pk__in=EnforcementAction.objects.filter(action__in=ENFORCEMENT_ACTIONS).values("firm_id"))
        | Q(pk__in=illegal.filter(firm__isnull=False).values("firm_id"))
        | Q(pk__in=illegal.filter(facility__isnull=False).values("facility__firm_id"))
        | Q(pk__in=confirmed.filter(firm__isnull=False).values("firm_id"))
        | Q(pk__in=confirmed.filter(facility__isnull=False).values("facility__firm_id"))
    )


def _one(queryset: models.QuerySet, aggregate, output_field) -> Subquery:
    """One aggregate over a correlated set of rows, as a scalar subquery."""
    return Subquery(
        queryset.annotate(_all=Value(1)).values("_all").annotate(result=aggregate).values("result"),
        output_field=output_field,
    )


def _warning_annotations() -> dict:
    here = OuterRef("pk")
    actions = EnforcementAction.objects.filter(firm=here, action__in=ENFORCEMENT_ACTIONS).order_by()
    inspections = Inspection.objects.filter(
        Q(firm=here) | Q(facility__firm=here), outcome=Inspection.Outcome.ILLEGAL_OPERATION
    ).order_by()
    flags = Flag.objects.filter(
        Q(firm=here) | Q(facility__firm=here), rule__in=Flag.UNLICENSED_RULES, status=Flag.Status.CONFIRMED
    ).order_by()
    flag_day = Coalesce(
        TruncDate("decided_at", tzinfo=clock.registry_zone()), TruncDate("updated_at", tzinfo=clock.registry_zone())
    )
    return {
        "last_date": Greatest(
            _one(actions, Max("date"), models.DateField()),
            _one(inspections, Max("date"), models.DateField()),
            _one(flags, Max(flag_day), models.DateField()),
        ),
        # The four listed action codes sort alphabetically in reverse order of escalation.
        "actions": Coalesce(
            _one(actions, ArrayAgg("action", distinct=True, order_by="-action"), ACTIONS),
            Case(
                When(Exists(inspections), then=_Array(Value(WarningAction.ILLEGAL_OPERATION_FOUND.value))),
                default=_Array(Value(WarningAction.UNLICENSED_CONFIRMED.value)),
                output_field=ACTIONS,
            ),
            output_field=ACTIONS,
        ),
        "regions": Coalesce(
            _one(actions, ArrayAgg("region", distinct=True, order_by="region"), REGIONS),
            _one(
                inspections,
                ArrayAgg(Coalesce("facility__region", "connection__region"), distinct=True),
                REGIONS,
            ),
            _one(flags, ArrayAgg(Coalesce("facility__region", "connection__region"), distinct=True), REGIONS),
            _Array(F("region")),
            output_field=REGIONS,
        ),
    }


def warning_list(*, q: str = "", region: str = "") -> models.QuerySet:
    """Operators confirmed to have mined illegally, one row per firm, the latest action first.

    Rows carry the firm's `name` and `bin`, `last_date` (of the latest action
    or finding), `actions` (WarningAction codes) and `regions`.
    """
    firms = Firm.objects.only("name", "bin").filter(_warning_membership()).annotate(**_warning_annotations())
    name, compact = _terms(q)
    if compact:
        condition = Q(name__icontains=name)
        if BIN_PATTERN.match(compact):
            condition |= Q(bin=compact)
        firms = firms.filter(condition)
    if region:
        firms = firms.filter(regions__contains=[region])
    return firms.order_by(*WARNING_ORDER)


# "Is this operator licensed?"


class Verdict(models.TextChoices):
    LICENSED = "licensed", _("Licensed")
    NOT_LICENSED = "not_licensed", _("Not licensed")
    WARNING = "warning", _("On the warning list")


class LicenceState(models.TextChoices):
    """Why a granted licence is not in force, as the public sees it."""

    NOT_YET_VALID = "not_yet_valid", _("Not yet in force")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    SURRENDERED = "surrendered", _("Surrendered")


@dataclass(frozen=True)
class CheckAnswer:
    verdict: str
    query: str  # the BIN, or the licence number as typed
    by_bin: bool  # the query was a BIN (else a licence number)
    firm_name: str = ""  # only when the operator has a public record (licence or warning)
    firm_bin: str = ""
    in_force: list = field(default_factory=list)  # the operator's licences in force
    not_in_force: list = field(default_factory=list)  # granted licences that are not, each with `state`
    warning: Firm | None = None  # the warning-list entry


def operator_check(*, today: dt.date, query: str) -> CheckAnswer:
    """Answer whether the operator with this BIN (12 digits) or licence number holds a licence in force.

    A firm with a licence in force is licensed, even if it is also on the
    warning list (the answer carries both). A firm the public knows nothing
    about (no granted licence, no warning) is answered "not licensed" without
    its name, so a private application is never revealed.
    """
    text, compact = _terms(query)
    by_bin = bool(BIN_PATTERN.match(compact))
    if by_bin:
        firm = Firm.objects.filter(bin=compact).only("name", "bin").first()
    else:
        granted = Licence.objects.filter(number__iexact=compact, status__in=GRANTED).values("firm_id")
        firm = Firm.objects.filter(pk__in=granted).only("name", "bin").first()
    if firm is None:
        return CheckAnswer(
            verdict=Verdict.NOT_LICENSED,
            query=compact if by_bin else text,
            by_bin=by_bin,
            firm_bin=compact if by_bin else "",
        )

    in_force = list(_public_licences().filter(licence_in_force(today), firm=firm).order_by("number"))
    not_in_force = list(_not_in_force(today).filter(firm=firm).order_by("-valid_until"))
    if not by_bin:
        # Asked by number: that licence first, then the firm's others.
        not_in_force.sort(key=lambda licence: licence.number.lower() != compact.lower())
    warning = warning_list().filter(pk=firm.pk).first()
    if in_force:
        verdict = Verdict.LICENSED
    elif warning is not None:
        verdict = Verdict.WARNING
    else:
        verdict = Verdict.NOT_LICENSED
    public = bool(in_force or not_in_force or warning)
    return CheckAnswer(
        verdict=verdict,
        query=compact if by_bin else text,
        by_bin=by_bin,
        firm_name=firm.name if public else "",
        firm_bin=firm.bin,
        in_force=in_force,
        not_in_force=not_in_force,
        warning=warning,
    )


def _not_in_force(today: dt.date) -> models.QuerySet:
    """Granted licences that are not in force on `today`, each with `state`: why not."""
    return (
        _public_licences()
        .filter(status__in=GRANTED, number__isnull=False)
        .exclude(licence_in_force(today))
        .annotate(
            state=Case(
                When(status=Licence.Status.SUSPENDED, then=Value(LicenceState.SUSPENDED.value)),
                When(status=Licence.Status.REVOKED, then=Value(LicenceState.REVOKED.value)),
                When(status=Licence.Status.SURRENDERED, then=Value(LicenceState.SURRENDERED.value)),
                When(status=Licence.Status.EXPIRED, then=Value(LicenceState.EXPIRED.value)),
                When(valid_until__lt=today, then=Value(LicenceState.EXPIRED.value)),
                When(valid_from__gt=today, then=Value(LicenceState.NOT_YET_VALID.value)),
                default=Value(""),
                output_field=models.CharField(),
            )
        )
    )
