"""detection_run end to end: metrics → rules → flags, idempotent, dismissals silence (docs/rules.md, "Detection")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from registry.models import DetectionRun, DetectionSettings, Flag, GridConnection
from registry.services.detection import RULES, detection_run, detection_run_create
from tests.detection.fixtures import HOUR, at, declaration, detect, facility, flat, licence, meter, readings
from tests.factories import (
    BIN_A,
    BIN_C,
    EnforcementActionFactory,
    FirmFactory,
    FlagFactory,
    OwnershipFactory,
    PersonFactory,
)

# A 20-day window ending on 1 March 2025: 480 hours from 9 February. February ends at as_of
# (UNDER_DECLARED looks at it); January fell due at the end of 15 February in Almaty (MISSING_DECLARATION).
AS_OF = at(2025, 3, 1)
WINDOW_DAYS = 20
START = AS_OF - dt.timedelta(days=WINDOW_DAYS)
JANUARY, FEBRUARY = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
DAY = dt.timedelta(days=1)


def flags() -> set[tuple]:
    return {(f.rule, f.subject_ref, f.month, f.severity, f.status) for f in Flag.objects.all()}


def once(new=0, updated=0, silenced=0) -> dict[str, int]:
    return {"new": new, "updated": updated, "silenced": silenced}


@pytest.fixture
def register(firm_a, firm_b):
    """Every rule fires exactly once, next to a near miss for each rule that must not.

    Firm A holds four licences (FAC-A1 is the conftest one), firm B holds none.
    """
    # UNLICENSED_MINING: a flat 0.2 MW on an unlinked commercial meter, and one covering 383/480 < 80% of the hours.
    flat(meter("UN-HIT", tariff="commercial"), start=START, hours=480, kwh=200)
    flat(meter("UN-MISS", tariff="commercial"), start=START, hours=383, kwh=200)

    # NO_VALID_LICENCE: 96/480 = exactly 20% of the hours at 0.1 MW (at the window's end), and 95 hours.
    hit, miss = meter("KR-0001"), meter("KR-0002")
    firm_b.facilities.get(ref="FAC-B1").connections.add(hit)
    facility("FAC-B2", firm_b, miss)
    flat(hit, start=AS_OF - 96 * HOUR, hours=96, kwh=100)
    flat(miss, start=AS_OF - 95 * HOUR, hours=95, kwh=100)

    # OVER_CAPACITY: licence 1 (10 MW) peaks at 12 MW; licence 2 (10 MW) at exactly 11 MW.
    # UNDER_DECLARED: FAC-A1 declares exactly 90% of its metered 491 MWh; FAC-A2 just under 90% of 490 MWh.
    a1 = firm_a.facilities.get(ref="FAC-A1")
    a2 = facility("FAC-A2", firm_a, meter("PV-0002"))
    licence("KZ-DM-2024-000002", firm_a, a2)
    for site, peak, february in ((a1, 12000, "441.9"), (a2, 11000, "440.999")):
        hourly = {START + i * HOUR: 1000 for i in range(480)}
        hourly[START + 240 * HOUR] = peak
        readings(site.connections.get(), hourly)
        declaration(site, JANUARY, "500")
        declaration(site, FEBRUARY, february)

    # MISSING_DECLARATION: FAC-A3 licensed since 2024 filed nothing for January; FAC-A4 licensed from 2 January.
    licence("KZ-DM-2024-000003", firm_a, facility("FAC-A3", firm_a))
    licence("KZ-DM-2025-000004", firm_a, facility("FAC-A4", firm_a), valid_from=dt.date(2025, 1, 2))

    # RELATED_PARTY: firm A (licensed) and firm B (no licence) share owners with a cancelled farm.
    shadow = FirmFactory(bin=BIN_C, name="Shadow Hash", region="pavlodar", origin="unregistered")
    EnforcementActionFactory(firm=shadow, action="operation_cancelled", date=dt.date(2024, 6, 1), region="pavlodar")
    for person_id, owned in (("P-001", firm_a), ("P-002", firm_b)):
        person = PersonFactory(person_id=person_id, full_name=f"Owner {person_id}")
        OwnershipFactory(firm=owned, person=person)
        OwnershipFactory(firm=shadow, person=person)


EXPECTED = {
    ("UNLICENSED_MINING", "UN-HIT", None, "medium", "open"),
    ("NO_VALID_LICENCE", "FAC-B1", None, "high", "open"),
    ("OVER_CAPACITY", "KZ-DM-2024-000001", None, "medium", "open"),
    ("UNDER_DECLARED", "FAC-A2", FEBRUARY, "medium", "open"),
    ("MISSING_DECLARATION", "FAC-A3", JANUARY, "low", "open"),
    ("RELATED_PARTY", BIN_A, None, "low", "open"),
    # UNLICENSED_MINING's near miss (a flat 0.2 MW on 383 of 480 hours) is a farm behind a patchy meter.
    ("PATCHY_LOAD", "UN-MISS", None, "medium", "open"),
}


def counted(**per_rule) -> dict:
    """Every rule's counts: those named as given, the others nothing."""
    return {rule: per_rule.get(rule, once()) for rule in RULES}


