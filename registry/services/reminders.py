"""Reminder emails to firm users: declarations due, licences about to expire. Each is sent once."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.models import Facility, FirmMembership, Licence, PowerDeclaration, ReminderLog

DECLARATION_REMINDER_FROM_DAY = 10
DECLARATION_DEADLINE_DAY = 15
LICENCE_NOTICE_DAYS = (60, 30)


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Send every reminder that is due and not yet sent; return how many of each kind went out."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    return {
        "declarations_due": _declarations_due(today),
        "licences_expiring": _licences_expiring(today),
    }


def firm_user_emails(firm_ids) -> dict[int, list[str]]:
    """Each firm's active users' emails, in one query."""
    emails: dict[int, list[str]] = {}
    rows = (
        FirmMembership.objects.filter(firm_id__in=set(firm_ids), user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("firm_id", "user__email")
    )
    for firm_id, email in rows:
        emails.setdefault(firm_id, []).append(email)
    return emails


def email_send_once(kind: str, key: str, recipients: list[str], subject: str, body: str) -> bool:
    """Record the email and send it; one already recorded under (kind, key) is not sent again."""
    if not recipients:
        return False
    try:
        with transaction.atomic():
            ReminderLog.objects.create(kind=kind, key=key, recipients=recipients)
            send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients])
    except IntegrityError:
        return False
    return True


def _declarations_due(today: dt.date) -> int:
    if not DECLARATION_REMINDER_FROM_DAY <= today.day <= DECLARATION_DEADLINE_DAY:
        return 0
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    facilities = (
        Facility.objects.filter(
            licences__status=Licence.Status.ACTIVE,
            licences__valid_from__lte=month,
            licences__valid_until__gte=today,
        )
        .exclude(pk__in=PowerDeclaration.objects.filter(month=month).values("facility_id"))
        .distinct()
        .select_related("firm")
    )
    pending: dict[int, list[Facility]] = {}
    for facility in facilities:
        pending.setdefault(facility.firm_id, []).append(facility)
    sent = 0
    recipients = firm_user_emails(pending)
    with translation.override(settings.LANGUAGE_CODE):
        for firm_id, items in pending.items():
            refs = ", ".join(sorted(f.ref for f in items))
            subject = _("Power declaration for %(month)s is due by the 15th") % {"month": f"{month:%Y-%m}"}
            body = _(
                "Dear firm user,\n\nthe monthly power declaration for %(month)s has not yet been filed for: %(refs)s.\n"
                "Please file it in the minereg portal by %(deadline)s.\n"
            ) % {
                "month": f"{month:%Y-%m}",
                "refs": refs,
                "deadline": today.replace(day=DECLARATION_DEADLINE_DAY).isoformat(),
            }
            sent += email_send_once(
                "declaration_due", f"{firm_id}:{month:%Y-%m}", recipients.get(firm_id, []), subject, body
            )
    return sent


def _licences_expiring(today: dt.date) -> int:
    sent = 0
    horizon = today + dt.timedelta(days=max(LICENCE_NOTICE_DAYS))
    licences = Licence.objects.filter(
        status=Licence.Status.ACTIVE, valid_until__gte=today, valid_until__lte=horizon
    ).select_related("firm")
    recipients = firm_user_emails(licence.firm_id for licence in licences)
    with translation.override(settings.LANGUAGE_CODE):
        for licence in licences:
            days_left = (licence.valid_until - today).days
            notice = min(days for days in LICENCE_NOTICE_DAYS if days_left <= days)
            subject = _("Licence %(number)s expires on %(date)s") % {
                "number": licence.number,
                "date": licence.valid_until.isoformat(),
            }
            body = _(
                "Dear firm user,\n\nlicence %(number)s expires in %(days)d days, on %(date)s.\n"
                "Apply for a new licence in the minereg portal in good time to keep mining lawfully.\n"
            ) % {"number": licence.number, "days": days_left, "date": licence.valid_until.isoformat()}
            sent += email_send_once(
                f"licence_expiry_{notice}", licence.number, recipients.get(licence.firm_id, []), subject, body
            )
    return sent
