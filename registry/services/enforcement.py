"""Recording what inspections found and what the regulator did about it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.models import Facility, Firm, Flag, GridConnection, Inspection
from registry.validators import bin_is_valid


def operator_firm(
    *, facility: Facility | None, connection: GridConnection | None, operator_bin: str = "", operator_name: str = ""
) -> Firm | None:
    """The firm behind a site; an operator the registry does not know is registered as unregistered.

    A facility belongs to its firm. A bare connection's operator is found by
    the BIN given (or the connection's consumer BIN) and created, with origin
    `unregistered`, if the registry has no such firm.
    """
    if facility is not None:
        return facility.firm
    if connection is None:
        return None
    bin_number = operator_bin_for(connection=connection, operator_bin=operator_bin)
    name = (operator_name or connection.consumer_name or "").strip() or _("Unregistered operator %(bin)s") % {
        "bin": bin_number
    }
    firm, _created = Firm.objects.get_or_create(
        bin=bin_number, defaults={"name": name, "region": connection.region, "origin": Firm.Origin.UNREGISTERED}
    )
    return firm


def operator_bin_for(*, connection: GridConnection, operator_bin: str = "") -> str:
    """The BIN an unregistered operator is recorded under: the one given, else the connection's consumer BIN."""
    bin_number = (operator_bin or connection.consumer_bin or "").strip()
    if not bin_is_valid(bin_number):
        raise RegistryError(_("Give the operator's BIN (12 digits with a valid check digit): the connection has none."))
    return bin_number


def _open_flag_of_site(inspection: Inspection) -> Flag | None:
    """The newest undecided unlicensed-type flag of the inspected site: the visit settles it."""
    site = {"facility": inspection.facility} if inspection.facility_id else {"connection": inspection.connection}
    return (
        Flag.objects.filter(**site, rule__in=Flag.UNLICENSED_RULES, status__in=Flag.OPEN_STATUSES)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def inspection_recorded(*, inspection: Inspection, operator_bin: str = "", operator_name: str = "") -> Inspection:
    """Carry an inspection's outcome to its operator and its flag.

    An illegal operation names its operator (registering an unknown one as
    unregistered) and confirms the flag; a compliant visit dismisses it; a
    scheduled visit (no outcome yet) puts the flag under inspection. The
    site's legal status follows from the outcome itself.
    """
    if inspection.outcome == Inspection.Outcome.ILLEGAL_OPERATION and inspection.firm_id is None:
        inspection.firm = operator_firm(
            facility=inspection.facility,
            connection=inspection.connection,
            operator_bin=operator_bin,
            operator_name=operator_name,
        )
        Inspection.objects.filter(pk=inspection.pk).update(firm=inspection.firm)
    flag = inspection.flag or _open_flag_of_site(inspection)
    if flag is None:
        return inspection
    if inspection.flag_id is None:
        Inspection.objects.filter(pk=inspection.pk).update(flag=flag)
        inspection.flag = flag
    if inspection.outcome == Inspection.Outcome.ILLEGAL_OPERATION:
        changes = {
            "status": Flag.Status.CONFIRMED,
            "decided_at": timezone.now(),
            "decision_reason": f"Inspection of {inspection.date}: illegal operation",
        }
    elif inspection.outcome == Inspection.Outcome.COMPLIANT:
        changes = {
            "status": Flag.Status.DISMISSED,
            "decided_at": timezone.now(),
            "decision_reason": f"Inspection of {inspection.date}: compliant",
        }
    elif inspection.outcome == "":
        changes = {"status": Flag.Status.UNDER_INSPECTION}
    else:
        changes = {}
    Flag.objects.filter(pk=flag.pk, status__in=Flag.OPEN_STATUSES).update(
        firm=flag.firm or inspection.firm, updated_at=timezone.now(), **changes
    )
    return inspection
