"""Legal status (docs/rules.md, "Legal status") of facilities, grid connections and firms, computed in the query."""

import datetime as dt
from decimal import Decimal

import pytest

from registry.models import EnforcementAction, Facility, Firm, Flag, GridConnection, Inspection, Licence
from registry.selectors.legal_status import (
    PRECEDENCE,
    annotate,
    connection_conditions,
    facility_conditions,
    firm_conditions,
    with_status,
)
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
)

TODAY = dt.date(2025, 6, 10)
WINDOW_END = dt.datetime(2025, 5, 31, tzinfo=dt.UTC)
ALL_STATUSES = [str(s) for s in PRECEDENCE] + [""]


def _ids(value):
    return "+".join(value) if isinstance(value, tuple) else value


# Builders: each puts one fact about a site on record, before TODAY.


def licence_over(
    site: Facility,
    status: str,
    valid_from=dt.date(2024, 1, 1),
    valid_until=dt.date(2026, 12, 31),
    firm: Firm | None = None,
) -> Licence:
    """A licence over the site; an application (applied, under review, rejected) has no dates."""
    dates = {} if status in Licence.UNDATED_STATUSES else {"valid_from": valid_from, "valid_until": valid_until}
    return LicenceFactory(firm=firm or site.firm, capacity_mw=Decimal("5"), status=status, facilities=[site], **dates)


def flag_on(*, status: str, rule: str = "NO_VALID_LICENCE", **subject) -> Flag:
    return FlagFactory(status=status, rule=rule, window_end=WINDOW_END, **subject)


def inspection_at(*, outcome: str, **site) -> Inspection:
    return InspectionFactory(date=dt.date(2025, 5, 20), outcome=outcome, **site)


def action_on(kind: str, *, firm: Firm, **details) -> EnforcementAction:
    return EnforcementActionFactory(action=kind, firm=firm, region="pavlodar", date=dt.date(2025, 5, 25), **details)


# Facility facts, by name: (what is on record, the status it gives on its own).
FACILITY_FACTS = {
    "in_force": (lambda s: licence_over(s, "active"), "licensed"),
    "in_force_last_day": (lambda s: licence_over(s, "active", valid_until=TODAY), "licensed"),
    "applied": (lambda s: licence_over(s, "applied"), "pending"),
    "under_review": (lambda s: licence_over(s, "under_review"), "pending"),
    "expired": (lambda s: licence_over(s, "expired", dt.date(2021, 1, 1), dt.date(2023, 12, 31)), "licence_lapsed"),
    "suspended": (lambda s: licence_over(s, "suspended"), "licence_lapsed"),
    "revoked": (lambda s: licence_over(s, "revoked"), "licence_lapsed"),
    "surrendered": (lambda s: licence_over(s, "surrendered"), "licence_lapsed"),
    "active_past_validity": (
        lambda s: licence_over(s, "active", dt.date(2022, 1, 1), TODAY - dt.timedelta(days=1)),
        "licence_lapsed",
    ),
    "rejected": (lambda s: licence_over(s, "rejected"), ""),
    "open_flag": (lambda s: flag_on(status="open", facility=s, firm=s.firm), "suspected_illegal"),
    "flag_under_inspection": (
        lambda s: flag_on(status="under_inspection", facility=s, firm=s.firm),
        "suspected_illegal",
    ),
    "dismissed_flag": (lambda s: flag_on(status="dismissed", facility=s, firm=s.firm), ""),
    "open_over_capacity_flag": (lambda s: flag_on(status="open", rule="OVER_CAPACITY", facility=s), ""),
    "confirmed_flag": (lambda s: flag_on(status="confirmed", facility=s, firm=s.firm), "illegal"),
    "illegal_inspection": (lambda s: inspection_at(outcome="illegal_operation", facility=s), "illegal"),
    "violations_inspection": (lambda s: inspection_at(outcome="violations", facility=s), ""),
    "closed": (lambda s: action_on("voluntary_closure", firm=s.firm, facility=s), "closed_voluntarily"),
    "cancelled": (lambda s: action_on("operation_cancelled", firm=s.firm, facility=s), "cancelled"),
    "fined": (lambda s: action_on("fine", firm=s.firm, facility=s, fine_kzt=Decimal("1000000")), ""),
    "nothing": (lambda s: None, ""),
}

# Two facts on one site: the higher one in PRECEDENCE wins.
FACILITY_PRECEDENCE = [
    (("cancelled", "in_force"), "cancelled"),
    (("cancelled", "closed"), "cancelled"),
    (("closed", "illegal_inspection"), "closed_voluntarily"),
    (("illegal_inspection", "in_force"), "illegal"),
    (("in_force", "open_flag"), "licensed"),
    (("in_force", "expired"), "licensed"),
    (("in_force", "applied"), "licensed"),
    (("open_flag", "applied"), "suspected_illegal"),
    (("open_flag", "expired"), "suspected_illegal"),
    (("applied", "expired"), "pending"),
    (("applied", "revoked"), "pending"),
]


