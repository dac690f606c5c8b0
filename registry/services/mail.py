"""Email to firm users, sent at most once per (kind, key): reminders and filing receipts both use it."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction

from registry.models import FirmMembership, ReminderLog


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
