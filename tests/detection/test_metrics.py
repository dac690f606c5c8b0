"""The set-based SQL metrics of docs/rules.md, "Detection", against small hand-computed fixtures in PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest

from registry.detection.metrics import (
    Window,
    declared_months,
    licence_loads,
    months_due_in,
    months_ending_in,
    related_firms,
    undeclared_months,
    unlicensed_facility_loads,
    unlinked_connection_loads,
)
from registry.detection.rules import OwnerLink, UndeclaredMonth
from registry.models import Person, PowerDeclaration
from registry.services.readings import bytes_source, readings_import
from tests.detection.fixtures import HOUR, at, declaration, facility, firm, licence, meter, readings
from tests.factories import EnforcementActionFactory, OwnershipFactory, PersonFactory, PowerDeclarationFactory

START = at(2025, 3, 1)
AS_OF = at(2025, 3, 11)
WINDOW = Window(start=START, end=AS_OF)  # 10 days, 240 hours
JANUARY, FEBRUARY, MARCH = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)


@pytest.fixture
def owner(db):
    return firm("10000000001", "Owner Mining LLP")


def measured(loads, key) -> dict[str, tuple[int, Decimal, Decimal]]:
    """{subject: (n, total kWh, peak kWh)} of a metric's result."""
    return {getattr(item, key): (item.load.hours, item.load.kwh_total, item.load.kwh_peak) for item in loads}


# Hours, gaps and the window


def test_window_counts_its_hours():
    assert WINDOW.hours == 240
    assert WINDOW.day == dt.date(2025, 3, 11)


def test_hours_without_readings_do_not_count_and_a_zero_reading_does(db):
    farm = meter("UN-0001")
    readings(farm, {START: 100, START + HOUR: 0, START + 5 * HOUR: 50})

    (load,) = unlinked_connection_loads(WINDOW)

    assert (load.meter_id, load.load.hours, load.load.window_hours) == ("UN-0001", 3, 240)
    assert (load.load.kwh_total, load.load.kwh_peak) == (Decimal(150), Decimal(100))


def test_the_window_includes_its_start_and_excludes_as_of(db):
    farm = meter("UN-0001")
    readings(farm, {START - HOUR: 999, START: 10, AS_OF - HOUR: 20, AS_OF: 999})

    loads = unlinked_connection_loads(WINDOW)

    assert measured(loads, "meter_id") == {"UN-0001": (2, Decimal(30), Decimal(20))}


def test_a_facility_sums_its_connections_per_hour(owner):
    north, south = meter("FB-N"), meter("FB-S")
    facility("FAC-B1", owner, north, south)
    readings(north, {START: 10, START + HOUR: 20})
    readings(south, {START: 5, START + 2 * HOUR: 7})

    loads = unlicensed_facility_loads(WINDOW)

    # Hours: 10+5, 20 (only the north meter), 7 (only the south meter).
    assert measured(loads, "ref") == {"FAC-B1": (3, Decimal(42), Decimal(20))}


def test_a_licence_is_measured_on_all_connections_of_its_facilities_together(owner):
    one, two, three = meter("L-1"), meter("L-2"), meter("L-3")
    first, second = facility("FAC-1", owner, one, two), facility("FAC-2", owner, three)
    licence("KZ-DM-2024-000001", owner, first, second, capacity_mw="0.05")
    readings(one, {START: 10})
    readings(two, {START: 20, START + HOUR: 5})
    readings(three, {START: 30, START + 2 * HOUR: 1})

    (load,) = licence_loads(WINDOW)

    assert (load.number, load.capacity_mw) == ("KZ-DM-2024-000001", Decimal("0.05"))
    assert (load.load.hours, load.load.kwh_total, load.load.kwh_peak) == (3, Decimal(66), Decimal(60))