def facility_status(site: Facility) -> str:
    return annotate(Facility.objects.filter(pk=site.pk), facility_conditions(TODAY)).get().legal_status


@pytest.mark.parametrize("fact", list(FACILITY_FACTS))
def test_a_facility_has_the_status_of_what_is_on_record(db, fact):
    site = FacilityFactory()
    arrange, expected = FACILITY_FACTS[fact]
    arrange(site)

    status = facility_status(site)

    assert status == expected


@pytest.mark.parametrize(("facts", "expected"), FACILITY_PRECEDENCE, ids=_ids)
def test_a_facility_shows_the_higher_of_two_statuses(db, facts, expected):
    site = FacilityFactory()
    for fact in facts:
        FACILITY_FACTS[fact][0](site)

    status = facility_status(site)

    assert status == expected


def test_a_licence_not_yet_valid_does_not_license_a_facility(db):
    site = FacilityFactory()
    licence_over(site, "active", valid_from=TODAY + dt.timedelta(days=1), valid_until=dt.date(2028, 6, 10))

    assert facility_status(site) != "licensed"


def test_the_precedence_is_the_documented_order():
    assert [str(s) for s in PRECEDENCE] == [
        "cancelled",
        "closed_voluntarily",
        "illegal",
        "licensed",
        "suspected_illegal",
        "pending",
        "licence_lapsed",
    ]


# Connections: their own record and that of every facility they feed.


def via_facility(fact: str):
    def arrange(meter: GridConnection) -> None:
        site = FacilityFactory()
        site.connections.add(meter)
        FACILITY_FACTS[fact][0](site)

    return arrange


def _own_action(kind: str):
    return lambda m: action_on(kind, firm=FirmFactory(), connection=m)


CONNECTION_FACTS = {
    "nothing": (lambda m: None, ""),
    "own_open_flag": (lambda m: flag_on(status="open", rule="UNLICENSED_MINING", connection=m), "suspected_illegal"),
    "own_flag_under_inspection": (
        lambda m: flag_on(status="under_inspection", rule="UNLICENSED_MINING", connection=m),
        "suspected_illegal",
    ),
    "own_dismissed_flag": (lambda m: flag_on(status="dismissed", rule="UNLICENSED_MINING", connection=m), ""),
    "own_confirmed_flag": (lambda m: flag_on(status="confirmed", rule="UNLICENSED_MINING", connection=m), "illegal"),
    "own_illegal_inspection": (lambda m: inspection_at(outcome="illegal_operation", connection=m), "illegal"),
    "own_compliant_inspection": (lambda m: inspection_at(outcome="compliant", connection=m), ""),
    "own_closure": (_own_action("voluntary_closure"), "closed_voluntarily"),
    "own_cancellation": (_own_action("operation_cancelled"), "cancelled"),
    "facility_in_force": (via_facility("in_force"), "licensed"),
    "facility_applied": (via_facility("applied"), "pending"),
    "facility_expired": (via_facility("expired"), "licence_lapsed"),
    "facility_suspended": (via_facility("suspended"), "licence_lapsed"),
    "facility_open_flag": (via_facility("open_flag"), "suspected_illegal"),
    "facility_illegal_inspection": (via_facility("illegal_inspection"), "illegal"),
    "facility_confirmed_flag": (via_facility("confirmed_flag"), "illegal"),
    "facility_closed": (via_facility("closed"), "closed_voluntarily"),
    "facility_cancelled": (via_facility("cancelled"), "cancelled"),
    "facility_with_nothing": (via_facility("nothing"), ""),
}
CONNECTION_PRECEDENCE = [
    (("own_cancellation", "facility_in_force"), "cancelled"),
    (("facility_cancelled", "own_illegal_inspection"), "cancelled"),
    (("own_closure", "facility_illegal_inspection"), "closed_voluntarily"),
    (("own_illegal_inspection", "facility_in_force"), "illegal"),
    (("facility_in_force", "own_open_flag"), "licensed"),
    (("facility_in_force", "facility_expired"), "licensed"),
    (("own_open_flag", "facility_applied"), "suspected_illegal"),
    (("own_open_flag", "facility_expired"), "suspected_illegal"),
    (("facility_applied", "facility_expired"), "pending"),
]


def connection_status(meter: GridConnection) -> str:
    return annotate(GridConnection.objects.filter(pk=meter.pk), connection_conditions(TODAY)).get().legal_status


@pytest.mark.parametrize("fact", list(CONNECTION_FACTS))
def test_a_connection_has_the_status_of_its_own_record_and_its_facilities(db, fact):
    meter = GridConnectionFactory()
    arrange, expected = CONNECTION_FACTS[fact]
    arrange(meter)

    status = connection_status(meter)

    assert status == expected


@pytest.mark.parametrize(("facts", "expected"), CONNECTION_PRECEDENCE, ids=_ids)
def test_a_connection_shows_the_higher_of_two_statuses(db, facts, expected):
    meter = GridConnectionFactory()
    for fact in facts:
        CONNECTION_FACTS[fact][0](meter)

    status = connection_status(meter)

    assert status == expected