# Every rule, once


def test_every_rule_fires_once_and_no_near_miss_does(register):
    run = detect(AS_OF, WINDOW_DAYS)

    assert flags() == EXPECTED
    assert run.status == DetectionRun.Status.SUCCEEDED
    assert run.counts == counted(**{rule: once(new=1) for rule, *_ in EXPECTED})


def test_flags_carry_the_window_and_link_their_subject(register):
    detect(AS_OF, WINDOW_DAYS)

    by_rule = {flag.rule: flag for flag in Flag.objects.select_related("connection", "facility", "licence", "firm")}
    assert {(flag.window_start, flag.window_end) for flag in by_rule.values()} == {(START, AS_OF)}
    assert by_rule["UNLICENSED_MINING"].connection.meter_id == "UN-HIT"
    assert (by_rule["NO_VALID_LICENCE"].facility.ref, by_rule["NO_VALID_LICENCE"].firm.name) == (
        "FAC-B1",
        "Beta Hash TOO",
    )
    assert by_rule["OVER_CAPACITY"].licence.number == "KZ-DM-2024-000001"
    assert by_rule["RELATED_PARTY"].firm.bin == BIN_A


def test_flags_carry_the_numbers_that_triggered_them(register):
    detect(AS_OF, WINDOW_DAYS)

    evidence = {flag.rule: flag.evidence for flag in Flag.objects.all()}
    assert evidence["UNLICENSED_MINING"]["avg_mw"] == 0.2
    assert evidence["NO_VALID_LICENCE"]["coverage"] == 0.2
    assert (evidence["OVER_CAPACITY"]["peak_mw"], evidence["OVER_CAPACITY"]["capacity_mw"]) == (12, 10)
    assert (evidence["UNDER_DECLARED"]["declared_mwh"], evidence["UNDER_DECLARED"]["metered_mwh"]) == (440.999, 490)
    assert evidence["MISSING_DECLARATION"]["deadline"] == "2025-02-15T19:00:00+00:00"  # 00:00 on the 16th in Almaty
    assert [owner["person_id"] for owner in evidence["RELATED_PARTY"]["shared_owners"]] == ["P-001"]


# Idempotency


def test_rerun_adds_no_twin_flag_and_refreshes_evidence_and_window(register):
    detect(AS_OF, WINDOW_DAYS)
    readings(GridConnection.objects.get(meter_id="UN-HIT"), {AS_OF: 224})

    run = detect(AS_OF + HOUR, WINDOW_DAYS)

    assert flags() == EXPECTED
    assert run.counts == counted(**{rule: once(updated=1) for rule, *_ in EXPECTED})
    farm = Flag.objects.get(rule="UNLICENSED_MINING")
    assert (farm.window_start, farm.window_end) == (START + HOUR, AS_OF + HOUR)
    assert farm.evidence["avg_mw"] == 0.20005  # (479 × 200 + 224) kWh / 480 h


def test_rerun_keeps_a_flag_under_inspection_as_it_is(register):
    detect(AS_OF, WINDOW_DAYS)
    Flag.objects.filter(rule="UNLICENSED_MINING").update(status="under_inspection")

    run = detect(AS_OF + HOUR, WINDOW_DAYS)

    assert Flag.objects.filter(rule="UNLICENSED_MINING").get().status == "under_inspection"
    assert run.counts["UNLICENSED_MINING"] == once(updated=1)


