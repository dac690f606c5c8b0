"""Filing and correcting monthly power declarations."""

import datetime as dt
from decimal import Decimal

import psycopg
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from registry import clock
from registry.errors import InvalidInput, InvalidTransition, RegistryError
from registry.models import Facility, PowerDeclaration
from registry.services.mail import email_send_once, firm_user_emails
from registry.services.outbox import task_enqueue

RECEIPT_TASK = "registry.tasks.send_declaration_receipt"

PEAK_CAPACITY_FACTOR = 2


def declaration_problems(
    *, facility: Facility, month: dt.date, consumed_mwh: Decimal, peak_mw: Decimal | None, today: dt.date | None = None
) -> dict[str, str]:
    """What is wrong with a declaration, field by field (empty when it may be filed)."""
    today = today or clock.today()
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


def declaration_on_file_problem(
    *, facility: Facility, month: dt.date, on_file: PowerDeclaration | None, corrects: PowerDeclaration | None
) -> str:
    """Why a filing for the month collides with the declaration on file for it (empty when it does not).

    A new filing may not replace the declaration on file (the firm corrects that
    one instead), and a correction must correct the one still on file: another
    session may have corrected it since.
    """
    if corrects is None and on_file is not None:
        return _("%(month)s is already declared for %(facility)s: correct that declaration instead.") % {
            "month": f"{month:%Y-%m}",
            "facility": facility.ref,
        }
    if corrects is not None and (on_file is None or on_file.pk != corrects.pk):
        return _filed_meanwhile(facility, month)
    return ""


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
    return _file(
        current=_current_locked(facility, month), facility=facility, month=month, values=values, filed_by=filed_by
    )


def _current_locked(facility: Facility, month: dt.date) -> PowerDeclaration | None:
    """The month's current declaration, locked until the transaction ends (a concurrent correction waits)."""
    return PowerDeclaration.objects.select_for_update().filter(facility=facility, month=month, is_current=True).first()


def _file(
    *, current: PowerDeclaration | None, facility: Facility, month: dt.date, values: dict, filed_by
) -> tuple[PowerDeclaration, bool]:
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
    *,
    facility: Facility,
    month: dt.date,
    consumed_mwh: Decimal,
    peak_mw: Decimal | None,
    devices: int | None,
    power_source: str,
    user,
    corrects: PowerDeclaration | None = None,
) -> tuple[PowerDeclaration, bool]:
    """A firm files a month's declaration in the portal, or corrects the current one.

    Refused for a firm still pending verification, for a month already filed
    (unless this is its correction), for values declaration_problems finds, and
    when another session filed or corrected the month in the meantime. A
    change sends the firm a receipt (through the task outbox, after commit).
    """
    if facility.firm.verification != facility.firm.Verification.VERIFIED:
        raise RegistryError(_("Your firm is waiting for verification by the regulator."))
    problems = declaration_problems(facility=facility, month=month, consumed_mwh=consumed_mwh, peak_mw=peak_mw)
    if problems:
        raise InvalidInput(problems)
    # Decide on the locked row, not on an earlier read: another session may have filed since.
    current = _current_locked(facility, month)
    if problem := declaration_on_file_problem(facility=facility, month=month, on_file=current, corrects=corrects):
        raise InvalidInput({"month": problem})
    values = {"consumed_mwh": consumed_mwh, "peak_mw": peak_mw, "devices": devices, "power_source": power_source}
    try:
        with transaction.atomic():
            declaration, changed = _file(current=current, facility=facility, month=month, values=values, filed_by=user)
    except IntegrityError as error:
        if not isinstance(error.__cause__, psycopg.errors.UniqueViolation):
            raise
        # Two first filings at once: the unique constraint lets one in, and this one came second.
        raise InvalidInput({"month": _filed_meanwhile(facility, month)}) from None
    if changed and current is not None and current.review == PowerDeclaration.Review.RETURNED:
        # A correction is the firm's answer to the regulator's question on the declaration it replaces.
        PowerDeclaration.objects.filter(pk=current.pk).update(
            review=PowerDeclaration.Review.ANSWERED,
            answer=_("Answered with a correction filed on %(date)s.") % {"date": clock.today().isoformat()},
        )
    if changed:
        task_enqueue(RECEIPT_TASK, declaration.pk, language=translation.get_language() or "")
    return declaration, changed


def _filed_meanwhile(facility: Facility, month: dt.date) -> str:
    return _(
        "%(month)s for %(facility)s was filed from another session a moment ago, so yours was not saved. "
        "Look at the declaration now on file and correct it if your figures differ."
    ) % {"month": f"{month:%Y-%m}", "facility": facility.ref}


def declaration_receipt_send(*, declaration: PowerDeclaration, language: str = "") -> bool:
    """Email the firm's users and contact address what it declared; once per declaration.

    Written in the language the declaration was filed in (the site's default
    if that is not one of the site's languages). Returns whether it was sent now.
    """
    firm = declaration.facility.firm
    emails = firm_user_emails([firm.pk]).get(firm.pk, [])
    if firm.email:
        emails.append(firm.email)
    unique: dict[str, str] = {}
    for email in emails:
        unique.setdefault(email.lower(), email)  # the firm's address is often also a user's
    recipients = list(unique.values())
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "declaration": declaration,
            "facility": declaration.facility,
            "firm": firm,
            "month": f"{declaration.month:%Y-%m}",
        }
        subject = " ".join(render_to_string("portal/email/declaration_receipt_subject.txt", context).split())
        body = render_to_string("portal/email/declaration_receipt.txt", context)
    return email_send_once("declaration_receipt", str(declaration.pk), recipients, subject, body)
