"""A regulator's decisions on flags, and an inspection's outcome carried to its flag and operator."""

import datetime as dt

import pytest
from django.utils.translation import override
from pghistory.models import Events

from registry.errors import InvalidTransition, RegistryError
from registry.models import Firm, Flag, Inspection
from registry.services.enforcement import inspection_recorded
from registry.services.flags import flag_assign, flag_confirm, flag_dismiss, flag_schedule_inspection
from tests.factories import BIN_B, BIN_C, FlagFactory, GridConnectionFactory, InspectionFactory

WINDOW_END = dt.datetime(2025, 5, 31, tzinfo=dt.UTC)
VISIT = dt.date(2025, 6, 12)


def connection_flag(*, consumer_bin: str = "", consumer_name: str = "", status: str = "open") -> Flag:
    """An UNLICENSED_MINING flag on a bare connection (no registered facility behind it)."""
    meter = GridConnectionFactory(
        meter_id="KR-0099",
        operator="Karaganda REC",
        region="karaganda",
        tariff="residential",
        consumer_bin=consumer_bin,
        consumer_name=consumer_name,
    )
    return FlagFactory(
        rule="UNLICENSED_MINING", status=status, connection=meter, evidence={"avg_mw": 1.2}, window_end=WINDOW_END
    )


def facility_flag(firm: Firm, *, status: str = "open") -> Flag:
    """A NO_VALID_LICENCE flag on the firm's facility."""
    return FlagFactory(
        rule="NO_VALID_LICENCE",
        status=status,
        facility=firm.facilities.get(),
        firm=firm,
        evidence={"avg_mw": 0.4},
        window_end=WINDOW_END,
    )


def state(flag: Flag) -> dict:
    return (
        Flag.objects.filter(pk=flag.pk).values("status", "assigned_to", "decision_reason", "decided_at", "firm").get()
    )


def latest_event(flag: Flag):
    return Events.objects.tracks(flag).order_by("-pgh_created_at", "-pgh_id").first()


# Assign


def test_it_assigns_a_flag_to_an_inspector(firm_b, inspector):
    flag = facility_flag(firm_b)

    flag_assign(flag=flag, inspector=inspector)

    assert Flag.objects.get(pk=flag.pk).assigned_to == inspector


@pytest.mark.parametrize("who", ["regulator", "auditor", "alice"])
def test_it_refuses_to_assign_a_flag_to_someone_who_is_not_an_inspector(request, firm_b, who):
    user = request.getfixturevalue(who)
    flag = facility_flag(firm_b)
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="is not an inspector"):
        flag_assign(flag=flag, inspector=user)

    assert state(flag) == before


# Dismiss


def test_it_dismisses_a_flag_with_its_reason_and_time(firm_b):
    flag = facility_flag(firm_b)

    flag_dismiss(flag=flag, reason="  Seasonal grain drying, verified by phone ")

    dismissed = Flag.objects.get(pk=flag.pk)
    assert dismissed.status == "dismissed"
    assert dismissed.decision_reason == "Seasonal grain drying, verified by phone"
    assert dismissed.decided_at is not None


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_dismissing_needs_a_reason(firm_b, reason):
    flag = facility_flag(firm_b)
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="reason for dismissing"):
        flag_dismiss(flag=flag, reason=reason)

    assert state(flag) == before


# Confirm


def test_confirming_a_facility_flag_names_the_facility_firm(firm_b):
    flag = facility_flag(firm_b)
    firms = Firm.objects.count()

    flag_confirm(flag=flag, reason="Site visit: 300 ASICs running")

    confirmed = Flag.objects.get(pk=flag.pk)
    assert (confirmed.status, confirmed.firm, confirmed.decision_reason) == (
        "confirmed",
        firm_b,
        "Site visit: 300 ASICs running",
    )
    assert confirmed.decided_at is not None
    assert Firm.objects.count() == firms


def test_confirming_needs_a_reason(firm_b):
    flag = facility_flag(firm_b)
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="reason for confirming"):
        flag_confirm(flag=flag, reason=" ")

    assert state(flag) == before


def test_confirming_a_connection_flag_without_a_consumer_bin_asks_for_the_operator_bin(db):
    flag = connection_flag()
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="Give the operator's BIN"):
        flag_confirm(flag=flag, reason="Farm found in a barn")

    assert state(flag) == before
    assert not Firm.objects.exists()


def test_confirming_a_connection_flag_refuses_an_operator_bin_with_a_bad_check_digit(db):
    flag = connection_flag()
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="valid check digit"):
        flag_confirm(flag=flag, reason="Farm found in a barn", operator_bin="123456789012")

    assert state(flag) == before
    assert not Firm.objects.exists()


def test_confirming_a_connection_flag_whose_consumer_bin_is_invalid_asks_for_the_operator_bin(db):
    flag = connection_flag(consumer_bin="123456789012")
    before = state(flag)

    with override("en"), pytest.raises(RegistryError, match="Give the operator's BIN"):
        flag_confirm(flag=flag, reason="Farm found in a barn")

    assert state(flag) == before
    assert not Firm.objects.exists()


