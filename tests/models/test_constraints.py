"""PostgreSQL itself refuses bad data, whatever path it comes by (no Python validation here)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from registry.models import (
    EnforcementAction,
    Firm,
    Flag,
    GridConnection,
    Licence,
    LicenceCoverage,
    MeterReading,
    PowerDeclaration,
)
from tests.factories import (
    BIN_A,
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    LicenceFactory,
    PowerDeclarationFactory,
)

UTC = dt.UTC


def assert_refused(create, constraint: str) -> None:
    """Assert that PostgreSQL refuses the write, by the named constraint."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        create()
    assert caught.value.__cause__.diag.constraint_name == constraint


@pytest.fixture
def facility(firm_a):
    return firm_a.facilities.get()


@pytest.fixture
def licence(firm_a):
    """Active 2024-01-01 … 2026-12-31 over FAC-A1."""
    return firm_a.licences.get()


@pytest.fixture
def connection(firm_a):
    return GridConnection.objects.get(meter_id="PV-0001")


# Uniqueness of natural keys


def test_it_refuses_a_duplicate_bin(firm_a):
    assert_refused(lambda: FirmFactory(bin=BIN_A), "registry_firm_bin_key")


def test_it_refuses_a_duplicate_meter_id(connection):
    assert_refused(
        lambda: GridConnectionFactory(meter_id="PV-0001"),
        "registry_gridconnection_meter_id_key",
    )


def test_it_refuses_a_duplicate_facility_ref(firm_a):
    assert_refused(
        lambda: FacilityFactory(ref="FAC-A1", firm=firm_a),
        "registry_facility_ref_key",
    )


def test_it_refuses_a_duplicate_licence_number(firm_a):
    assert_refused(
        lambda: LicenceFactory(
            firm=firm_a, number="KZ-DM-2024-000001", valid_from=dt.date(2030, 1, 1), valid_until=dt.date(2030, 12, 31)
        ),
        "registry_licence_number_key",
    )


def test_it_allows_many_applications_without_a_number(firm_a):
    for _ in range(2):
        LicenceFactory(firm=firm_a, status="applied")

    assert Licence.objects.filter(number__isnull=True).count() == 2


# Firms


@pytest.mark.parametrize("bad_bin", ["29141777631", "29141777631A", "", "٢٩١٤١٧٧٧٦٣١٠"])
def test_it_refuses_a_firm_bin_that_is_not_12_ascii_digits(db, bad_bin):
    assert_refused(lambda: FirmFactory(bin=bad_bin), "firm_bin_12_digits")


def test_it_refuses_a_firm_bin_changed_by_update_to_11_digits(firm_a):
    assert_refused(lambda: Firm.objects.filter(pk=firm_a.pk).update(bin="29141777631"), "firm_bin_12_digits")


def test_it_refuses_an_unknown_region(db):
    assert_refused(lambda: FirmFactory(region="atlantis"), "firm_region_known")


# Licences


def test_it_refuses_valid_from_after_valid_until(firm_a):
    assert_refused(
        lambda: LicenceFactory(
            firm=firm_a, number="KZ-DM-X", valid_from=dt.date(2025, 6, 2), valid_until=dt.date(2025, 6, 1)
        ),
        "licence_valid_from_lte_until",
    )


def test_it_accepts_a_licence_valid_for_a_single_day(firm_a):
    LicenceFactory(firm=firm_a, number="KZ-DM-X", valid_from=dt.date(2030, 6, 1), valid_until=dt.date(2030, 6, 1))

    assert Licence.objects.filter(number="KZ-DM-X").exists()


@pytest.mark.parametrize(
    "missing",
    [{"number": None}, {"valid_from": None}, {"valid_until": None}],
    ids=["number", "valid_from", "valid_until"],
)
def test_it_refuses_a_granted_licence_without_number_or_dates(firm_a, missing):
    values = {
        "number": "KZ-DM-X",
        "firm": firm_a,
        "capacity_mw": 1,
        "valid_from": dt.date(2030, 1, 1),
        "valid_until": dt.date(2030, 12, 31),
        "status": "active",
    }

    assert_refused(lambda: Licence.objects.create(**{**values, **missing}), "licence_granted_has_number_and_dates")


def test_it_refuses_granting_an_application_by_update_without_dates(firm_a):
    application = LicenceFactory(firm=firm_a, status="under_review")

    assert_refused(
        lambda: Licence.objects.filter(pk=application.pk).update(status="active", number="KZ-DM-X"),
        "licence_granted_has_number_and_dates",
    )


# Non-negative quantities


def test_it_refuses_a_negative_facility_capacity(firm_a):
    assert_refused(
        lambda: FacilityFactory(firm=firm_a, capacity_mw=-1),
        "facility_capacity_gte_0",
    )


