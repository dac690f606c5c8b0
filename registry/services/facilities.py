"""Facilities a firm registers, with the grid meters that feed them."""

from decimal import Decimal

from django.db import transaction

from registry.models import Facility, FacilityConnection, Firm, GridConnection


def facility_ref_next(*, firm: Firm) -> str:
    """A new facility reference for a firm: F-<BIN>-<n>."""
    taken = Facility.objects.filter(ref__startswith=f"F-{firm.bin}-").count()
    return f"F-{firm.bin}-{taken + 1}"


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
