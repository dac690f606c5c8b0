"""The licence lifecycle (docs/rules.md, "Licences"): every allowed and refused decision, numbers, terms, races."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.utils.translation import override

from registry import clock
from registry.errors import InvalidTransition, RegistryError
from registry.models import EnforcementAction, Licence
from registry.services import licences as service
from tests.detection.fixtures import facility, firm, licence
from tests.factories import LicenceFactory

TODAY = dt.date(2025, 6, 10)
S = Licence.Status

# The services a regulator decides with, each with the arguments a valid call needs.
DECISIONS = {
    "start_review": lambda lic: service.licence_start_review(licence=lic),
    "grant": lambda lic: service.licence_grant(licence=lic, valid_from=TODAY),
    "reject": lambda lic: service.licence_reject(licence=lic, reason="Incomplete application"),
    "suspend": lambda lic: service.licence_suspend(licence=lic, months=2, reason="Over capacity"),
    "reinstate": lambda lic: service.licence_reinstate(licence=lic),
    "revoke": lambda lic: service.licence_revoke(licence=lic, reason="Repeated violations"),
    "surrender": lambda lic: service.licence_surrender(licence=lic, reason="Leaving the market"),
}
ALLOWED = {
    "start_review": {S.APPLIED: S.UNDER_REVIEW},
    "grant": {S.APPLIED: S.ACTIVE, S.UNDER_REVIEW: S.ACTIVE},
    "reject": {S.APPLIED: S.REJECTED, S.UNDER_REVIEW: S.REJECTED},
    "suspend": {S.ACTIVE: S.SUSPENDED},
    "reinstate": {S.SUSPENDED: S.ACTIVE},
    "revoke": {S.ACTIVE: S.REVOKED, S.SUSPENDED: S.REVOKED},
    "surrender": {S.ACTIVE: S.SURRENDERED, S.SUSPENDED: S.SURRENDERED},
}
ALLOWED_CASES = [(decision, start, end) for decision, moves in ALLOWED.items() for start, end in moves.items()]
REFUSED_CASES = [(decision, start) for decision in DECISIONS for start in S.values if start not in ALLOWED[decision]]


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def owner(db):
    return firm("30000000001", "Gamma Compute LLP")


@pytest.fixture
def site(owner):
    return facility("FAC-G1", owner)


def licence_in(status: str, owner, site, *, number: str = "KZ-DM-2024-000010", **fields) -> Licence:
    """A licence over `site` in the given status, dated 2024-01-01 … 2026-12-31 once granted."""
    made = licence(number, owner, site, status=status)
    if fields:
        Licence.objects.filter(pk=made.pk).update(**fields)
        made.refresh_from_db()
    return made


def snapshot(lic: Licence) -> dict:
    return (
        Licence.objects.filter(pk=lic.pk)
        .values("status", "number", "valid_from", "valid_until", "status_reason", "suspended_until")
        .get()
    )


@pytest.mark.parametrize(("decision", "start", "end"), ALLOWED_CASES, ids=lambda v: str(v))
def test_it_applies_every_allowed_decision(owner, site, decision, start, end):
    lic = licence_in(start, owner, site)

    returned = DECISIONS[decision](lic)

    assert returned.status == end
    assert Licence.objects.get(pk=lic.pk).status == end


@pytest.mark.parametrize(("decision", "start"), REFUSED_CASES, ids=lambda v: str(v))
def test_it_refuses_every_other_decision_naming_the_current_status_and_changes_nothing(owner, site, decision, start):
    lic = licence_in(start, owner, site)
    before = snapshot(lic)
    with override("en"):
        label = str(S(start).label)

    with override("en"), pytest.raises(InvalidTransition) as refused:
        DECISIONS[decision](lic)

    assert f"is {label}:" in str(refused.value)
    assert snapshot(lic) == before
    assert not EnforcementAction.objects.exists()


def test_it_walks_an_application_through_review_to_a_granted_licence(owner, site):
    application = licence_in(S.APPLIED, owner, site)

    service.licence_start_review(licence=application)
    granted = service.licence_grant(licence=application, valid_from=dt.date(2025, 3, 1))

    assert (granted.status, granted.number) == (S.ACTIVE, "KZ-DM-2025-000001")
    assert (granted.valid_from, granted.valid_until) == (dt.date(2025, 3, 1), dt.date(2028, 2, 29))
    assert granted.is_in_force(dt.date(2028, 2, 29))
    assert not granted.is_in_force(dt.date(2028, 3, 1))


def test_grant_gives_three_years_of_validity_ending_the_day_before_the_anniversary(owner, site):
    application = licence_in(S.UNDER_REVIEW, owner, site)

    granted = service.licence_grant(licence=application, valid_from=dt.date(2025, 7, 15))

    assert granted.valid_until == dt.date(2028, 7, 14)


def test_grant_takes_the_next_free_number_of_the_valid_from_year(owner, site):
    other = facility("FAC-G2", owner)
    licence("KZ-DM-2025-000007", owner, other, status="expired")
    licence("KZ-DM-2025-000003", owner, facility("FAC-G3", owner), status="revoked")
    licence("KZ-DM-2026-000050", owner, facility("FAC-G4", owner), status="active")
    application = licence_in(S.APPLIED, owner, site)

    granted = service.licence_grant(licence=application, valid_from=dt.date(2025, 9, 1))

    assert granted.number == "KZ-DM-2025-000008"


def test_grant_starts_a_new_year_at_number_one(owner, site):
    licence("KZ-DM-2025-000041", owner, facility("FAC-G2", owner), status="active")
    application = licence_in(S.APPLIED, owner, site)

    granted = service.licence_grant(licence=application, valid_from=dt.date(2027, 1, 2))

    assert granted.number == "KZ-DM-2027-000001"


def test_grant_over_a_facility_held_by_another_active_licence_is_refused_and_changes_nothing(firm_a):
    held = firm_a.facilities.get()
    application = LicenceFactory(firm=firm_a, capacity_mw=Decimal("5"), status="applied", facilities=[held])
    before = snapshot(application)

    with override("en"), pytest.raises(RegistryError) as refused:
        service.licence_grant(licence=application, valid_from=dt.date(2025, 1, 1))

    assert "already covered by another active or suspended licence" in str(refused.value)
    assert not isinstance(refused.value, InvalidTransition)
    assert snapshot(application) == before
    assert Licence.objects.get(number="KZ-DM-2024-000001").status == S.ACTIVE


def test_grant_over_a_facility_whose_licence_was_revoked_succeeds(owner, site):
    licence_in(S.REVOKED, owner, site, number="KZ-DM-2024-000001")
    application = LicenceFactory(firm=owner, capacity_mw=Decimal("5"), status="applied", facilities=[site])

    granted = service.licence_grant(licence=application, valid_from=dt.date(2025, 1, 1))

    assert granted.status == S.ACTIVE


@pytest.mark.parametrize("decision", ["reject", "suspend", "revoke"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decision_against_the_holder_needs_a_reason(owner, site, decision, reason):
    start = S.APPLIED if decision == "reject" else S.ACTIVE
    lic = licence_in(start, owner, site)
    before = snapshot(lic)
    call = {
        "reject": lambda: service.licence_reject(licence=lic, reason=reason),
        "suspend": lambda: service.licence_suspend(licence=lic, months=3, reason=reason),
        "revoke": lambda: service.licence_revoke(licence=lic, reason=reason),
    }[decision]

    with override("en"), pytest.raises(RegistryError, match="Give a reason"):
        call()

    assert snapshot(lic) == before
    assert not EnforcementAction.objects.exists()


def test_reject_records_the_reason(owner, site):
    application = licence_in(S.UNDER_REVIEW, owner, site)

    rejected = service.licence_reject(licence=application, reason="  No grid capacity in the region ")

    assert (rejected.status, rejected.status_reason) == (S.REJECTED, "No grid capacity in the region")


@pytest.mark.parametrize(
    ("months", "until"), [(1, dt.date(2025, 7, 10)), (3, dt.date(2025, 9, 10)), (6, dt.date(2025, 12, 10))]
)
def test_suspend_sets_the_end_of_the_suspension(owner, site, months, until):
    lic = licence_in(S.ACTIVE, owner, site)

    suspended = service.licence_suspend(licence=lic, months=months, reason="Over capacity")

    assert (suspended.status, suspended.suspended_until, suspended.status_reason) == (
        S.SUSPENDED,
        until,
        "Over capacity",
    )


@pytest.mark.parametrize("months", [0, 7, -1])
def test_suspend_refuses_a_term_outside_one_to_six_months(owner, site, months):
    lic = licence_in(S.ACTIVE, owner, site)
    before = snapshot(lic)

    with override("en"), pytest.raises(RegistryError, match="from 1 to 6 months"):
        service.licence_suspend(licence=lic, months=months, reason="Over capacity")

    assert snapshot(lic) == before
    assert not EnforcementAction.objects.exists()


def test_suspend_records_an_enforcement_action(owner, site):
    lic = licence_in(S.ACTIVE, owner, site)

    service.licence_suspend(licence=lic, months=2, reason="Over capacity")

    action = EnforcementAction.objects.get()
    assert (action.action, action.licence, action.firm, action.facility, action.date, action.notes) == (
        "licence_suspended",
        lic,
        owner,
        site,
        TODAY,
        "Over capacity",
    )


def test_revoke_records_an_enforcement_action(owner, site):
    lic = licence_in(S.SUSPENDED, owner, site, suspended_until=dt.date(2025, 8, 1))

    revoked = service.licence_revoke(licence=lic, reason="Fraudulent declarations")

    action = EnforcementAction.objects.get()
    assert (action.action, action.licence, action.firm, action.notes) == (
        "licence_revoked",
        lic,
        owner,
        "Fraudulent declarations",
    )
    assert (revoked.status, revoked.status_reason) == (S.REVOKED, "Fraudulent declarations")


def test_reinstate_clears_the_suspension(owner, site):
    lic = licence_in(S.SUSPENDED, owner, site, suspended_until=dt.date(2025, 8, 1), status_reason="Over capacity")

    reinstated = service.licence_reinstate(licence=lic)

    assert (reinstated.status, reinstated.suspended_until, reinstated.status_reason) == (S.ACTIVE, None, "")


def test_surrender_without_a_note_records_that_the_holder_surrendered(owner, site):
    lic = licence_in(S.ACTIVE, owner, site)

    surrendered = service.licence_surrender(licence=lic)

    assert surrendered.status == S.SURRENDERED
    assert surrendered.status_reason


def test_it_reinstates_only_suspensions_that_have_ended(owner, site):
    ended = licence_in(S.SUSPENDED, owner, site, number="KZ-DM-2024-000001", suspended_until=TODAY)
    running = licence_in(
        S.SUSPENDED,
        owner,
        facility("FAC-G2", owner),
        number="KZ-DM-2024-000002",
        suspended_until=TODAY + dt.timedelta(days=1),
    )
    past_validity = licence_in(
        S.SUSPENDED,
        owner,
        facility("FAC-G3", owner),
        number="KZ-DM-2024-000003",
        suspended_until=TODAY,
        valid_from=dt.date(2022, 1, 1),
        valid_until=dt.date(2025, 6, 1),
    )
    revoked = licence_in(S.REVOKED, owner, facility("FAC-G4", owner), number="KZ-DM-2024-000004", suspended_until=TODAY)

    count = service.licences_reinstate_due(today=TODAY)

    assert count == 1
    statuses = dict(Licence.objects.values_list("number", "status"))
    assert statuses == {
        ended.number: S.ACTIVE,
        running.number: S.SUSPENDED,
        past_validity.number: S.SUSPENDED,
        revoked.number: S.REVOKED,
    }
    assert Licence.objects.get(pk=ended.pk).suspended_until is None


def test_a_second_grant_on_a_stale_licence_is_refused_and_keeps_the_first_number(owner, site):
    application = licence_in(S.APPLIED, owner, site)
    first, stale = Licence.objects.get(pk=application.pk), Licence.objects.get(pk=application.pk)
    service.licence_grant(licence=first, valid_from=dt.date(2025, 1, 1))

    with override("en"), pytest.raises(InvalidTransition, match="is Active"):
        service.licence_grant(licence=stale, valid_from=dt.date(2025, 2, 1))

    granted = Licence.objects.get(pk=application.pk)
    assert (granted.number, granted.valid_from) == ("KZ-DM-2025-000001", dt.date(2025, 1, 1))
    assert Licence.objects.filter(number__startswith="KZ-DM-2025-").count() == 1


def test_a_second_revoke_on_a_stale_licence_is_refused_and_records_one_action(owner, site):
    lic = licence_in(S.ACTIVE, owner, site)
    first, stale = Licence.objects.get(pk=lic.pk), Licence.objects.get(pk=lic.pk)
    service.licence_revoke(licence=first, reason="First decision")

    with override("en"), pytest.raises(InvalidTransition, match="is Revoked"):
        service.licence_revoke(licence=stale, reason="Second decision")

    assert Licence.objects.get(pk=lic.pk).status_reason == "First decision"
    assert EnforcementAction.objects.filter(action="licence_revoked").count() == 1


def test_a_suspension_decided_on_a_stale_licence_after_revocation_is_refused(owner, site):
    lic = licence_in(S.ACTIVE, owner, site)
    first, stale = Licence.objects.get(pk=lic.pk), Licence.objects.get(pk=lic.pk)
    service.licence_revoke(licence=first, reason="Revoked")

    with pytest.raises(InvalidTransition):
        service.licence_suspend(licence=stale, months=2, reason="Too late")

    assert Licence.objects.get(pk=lic.pk).status == S.REVOKED
    assert list(EnforcementAction.objects.values_list("action", flat=True)) == ["licence_revoked"]


def _race(calls) -> list:
    """Run the calls at once, each in its own thread (own database connection); return result or error of each."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001  (the test inspects it)
            results[index] = error
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_grants_at_once_on_two_connections_apply_once():
    owner = firm("30000000002", "Race Mining LLP")
    application = licence_in(S.APPLIED, owner, facility("FAC-R1", owner))

    results = _race(
        [
            lambda: service.licence_grant(
                licence=Licence.objects.get(pk=application.pk), valid_from=dt.date(2025, 1, 1)
            ),
            lambda: service.licence_grant(
                licence=Licence.objects.get(pk=application.pk), valid_from=dt.date(2025, 2, 1)
            ),
        ]
    )

    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "Licence"]
    assert Licence.objects.get(pk=application.pk).number == "KZ-DM-2025-000001"


@pytest.mark.django_db(transaction=True)
def test_two_applications_granted_at_once_get_consecutive_numbers():
    owner = firm("30000000003", "Race Two LLP")
    first = licence_in(S.APPLIED, owner, facility("FAC-R2", owner))
    second = licence_in(S.APPLIED, owner, facility("FAC-R3", owner))

    results = _race(
        [
            lambda: service.licence_grant(licence=Licence.objects.get(pk=first.pk), valid_from=dt.date(2025, 1, 1)),
            lambda: service.licence_grant(licence=Licence.objects.get(pk=second.pk), valid_from=dt.date(2025, 1, 1)),
        ]
    )

    assert all(isinstance(r, Licence) for r in results), results
    assert sorted(Licence.objects.values_list("number", flat=True)) == ["KZ-DM-2025-000001", "KZ-DM-2025-000002"]