def test_it_refuses_a_negative_licensed_capacity(licence):
    assert_refused(
        lambda: Licence.objects.filter(pk=licence.pk).update(capacity_mw=Decimal("-0.001")),
        "licence_capacity_gte_0",
    )


def test_it_refuses_a_negative_reading(connection):
    assert_refused(
        lambda: MeterReading.objects.create(
            connection=connection, period_start=dt.datetime(2025, 1, 1, 10, tzinfo=UTC), kwh=Decimal("-1")
        ),
        "reading_kwh_gte_0",
    )


def test_it_refuses_negative_consumed_mwh(facility):
    assert_refused(
        lambda: PowerDeclarationFactory(facility=facility, month=dt.date(2025, 1, 1), consumed_mwh=-5),
        "declaration_mwh_gte_0",
    )


# Meter readings


def test_it_refuses_a_reading_not_on_the_hour(connection):
    assert_refused(
        lambda: MeterReading.objects.create(
            connection=connection, period_start=dt.datetime(2025, 1, 1, 10, 30, tzinfo=UTC), kwh=1
        ),
        "reading_on_the_hour",
    )


def test_it_refuses_a_reading_on_a_local_hour_that_is_not_a_utc_hour(connection):
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))

    assert_refused(
        lambda: MeterReading.objects.create(
            connection=connection, period_start=dt.datetime(2025, 1, 1, 15, tzinfo=india), kwh=1
        ),
        "reading_on_the_hour",
    )


def test_it_accepts_a_reading_on_the_hour_in_another_offset(connection):
    almaty = dt.timezone(dt.timedelta(hours=5))

    MeterReading.objects.create(connection=connection, period_start=dt.datetime(2025, 1, 1, 15, tzinfo=almaty), kwh=1)

    assert MeterReading.objects.get().period_start == dt.datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_it_refuses_a_second_reading_for_the_same_hour(connection):
    hour = dt.datetime(2025, 1, 1, 10, tzinfo=UTC)
    MeterReading.objects.create(connection=connection, period_start=hour, kwh=1)

    assert_refused(
        lambda: MeterReading.objects.create(connection=connection, period_start=hour, kwh=2),
        "registry_meterreading_p202501_pkey",  # the key of January 2025's partition (docs/rules.md)
    )


# Declarations


def test_it_refuses_a_second_current_declaration_for_a_month(facility):
    month = dt.date(2025, 1, 1)
    PowerDeclarationFactory(facility=facility, month=month, consumed_mwh=100)

    assert_refused(
        lambda: PowerDeclarationFactory(facility=facility, month=month, consumed_mwh=90),
        "declaration_one_current_per_month",
    )


def test_it_keeps_superseded_declarations_beside_the_current_one(facility):
    month = dt.date(2025, 1, 1)
    first = PowerDeclarationFactory(facility=facility, month=month, consumed_mwh=100, is_current=False)
    second = PowerDeclarationFactory(
        facility=facility, month=month, consumed_mwh=90, is_current=False, supersedes=first
    )

    PowerDeclarationFactory(facility=facility, month=month, consumed_mwh=80, supersedes=second)

    assert PowerDeclaration.objects.filter(facility=facility, month=month).count() == 3


def test_it_refuses_a_declaration_month_not_on_the_first(facility):
    assert_refused(
        lambda: PowerDeclarationFactory(facility=facility, month=dt.date(2025, 1, 15), consumed_mwh=1),
        "declaration_month_first_day",
    )


# One licence holds a facility at a time (exclusion constraint on LicenceCoverage)


def test_it_refuses_a_second_active_licence_over_overlapping_dates(firm_a, facility):
    second = LicenceFactory(
        firm=firm_a, number="KZ-DM-2", valid_from=dt.date(2026, 6, 1), valid_until=dt.date(2029, 5, 31)
    )

    assert_refused(lambda: second.facilities.add(facility), "licence_coverage_no_overlap")


def test_it_counts_the_last_day_as_overlapping(firm_a, facility):
    second = LicenceFactory(
        firm=firm_a, number="KZ-DM-2", valid_from=dt.date(2026, 12, 31), valid_until=dt.date(2029, 12, 30)
    )

    assert_refused(lambda: second.facilities.add(facility), "licence_coverage_no_overlap")


def test_it_refuses_a_suspended_licence_over_overlapping_dates(firm_a, facility):
    second = LicenceFactory(
        firm=firm_a,
        number="KZ-DM-2",
        valid_from=dt.date(2025, 1, 1),
        valid_until=dt.date(2027, 12, 31),
        status="suspended",
    )

    assert_refused(lambda: second.facilities.add(facility), "licence_coverage_no_overlap")


