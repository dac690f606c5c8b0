"""The API tests' world: a small registry with a row of every kind for firm A and firm B; no throttling."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from registry import clock
from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    Flag,
    Inspection,
    Licence,
    PowerDeclaration,
)
from tests.factories import (
    EnforcementActionFactory,
    FlagFactory,
    InspectionFactory,
    LicenceFactory,
    PowerDeclarationFactory,
)


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """API tests make many requests quickly; test_throttling turns the rates back on."""
    off = {"anon": None, "user": None, "public": None}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": off}


@dataclass
class FirmRows:
    firm: Firm
    facility: Facility
    licence: Licence
    declaration: PowerDeclaration
    flag: Flag
    inspection: Inspection
    enforcement: EnforcementAction

    def of(self, endpoint: str):
        return {
            "firms": self.firm,
            "facilities": self.facility,
            "licences": self.licence,
            "declarations": self.declaration,
            "flags": self.flag,
            "inspections": self.inspection,
            "enforcement-actions": self.enforcement,
        }[endpoint]


@dataclass
class World:
    a: FirmRows
    b: FirmRows


# The day the world's legal statuses are computed for: after its last dated row and inside firm A's licence
# (2024-01-01 … 2026-12-31), whatever the real date is.
WORLD_DAY = dt.date(2026, 11, 2)


def _rows(firm: Firm, *, licence: Licence | None = None) -> FirmRows:
    facility = firm.facilities.get()
    if licence is None:
        licence = LicenceFactory(firm=firm, capacity_mw=Decimal("4"), status="applied", facilities=[facility])
    declaration = PowerDeclarationFactory(
        facility=facility, month=dt.date(2026, 9, 1), consumed_mwh=Decimal("1200.5"), peak_mw=Decimal("1.8")
    )
    # An open NO_VALID_LICENCE flag over the 30 days to factories.WINDOW_END.
    flag = FlagFactory(facility=facility, evidence={"avg_mw": "1.2", "coverage": "0.95"})
    inspection = InspectionFactory(
        facility=facility, firm=firm, flag=flag, date=dt.date(2026, 10, 5), outcome="violations", devices_found=40
    )
    enforcement = EnforcementActionFactory(
        action="fine",
        firm=firm,
        facility=facility,
        inspection=inspection,
        region=facility.region,
        date=dt.date(2026, 10, 20),
        fine_kzt=Decimal("1500000"),
    )
    return FirmRows(firm, facility, licence, declaration, flag, inspection, enforcement)


@pytest.fixture
def world(firm_a, firm_b, monkeypatch) -> World:
    """Firm A (licensed) and firm B (not), each with a declaration, a flag, an inspection and a fine.

    Legal statuses are read as of WORLD_DAY: on the real today firm A's licence may have run out.
    """
    monkeypatch.setattr(clock, "today", lambda: WORLD_DAY)
    return World(a=_rows(firm_a, licence=firm_a.licences.get()), b=_rows(firm_b))
