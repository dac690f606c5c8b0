"""A regulator's decisions taken in /admin/: the reason form, the messages, and what changes."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pghistory.models import Events

from registry import clock
from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    Flag,
    Inspection,
    Licence,
    LicenceCoverage,
)
from tests.factories import BIN_C, FlagFactory, GridConnectionFactory, LicenceFactory

TODAY = dt.date(2025, 6, 10)
WINDOW_END = dt.datetime(2025, 5, 31, tzinfo=dt.UTC)
FLAGS = reverse("admin:registry_flag_changelist")
LICENCES = reverse("admin:registry_licence_changelist")


@pytest.fixture
def beta_flag(firm_b):
    """An open NO_VALID_LICENCE flag on Beta's unlicensed facility."""
    site = Facility.objects.get(ref="FAC-B1")
    return FlagFactory(
        rule="NO_VALID_LICENCE",
        facility=site,
        firm=firm_b,
        evidence={"avg_mw": 0.8, "coverage": 0.9},
        window_end=WINDOW_END,
    )


@pytest.fixture
def barn_flag(db):
    """An open UNLICENSED_MINING flag on a residential meter with no consumer BIN."""
    meter = GridConnectionFactory(
        meter_id="KR-0099",
        operator="Karaganda REC",
        region="karaganda",
        tariff="residential",
        consumer_name="Household Serikbayev",
    )
    return FlagFactory(rule="UNLICENSED_MINING", connection=meter, evidence={"avg_mw": 1.4}, window_end=WINDOW_END)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def act(client, url: str, action: str, objects, **data):
    """Post an admin action on the objects, as the changelist's action bar (or its reason form) does."""
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects], **data}, follow=True)


def flag_state(flag: Flag) -> dict:
    return Flag.objects.filter(pk=flag.pk).values("status", "decision_reason", "decided_at", "firm").get()


# Dismissing a flag: the reason form, its error, the decision.


def test_the_dismiss_action_first_asks_for_a_reason(rita, beta_flag):
    response = act(rita, FLAGS, "dismiss", [beta_flag], index="0")

    page = response.content.decode()
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/registry/decision.html"
    assert 'name="reason"' in page
    assert str(beta_flag) in page
    assert flag_state(beta_flag)["status"] == "open"


def test_dismissing_with_an_empty_reason_shows_the_form_again_with_an_error(rita, beta_flag):
    before = flag_state(beta_flag)

    response = act(rita, FLAGS, "dismiss", [beta_flag], apply="1", reason="   ")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/registry/decision.html"
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert "This field is required." in response.content.decode()
    assert flag_state(beta_flag) == before


def test_a_regulator_dismisses_a_flag_with_a_reason(rita, regulator, beta_flag):
    response = act(rita, FLAGS, "dismiss", [beta_flag], apply="1", reason="Registered data centre, licence pending")

    dismissed = Flag.objects.get(pk=beta_flag.pk)
    assert (dismissed.status, dismissed.decision_reason) == ("dismissed", "Registered data centre, licence pending")
    assert dismissed.decided_at is not None
    assert messages_of(response) == [("success", f"Dismiss: {beta_flag}")]
    assert response.redirect_chain[-1][0].startswith(FLAGS)
    event = Events.objects.tracks(dismissed).order_by("-pgh_id").first()
    assert (event.pgh_data["status"], event.pgh_context["user"]) == ("dismissed", regulator.pk)


# Confirming a flag.


def test_a_regulator_confirms_a_facility_flag(rita, beta_flag, firm_b):
    response = act(rita, FLAGS, "confirm", [beta_flag], apply="1", reason="Inspection found 250 ASICs")

    confirmed = Flag.objects.get(pk=beta_flag.pk)
    assert (confirmed.status, confirmed.firm, confirmed.decision_reason) == (
        "confirmed",
        firm_b,
        "Inspection found 250 ASICs",
    )
    assert messages_of(response) == [("success", f"Confirm as illegal operation: {beta_flag}")]


def test_confirming_a_connection_flag_registers_its_operator(rita, barn_flag):
    response = act(
        rita, FLAGS, "confirm", [barn_flag], apply="1", reason="Farm in the barn", operator_bin=BIN_C, operator_name=""
    )

    operator = Firm.objects.get(bin=BIN_C)
    assert (operator.origin, operator.name) == ("unregistered", "Household Serikbayev")
    assert (Flag.objects.get(pk=barn_flag.pk).status, Flag.objects.get(pk=barn_flag.pk).firm) == ("confirmed", operator)
    assert messages_of(response)[0][0] == "success"


