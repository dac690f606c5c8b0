"""The licence lifecycle (docs/rules.md, "Licences").

Each decision is a conditional update, so two at once cannot both apply:

applied → under_review → active → suspended ⇄ active → revoked | expired | surrendered,
and applied/under_review → rejected.
"""

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import clock
from registry.errors import InvalidTransition, RegistryError
from registry.models import EnforcementAction, Licence

S = Licence.Status
LICENCE_TERM_YEARS = 3
NUMBER_LOCK = 74_611_002  # serialises the choice of the next licence number


def _move(licence: Licence, *, allowed_from: tuple[str, ...], to: str, **changes) -> Licence:
    """Apply a status change only if the licence is still in an allowed status; refuse otherwise."""
    updated = Licence.objects.filter(pk=licence.pk, status__in=allowed_from).update(
        status=to, updated_at=timezone.now(), **changes
    )
    if not updated:
        current = Licence.objects.filter(pk=licence.pk).values_list("status", flat=True).first()
        raise InvalidTransition(
            _("Licence %(licence)s is %(current)s: it cannot become %(target)s.")
            % {"licence": licence, "current": S(current).label if current else "?", "target": S(to).label}
        )
    licence.refresh_from_db()
    return licence


def _required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError(_("Give a reason for this decision."))
    return reason


def licence_apply(*, firm, facilities, capacity_mw, subtype: str, documents, user=None) -> Licence:
    """A firm applies for a licence over some of its facilities, with supporting PDFs.

    The PDFs are written as the rows are; if the application fails, they are removed again.
    """
    from registry.models import LicenceCoverage
    from registry.services.documents import DocumentFiles

    if firm.verification != firm.Verification.VERIFIED:
        raise RegistryError(_("Your firm is waiting for verification by the regulator."))
    if not facilities:
        raise RegistryError(_("Choose the facilities the licence is for."))
    if any(facility.firm_id != firm.pk for facility in facilities):
        raise RegistryError(_("A licence covers only your own facilities."))
    with DocumentFiles() as files, transaction.atomic():
        licence = Licence.objects.create(firm=firm, capacity_mw=capacity_mw, subtype=subtype, status=S.APPLIED)
        LicenceCoverage.objects.bulk_create(LicenceCoverage(licence=licence, facility=f) for f in facilities)
        for upload in documents:
            files.add(licence=licence, upload=upload, user=user)
    return licence


def coverage_conflict(*, licence: Licence, facility) -> Licence | None:
    """Another active or suspended licence holding the facility over dates that overlap this licence's, if any."""
    from registry.models.licences import HOLDING_STATUSES

    if licence.status not in HOLDING_STATUSES or licence.valid_from is None or licence.valid_until is None:
        return None
    return (
        Licence.objects.filter(
            facilities=facility,
            status__in=HOLDING_STATUSES,
            valid_from__lte=licence.valid_until,
            valid_until__gte=licence.valid_from,
        )
        .exclude(pk=licence.pk)
        .first()
    )


def licence_start_review(*, licence: Licence) -> Licence:
    return _move(licence, allowed_from=(S.APPLIED,), to=S.UNDER_REVIEW)


def licence_number_next(*, year: int) -> str:
    """The next free number KZ-DM-YYYY-NNNNNN of a year (call inside a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NUMBER_LOCK])
        cursor.execute(
            "SELECT coalesce(max(substr(number, 12)::int), 0) FROM registry_licence WHERE number ~ %s",
            [rf"^KZ-DM-{year}-[0-9]{{6}}$"],
        )
        return f"KZ-DM-{year}-{cursor.fetchone()[0] + 1:06d}"


@transaction.atomic
def licence_grant(*, licence: Licence, valid_from: dt.date | None = None) -> Licence:
    """Grant an application: a number, three years of validity, and the facilities held against other licences."""
    valid_from = valid_from or clock.today()
    valid_until = clock.add_years(valid_from, LICENCE_TERM_YEARS) - dt.timedelta(days=1)
    try:
        with transaction.atomic():
            return _move(
                licence,
                allowed_from=(S.APPLIED, S.UNDER_REVIEW),
                to=S.ACTIVE,
                number=licence_number_next(year=valid_from.year),
                valid_from=valid_from,
                valid_until=valid_until,
                status_reason="",
            )
    except IntegrityError as error:
        if "licence_coverage_no_overlap" in str(error):
            raise RegistryError(
                _(
                    "A facility of this application is already covered by another active or suspended licence "
                    "over these dates; end that licence first."
                )
            ) from None
        raise


def licence_reject(*, licence: Licence, reason: str) -> Licence:
    return _move(licence, allowed_from=(S.APPLIED, S.UNDER_REVIEW), to=S.REJECTED, status_reason=_required(reason))


@transaction.atomic
def licence_suspend(*, licence: Licence, months: int, reason: str, user=None) -> Licence:
    """Suspend an active licence for 1–6 months; it is reinstated when the term ends."""
    if not 1 <= months <= 6:
        raise RegistryError(_("A suspension lasts from 1 to 6 months."))
    until = clock.add_months(clock.today(), months)
    licence = _move(
        licence, allowed_from=(S.ACTIVE,), to=S.SUSPENDED, status_reason=_required(reason), suspended_until=until
    )
    _record(licence, EnforcementAction.Action.LICENCE_SUSPENDED, reason)
    return licence


def licence_reinstate(*, licence: Licence) -> Licence:
    return _move(licence, allowed_from=(S.SUSPENDED,), to=S.ACTIVE, suspended_until=None, status_reason="")


@transaction.atomic
def licence_revoke(*, licence: Licence, reason: str) -> Licence:
    licence = _move(licence, allowed_from=(S.ACTIVE, S.SUSPENDED), to=S.REVOKED, status_reason=_required(reason))
    _record(licence, EnforcementAction.Action.LICENCE_REVOKED, reason)
    return licence


def licence_surrender(*, licence: Licence, reason: str = "") -> Licence:
    return _move(
        licence,
        allowed_from=(S.ACTIVE, S.SUSPENDED),
        to=S.SURRENDERED,
        status_reason=(reason or "").strip() or "Surrendered by the holder",
    )


@transaction.atomic
def licences_expire(*, today: dt.date | None = None) -> int:
    """Mark active and suspended licences past their last valid day as expired; return how many."""
    today = today or clock.today()
    return Licence.objects.filter(status__in=[S.ACTIVE, S.SUSPENDED], valid_until__lt=today).update(
        status=S.EXPIRED, status_reason="Validity ended", updated_at=timezone.now()
    )


@transaction.atomic
def licences_reinstate_due(*, today: dt.date | None = None) -> int:
    """Reinstate suspended licences whose suspension has ended (and that are still valid); return how many."""
    today = today or clock.today()
    return Licence.objects.filter(status=S.SUSPENDED, suspended_until__lte=today, valid_until__gte=today).update(
        status=S.ACTIVE, suspended_until=None, status_reason="Suspension ended", updated_at=timezone.now()
    )


def _record(licence: Licence, action: str, reason: str) -> None:
    facility = licence.facilities.order_by("ref").first()
    EnforcementAction.objects.create(
        action=action,
        firm=licence.firm,
        licence=licence,
        facility=facility,
        region=facility.region if facility else licence.firm.region,
        date=clock.today(),
        notes=reason,
    )