def test_it_accepts_a_licence_starting_the_day_after_the_first_ends(firm_a, facility):
    second = LicenceFactory(
        firm=firm_a, number="KZ-DM-2", valid_from=dt.date(2027, 1, 1), valid_until=dt.date(2029, 12, 31)
    )

    second.facilities.add(facility)

    assert LicenceCoverage.objects.filter(facility=facility).count() == 2


@pytest.mark.parametrize("status", ["expired", "revoked", "surrendered"])
def test_it_accepts_an_ended_licence_over_overlapping_dates(firm_a, facility, status):
    old = LicenceFactory(
        firm=firm_a,
        number="KZ-DM-OLD",
        valid_from=dt.date(2023, 1, 1),
        valid_until=dt.date(2025, 12, 31),
        status=status,
    )

    old.facilities.add(facility)

    assert LicenceCoverage.objects.filter(facility=facility).count() == 2


def test_it_accepts_a_pending_application_for_a_held_facility(firm_a, facility):
    application = LicenceFactory(firm=firm_a, status="applied")

    application.facilities.add(facility)

    assert LicenceCoverage.objects.filter(facility=facility).count() == 2


def test_it_refuses_reactivating_an_expired_licence_that_overlaps(firm_a, facility):
    old = LicenceFactory(
        firm=firm_a,
        number="KZ-DM-OLD",
        valid_from=dt.date(2023, 1, 1),
        valid_until=dt.date(2025, 12, 31),
        status="expired",
    )
    old.facilities.add(facility)

    assert_refused(lambda: Licence.objects.filter(pk=old.pk).update(status="active"), "licence_coverage_no_overlap")


def test_it_refuses_extending_a_licence_into_another_ones_dates(firm_a, facility):
    later = LicenceFactory(
        firm=firm_a, number="KZ-DM-2", valid_from=dt.date(2027, 1, 1), valid_until=dt.date(2029, 12, 31)
    )
    later.facilities.add(facility)

    assert_refused(
        lambda: Licence.objects.filter(pk=later.pk).update(valid_from=dt.date(2026, 7, 1)),
        "licence_coverage_no_overlap",
    )


def test_it_refuses_reactivating_a_revoked_licence_once_a_new_one_holds_the_facility(firm_a, facility, licence):
    Licence.objects.filter(pk=licence.pk).update(status="revoked")
    new = LicenceFactory(
        firm=firm_a, number="KZ-DM-2", valid_from=dt.date(2025, 6, 1), valid_until=dt.date(2028, 5, 31)
    )
    new.facilities.add(facility)

    assert_refused(lambda: Licence.objects.filter(pk=licence.pk).update(status="active"), "licence_coverage_no_overlap")


# Flags: one live flag per (rule, subject, month)


def flag(**values) -> Flag:
    """A flag on meter PV-0001 (written by reference alone, as detection's subject key is)."""
    return FlagFactory(rule="UNLICENSED_MINING", subject_type="connection", subject_ref="PV-0001", **values)


@pytest.mark.parametrize("month", [None, dt.date(2025, 4, 1)], ids=["no-month", "month"])
def test_it_refuses_a_twin_of_a_live_flag(db, month):
    flag(month=month)

    assert_refused(lambda: flag(month=month, status="under_inspection"), "flag_one_live_per_subject")


def test_it_accepts_a_new_flag_beside_a_dismissed_one(db):
    flag(month=None, status="dismissed")
    flag(month=None, status="dismissed")

    flag(month=None)

    assert Flag.objects.count() == 3


def test_it_accepts_flags_for_different_months(db):
    flag(month=dt.date(2025, 3, 1))

    flag(month=dt.date(2025, 4, 1))

    assert Flag.objects.count() == 2


def test_it_refuses_reopening_a_dismissed_flag_beside_a_live_twin(db):
    dismissed = flag(month=None, status="dismissed")
    flag(month=None)

    assert_refused(lambda: Flag.objects.filter(pk=dismissed.pk).update(status="open"), "flag_one_live_per_subject")


# Enforcement actions


def enforcement(firm, **values) -> EnforcementAction:
    return EnforcementActionFactory(firm=firm, region="pavlodar", date=dt.date(2022, 9, 1), **values)


def test_it_refuses_a_criminal_case_without_a_case_number(firm_b):
    assert_refused(lambda: enforcement(firm_b, action="criminal_case"), "enforcement_criminal_case_has_number")


def test_it_refuses_a_confiscation_without_a_device_count(firm_b):
    assert_refused(
        lambda: enforcement(firm_b, action="equipment_confiscated", value_usd=1000),
        "enforcement_confiscation_has_devices",
    )


def test_it_accepts_complete_enforcement_actions(firm_b):
    enforcement(firm_b, action="criminal_case", case_number="225500031000123")
    enforcement(firm_b, action="equipment_confiscated", devices=1200, value_usd=Decimal("3450000.00"))

    assert EnforcementAction.objects.count() == 2
