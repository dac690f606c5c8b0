"""The registry's dates are Almaty dates: at 23:30 and 00:30, in Almaty and in UTC, on the last day of a licence
and of a month, every part of the registry agrees on which day it is.

Firm A's licence (tests/conftest.py) is valid until 31 December 2026. Almaty is UTC+5, so 00:30 on 1 January in
Almaty is 19:30 on 31 December in UTC.
"""

import datetime as dt

import pytest
from django.core import mail

from registry import clock
from registry.models import Facility, Flag, Licence
from registry.selectors.legal_status import annotate, facility_conditions
from registry.services.licences import licences_expire
from registry.services.reminders import reminders_send
from tests.detection.fixtures import detect, flat

LAST_DAY_2330_ALMATY = dt.datetime(2026, 12, 31, 18, 30, tzinfo=dt.UTC)
NEXT_DAY_0030_ALMATY = dt.datetime(2026, 12, 31, 19, 30, tzinfo=dt.UTC)
LAST_DAY_2330_UTC = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # already 1 January, 04:30, in Almaty
NEXT_DAY_0030_UTC = dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def at(monkeypatch):
    """Set the registry's clock to an instant."""

    def set_clock(instant: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: instant)

    return set_clock


@pytest.mark.parametrize(
    ("instant", "status"),
    [
        (LAST_DAY_2330_ALMATY, "licensed"),
        (NEXT_DAY_0030_ALMATY, "licence_lapsed"),
        (LAST_DAY_2330_UTC, "licence_lapsed"),
        (NEXT_DAY_0030_UTC, "licence_lapsed"),
    ],
)
def test_a_licence_is_in_force_to_the_end_of_its_last_day_in_almaty(firm_a, at, instant, status):
    at(instant)
    assert annotate(Facility.objects.filter(ref="FAC-A1"), facility_conditions()).get().legal_status == status


@pytest.mark.parametrize(("instant", "listed"), [(LAST_DAY_2330_ALMATY, True), (NEXT_DAY_0030_ALMATY, False)])
def test_the_public_register_drops_the_licence_at_midnight_in_almaty(client, firm_a, at, instant, listed):
    at(instant)
    page = client.get("/register/", {"q": firm_a.bin})
    assert page.status_code == 200
    assert ("KZ-DM-2024-000001" in page.content.decode()) is listed


@pytest.mark.parametrize(("instant", "expired"), [(LAST_DAY_2330_ALMATY, 0), (NEXT_DAY_0030_ALMATY, 1)])
def test_the_licence_expires_once_its_last_day_has_ended_in_almaty(firm_a, at, instant, expired):
    at(instant)
    assert licences_expire() == expired
    assert Licence.objects.get(number="KZ-DM-2024-000001").status == ("expired" if expired else "active")


@pytest.mark.parametrize(("as_of_hour", "flagged"), [(18, False), (19, True)])
def test_detection_judges_the_licence_on_the_almaty_date_of_as_of(firm_a, as_of_hour, flagged):
    as_of = dt.datetime(2026, 12, 31, as_of_hour, tzinfo=dt.UTC)  # 23:00 or 00:00 in Almaty
    connection = firm_a.facilities.get(ref="FAC-A1").connections.get()
    flat(connection, start=as_of - dt.timedelta(hours=48), hours=48, kwh=1000)
    detect(as_of, window_days=2)
    assert Flag.objects.filter(rule="NO_VALID_LICENCE", subject_ref="FAC-A1").exists() is flagged


@pytest.mark.parametrize(("as_of_hour", "flagged"), [(18, False), (19, True)])
def test_a_missing_declaration_is_flagged_once_the_15th_has_ended_in_almaty(firm_a, as_of_hour, flagged):
    detect(dt.datetime(2026, 12, 15, as_of_hour, tzinfo=dt.UTC), window_days=1)
    missing = Flag.objects.filter(rule="MISSING_DECLARATION", subject_ref="FAC-A1", month=dt.date(2026, 11, 1))
    assert missing.exists() is flagged


@pytest.mark.parametrize(
    ("instant", "says"),
    [
        (dt.datetime(2026, 12, 15, 18, 30, tzinfo=dt.UTC), "Due by"),
        (dt.datetime(2026, 12, 15, 19, 30, tzinfo=dt.UTC), "Overdue"),
    ],
)
def test_the_portal_calls_a_declaration_overdue_after_the_15th_in_almaty(client, alice, at, instant, says):
    at(instant)
    client.force_login(alice)
    page = client.get("/portal/").content.decode()
    assert "Declarations for November 2026" in page
    assert says in page
    assert "FAC-A1" in page


def test_the_portal_asks_for_last_month_from_midnight_in_almaty(client, alice, at):
    at(dt.datetime(2026, 11, 30, 19, 30, tzinfo=dt.UTC))  # 1 December, 00:30 in Almaty
    client.force_login(alice)
    assert "Declarations for November 2026" in client.get("/portal/").content.decode()


@pytest.mark.parametrize(
    ("instant", "sent"),
    [(dt.datetime(2026, 12, 9, 18, 30, tzinfo=dt.UTC), 0), (dt.datetime(2026, 12, 9, 19, 30, tzinfo=dt.UTC), 1)],
)
def test_declaration_reminders_start_on_the_10th_in_almaty(alice, at, instant, sent):
    at(instant)
    assert reminders_send()["declarations_due"] == sent
    reminders = [email for email in mail.outbox if "declaration" in email.subject]
    assert len(reminders) == sent
    if sent:
        assert "by 2026-12-15" in reminders[0].body