def test_confirming_a_connection_flag_registers_the_operator_as_an_unregistered_firm(db):
    flag = connection_flag(consumer_name="Household Serikbayev")

    flag_confirm(flag=flag, reason="Farm found in a barn", operator_bin=BIN_C, operator_name="Shadow Hash LLP")

    operator = Firm.objects.get(bin=BIN_C)
    assert (operator.name, operator.origin, operator.region) == ("Shadow Hash LLP", "unregistered", "karaganda")
    assert Flag.objects.get(pk=flag.pk).firm == operator
    assert Flag.objects.get(pk=flag.pk).status == "confirmed"


def test_confirming_a_connection_flag_names_the_operator_from_the_consumer_bin(db):
    flag = connection_flag(consumer_bin=BIN_C, consumer_name="Household Serikbayev")

    flag_confirm(flag=flag, reason="Farm found in a barn")

    operator = Firm.objects.get(bin=BIN_C)
    assert (operator.name, operator.origin) == ("Household Serikbayev", "unregistered")
    assert Flag.objects.get(pk=flag.pk).firm == operator


def test_confirming_a_connection_flag_reuses_the_firm_already_registered_with_that_bin(firm_b):
    flag = connection_flag()
    firms = Firm.objects.count()

    flag_confirm(flag=flag, reason="Beta runs a second, unregistered site", operator_bin=BIN_B)

    assert Flag.objects.get(pk=flag.pk).firm == firm_b
    assert Firm.objects.count() == firms
    assert Firm.objects.get(pk=firm_b.pk).origin == "registered"


# Decided flags


DECISIONS = {
    "assign": lambda flag, inspector: flag_assign(flag=flag, inspector=inspector),
    "dismiss": lambda flag, inspector: flag_dismiss(flag=flag, reason="Late dismissal"),
    "confirm": lambda flag, inspector: flag_confirm(flag=flag, reason="Late confirmation", operator_bin=BIN_C),
    "schedule_inspection": lambda flag, inspector: flag_schedule_inspection(
        flag=flag, date=VISIT, inspectors=[inspector]
    ),
}


@pytest.mark.parametrize("decided", ["confirmed", "dismissed"])
@pytest.mark.parametrize("decision", list(DECISIONS))
def test_a_decided_flag_refuses_further_decisions(inspector, decided, decision):
    flag = connection_flag(status=decided)
    before = state(flag)

    with override("en"), pytest.raises(InvalidTransition) as refused:
        DECISIONS[decision](flag, inspector)

    assert decided.capitalize() in str(refused.value)
    assert state(flag) == before
    assert not Inspection.objects.exists()
    assert not Firm.objects.exists()


def test_a_decision_on_a_stale_flag_does_not_overwrite_one_made_meanwhile(firm_b):
    flag = facility_flag(firm_b)
    first, stale = Flag.objects.get(pk=flag.pk), Flag.objects.get(pk=flag.pk)
    flag_confirm(flag=first, reason="Confirmed by inspection")

    with pytest.raises(InvalidTransition):
        flag_dismiss(flag=stale, reason="Looked harmless")

    assert (Flag.objects.get(pk=flag.pk).status, Flag.objects.get(pk=flag.pk).decision_reason) == (
        "confirmed",
        "Confirmed by inspection",
    )


# Schedule an inspection


def test_scheduling_an_inspection_plans_the_visit_and_puts_the_flag_under_inspection(firm_b, inspector):
    flag = facility_flag(firm_b)

    inspection = flag_schedule_inspection(flag=flag, date=VISIT, inspectors=[inspector])

    assert (inspection.flag, inspection.facility, inspection.connection, inspection.firm, inspection.date) == (
        flag,
        flag.facility,
        None,
        firm_b,
        VISIT,
    )
    assert list(inspection.inspectors.all()) == [inspector]
    assert inspection.outcome == ""
    assert Flag.objects.get(pk=flag.pk).status == "under_inspection"


def test_scheduling_an_inspection_of_a_connection_flag_visits_the_connection(inspector):
    flag = connection_flag()

    inspection = flag_schedule_inspection(flag=flag, date=VISIT, inspectors=[inspector])

    assert (inspection.connection, inspection.facility) == (flag.connection, None)


# Inspection outcome


def record(flag: Flag, outcome: str, inspector, **operator) -> Inspection:
    inspection = InspectionFactory(
        flag=flag,
        facility=flag.facility,
        connection=flag.connection if not flag.facility_id else None,
        date=VISIT,
        outcome=outcome,
        findings="Visited",
    )
    inspection.inspectors.set([inspector])
    return inspection_recorded(inspection=inspection, **operator)


