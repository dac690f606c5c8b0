"""The shared cast: a regulator, an inspector, an auditor, firm A (licensed) and firm B (not), their users.

Test data comes from tests/factories.py; these fixtures only name the cast built from it.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.utils import translation

from tests.factories import (
    BIN_A,
    BIN_B,
    FacilityFactory,
    FirmFactory,
    FirmUserFactory,
    GridConnectionFactory,
    GridOperatorFactory,
    LicenceFactory,
    StaffFactory,
)

# The browser fixture, for every package that drives Chromium.
pytest_plugins = ["tests.browser.chromium"]


@pytest.fixture
def regulator(db):
    return StaffFactory(username="rita", group="regulators")


@pytest.fixture
def inspector(db):
    return StaffFactory(username="ivan", group="inspectors")


@pytest.fixture
def auditor(db):
    return StaffFactory(username="aida", group="auditors")


@pytest.fixture
def firm_a(db):
    """A licensed firm: one facility on one meter, an active licence over 2024–2026."""
    firm = FirmFactory(bin=BIN_A, name="Alpha Mining LLP", region="pavlodar")
    meter = GridConnectionFactory(meter_id="PV-0001", operator="Pavlodar REC", region="pavlodar", tariff="industrial")
    site = FacilityFactory(ref="FAC-A1", firm=firm, name="Alpha site 1", capacity_mw=Decimal("10"), connections=[meter])
    LicenceFactory(
        number="KZ-DM-2024-000001",
        firm=firm,
        capacity_mw=Decimal("10"),
        status="active",
        valid_from=dt.date(2024, 1, 1),
        valid_until=dt.date(2026, 12, 31),
        facilities=[site],
    )
    return firm


@pytest.fixture
def firm_b(db):
    """A registered firm with a facility and no licence."""
    firm = FirmFactory(bin=BIN_B, name="Beta Hash TOO", region="karaganda")
    FacilityFactory(ref="FAC-B1", firm=firm, name="Beta site", capacity_mw=Decimal("4"))
    return firm


@pytest.fixture
def alice(firm_a):
    return FirmUserFactory(username="alice", email="alice@alpha.test", firm=firm_a)


@pytest.fixture
def bob(firm_b):
    return FirmUserFactory(username="bob", email="bob@beta.test", firm=firm_b)


@pytest.fixture
def grid_operator(db):
    """Pavlodar REC's system account, which pushes the readings of its meters."""
    return GridOperatorFactory(username="pavlodar-feed", operator="Pavlodar REC")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """No test sees figures another test cached."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """MD5 instead of PBKDF2's million rounds: the cast logs in in microseconds (no test is about the hasher)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read messages in English unless they ask for another language (the product defaults to Russian)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Celery tasks run in-process, except in tests that exercise a real worker over Redis."""
    from config.celery import app

    if request.node.get_closest_marker("redis"):
        yield
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _staff_second_factor_passed(request, monkeypatch):
    """`client.force_login(staff)` also passes the TOTP step, as the staff user would right after logging in.

    Tests of the second factor itself mark themselves `second_factor_pending` to see the step.
    """
    if request.node.get_closest_marker("second_factor_pending"):
        yield
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
                user=user, name="test authenticator", confirmed=True
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
    yield


# CI must not pass by skipping: a test skipped for want of Redis or a browser fails the run there.
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("CI") and _skipped:
        terminalreporter.write_line(
            f"CI: {len(_skipped)} test(s) skipped; in CI every test must run: " + ", ".join(_skipped), red=True
        )
