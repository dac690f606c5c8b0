"""The pure rule functions of docs/rules.md, "Detection", on both sides of every threshold (no database).

Loads are built over a 10-day window (240 hours) so every number is exact:
`≥` fires on the threshold, `>` and `<` do not.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from registry.detection.rules import (
    ConnectionLoad,
    DeclaredMonth,
    FacilityLoad,
    LicenceLoad,
    Load,
    OwnerLink,
    RelatedFirm,
    Thresholds,
    UndeclaredMonth,
    missing_declaration,
    no_valid_licence,
    over_capacity,
    regrown,
    related_party,
    under_declared,
    unlicensed_mining,
)

WINDOW_HOURS = 240  # 10 days
DEFAULTS = Thresholds()
ZERO = Thresholds(
    unlicensed_min_coverage=Decimal(0),
    unlicensed_min_avg_mw=Decimal(0),
    unlicensed_min_load_factor=Decimal(0),
    no_licence_min_coverage=Decimal(0),
    no_licence_min_avg_mw=Decimal(0),
    over_capacity_ratio=Decimal(0),
)
FEBRUARY = dt.date(2025, 2, 1)


def load(*, hours: int = WINDOW_HOURS, kwh_per_hour: str = "200", peak_kwh: str | None = None) -> Load:
    """A load of `hours` hours: the same kWh each hour, except one hour at `peak_kwh` when given.

    The peak hour replaces one of the flat hours, so the total stays exact.
    """
    flat = Decimal(kwh_per_hour)
    peak = Decimal(peak_kwh) if peak_kwh is not None else flat
    total = flat * (hours - 1) + peak if hours else Decimal(0)
    return Load(hours=hours, window_hours=WINDOW_HOURS, kwh_total=total, kwh_peak=peak if hours else Decimal(0))


def averaging(*, avg_kwh: str, peak_kwh: str, hours: int = WINDOW_HOURS) -> Load:
    """A load whose average and peak are given directly (the total is avg × hours)."""
    return Load(hours=hours, window_hours=WINDOW_HOURS, kwh_total=Decimal(avg_kwh) * hours, kwh_peak=Decimal(peak_kwh))


def connection(subject_load: Load, *, tariff: str = "industrial") -> ConnectionLoad:
    return ConnectionLoad(connection_id=7, meter_id="UN-0001", tariff=tariff, load=subject_load)


def site(subject_load: Load) -> FacilityLoad:
    return FacilityLoad(facility_id=3, ref="FAC-B1", firm_id=2, load=subject_load)


def licensed(subject_load: Load, capacity_mw: str = "10") -> LicenceLoad:
    return LicenceLoad(
        licence_id=5, number="KZ-DM-2024-000001", firm_id=1, capacity_mw=Decimal(capacity_mw), load=subject_load
    )


def month_of(declared_mwh: str, metered_mwh: str = "1000") -> DeclaredMonth:
    return DeclaredMonth(
        facility_id=3,
        ref="FAC-A1",
        firm_id=1,
        month=FEBRUARY,
        declared_mwh=Decimal(declared_mwh),
        metered_mwh=Decimal(metered_mwh),
    )


# Load


def test_load_computes_coverage_average_peak_and_load_factor():
    subject = Load(hours=120, window_hours=240, kwh_total=Decimal("12000"), kwh_peak=Decimal("125"))

    assert (subject.coverage, subject.avg_mw, subject.peak_mw, subject.load_factor) == (
        Fraction(1, 2),
        Fraction(1, 10),
        Fraction(1, 8),
        Fraction(4, 5),
    )


def test_load_factor_is_zero_when_the_peak_is_zero():
    subject = Load(hours=240, window_hours=240, kwh_total=Decimal(0), kwh_peak=Decimal(0))

    assert (subject.avg_mw, subject.load_factor) == (0, 0)


# UNLICENSED_MINING: coverage ≥ 0.80, avg_mw ≥ 0.10, load_factor ≥ 0.85


def test_unlicensed_mining_fires_exactly_on_every_threshold():
    # 192/240 = 0.80 coverage; 170 kWh/h = 0.17 MW average (above 0.10) against a 200 kWh peak = 0.85 load factor.
    subject = Load(hours=192, window_hours=240, kwh_total=Decimal(170 * 192), kwh_peak=Decimal(200))
    assert (subject.coverage, subject.load_factor) == (Fraction(4, 5), Fraction(17, 20))

    finding = unlicensed_mining(connection(subject), DEFAULTS)

    assert finding is not None
    assert (finding.rule, finding.subject_type, finding.subject_ref) == ("UNLICENSED_MINING", "connection", "UN-0001")
    assert finding.links == {"connection_id": 7}
    assert finding.evidence["coverage"] == 0.8
    assert finding.evidence["load_factor"] == 0.85
    assert finding.evidence["tariff"] == "industrial"


def test_unlicensed_mining_needs_80_percent_coverage():
    assert unlicensed_mining(connection(load(hours=192)), DEFAULTS) is not None
    assert unlicensed_mining(connection(load(hours=191)), DEFAULTS) is None


def test_unlicensed_mining_needs_an_average_of_a_tenth_of_a_megawatt():
    assert unlicensed_mining(connection(load(kwh_per_hour="100")), DEFAULTS) is not None
    assert unlicensed_mining(connection(load(kwh_per_hour="99.999")), DEFAULTS) is None


def test_unlicensed_mining_needs_a_load_factor_of_085():
    assert unlicensed_mining(connection(averaging(avg_kwh="170", peak_kwh="200")), DEFAULTS) is not None
    assert unlicensed_mining(connection(averaging(avg_kwh="170", peak_kwh="200.001")), DEFAULTS) is None


@pytest.mark.parametrize(
    "tariff, kwh_per_hour, severity",
    [
        ("residential", "200", "high"),
        ("agricultural", "200", "high"),
        ("commercial", "200", "medium"),
        ("industrial", "999.999", "medium"),
        ("industrial", "1000", "high"),
    ],
)
def test_unlicensed_mining_is_high_for_a_household_or_farm_tariff_or_a_megawatt(tariff, kwh_per_hour, severity):
    finding = unlicensed_mining(connection(load(kwh_per_hour=kwh_per_hour), tariff=tariff), DEFAULTS)

    assert finding.severity == severity


def test_unlicensed_mining_never_fires_without_readings():
    assert unlicensed_mining(connection(load(hours=0)), ZERO) is None


def test_unlicensed_mining_follows_changed_thresholds():
    half_covered = load(hours=120)
    lowered = Thresholds(unlicensed_min_coverage=Decimal("0.50"))
    raised = Thresholds(unlicensed_high_avg_mw=Decimal("0.50"))

    assert unlicensed_mining(connection(half_covered), DEFAULTS) is None
    assert unlicensed_mining(connection(half_covered), lowered) is not None
    assert unlicensed_mining(connection(load(kwh_per_hour="500")), DEFAULTS).severity == "medium"
    assert unlicensed_mining(connection(load(kwh_per_hour="500")), raised).severity == "high"


# NO_VALID_LICENCE: coverage ≥ 0.20, avg_mw ≥ 0.05, always high


def test_no_valid_licence_fires_exactly_on_both_thresholds():
    finding = no_valid_licence(site(load(hours=48, kwh_per_hour="50")), DEFAULTS)

    assert finding is not None
    assert (finding.rule, finding.severity, finding.subject_type, finding.subject_ref) == (
        "NO_VALID_LICENCE",
        "high",
        "facility",
        "FAC-B1",
    )
    assert finding.links == {"facility_id": 3, "firm_id": 2}
    assert (finding.evidence["coverage"], finding.evidence["avg_mw"]) == (0.2, 0.05)


def test_no_valid_licence_needs_20_percent_coverage():
    assert no_valid_licence(site(load(hours=47, kwh_per_hour="50")), DEFAULTS) is None


def test_no_valid_licence_needs_an_average_of_50_kilowatts():
    assert no_valid_licence(site(load(hours=48, kwh_per_hour="49.999")), DEFAULTS) is None


def test_no_valid_licence_ignores_the_load_factor():
    spiky = averaging(avg_kwh="50", peak_kwh="5000", hours=48)

    assert no_valid_licence(site(spiky), DEFAULTS) is not None


def test_no_valid_licence_never_fires_without_readings():
    assert no_valid_licence(site(load(hours=0)), ZERO) is None


def test_no_valid_licence_follows_changed_thresholds():
    lowered = Thresholds(no_licence_min_coverage=Decimal("0.10"))

    assert no_valid_licence(site(load(hours=24, kwh_per_hour="50")), lowered) is not None


# OVER_CAPACITY: peak_mw > capacity × 1.10; high above × 1.5


def test_over_capacity_does_not_fire_at_exactly_110_percent():
    assert over_capacity(licensed(load(peak_kwh="11000")), DEFAULTS) is None


def test_over_capacity_fires_just_above_110_percent_as_medium():
    finding = over_capacity(licensed(load(peak_kwh="11000.001")), DEFAULTS)

    assert (finding.rule, finding.severity, finding.subject_type, finding.subject_ref) == (
        "OVER_CAPACITY",
        "medium",
        "licence",
        "KZ-DM-2024-000001",
    )
    assert finding.links == {"licence_id": 5, "firm_id": 1}
    assert finding.evidence["capacity_mw"] == 10
    assert finding.evidence["peak_mw"] == 11.000001


def test_over_capacity_is_medium_at_exactly_150_percent():
    assert over_capacity(licensed(load(peak_kwh="15000")), DEFAULTS).severity == "medium"


def test_over_capacity_is_high_above_150_percent():
    finding = over_capacity(licensed(load(peak_kwh="15000.001")), DEFAULTS)

    assert finding.severity == "high"


def test_over_capacity_never_fires_without_readings():
    assert over_capacity(licensed(load(hours=0), capacity_mw="0"), ZERO) is None


def test_over_capacity_follows_changed_ratios():
    changed = Thresholds(over_capacity_ratio=Decimal("1.00"), over_capacity_high_ratio=Decimal("1.05"))

    assert over_capacity(licensed(load(peak_kwh="10000")), changed) is None
    assert over_capacity(licensed(load(peak_kwh="10000.001")), changed).severity == "medium"
    assert over_capacity(licensed(load(peak_kwh="10500.001")), changed).severity == "high"


# UNDER_DECLARED: declared < 0.90 × metered


def test_under_declared_does_not_fire_at_exactly_90_percent():
    assert under_declared(month_of("900"), DEFAULTS) is None


def test_under_declared_fires_just_below_90_percent():
    finding = under_declared(month_of("899.999"), DEFAULTS)

    assert (finding.rule, finding.severity, finding.subject_type, finding.subject_ref, finding.month) == (
        "UNDER_DECLARED",
        "medium",
        "facility",
        "FAC-A1",
        FEBRUARY,
    )
    assert finding.evidence["month"] == "2025-02"
    assert (finding.evidence["declared_mwh"], finding.evidence["metered_mwh"]) == (899.999, 1000)


def test_under_declared_does_not_fire_for_an_idle_month():
    assert under_declared(month_of("0", metered_mwh="0"), DEFAULTS) is None


def test_under_declared_follows_a_changed_ratio():
    assert under_declared(month_of("899"), Thresholds(under_declared_ratio=Decimal("0.80"))) is None


# MISSING_DECLARATION and RELATED_PARTY


def test_missing_declaration_is_always_low():
    deadline = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
    subject = UndeclaredMonth(facility_id=3, ref="FAC-A1", firm_id=1, month=FEBRUARY, deadline=deadline)

    finding = missing_declaration(subject, DEFAULTS)

    assert (finding.rule, finding.severity, finding.subject_ref, finding.month) == (
        "MISSING_DECLARATION",
        "low",
        "FAC-A1",
        FEBRUARY,
    )
    assert finding.evidence == {"month": "2025-02", "deadline": "2025-03-16T00:00:00+00:00"}


def test_related_party_is_low_and_names_the_shared_owner():
    link = OwnerLink(
        person_id="P-001",
        full_name="Yerlan Yerzhanov",
        firm_bin="500080636080",
        firm_name="Shadow Hash",
        action="operation_cancelled",
        date=dt.date(2024, 6, 1),
    )

    finding = related_party(RelatedFirm(firm_id=1, bin="291417776310", links=(link,)), DEFAULTS)

    assert (finding.rule, finding.severity, finding.subject_type, finding.subject_ref) == (
        "RELATED_PARTY",
        "low",
        "firm",
        "291417776310",
    )
    assert finding.evidence == {
        "shared_owners": [
            {
                "person_id": "P-001",
                "full_name": "Yerlan Yerzhanov",
                "firm_bin": "500080636080",
                "firm_name": "Shadow Hash",
                "action": "operation_cancelled",
                "date": "2024-06-01",
            }
        ]
    }


def test_related_party_needs_a_shared_owner():
    assert related_party(RelatedFirm(firm_id=1, bin="291417776310", links=()), DEFAULTS) is None


# A dismissed subject returns when avg_mw grows by more than 50%


def test_regrown_is_false_at_exactly_50_percent_growth():
    assert not regrown(Fraction(3, 10), {"avg_mw": 0.2}, DEFAULTS)


def test_regrown_is_true_just_above_50_percent_growth():
    assert regrown(Fraction(300001, 1000000), {"avg_mw": 0.2}, DEFAULTS)


def test_regrown_is_false_without_an_average_on_either_side():
    assert not regrown(None, {"avg_mw": 0.2}, DEFAULTS)
    assert not regrown(Fraction(5), {"month": "2025-02"}, DEFAULTS)


def test_regrown_follows_a_changed_ratio():
    doubled = Thresholds(dismissal_regrowth_ratio=Decimal("1.00"))

    assert not regrown(Fraction(4, 10), {"avg_mw": 0.2}, doubled)
    assert regrown(Fraction(41, 100), {"avg_mw": 0.2}, doubled)
