"""A small public world: licences in every status, operators on (and off) the warning list, and private data to leak.

Dates are relative to today (the register always answers for today), far
enough from its edges that a run over midnight changes nothing.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from registry import clock
from registry.models import Firm, GridConnection, Licence
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
    OwnershipFactory,
    PersonFactory,
    new_bin,
)
from tests.public.helpers import FORMULA_NAME

_serial = itertools.count(1)


@dataclass
class World:
    today: dt.date
    firms: dict[str, Firm] = field(default_factory=dict)
    licences: dict[str, Licence] = field(default_factory=dict)
    private: list[str] = field(default_factory=list)  # strings no public answer may contain


def _firm(world: World, key: str, name: str, region: str = "pavlodar", **fields) -> Firm:
    n = len(world.firms) + 1
    firm = FirmFactory(
        name=name,
        region=region,
        address=f"Secret street {n}, flat {n}",
        email=f"boss{n}@hidden.example",
        phone=f"+7 700 555 {n:04d}",
        contact_person=f"Contact Person{n}",
        **fields,
    )
    person = PersonFactory(person_id=f"P-PUB-{n}", full_name=f"Owner Surname{n}", iin=new_bin(), is_pep=n == 1)
    OwnershipFactory(firm=firm, person=person, role="beneficial_owner", share_percent=Decimal("100"))
    world.private += [firm.address, firm.email, firm.phone, firm.contact_person, person.full_name, person.iin]
    world.firms[key] = firm
    return firm


def _licence(
    world: World,
    key: str,
    firm: Firm,
    status: str,
    *,
    valid_from=None,
    valid_until=None,
    region: str | None = None,
    capacity="10",
    subtype="I",
) -> Licence:
    today = world.today
    dated = status not in Licence.UNDATED_STATUSES
    facility = FacilityFactory(
        ref=f"FAC-PUB-{key}",
        firm=firm,
        name=f"{firm.name} site {key}",
        region=region or firm.region,
        address=f"Hidden substation {key}",
        capacity_mw=Decimal(capacity),
    )
    world.private.append(facility.address)
    licence = LicenceFactory(
        number=f"KZ-DM-2025-{len(world.licences) + 900001:06d}" if dated else None,
        firm=firm,
        capacity_mw=Decimal(capacity),
        subtype=subtype,
        status=status,
        valid_from=(valid_from or today - dt.timedelta(days=200)) if dated else None,
        valid_until=(valid_until or today + dt.timedelta(days=800)) if dated else None,
        status_reason="Private reason for the decision" if status != "active" else "",
        facilities=[facility],
    )
    world.licences[key] = licence
    return licence


def _connection(world: World, region: str) -> GridConnection:
    n = next(_serial)
    connection = GridConnectionFactory(
        meter_id=f"PUB-{n:05d}",
        operator="Hidden Grid Co",
        consumer_name=f"Ivanov Household{n}",
        consumer_bin="",
        region=region,
        address=f"Garage block {n}, private plot",
        tariff="residential",
    )
    world.private += [connection.consumer_name, connection.address, connection.meter_id]
    return connection


@pytest.fixture
def world(db) -> World:
    today = clock.today()
    world = World(today=today)
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731

    # Licensed: one firm with two licences in force in two regions, one with a Cyrillic name, one named like a formula.
    altyn = _firm(world, "altyn", "Altyn Hash LLP", "pavlodar")
    _licence(world, "altyn-1", altyn, "active", region="pavlodar", capacity="12.5")
    _licence(world, "altyn-2", altyn, "active", region="karaganda", subtype="II")
    zhuldyz = _firm(world, "zhuldyz", "ТОО «Жулдыз Майнинг»", "akmola")
    _licence(world, "zhuldyz", zhuldyz, "active")
    formula = _firm(world, "formula", FORMULA_NAME, "abai")
    _licence(world, "formula", formula, "active")

    # Granted but not in force, and applications that stay private.
    for key, status, dates in [
        ("suspended", "suspended", {}),
        ("revoked", "revoked", {}),
        ("expired", "expired", {"valid_from": ago(1200), "valid_until": ago(105)}),
        ("lapsed", "active", {"valid_from": ago(1200), "valid_until": ago(100)}),  # the nightly expiry has not run
        ("future", "active", {"valid_from": today + dt.timedelta(days=30)}),
        ("applied", "applied", {}),
        ("review", "under_review", {}),
    ]:
        firm = _firm(world, key, f"{key.title()} Compute LLP", "kostanay")
        _licence(world, key, firm, status, **dates)

    # The warning list.
    closed = _firm(world, "closed", "Closed Farm One", "turkistan", origin="unregistered")
    site = _connection(world, "turkistan")
    EnforcementActionFactory(
        action="voluntary_closure",
        firm=closed,
        connection=site,
        region="turkistan",
        date=ago(900),
        notes="Private note: the owner's cousin runs it",
    )
    world.private.append("the owner's cousin")

    raided = _firm(world, "raided", "Raided Farm Two", "jambyl", origin="unregistered")
    site = _connection(world, "jambyl")
    inspection = InspectionFactory(
        connection=site,
        firm=raided,
        date=ago(700),
        outcome="illegal_operation",
        findings="Private findings: 400 devices in the barn",
        devices_found=400,
    )
    world.private.append("400 devices in the barn")
    for action, days, extra in [
        ("operation_cancelled", 690, {}),
        ("equipment_confiscated", 680, {"devices": 400, "value_usd": Decimal("1200000")}),
        ("criminal_case", 600, {"case_number": "22-7100-9999-UD"}),
    ]:
        EnforcementActionFactory(
            action=action, firm=raided, connection=site, inspection=inspection, region="jambyl", date=ago(days), **extra
        )
    world.private.append("22-7100-9999-UD")

    inspected = _firm(world, "inspected", "Inspected Farm Three", "almaty_region")
    facility = FacilityFactory(
        ref="FAC-PUB-INSP", firm=inspected, name="Barn", region="almaty_region", capacity_mw=Decimal("3")
    )
    InspectionFactory(facility=facility, date=ago(300), outcome="illegal_operation")

    flagged = _firm(world, "flagged", "Flagged Farm Four", "jetisu")
    facility = FacilityFactory(
        ref="FAC-PUB-FLAG", firm=flagged, name="Hangar", region="jetisu", capacity_mw=Decimal("2")
    )
    decided = timezone.now() - dt.timedelta(days=50)
    FlagFactory(status="confirmed", facility=facility, window_end=decided, decided_at=decided, evidence={"avg_mw": 1.7})

    # Not on the list: a fine, a licence suspension, a dismissed flag, an open flag, a compliant inspection.
    others = _firm(world, "others", "Fined But Legal LLP", "pavlodar")
    EnforcementActionFactory(action="fine", firm=others, region="pavlodar", date=ago(10), fine_kzt=Decimal("5000"))
    EnforcementActionFactory(action="licence_suspended", firm=world.firms["suspended"], region="kostanay", date=ago(20))
    facility = FacilityFactory(
        ref="FAC-PUB-OTHER", firm=others, name="Yard", region="pavlodar", capacity_mw=Decimal("1")
    )
    for status in ("dismissed", "open"):
        FlagFactory(
            status=status, facility=facility, window_end=decided, decided_at=decided if status == "dismissed" else None
        )
    InspectionFactory(facility=facility, date=ago(5), outcome="compliant")
    return world