def test_a_connection_is_not_touched_by_another_connections_record(db):
    meter, neighbour = GridConnectionFactory(), GridConnectionFactory()
    flag_on(status="confirmed", rule="UNLICENSED_MINING", connection=neighbour)
    inspection_at(outcome="illegal_operation", connection=neighbour)

    assert connection_status(meter) == ""


# Firms: their licences, their flags and inspections, what enforcement did to them.


def _with_facility(fact: str):
    def arrange(firm: Firm) -> None:
        FACILITY_FACTS[fact][0](FacilityFactory(firm=firm))

    return arrange


FIRM_FACTS = {
    "nothing": (lambda f: None, ""),
    "in_force": (_with_facility("in_force"), "licensed"),
    "applied": (_with_facility("applied"), "pending"),
    "under_review": (_with_facility("under_review"), "pending"),
    "expired": (_with_facility("expired"), "licence_lapsed"),
    "suspended": (_with_facility("suspended"), "licence_lapsed"),
    "revoked": (_with_facility("revoked"), "licence_lapsed"),
    "surrendered": (_with_facility("surrendered"), "licence_lapsed"),
    "active_past_validity": (_with_facility("active_past_validity"), "licence_lapsed"),
    "rejected": (_with_facility("rejected"), ""),
    "open_flag": (_with_facility("open_flag"), "suspected_illegal"),
    "dismissed_flag": (_with_facility("dismissed_flag"), ""),
    "confirmed_flag": (_with_facility("confirmed_flag"), "illegal"),
    "confirmed_connection_flag": (
        lambda f: flag_on(status="confirmed", rule="UNLICENSED_MINING", connection=GridConnectionFactory(), firm=f),
        "illegal",
    ),
    "named_in_illegal_inspection": (
        lambda f: inspection_at(outcome="illegal_operation", connection=GridConnectionFactory(), firm=f),
        "illegal",
    ),
    "facility_illegal_inspection": (_with_facility("illegal_inspection"), "illegal"),
    "closed": (lambda f: action_on("voluntary_closure", firm=f), "closed_voluntarily"),
    "cancelled": (lambda f: action_on("operation_cancelled", firm=f), "cancelled"),
}
FIRM_PRECEDENCE = [
    (("cancelled", "in_force"), "cancelled"),
    (("cancelled", "closed"), "cancelled"),
    (("closed", "named_in_illegal_inspection"), "closed_voluntarily"),
    (("facility_illegal_inspection", "in_force"), "illegal"),
    (("in_force", "open_flag"), "licensed"),
    (("in_force", "expired"), "licensed"),
    (("open_flag", "applied"), "suspected_illegal"),
    (("open_flag", "expired"), "suspected_illegal"),
    (("applied", "expired"), "pending"),
]


def firm_status(firm: Firm) -> str:
    return annotate(Firm.objects.filter(pk=firm.pk), firm_conditions(TODAY)).get().legal_status


@pytest.mark.parametrize("fact", list(FIRM_FACTS))
def test_a_firm_has_the_status_of_what_is_on_record(db, fact):
    firm = FirmFactory()
    arrange, expected = FIRM_FACTS[fact]
    arrange(firm)

    status = firm_status(firm)

    assert status == expected


@pytest.mark.parametrize(("facts", "expected"), FIRM_PRECEDENCE, ids=_ids)
def test_a_firm_shows_the_higher_of_two_statuses(db, facts, expected):
    firm = FirmFactory()
    for fact in facts:
        FIRM_FACTS[fact][0](firm)

    status = firm_status(firm)

    assert status == expected


# with_status: the filter agrees with the column, for every status.


def _mixed(facts: dict, combos: list, make):
    """One subject per single fact and per combination of facts."""
    for arrange, _expected in facts.values():
        arrange(make())
    for names, _expected in combos:
        subject = make()
        for name in names:
            facts[name][0](subject)


@pytest.mark.parametrize(
    ("model", "conditions", "facts", "combos", "make"),
    [
        (Facility, facility_conditions, FACILITY_FACTS, FACILITY_PRECEDENCE, FacilityFactory),
        (GridConnection, connection_conditions, CONNECTION_FACTS, CONNECTION_PRECEDENCE, GridConnectionFactory),
        (Firm, firm_conditions, FIRM_FACTS, FIRM_PRECEDENCE, FirmFactory),
    ],
    ids=["facilities", "connections", "firms"],
)
def test_with_status_returns_exactly_the_rows_showing_that_status(db, model, conditions, facts, combos, make):
    _mixed(facts, combos, make)
    queryset = model.objects.all()
    shown = dict(annotate(queryset, conditions(TODAY)).values_list("pk", "legal_status"))

    filtered = {s: set(with_status(queryset, conditions(TODAY), s).values_list("pk", flat=True)) for s in ALL_STATUSES}

    for status in ALL_STATUSES:
        expected = {pk for pk, shown_status in shown.items() if shown_status == status}
        assert expected, f"the mixed set has no row with status {status!r}"
        assert filtered[status] == expected, status
