"""A regulator's decisions on flags: assign, schedule an inspection, confirm, dismiss.

Each is a conditional update from the statuses it may start from, so a
decision made meanwhile by someone else is never overwritten; every change is
in the audit trail (status, assignee, reason, time) with the user who made it.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import InvalidTransition, RegistryError
from registry.models import Flag, Inspection
from registry.roles import INSPECTORS
from registry.services.enforcement import operator_firm

F = Flag.Status
UNDECIDED = (F.OPEN, F.UNDER_INSPECTION)
# The statuses each decision starts from; from any other it is refused (and the flag page does not offer it).
DECIDABLE_FROM = {
    "assign": UNDECIDED,
    "schedule_inspection": (F.OPEN,),
    "confirm": UNDECIDED,
    "dismiss": UNDECIDED,
    # A dismissal after a visit found the site compliant: for the suspicions a visit settles.
    "dismiss_compliant": UNDECIDED,
}


def flag_decidable(*, flag: Flag, decision: str) -> bool:
    """Tell whether the flag still allows the decision (`assign`, `schedule_inspection`, …)."""
    if decision == "dismiss_compliant" and flag.rule not in Flag.UNLICENSED_RULES:
        return False
    return flag.status in DECIDABLE_FROM[decision]


def _decide(flag: Flag, *, allowed_from, **changes) -> Flag:
    """Apply a decision only if the flag is still in an allowed status; refuse otherwise."""
    if not Flag.objects.filter(pk=flag.pk, status__in=allowed_from).update(updated_at=timezone.now(), **changes):
        raise InvalidTransition(_("This flag was decided meanwhile (%(status)s).") % {"status": _status(flag)})
    flag.refresh_from_db()
    return flag


def flag_assign(*, flag: Flag, inspector) -> Flag:
    """Assign an undecided flag to an inspector."""
    if not inspector.groups.filter(name=INSPECTORS).exists():
        raise RegistryError(_("%(user)s is not an inspector.") % {"user": inspector})
    return _decide(flag, allowed_from=DECIDABLE_FROM["assign"], assigned_to=inspector)


def flag_dismiss(*, flag: Flag, reason: str) -> Flag:
    """Dismiss an undecided flag with a reason (it silences its rule and subject for a while)."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError(_("Give the reason for dismissing."))
    return _decide(
        flag,
        allowed_from=DECIDABLE_FROM["dismiss"],
        status=F.DISMISSED,
        decision_reason=reason,
        decided_at=timezone.now(),
    )


@transaction.atomic
def flag_confirm(*, flag: Flag, reason: str, operator_bin: str = "", operator_name: str = "") -> Flag:
    """Confirm an illegal operation: its site becomes `illegal`.

    A confirmed operation on a connection that no firm in the registry stands
    behind gets an unregistered firm, from the operator's BIN and name (given
    here, or the connection's consumer BIN and name).
    """
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError(_("Give the reason for confirming."))
    firm = (
        flag.firm
        or (flag.licence.firm if flag.licence_id else None)
        or operator_firm(
            facility=flag.facility, connection=flag.connection, operator_bin=operator_bin, operator_name=operator_name
        )
    )
    return _decide(
        flag,
        allowed_from=DECIDABLE_FROM["confirm"],
        status=F.CONFIRMED,
        decision_reason=reason,
        decided_at=timezone.now(),
        firm=firm,
    )


@transaction.atomic
def flag_schedule_inspection(*, flag: Flag, date: dt.date, inspectors) -> Inspection:
    """Plan a visit to the flag's site; the flag is then under inspection."""
    _decide(flag, allowed_from=DECIDABLE_FROM["schedule_inspection"], status=F.UNDER_INSPECTION)
    inspection = Inspection.objects.create(
        flag=flag,
        facility=flag.facility,
        connection=flag.connection if not flag.facility_id else None,
        firm=flag.firm,
        date=date,
    )
    inspection.inspectors.set(inspectors)
    return inspection


def _status(flag: Flag) -> str:
    current = Flag.objects.filter(pk=flag.pk).values_list("status", flat=True).first()
    return F(current).label if current else "?"