def test_a_connection_two_covered_facilities_share_counts_once_for_their_licence(owner):
    shared = meter("SHARED")
    licence("KZ-DM-2024-000001", owner, facility("FAC-1", owner, shared), facility("FAC-2", owner, shared))
    readings(shared, {START: 10})

    loads = licence_loads(WINDOW)

    assert measured(loads, "number") == {"KZ-DM-2024-000001": (1, Decimal(10), Decimal(10))}


def test_a_corrected_reading_counts_with_its_latest_value(db):
    meter("UN-0001")
    feed = "meter_id,period_start,kwh\nUN-0001,2025-03-01T00:00Z,{kwh}\nUN-0001,2025-03-01T01:00Z,40\n"
    readings_import(sources=[bytes_source("first.csv", feed.format(kwh=100).encode())], label="first")
    readings_import(sources=[bytes_source("correction.csv", feed.format(kwh=60).encode())], label="correction")

    loads = unlinked_connection_loads(WINDOW)

    assert measured(loads, "meter_id") == {"UN-0001": (2, Decimal(100), Decimal(60))}


# Which subjects each metric measures


def test_connections_linked_to_any_facility_are_not_unlinked_whatever_its_licence(owner):
    free = meter("FREE")
    unlicensed, licensed, revoked = meter("M-UNLICENSED"), meter("M-LICENSED"), meter("M-REVOKED")
    facility("FAC-UNLICENSED", owner, unlicensed)
    licence("KZ-DM-2024-000001", owner, facility("FAC-LICENSED", owner, licensed))
    licence("KZ-DM-2024-000002", owner, facility("FAC-REVOKED", owner, revoked), status="revoked")
    for connection in (free, unlicensed, licensed, revoked):
        readings(connection, {START: 500})

    loads = unlinked_connection_loads(WINDOW)

    assert [load.meter_id for load in loads] == ["FREE"]


def test_only_a_licence_in_force_takes_a_facility_off_the_unlicensed_list(owner):
    licences = {
        "ACTIVE": {"status": "active"},
        "LAST-DAY": {"status": "active", "valid_until": dt.date(2025, 3, 11)},
        "SUSPENDED": {"status": "suspended"},
        "EXPIRED": {"status": "expired", "valid_until": dt.date(2025, 2, 28)},
        "LAPSED": {"status": "active", "valid_until": dt.date(2025, 3, 10)},
        "NOT-YET": {"status": "active", "valid_from": dt.date(2025, 3, 12)},
    }
    for number, (ref, fields) in enumerate(licences.items(), start=1):
        connection = meter(f"M-{ref}")
        licence(f"KZ-DM-2024-{number:06d}", owner, facility(ref, owner, connection), **fields)
        readings(connection, {START: 100})
    unlicensed_meter = meter("M-NONE")
    facility("NONE", owner, unlicensed_meter)
    readings(unlicensed_meter, {START: 100})

    unlicensed = {load.ref for load in unlicensed_facility_loads(WINDOW)}
    in_force = {load.number for load in licence_loads(WINDOW)}

    assert unlicensed == {"SUSPENDED", "EXPIRED", "LAPSED", "NOT-YET", "NONE"}
    assert in_force == {"KZ-DM-2024-000001", "KZ-DM-2024-000002"}


# Months that end, and months that fall due, in (window start, as_of]


@pytest.mark.parametrize(
    "start, end, months",
    [
        (at(2025, 1, 31), at(2025, 3, 1), [JANUARY, FEBRUARY]),  # February ends exactly at as_of
        (at(2025, 2, 1), at(2025, 3, 1), [FEBRUARY]),  # January ends exactly at the window start
        (at(2025, 2, 1, 1), at(2025, 2, 28, 23), []),
        (at(2024, 12, 15), at(2025, 1, 15), [dt.date(2024, 12, 1)]),
        (at(2025, 2, 28, 23), at(2025, 3, 1, 1), [FEBRUARY]),
    ],
)
def test_months_ending_in_the_window(start, end, months):
    assert months_ending_in(Window(start=start, end=end)) == months