def test_an_illegal_operation_found_confirms_the_flag_and_names_the_operator_from_the_consumer_bin(inspector):
    flag = connection_flag(consumer_bin=BIN_C, consumer_name="Household Serikbayev")

    inspection = record(flag, "illegal_operation", inspector)

    operator = Firm.objects.get(bin=BIN_C)
    assert operator.origin == "unregistered"
    assert Inspection.objects.get(pk=inspection.pk).firm == operator
    confirmed = Flag.objects.get(pk=flag.pk)
    assert (confirmed.status, confirmed.firm) == ("confirmed", operator)
    assert confirmed.decided_at is not None
    assert "illegal operation" in confirmed.decision_reason


def test_an_illegal_operation_found_uses_the_operator_bin_given_when_the_connection_has_none(inspector):
    flag = connection_flag()

    record(flag, "illegal_operation", inspector, operator_bin=BIN_C, operator_name="Shadow Hash LLP")

    assert Flag.objects.get(pk=flag.pk).firm == Firm.objects.get(bin=BIN_C, origin="unregistered")


def test_an_illegal_operation_at_a_facility_confirms_its_flag_against_the_facility_firm(firm_b, inspector):
    flag = facility_flag(firm_b, status="under_inspection")

    record(flag, "illegal_operation", inspector)

    assert (Flag.objects.get(pk=flag.pk).status, Flag.objects.get(pk=flag.pk).firm) == ("confirmed", firm_b)


def test_a_compliant_visit_dismisses_the_flag(firm_b, inspector):
    flag = facility_flag(firm_b, status="under_inspection")

    record(flag, "compliant", inspector)

    dismissed = Flag.objects.get(pk=flag.pk)
    assert dismissed.status == "dismissed"
    assert dismissed.decided_at is not None
    assert "compliant" in dismissed.decision_reason


def test_an_inspection_recorded_after_the_flag_was_dismissed_leaves_the_decision_alone(firm_b, inspector):
    flag = facility_flag(firm_b)
    flag_dismiss(flag=flag, reason="Known data centre")

    record(flag, "illegal_operation", inspector)

    assert (Flag.objects.get(pk=flag.pk).status, Flag.objects.get(pk=flag.pk).decision_reason) == (
        "dismissed",
        "Known data centre",
    )


def test_an_inspection_of_a_site_settles_its_open_flag_even_when_not_recorded_against_it(firm_b, inspector):
    flag = facility_flag(firm_b)
    inspection = InspectionFactory(facility=flag.facility, date=VISIT, outcome="compliant")

    inspection_recorded(inspection=inspection)

    assert Flag.objects.get(pk=flag.pk).status == "dismissed"
    assert Inspection.objects.get(pk=inspection.pk).flag == flag


def test_an_inspection_of_a_site_leaves_its_other_kinds_of_flag_alone(firm_a):
    site = firm_a.facilities.get()
    over = FlagFactory(
        rule="OVER_CAPACITY",
        severity="medium",
        subject_type="licence",
        subject_ref="KZ-DM-2024-000001",
        facility=site,
        firm=firm_a,
        evidence={"peak_to_capacity": 1.3},
        window_end=WINDOW_END,
    )
    inspection = InspectionFactory(facility=site, date=VISIT, outcome="compliant")

    inspection_recorded(inspection=inspection)

    assert Flag.objects.get(pk=over.pk).status == "open"


# Audit trail


@pytest.mark.parametrize(
    ("decide", "status", "reason"),
    [
        (lambda flag, inspector: flag_dismiss(flag=flag, reason="Grain dryer"), "dismissed", "Grain dryer"),
        (lambda flag, inspector: flag_confirm(flag=flag, reason="ASICs found"), "confirmed", "ASICs found"),
        (
            lambda flag, inspector: record(flag, "compliant", inspector),
            "dismissed",
            f"Inspection of {VISIT}: compliant",
        ),
        (
            lambda flag, inspector: record(flag, "illegal_operation", inspector),
            "confirmed",
            f"Inspection of {VISIT}: illegal operation",
        ),
        (
            lambda flag, inspector: flag_schedule_inspection(flag=flag, date=VISIT, inspectors=[inspector]),
            "under_inspection",
            "",
        ),
    ],
    ids=["dismiss", "confirm", "compliant_visit", "illegal_visit", "schedule"],
)
def test_every_decision_shows_in_the_audit_trail(firm_b, inspector, decide, status, reason):
    flag = facility_flag(firm_b)

    decide(flag, inspector)

    event = latest_event(flag)
    assert event.pgh_label == "update"
    assert (event.pgh_data["status"], event.pgh_data["decision_reason"]) == (status, reason)
    assert event.pgh_diff["status"] == ["open", status]


def test_an_assignment_shows_in_the_audit_trail(firm_b, inspector):
    flag = facility_flag(firm_b)

    flag_assign(flag=flag, inspector=inspector)

    event = latest_event(flag)
    assert event.pgh_diff["assigned_to_id"] == [None, inspector.pk]


def test_a_refused_decision_leaves_no_trace_in_the_audit_trail(firm_b):
    flag = facility_flag(firm_b, status="confirmed")
    events = Events.objects.tracks(flag).count()

    with pytest.raises(InvalidTransition):
        flag_dismiss(flag=flag, reason="Too late")

    assert Events.objects.tracks(flag).count() == events
