"""Small builders for the detection tests: meters, facilities, licences and hourly readings.

Readings go in with one bulk_create per call, so a test can write a few
thousand hours without slowing the suite. Every instant is UTC.
"""

import datetime as dt
from decimal import Decimal

from registry.models import (
    DetectionRun,
    Facility,
    Firm,
    GridConnection,
    Licence,
    MeterReading,
    PowerDeclaration,
)
from registry.services.detection import detection_run, detection_run_create
from registry.validators import bin_check_digit

HOUR = dt.timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    """An instant on the hour, UTC."""
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def bin_from(first_eleven: str) -> str:
    """A valid BIN: the eleven digits given and their check digit."""
    check = bin_check_digit(first_eleven)
    assert check is not None, f"{first_eleven} has no check digit"
    return f"{first_eleven}{check}"


def firm(first_eleven: str, name: str, **fields) -> Firm:
    return Firm.objects.create(bin=bin_from(first_eleven), name=name, region=fields.pop("region", "pavlodar"), **fields)


def meter(meter_id: str, *, tariff: str = "industrial") -> GridConnection:
    return GridConnection.objects.create(meter_id=meter_id, operator="Pavlodar REC", region="pavlodar", tariff=tariff)


def facility(ref: str, owner: Firm, *meters: GridConnection, capacity_mw: str = "10") -> Facility:
    site = Facility.objects.create(
        ref=ref, firm=owner, name=f"Site {ref}", region="pavlodar", capacity_mw=Decimal(capacity_mw)
    )
    site.connections.add(*meters)
    return site


def licence(
    number: str,
    owner: Firm,
    *sites: Facility,
    capacity_mw: str = "10",
    status: str = "active",
    valid_from: dt.date = dt.date(2024, 1, 1),
    valid_until: dt.date = dt.date(2026, 12, 31),
) -> Licence:
    dated = status not in ("applied", "under_review", "rejected")
    granted = Licence.objects.create(
        number=number if dated else None,
        firm=owner,
        capacity_mw=Decimal(capacity_mw),
        status=status,
        valid_from=valid_from if dated else None,
        valid_until=valid_until if dated else None,
    )
    granted.facilities.add(*sites)
    return granted


def declaration(site: Facility, month: dt.date, consumed_mwh: str) -> PowerDeclaration:
    return PowerDeclaration.objects.create(facility=site, month=month, consumed_mwh=Decimal(consumed_mwh))


def readings(connection: GridConnection, values: dict[dt.datetime, str | int]) -> None:
    """Write the given hours' kWh for one connection."""
    MeterReading.objects.bulk_create(
        MeterReading(connection=connection, period_start=hour, kwh=Decimal(str(kwh))) for hour, kwh in values.items()
    )


def flat(connection: GridConnection, *, start: dt.datetime, hours: int, kwh: str | int) -> None:
    """Write the same kWh for `hours` consecutive hours from `start`."""
    readings(connection, {start + i * HOUR: kwh for i in range(hours)})


def detect(as_of: dt.datetime, window_days: int) -> DetectionRun:
    """Create and execute a run, as the command and the Celery task do."""
    return detection_run(run=detection_run_create(as_of=as_of, window_days=window_days, trigger="test"))