@pytest.mark.parametrize(
    "start, end, due",
    [
        # A deadline is the end of the 15th in Almaty (UTC+5): 19:00 UTC on the 15th.
        (at(2025, 1, 17), at(2025, 2, 15, 19), [(JANUARY, at(2025, 2, 15, 19))]),  # deadline exactly at as_of
        (at(2025, 2, 15, 19), at(2025, 3, 15, 19), [(FEBRUARY, at(2025, 3, 15, 19))]),  # January's at the start
        (at(2025, 1, 17), at(2025, 2, 15, 18), []),  # 23:00 on the 15th in Almaty is still in time
        (at(2025, 1, 1), at(2025, 1, 31), [(dt.date(2024, 12, 1), at(2025, 1, 15, 19))]),
        (
            at(2025, 1, 10),
            at(2025, 3, 20),
            [
                (dt.date(2024, 12, 1), at(2025, 1, 15, 19)),
                (JANUARY, at(2025, 2, 15, 19)),
                (FEBRUARY, at(2025, 3, 15, 19)),
            ],
        ),
    ],
)
def test_months_due_in_the_window(start, end, due):
    assert months_due_in(Window(start=start, end=end)) == due


# UNDER_DECLARED and MISSING_DECLARATION candidates


def test_declared_months_meter_the_whole_calendar_month(owner):
    # Window (24 February, 6 March]: February ends inside it, January did not.
    window = Window(start=at(2025, 2, 24), end=at(2025, 3, 6))
    connection = meter("PV-0001")
    site = facility("FAC-A1", owner, connection)
    licence("KZ-DM-2024-000001", owner, site)
    readings(
        connection,
        {
            at(2025, 1, 31, 23): 300,  # January
            at(2025, 2, 1): 1000,  # February, before the window
            at(2025, 2, 28, 23): 500,  # February, inside the window
            at(2025, 3, 1): 700,  # March
        },
    )
    filed = declaration(site, FEBRUARY, "1.0")
    PowerDeclaration.objects.filter(pk=filed.pk).update(is_current=False)
    PowerDeclarationFactory(facility=site, month=FEBRUARY, consumed_mwh=Decimal("1.2"), supersedes=filed)
    declaration(site, JANUARY, "0.1")

    (month,) = declared_months(window)

    assert (month.ref, month.month, month.declared_mwh, month.metered_mwh) == (
        "FAC-A1",
        FEBRUARY,
        Decimal("1.2"),
        Decimal("1.5"),
    )


def test_declared_months_leave_out_facilities_without_a_licence_in_force(owner):
    window = Window(start=at(2025, 2, 24), end=at(2025, 3, 6))
    connection = meter("PV-0001")
    site = facility("FAC-A1", owner, connection)
    licence("KZ-DM-2024-000001", owner, site, status="suspended")
    readings(connection, {at(2025, 2, 28, 23): 500})
    declaration(site, FEBRUARY, "0")

    assert declared_months(window) == []


def test_undeclared_months_need_a_licence_in_force_since_the_first_day_of_the_month(owner):
    # Window (10 March, 20 March]: February fell due at the end of 15 March in Almaty (19:00 UTC).
    window = Window(start=at(2025, 3, 10), end=at(2025, 3, 20))
    first = facility("SINCE-1ST", owner)
    licence("KZ-DM-2025-000001", owner, first, valid_from=FEBRUARY)
    licence("KZ-DM-2025-000002", owner, facility("SINCE-2ND", owner), valid_from=dt.date(2025, 2, 2))
    declared = facility("DECLARED", owner)
    licence("KZ-DM-2024-000003", owner, declared)
    declaration(declared, FEBRUARY, "5")
    licence("KZ-DM-2024-000004", owner, facility("SUSPENDED", owner), status="suspended")
    facility("UNLICENSED", owner)

    undeclared = undeclared_months(window)

    assert undeclared == [UndeclaredMonth(first.pk, "SINCE-1ST", owner.pk, FEBRUARY, at(2025, 3, 15, 19))]


