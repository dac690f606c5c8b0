"""Short positional builders for the detection tests: meters, facilities, licences and hourly readings.

The rows come from tests/factories.py; these only read better where a test lays out many of them.
Readings go in with one bulk_create per call, so a test can write a few
thousand hours without slowing the suite. Every instant is UTC.
"""

import datetime as dt
from decimal import Decimal

from registry.models import DetectionRun, Facility, Firm, GridConnection, Licence, MeterReading, PowerDeclaration
from registry.services.detection import detection_run, detection_run_create
from tests.factories import (
    FacilityFactory,
    FirmFactory,
    GridConnectionFactory,
    LicenceFactory,
    PowerDeclarationFactory,
    bin_from,
)

HOUR = dt.timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    """An instant on the hour, UTC."""
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def firm(first_eleven: str, name: str, **fields) -> Firm:
    return FirmFactory(bin=bin_from(first_eleven), name=name, **fields)


def meter(meter_id: str, *, tariff: str = "industrial") -> GridConnection:
    """A Pavlodar REC meter in Pavlodar."""
    return GridConnectionFactory(meter_id=meter_id, tariff=tariff)


def facility(ref: str, owner: Firm, *meters: GridConnection, capacity_mw: str = "10") -> Facility:
    """A site in Pavlodar (whatever the owner's region) on the meters given."""
    return FacilityFactory(ref=ref, firm=owner, region="pavlodar", capacity_mw=Decimal(capacity_mw), connections=meters)


def licence(
    number: str,
    owner: Firm,
    *sites: Facility,
    capacity_mw: str = "10",
    status: str = "active",
    valid_from: dt.date = dt.date(2024, 1, 1),
    valid_until: dt.date = dt.date(2026, 12, 31),
) -> Licence:
    """A licence over the sites; an application (applied, under review, rejected) keeps no number and no dates."""
    dated = status not in Licence.UNDATED_STATUSES
    return LicenceFactory(
        number=number if dated else None,
        firm=owner,
        capacity_mw=Decimal(capacity_mw),
        status=status,
        valid_from=valid_from if dated else None,
        valid_until=valid_until if dated else None,
        facilities=sites,
    )


def declaration(site: Facility, month: dt.date, consumed_mwh: str) -> PowerDeclaration:
    return PowerDeclarationFactory(facility=site, month=month, consumed_mwh=Decimal(consumed_mwh))


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