def test_confirming_a_connection_flag_without_an_operator_bin_is_refused_with_a_message(rita, barn_flag):
    before = flag_state(barn_flag)

    response = act(rita, FLAGS, "confirm", [barn_flag], apply="1", reason="Farm in the barn", operator_bin="")

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"Refused — {barn_flag}: Give the operator's BIN")
    assert flag_state(barn_flag) == before
    assert not Firm.objects.exists()


def test_a_decided_flag_refuses_a_second_decision_with_a_message(rita, beta_flag):
    act(rita, FLAGS, "dismiss", [beta_flag], apply="1", reason="First decision")
    before = flag_state(beta_flag)

    response = act(rita, FLAGS, "confirm", [beta_flag], apply="1", reason="Second decision")

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "Dismissed" in text
    assert flag_state(beta_flag) == before


# Licence decisions.


def test_a_regulator_suspends_a_licence_for_three_months(rita, firm_a, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    licence = Licence.objects.get(number="KZ-DM-2024-000001")

    response = act(rita, LICENCES, "suspend", [licence], apply="1", months="3", reason="Over capacity in May")

    suspended = Licence.objects.get(pk=licence.pk)
    assert (suspended.status, suspended.suspended_until, suspended.status_reason) == (
        "suspended",
        dt.date(2025, 9, 10),
        "Over capacity in May",
    )
    assert messages_of(response) == [("success", "Suspend: KZ-DM-2024-000001")]
    assert EnforcementAction.objects.get().action == "licence_suspended"


def test_the_suspend_form_offers_one_to_six_months(rita, firm_a):
    licence = Licence.objects.get(number="KZ-DM-2024-000001")

    response = act(rita, LICENCES, "suspend", [licence], index="0")

    months = [value for value, _label in response.context["form"].fields["months"].choices]
    assert months == [1, 2, 3, 4, 5, 6]
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_suspending_for_a_term_outside_one_to_six_months_changes_nothing(rita, firm_a):
    licence = Licence.objects.get(number="KZ-DM-2024-000001")

    response = act(rita, LICENCES, "suspend", [licence], apply="1", months="9", reason="Too long")

    assert "months" in response.context["form"].errors
    assert Licence.objects.get(pk=licence.pk).status == "active"
    assert not EnforcementAction.objects.exists()


def test_a_refused_licence_decision_shows_an_error_and_changes_nothing(rita, firm_a):
    licence = Licence.objects.get(number="KZ-DM-2024-000001")
    before = Licence.objects.filter(pk=licence.pk).values().get()

    response = act(rita, LICENCES, "reinstate", [licence], index="0")

    assert messages_of(response) == [
        ("error", "Refused — KZ-DM-2024-000001: Licence KZ-DM-2024-000001 is Active: it cannot become Active.")
    ]
    assert Licence.objects.filter(pk=licence.pk).values().get() == before


def test_granting_an_active_licence_is_refused_and_keeps_its_number(rita, firm_a):
    licence = Licence.objects.get(number="KZ-DM-2024-000001")
    before = Licence.objects.filter(pk=licence.pk).values().get()

    response = act(rita, LICENCES, "grant", [licence], apply="1", valid_from="2025-06-10")

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "is Active" in text
    assert Licence.objects.filter(pk=licence.pk).values().get() == before


def test_granting_over_a_facility_held_by_another_licence_shows_why_and_changes_nothing(rita, firm_a, firm_b):
    application = LicenceFactory(
        firm=firm_b, status="applied", capacity_mw=Decimal("3"), facilities=[Facility.objects.get(ref="FAC-A1")]
    )

    response = act(rita, LICENCES, "grant", [application], apply="1", valid_from="2025-06-10")

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "already covered by another active or suspended licence" in text
    assert Licence.objects.filter(pk=application.pk).values_list("status", "number").get() == ("applied", None)


def test_covering_a_facility_held_by_another_licence_in_the_admin_shows_a_form_error(rita, firm_a, firm_b):
    other = LicenceFactory(
        number="KZ-DM-2025-000002",
        firm=firm_b,
        capacity_mw=Decimal("4"),
        valid_from=dt.date(2025, 1, 1),
        valid_until=dt.date(2027, 12, 31),
    )
    held = Facility.objects.get(ref="FAC-A1")
    rita.raise_request_exception = False

    response = rita.post(reverse("admin:registry_licencecoverage_add"), {"licence": other.pk, "facility": held.pk})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not LicenceCoverage.objects.filter(licence=other).exists()


# Recording an inspection from a flag.


def test_an_inspection_recorded_from_a_flag_confirms_it_and_the_facility_reads_illegal(rita, beta_flag, inspector):
    flag_page = rita.get(reverse("admin:registry_flag_change", args=[beta_flag.pk])).content.decode()
    link = html.unescape(re.search(r'href="(/admin/registry/inspection/add/\?[^"]+)"', flag_page).group(1))
    form = rita.get(link)
    assert form.context["adminform"].form.initial["flag"] == str(beta_flag.pk)
    assert form.context["adminform"].form.initial["facility"] == str(beta_flag.facility_id)

    response = rita.post(
        link,
        {
            "flag": beta_flag.pk,
            "facility": beta_flag.facility_id,
            "firm": beta_flag.firm_id,
            "date": "2025-06-12",
            "inspectors": [inspector.pk],
            "findings": "320 ASICs running, no licence",
            "devices_found": "320",
            "outcome": "illegal_operation",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    inspection = Inspection.objects.get()
    assert (inspection.flag, inspection.outcome, list(inspection.inspectors.all())) == (
        beta_flag,
        "illegal_operation",
        [inspector],
    )
    assert Flag.objects.get(pk=beta_flag.pk).status == "confirmed"
    facilities = rita.get(reverse("admin:registry_facility_changelist")).content.decode()
    row = next(r for r in re.findall(r"<tr.*?</tr>", facilities, re.S) if "FAC-B1" in r)
    assert '<span class="legal-badge legal-illegal">Illegal</span>' in row


def test_an_illegal_operation_at_a_bare_connection_needs_the_operator_bin(rita, barn_flag, inspector):
    add = reverse("admin:registry_inspection_add") + f"?flag={barn_flag.pk}&connection={barn_flag.connection_id}"

    response = rita.post(
        add,
        {
            "flag": barn_flag.pk,
            "connection": barn_flag.connection_id,
            "date": "2025-06-12",
            "inspectors": [inspector.pk],
            "findings": "Farm in the barn",
            "outcome": "illegal_operation",
        },
    )

    assert response.status_code == 200
    assert "operator_bin" in response.context["adminform"].form.errors
    assert not Inspection.objects.exists()
    assert Flag.objects.get(pk=barn_flag.pk).status == "open"


def test_an_illegal_operation_at_a_bare_connection_names_its_operator(rita, barn_flag, inspector):
    add = reverse("admin:registry_inspection_add") + f"?flag={barn_flag.pk}&connection={barn_flag.connection_id}"

    response = rita.post(
        add,
        {
            "flag": barn_flag.pk,
            "connection": barn_flag.connection_id,
            "date": "2025-06-12",
            "inspectors": [inspector.pk],
            "findings": "Farm in the barn",
            "outcome": "illegal_operation",
            "operator_bin": BIN_C,
            "operator_name": "Shadow Hash LLP",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    operator = Firm.objects.get(bin=BIN_C)
    assert (operator.name, operator.origin) == ("Shadow Hash LLP", "unregistered")
    assert Inspection.objects.get().firm == operator
    assert (Flag.objects.get(pk=barn_flag.pk).status, Flag.objects.get(pk=barn_flag.pk).firm) == ("confirmed", operator)
    connections = rita.get(reverse("admin:registry_gridconnection_changelist")).content.decode()
    row = next(r for r in re.findall(r"<tr.*?</tr>", connections, re.S) if "KR-0099" in r)
    assert ">Illegal</span>" in row


def test_an_inspector_records_the_outcome_of_a_scheduled_visit_and_the_flag_is_confirmed(rita, beta_flag, inspector):
    act(rita, FLAGS, "schedule_inspection", [beta_flag], apply="1", date="2025-06-12", inspectors=[inspector.pk])
    scheduled = Inspection.objects.get(flag=beta_flag)
    assert Flag.objects.get(pk=beta_flag.pk).status == "under_inspection"
    ivan = Client()
    ivan.force_login(inspector)

    response = ivan.post(
        reverse("admin:registry_inspection_change", args=[scheduled.pk]),
        {
            "flag": beta_flag.pk,
            "facility": scheduled.facility_id,
            "firm": scheduled.firm_id,
            "date": "2025-06-12",
            "inspectors": [inspector.pk],
            "findings": "320 ASICs running",
            "devices_found": "320",
            "outcome": "illegal_operation",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Inspection.objects.get(pk=scheduled.pk).outcome == "illegal_operation"
    assert Flag.objects.get(pk=beta_flag.pk).status == "confirmed"