# RELATED_PARTY candidates


def person(person_id: str) -> Person:
    return PersonFactory(person_id=person_id, full_name=f"Person {person_id}")


def owns(who: Person, *firms, role: str = "beneficial_owner") -> None:
    for held in firms:
        OwnershipFactory(firm=held, person=who, role=role)


# What the database requires of these actions (a case number, a device count, an amount).
REQUIRED_DETAILS = {
    "criminal_case": {"case_number": "CC-1"},
    "equipment_confiscated": {"devices": 100},
    "fine": {"fine_kzt": 1},
}


def sanction(target, action: str, date: dt.date) -> None:
    details = REQUIRED_DETAILS.get(action, {})
    EnforcementActionFactory(firm=target, action=action, date=date, region="pavlodar", **details)


@pytest.fixture
def shadow(db):
    """An unregistered operator whose farm was cancelled."""
    return firm("20000000001", "Shadow Hash", origin="unregistered")


def test_related_firms_find_licensed_and_applying_firms_sharing_an_owner_with_a_sanctioned_one(owner, shadow):
    applicant = firm("10000000002", "Applicant LLP")
    licence("KZ-DM-2024-000001", owner, facility("FAC-1", owner))
    licence(None, applicant, status="applied")
    yerlan = person("P-001")
    owns(yerlan, owner, applicant, shadow)
    sanction(shadow, "operation_cancelled", dt.date(2024, 6, 1))

    related = related_firms(WINDOW, years=3)

    link = OwnerLink("P-001", "Person P-001", shadow.bin, "Shadow Hash", "operation_cancelled", dt.date(2024, 6, 1))
    assert {item.bin: item.links for item in related} == {owner.bin: (link,), applicant.bin: (link,)}


def test_related_firms_look_back_three_years(owner, shadow):
    older = firm("20000000002", "Old Hash")
    licence("KZ-DM-2024-000001", owner, facility("FAC-1", owner))
    owns(person("P-001"), owner, shadow)
    owns(person("P-002"), owner, older)
    sanction(shadow, "criminal_case", dt.date(2022, 3, 12))
    sanction(older, "equipment_confiscated", dt.date(2022, 3, 10))

    (related,) = related_firms(WINDOW, years=3)

    assert [(link.person_id, link.firm_bin, link.action) for link in related.links] == [
        ("P-001", shadow.bin, "criminal_case")
    ]


def test_related_firms_leave_out_a_firms_own_action(owner, shadow):
    licence("KZ-DM-2024-000001", owner, facility("FAC-1", owner))
    owns(person("P-001"), owner, shadow)
    sanction(owner, "criminal_case", dt.date(2024, 6, 1))

    assert related_firms(WINDOW, years=3) == []


def test_related_firms_leave_out_fines_closures_and_directors(owner, shadow):
    directed = firm("20000000002", "Directed Hash")
    licence("KZ-DM-2024-000001", owner, facility("FAC-1", owner))
    owns(person("P-001"), owner, shadow)
    sanction(shadow, "fine", dt.date(2024, 6, 1))
    sanction(shadow, "voluntary_closure", dt.date(2024, 6, 1))
    director = person("P-002")
    owns(director, owner)
    owns(director, directed, role="director")
    sanction(directed, "operation_cancelled", dt.date(2024, 6, 1))

    assert related_firms(WINDOW, years=3) == []


def test_related_firms_leave_out_firms_without_a_licence_in_force_or_pending(owner, shadow):
    licence("KZ-DM-2021-000001", owner, facility("FAC-1", owner), status="expired", valid_until=dt.date(2024, 12, 31))
    unlicensed = firm("10000000002", "Unlicensed LLP")
    owns(person("P-001"), owner, unlicensed, shadow)
    sanction(shadow, "operation_cancelled", dt.date(2024, 6, 1))

    assert related_firms(WINDOW, years=3) == []