def test_the_database_refuses_a_twin_flag_written_directly(register):
    detect(AS_OF, WINDOW_DAYS)
    existing = Flag.objects.get(rule="UNLICENSED_MINING")
    twin = {
        "rule": existing.rule,
        "subject_type": existing.subject_type,
        "subject_ref": existing.subject_ref,
        "severity": "high",
        "window_start": START,
        "window_end": AS_OF,
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(**twin)

    Flag.objects.filter(pk=existing.pk).update(status="dismissed")
    FlagFactory(**twin)  # beside a dismissed flag a new one may live
    assert Flag.objects.filter(subject_ref="UN-HIT").count() == 2


def test_the_database_refuses_a_twin_for_the_same_month_only(register):
    detect(AS_OF, WINDOW_DAYS)
    month_flag = {
        "rule": "MISSING_DECLARATION",
        "subject_type": "facility",
        "subject_ref": "FAC-A3",
        "severity": "low",
        "window_start": START,
        "window_end": AS_OF,
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(**month_flag, month=JANUARY)

    FlagFactory(**month_flag, month=FEBRUARY)


# A dismissal silences (rule, subject) for 180 days unless avg_mw grows by more than 50%


@pytest.fixture
def farm(db):
    """An unlinked meter with a flat load; `farm(until, kwh)` writes the day of readings before `until`."""
    connection = meter("UN-FARM", tariff="commercial")

    def running(until: dt.datetime, kwh: str = "200") -> None:
        flat(connection, start=until - 24 * HOUR, hours=24, kwh=kwh)

    return running


@pytest.fixture
def dismissed(farm):
    """The farm flagged on 1 March 2025 at 0.2 MW and the flag dismissed that instant."""
    farm(AS_OF)
    detect(AS_OF, 1)
    Flag.objects.filter(subject_ref="UN-FARM").update(status="dismissed", decided_at=AS_OF, decision_reason="Bakery")
    return Flag.objects.get(subject_ref="UN-FARM")


def test_a_dismissal_silences_the_subject_for_179_days_later(farm, dismissed):
    later = AS_OF + 179 * DAY
    farm(later)

    run = detect(later, 1)

    assert list(Flag.objects.values_list("status", flat=True)) == ["dismissed"]
    assert run.counts["UNLICENSED_MINING"] == once(silenced=1)


def test_a_dismissed_subject_is_flagged_again_181_days_later(farm, dismissed):
    later = AS_OF + 181 * DAY
    farm(later)

    run = detect(later, 1)

    assert sorted(Flag.objects.values_list("status", flat=True)) == ["dismissed", "open"]
    assert run.counts["UNLICENSED_MINING"] == once(new=1)


def test_a_dismissed_subject_returns_when_its_load_grows_by_more_than_half(farm, dismissed):
    later = AS_OF + 30 * DAY
    farm(later, kwh="300.001")

    run = detect(later, 1)

    new = Flag.objects.get(status="open")
    assert (new.subject_ref, new.evidence["avg_mw"]) == ("UN-FARM", 0.300001)
    assert run.counts["UNLICENSED_MINING"] == once(new=1)


def test_a_dismissed_subject_growing_by_exactly_half_stays_silent(farm, dismissed):
    later = AS_OF + 30 * DAY
    farm(later, kwh="300")

    run = detect(later, 1)

    assert Flag.objects.filter(status="open").count() == 0
    assert run.counts["UNLICENSED_MINING"] == once(silenced=1)


# The run record


def test_a_run_that_succeeded_is_not_repeated(farm):
    farm(AS_OF)
    run = detection_run(run=detection_run_create(as_of=AS_OF, window_days=1, trigger="test"))
    Flag.objects.all().delete()

    again = detection_run(run=run)

    assert Flag.objects.count() == 0
    assert (again.status, again.finished_at, again.counts) == (run.status, run.finished_at, run.counts)


def test_a_changed_threshold_applies_to_the_next_run(db):
    flat(meter("UN-GAPS", tariff="commercial"), start=AS_OF - 24 * HOUR, hours=19, kwh=200)  # 19/24 < 80%
    first = detect(AS_OF, 1)
    DetectionSettings.objects.update_or_create(pk=1, defaults={"unlicensed_min_coverage": Decimal("0.75")})

    second = detect(AS_OF, 1)

    assert first.counts["UNLICENSED_MINING"] == once()
    assert second.counts["UNLICENSED_MINING"] == once(new=1)
    assert Decimal(second.thresholds["unlicensed_min_coverage"]) == Decimal("0.75")
    assert Flag.objects.get().subject_ref == "UN-GAPS"


def test_the_run_records_its_thresholds_and_duration(db):
    run = detect(AS_OF, 7)

    assert (run.status, run.as_of, run.window_days, run.trigger) == ("succeeded", AS_OF, 7, "test")
    assert run.duration_ms is not None and run.duration_ms >= 0
    assert run.started_at <= run.finished_at
    assert {name: Decimal(value) for name, value in run.thresholds.items()} == {
        "window_days": 30,
        "unlicensed_min_coverage": Decimal("0.80"),
        "unlicensed_min_avg_mw": Decimal("0.10"),
        "unlicensed_min_load_factor": Decimal("0.85"),
        "unlicensed_high_avg_mw": Decimal("1.00"),
        "no_licence_min_coverage": Decimal("0.20"),
        "no_licence_min_avg_mw": Decimal("0.05"),
        "over_capacity_ratio": Decimal("1.10"),
        "over_capacity_high_ratio": Decimal("1.50"),
        "under_declared_ratio": Decimal("0.90"),
        "related_party_years": 3,
        "dismissal_silence_days": 180,
        "dismissal_regrowth_ratio": Decimal("0.50"),
        "signature_min_days": 5,
        "signature_max_floor_change": Decimal("0.020"),
        "signature_min_floor_share": Decimal("0.600"),
        "household_min_floor_mw": Decimal("0.005"),
        "household_max_floor_change": Decimal("0.050"),
        "household_min_floor_share": Decimal("0.850"),
        "split_member_min_avg_mw": Decimal("0.010"),
        "curtailment_max_hours": 6,
        "patchy_min_hours": 168,
        "base_min_floor_mw": Decimal("0.100"),
        "step_recent_days": 3,
        "step_gap_days": 14,
        "step_baseline_days": 60,
        "step_min_ratio": Decimal("3.000"),
        "step_min_added_mw": Decimal("0.050"),
        "balance_loss_share": Decimal("0.080"),
        "balance_min_mw": Decimal("0.050"),
        "balance_min_hours": 168,
    }


def test_a_run_without_a_window_takes_the_settings_window(db):
    DetectionSettings.objects.update_or_create(pk=1, defaults={"window_days": 14})

    run = detection_run_create(as_of=AS_OF, trigger="test")

    assert run.window_days == 14
