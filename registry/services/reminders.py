"""Reminder emails to firm users: declarations due, licences about to expire. Each is sent once."""

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from registry import clock
from registry.models import Facility, Licence
from registry.selectors.declarations import declarations_missing
from registry.services.mail import email_send_once, firm_user_emails

DECLARATION_REMINDER_FROM_DAY = 10
LICENCE_NOTICE_DAYS = (60, 30)


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Send every reminder that is due and not yet sent; return how many of each kind went out."""
    today = today or clock.today()
    return {
        "declarations_due": _declarations_due(today),
        "licences_expiring": _licences_expiring(today),
    }


def _declarations_due(today: dt.date) -> int:
    """Remind each firm, from the 10th to the 15th, of last month's declarations it owes and has not filed."""
    if not DECLARATION_REMINDER_FROM_DAY <= today.day <= clock.DECLARATION_DEADLINE_DAY:
        return 0
    month = clock.declaration_month_due(today)
    pending: dict[int, list[Facility]] = {}
    for facility, _month in declarations_missing(months=[month], on=today):
        pending.setdefault(facility.firm_id, []).append(facility)
    sent = 0
    recipients = firm_user_emails(pending)
    last_day = clock.declaration_last_day(month).isoformat()
    with translation.override(settings.LANGUAGE_CODE):
        for firm_id, items in pending.items():
            refs = ", ".join(sorted(f.ref for f in items))
            subject = _("Power declaration for %(month)s is due by the 15th") % {"month": f"{month:%Y-%m}"}
            body = _(
                "Dear firm user,\n\nthe monthly power declaration for %(month)s has not yet been filed for: %(refs)s.\n"
                "Please file it in the minereg portal by %(deadline)s.\n"
            ) % {"month": f"{month:%Y-%m}", "refs": refs, "deadline": last_day}
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
