"""API test helpers: clients holding each cast member's token, and a small registry with a row of every kind."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    Flag,
    GridOperatorAccount,
    Inspection,
    Licence,
    PowerDeclaration,
)
from registry.selectors import legal_status


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """API tests make many requests quickly; test_throttling turns the rates back on."""
    off = {"anon": None, "user": None, "public": None}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": off}


def token_client(user: User | None) -> APIClient:
    """A client sending the user's API token (anonymous without a user)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def api_client(user: User | None) -> APIClient:
    """How each user reads the API: staff with their session (past the second factor), others with a token."""
    if user is not None and user.is_staff:
        client = APIClient()
        client.force_login(user)
        return client
    return token_client(user)


@pytest.fixture
def grid_operator(db):
    user = User.objects.create_user("pavlodar-feed")
    GridOperatorAccount.objects.create(user=user, operator="Pavlodar REC")
    return user


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


WINDOW_END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
# The day the world's legal statuses are computed for: after its last dated row and inside firm A's licence
# (2024-01-01 … 2026-12-31), whatever the real date is.
WORLD_DAY = dt.date(2026, 11, 2)


def _rows(firm: Firm, *, licence: Licence | None = None) -> FirmRows:
    facility = firm.facilities.get()
    if licence is None:
        licence = Licence.objects.create(firm=firm, capacity_mw=Decimal("4"), status="applied")
        licence.facilities.add(facility)
    declaration = PowerDeclaration.objects.create(
        facility=facility, month=dt.date(2026, 9, 1), consumed_mwh=Decimal("1200.5"), peak_mw=Decimal("1.8")
    )
    flag = Flag.objects.create(
        rule="NO_VALID_LICENCE",
        severity="high",
        subject_type="facility",
        subject_ref=facility.ref,
        facility=facility,
        window_start=WINDOW_END - dt.timedelta(days=30),
        window_end=WINDOW_END,
        evidence={"avg_mw": "1.2", "coverage": "0.95"},
    )
    inspection = Inspection.objects.create(
        facility=facility, firm=firm, flag=flag, date=dt.date(2026, 10, 5), outcome="violations", devices_found=40
    )
    enforcement = EnforcementAction.objects.create(
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
    monkeypatch.setattr(legal_status, "_today", lambda: WORLD_DAY)
    return World(a=_rows(firm_a, licence=firm_a.licences.get()), b=_rows(firm_b))
