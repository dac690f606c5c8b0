"""Filing and correcting monthly power declarations."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from registry.models import Facility, PowerDeclaration

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
