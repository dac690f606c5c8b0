"""reminders_send: declarations due by the 15th, licences about to expire; each reminder goes out once.

Firm A (alice) holds licence KZ-DM-2024-000001 over FAC-A1, valid 2024-01-01 to 2026-12-31;
firm B (bob) holds none.
"""

import datetime as dt

import pytest

from registry.models import Licence
from registry.services.reminders import reminders_send
from tests.detection.fixtures import declaration, facility, licence
from tests.factories import FirmUserFactory

FEBRUARY = dt.date(2025, 2, 1)


@pytest.fixture(autouse=True)
def english(settings):
    """Reminders are written in the site's language: English here, so the text can be compared."""
    settings.LANGUAGE_CODE = "en"


def sent(mailoutbox) -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mailoutbox]


# Declarations due


def test_it_reminds_firm_users_of_a_missing_declaration(alice, bob, mailoutbox):
    counts = reminders_send(today=dt.date(2025, 3, 10))

    assert counts == {"declarations_due": 1, "licences_expiring": 0}
    assert sent(mailoutbox) == [(["alice@alpha.test"], "Power declaration for 2025-02 is due by the 15th")]
    assert "FAC-A1" in mailoutbox[0].body
    assert "2025-03-15" in mailoutbox[0].body


@pytest.mark.parametrize("day, reminded", [(9, False), (10, True), (15, True), (16, False)])
def test_it_reminds_only_from_the_10th_to_the_15th(alice, mailoutbox, day, reminded):
    reminders_send(today=dt.date(2025, 3, day))

    assert len(mailoutbox) == int(reminded)


def test_it_reminds_once_per_firm_and_month_however_often_it_runs(alice, mailoutbox):
    for day in (10, 11, 12, 15):
        reminders_send(today=dt.date(2025, 3, day))

    reminders_send(today=dt.date(2025, 4, 10))

    assert [message.subject for message in mailoutbox] == [
        "Power declaration for 2025-02 is due by the 15th",
        "Power declaration for 2025-03 is due by the 15th",
    ]


def test_one_reminder_names_every_facility_of_the_firm(firm_a, alice, mailoutbox):
    licence("KZ-DM-2024-000002", firm_a, facility("FAC-A2", firm_a))

    reminders_send(today=dt.date(2025, 3, 10))

    (message,) = mailoutbox
    assert "FAC-A1, FAC-A2" in message.body


def test_every_user_of_the_firm_gets_the_reminder(firm_a, alice, mailoutbox):
    FirmUserFactory(username="anna", email="anna@alpha.test", firm=firm_a)

    reminders_send(today=dt.date(2025, 3, 10))

    assert sorted(message.to[0] for message in mailoutbox) == ["alice@alpha.test", "anna@alpha.test"]
    assert all(len(message.to) == 1 for message in mailoutbox), "no firm user sees another's address"


def test_a_filed_declaration_needs_no_reminder(firm_a, alice, mailoutbox):
    declaration(firm_a.facilities.get(ref="FAC-A1"), FEBRUARY, "100")

    counts = reminders_send(today=dt.date(2025, 3, 10))

    assert counts["declarations_due"] == 0
    assert mailoutbox == []


def test_a_licence_granted_after_the_first_of_the_month_needs_no_declaration_for_it(alice, mailoutbox):
    Licence.objects.filter(number="KZ-DM-2024-000001").update(valid_from=dt.date(2025, 2, 2))

    reminders_send(today=dt.date(2025, 3, 10))

    assert mailoutbox == []


# Licences about to expire (valid until 2026-12-31)


def test_a_licence_60_days_before_its_end_gets_one_notice(alice, mailoutbox):
    for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 20)):
        reminders_send(today=day)

    assert sent(mailoutbox) == [(["alice@alpha.test"], "Licence KZ-DM-2024-000001 expires on 2026-12-31")]
    assert "60 days" in mailoutbox[0].body


def test_a_licence_61_days_before_its_end_gets_no_notice(alice, mailoutbox):
    counts = reminders_send(today=dt.date(2026, 10, 31))

    assert counts["licences_expiring"] == 0
    assert mailoutbox == []


def test_a_licence_30_days_before_its_end_gets_a_second_notice_once(alice, mailoutbox):
    reminders_send(today=dt.date(2026, 11, 1))

    for day in (dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 31)):
        reminders_send(today=day)

    assert [message.subject for message in mailoutbox] == ["Licence KZ-DM-2024-000001 expires on 2026-12-31"] * 2
    assert "30 days" in mailoutbox[1].body
