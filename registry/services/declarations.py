"""Filing and correcting monthly power declarations."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import InvalidTransition, RegistryError
from registry.models import Facility, PowerDeclaration

PEAK_CAPACITY_FACTOR = 2


def declaration_problems(
    *, facility: Facility, month: dt.date, consumed_mwh: Decimal, peak_mw: Decimal | None, today: dt.date | None = None
) -> dict[str, str]:
    """What is wrong with a declaration, field by field (empty when it may be filed)."""
    today = today or timezone.localdate()
    problems = {}
    if month >= today.replace(day=1):
        problems["month"] = _("%(month)s has not ended yet: a month is declared once it is over.") % {
            "month": f"{month:%Y-%m}"
        }
    if consumed_mwh is not None and consumed_mwh < 0:
        problems["consumed_mwh"] = _("Energy cannot be negative.")
    if peak_mw is not None and peak_mw < 0:
        problems["peak_mw"] = _("Peak load cannot be negative.")
    elif peak_mw is not None and peak_mw > facility.capacity_mw * PEAK_CAPACITY_FACTOR:
        problems["peak_mw"] = _(
            "%(peak)s MW is more than twice the facility's installed capacity (%(capacity)s MW): check the unit."
        ) % {"peak": peak_mw, "capacity": facility.capacity_mw}
    return problems

DECLARED_FIELDS = ("consumed_mwh", "peak_mw", "devices", "power_source")


@transaction.atomic
def declaration_file(
    *,
    facility: Facility,
    month: dt.date,
    consumed_mwh: Decimal,
    peak_mw: Decimal | None = None,
    devices: int | None = None,
    power_source: str = PowerDeclaration.PowerSource.GRID_EXCHANGE,
    filed_by=None,
) -> tuple[PowerDeclaration, bool]:
    """File a declaration for a facility and month, or correct the current one.

    Returns the current declaration and whether anything changed. Filing the
    same values again changes nothing; other values supersede the current
    declaration, which is kept as history.
    """
    values = {"consumed_mwh": consumed_mwh, "peak_mw": peak_mw, "devices": devices, "power_source": power_source}
    current = (
        PowerDeclaration.objects.select_for_update()
        .filter(facility=facility, month=month, is_current=True)
        .first()
    )
    if current is not None:
        if all(_same(getattr(current, name), values[name]) for name in DECLARED_FIELDS):
            return current, False
        PowerDeclaration.objects.filter(pk=current.pk).update(is_current=False)
    declaration = PowerDeclaration.objects.create(
        facility=facility, month=month, supersedes=current, filed_by=filed_by, **values
    )
    return declaration, True


def _same(old, new) -> bool:
    if isinstance(old, Decimal) and new is not None:
        return old == Decimal(new)
    return old == new


def declaration_return(*, declaration: PowerDeclaration, question: str) -> PowerDeclaration:
    """A regulator returns a current declaration to its firm with a question."""
    question = (question or "").strip()
    if not question:
        raise RegistryError(_("Write the question for the firm."))
    if not PowerDeclaration.objects.filter(pk=declaration.pk, is_current=True).update(
        review=PowerDeclaration.Review.RETURNED, question=question, answer=""
    ):
        raise InvalidTransition(_("Only the current declaration of a month can be returned."))
    declaration.refresh_from_db()
    return declaration


def declaration_answer(*, declaration: PowerDeclaration, answer: str) -> PowerDeclaration:
    """The firm answers the regulator's question on a returned declaration."""
    answer = (answer or "").strip()
    if not answer:
        raise RegistryError(_("Write your answer."))
    if not PowerDeclaration.objects.filter(pk=declaration.pk, review=PowerDeclaration.Review.RETURNED).update(
        review=PowerDeclaration.Review.ANSWERED, answer=answer
    ):
        raise InvalidTransition(_("This declaration has no open question."))
    declaration.refresh_from_db()
    return declaration


@transaction.atomic
def declaration_submit(
    *, facility: Facility, month: dt.date, consumed_mwh: Decimal, peak_mw: Decimal | None, devices: int | None,
    power_source: str, user, corrects: PowerDeclaration | None = None,
) -> tuple[PowerDeclaration, bool]:
    """A firm files a month's declaration in the portal, or corrects the current one.

    Refused for a firm still pending verification, for a month already filed
    (unless this is its correction), and for values declaration_problems finds.
    """
    if facility.firm.verification != facility.firm.Verification.VERIFIED:
        raise RegistryError(_("Your firm is waiting for verification by the regulator."))
    problems = declaration_problems(facility=facility, month=month, consumed_mwh=consumed_mwh, peak_mw=peak_mw)
    if problems:
        raise RegistryError(" ".join(problems.values()))
    current = PowerDeclaration.objects.filter(facility=facility, month=month, is_current=True).first()
    if current is not None and (corrects is None or corrects.pk != current.pk):
        raise RegistryError(_("%(month)s is already declared for %(facility)s: correct that declaration instead.")
                            % {"month": f"{month:%Y-%m}", "facility": facility.ref})
    declaration, changed = declaration_file(
        facility=facility, month=month, consumed_mwh=consumed_mwh, peak_mw=peak_mw, devices=devices,
        power_source=power_source, filed_by=user,
    )
    if changed and current is not None and current.review == PowerDeclaration.Review.RETURNED:
        # A correction is the firm's answer to the regulator's question on the declaration it replaces.
        PowerDeclaration.objects.filter(pk=current.pk).update(
            review=PowerDeclaration.Review.ANSWERED,
            answer=_("Answered with a correction filed on %(date)s.") % {"date": timezone.localdate().isoformat()},
        )
    return declaration, changed
