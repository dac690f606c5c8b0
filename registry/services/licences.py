"""Licence lifecycle steps that run by the calendar."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from registry.models import Licence


@transaction.atomic
def licences_expire(*, today: dt.date | None = None) -> int:
    """Mark active and suspended licences past their last valid day as expired; return how many."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    return Licence.objects.filter(
        status__in=[Licence.Status.ACTIVE, Licence.Status.SUSPENDED], valid_until__lt=today
    ).update(status=Licence.Status.EXPIRED, status_reason="Validity ended", updated_at=timezone.now())
