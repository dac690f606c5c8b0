"""Facilities a firm registers, with the grid meters that feed them."""

from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.models import Facility, FacilityConnection, Firm, GridConnection


def facility_ref_next(*, firm: Firm) -> str:
    """A new facility reference for a firm, F-<BIN>-<n>: never one given before (call inside a transaction).

    n is one more than the firm's last number (FacilityNumbering), and than any F-<BIN>-<n> in the registry
    (an import may have brought some). The firm's numbering row stays locked until the transaction ends, so
    two facilities added at once get consecutive numbers, and a deleted facility's reference is not given
    again: flags and exports name facilities by reference.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO registry_facilitynumbering AS numbering (firm_id, last_number)
            SELECT %(firm)s, coalesce(max(substr(ref, %(digits_from)s)::int), 0) + 1
              FROM registry_facility WHERE ref ~ %(pattern)s
            ON CONFLICT (firm_id) DO UPDATE
               SET last_number = greatest(numbering.last_number + 1, EXCLUDED.last_number)
            RETURNING last_number
            """,
            {
                "firm": firm.pk,
                "digits_from": len(f"F-{firm.bin}-") + 1,
                "pattern": rf"^F-{firm.bin}-[0-9]{{1,9}}$",
            },
        )
        (number,) = cursor.fetchone()
    return f"F-{firm.bin}-{number}"


@transaction.atomic
def facility_save(
    *,
    firm: Firm,
    name: str,
    region: str,
    address: str,
    latitude,
    longitude,
    capacity_mw: Decimal,
    devices: int | None,
    meter_ids: list[str],
    facility: Facility | None = None,
) -> Facility:
    """Register or change a facility.

    A meter stays linked once linked; a new one is linked at once only when
    the grid company has it under this firm's BIN. Any other meter id
    (unknown, or registered to someone else) is kept for a regulator to
    verify, so no firm can cover another's meter.
    """
    if not firm.bin:  # a signed-up firm's BIN is only claimed until a regulator verifies it
        raise RegistryError(_("Your firm is waiting for verification by the regulator."))
    already = (
        dict(facility.connections.filter(meter_id__in=meter_ids).values_list("meter_id", "id")) if facility else {}
    )
    known = already | dict(
        GridConnection.objects.filter(meter_id__in=meter_ids, consumer_bin=firm.bin).values_list("meter_id", "id")
    )
    facility = facility or Facility(firm=firm, ref=facility_ref_next(firm=firm))
    facility.name, facility.region, facility.address = name, region, address
    facility.latitude, facility.longitude = latitude, longitude
    facility.capacity_mw, facility.devices = capacity_mw, devices
    facility.unverified_meter_ids = [meter for meter in meter_ids if meter not in known]
    facility.save()
    current = set(FacilityConnection.objects.filter(facility=facility).values_list("connection_id", flat=True))
    wanted = set(known.values())
    FacilityConnection.objects.filter(facility=facility, connection_id__in=current - wanted).delete()
    FacilityConnection.objects.bulk_create(
        FacilityConnection(facility=facility, connection_id=pk) for pk in sorted(wanted - current)
    )
    return facility
