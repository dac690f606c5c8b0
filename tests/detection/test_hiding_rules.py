"""The rules on how farms hide (docs/rules.md, "Detection: how farms hide"), pure: shapes in, a finding or None out.

Every subject is built directly (`SeriesStats`, `Load`, `ConnectionLoad`, and the Group, Step and Balance the
metrics hand over), over a 30-day window (720 hours) of a 0.2 MW load unless a test says otherwise, so every
threshold is met exactly: `≥` and `≤` fire on the threshold, and the smallest step past it does not.
"""

import datetime as dt
from decimal import Decimal

import pytest

from registry.detection.metrics import Balance, Group, Step
from registry.detection.rules import (
    ConnectionLoad,
    Load,
    Thresholds,
    base_load,
    curtailed_load,
    energy_balance,
    household_mining,
    load_step,
    mining_signature,
    patchy_load,
    runs_around_the_clock,
    split_load,
    step_min_added_mw,
    unlicensed_mining,
)
from registry.detection.series import SeriesStats

DEFAULTS = Thresholds()
WINDOW_HOURS = 720  # 30 days
RUNNING_KWH = 200  # a running hour of the default subject: 0.2 MW
EVENING = (19, 20, 21, 22)  # registry-zone hours of a daily curtailment
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
_DEFAULT = object()


def shape(
    *,
    hours: int = WINDOW_HOURS,
    window_hours: int = WINDOW_HOURS,
    running_hours: int | None = None,
    running_avg: str | float = RUNNING_KWH,
    peak: str | float | None = None,
    level: float | None = None,
    days: int = 30,
    floor=_DEFAULT,
    change: float | None = 0.0,
    curtailment: tuple[int, ...] = (),
    positive_avg: float | None = None,
) -> SeriesStats:
    """Shape figures of a load running `running_avg` kWh an hour with a steady floor (the running average)."""
    running_hours = hours if running_hours is None else running_hours
    running_kwh = Decimal(str(running_avg)) * running_hours
    floor_kwh = float(running_avg) if floor is _DEFAULT else (None if floor is None else float(floor))
    return SeriesStats(
        hours=hours,
        window_hours=window_hours,
        kwh_total=running_kwh,
        kwh_peak=Decimal(str(running_avg if peak is None else peak)),
        kwh_level=float(running_avg if level is None else level),
        running_hours=running_hours,
        running_kwh=float(running_kwh),
        days=days,
        floor_kwh=floor_kwh,
        curtailment_hours=curtailment,
        positive_avg_kwh=float(running_avg if positive_avg is None else positive_avg),
        floor_change_p75_kwh=change,
    )


def load(
    *, hours: int = WINDOW_HOURS, kwh: str | int = RUNNING_KWH, peak: str | int | None = None, window_hours=WINDOW_HOURS
) -> Load:
    """A load of `hours` hours at `kwh` an hour, one of them at `peak` when given."""
    flat = Decimal(str(kwh))
    top = flat if peak is None else Decimal(str(peak))
    return Load(hours=hours, window_hours=window_hours, kwh_total=flat * (hours - 1) + top, kwh_peak=top)


def averaging(*, avg_kwh: str, peak_kwh: str, hours: int = WINDOW_HOURS) -> Load:
    """A load whose average and peak are given directly."""
    return Load(hours=hours, window_hours=WINDOW_HOURS, kwh_total=Decimal(avg_kwh) * hours, kwh_peak=Decimal(peak_kwh))


def connection(
    subject_load: Load | None = None,
    *,
    tariff: str = "industrial",
    is_parent: bool = False,
    connection_id: int = 7,
    meter_id: str = "UN-0001",
) -> ConnectionLoad:
    return ConnectionLoad(
        connection_id=connection_id,
        meter_id=meter_id,
        tariff=tariff,
        load=subject_load or load(),
        is_parent=is_parent,
    )


def group(stats: SeriesStats, *members: ConnectionLoad) -> Group:
    """Flats of one building; by default four meters of 0.05 MW each (0.2 MW together)."""
    members = members or tuple(
        connection(load(kwh=50), tariff="residential", connection_id=20 + i, meter_id=f"FLAT-{i}") for i in range(4)
    )
    return Group(key="address:pavlodar:12 abai", members=members, stats=stats)


def balance(stats: SeriesStats) -> Balance:
    transformer = connection(tariff="industrial", is_parent=True, connection_id=30, meter_id="TR-0001")
    return Balance(parent=transformer, children=(31, 32), stats=stats)


def step(
    *,
    tariff: str = "industrial",
    is_parent: bool = False,
    baseline_hours: int = 46 * 24,
    baseline_kwh: float = 10.0,
    **recent,
) -> Step:
    """The last 3 days (72 hours) of a 0.2 MW load against a baseline of 10 kWh an hour by default."""
    recent_shape = shape(**{"hours": 72, "window_hours": 72, "days": 3, **recent})
    return Step(
        subject=connection(tariff=tariff, is_parent=is_parent),
        recent=recent_shape,
        recent_start=AS_OF - 3 * DAY,
        baseline_start=AS_OF - 60 * DAY,
        baseline_end=AS_OF - 14 * DAY,
        baseline_hours=baseline_hours,
        baseline_kwh=baseline_kwh,
    )


def fired(finding) -> str | None:
    return None if finding is None else finding.rule


# Each rule on a subject that fires at the defaults; `overrides` change the shape (the step's recent days).


def _unlicensed(*, is_parent=False, **overrides):
    return unlicensed_mining(connection(is_parent=is_parent), DEFAULTS, shape(**overrides))


def _household(*, is_parent=False, **overrides):
    return household_mining(connection(tariff="residential", is_parent=is_parent), shape(**overrides), DEFAULTS)


def _curtailed(*, is_parent=False, **overrides):
    return curtailed_load(connection(is_parent=is_parent), shape(**{"curtailment": EVENING, **overrides}), DEFAULTS)


def _patchy(*, is_parent=False, **overrides):
    return patchy_load(connection(load(hours=400), is_parent=is_parent), shape(**{"hours": 400, **overrides}), DEFAULTS)


def _base(*, is_parent=False, **overrides):
    return base_load(connection(is_parent=is_parent), shape(**overrides), DEFAULTS)


def _step(*, is_parent=False, **overrides):
    return load_step(step(is_parent=is_parent, **overrides), DEFAULTS)


def _split(**overrides):
    return split_load(group(shape(**overrides)), DEFAULTS)


def _balance(**overrides):
    return energy_balance(balance(shape(**overrides)), DEFAULTS)


SIGNATURE_RULES = {
    "UNLICENSED_MINING": _unlicensed,
    "HOUSEHOLD_MINING": _household,
    "CURTAILED_LOAD": _curtailed,
    "PATCHY_LOAD": _patchy,
    "BASE_LOAD": _base,
    "SPLIT_LOAD": _split,
    "ENERGY_BALANCE": _balance,
}
LOAD_RULES = {
    "UNLICENSED_MINING": _unlicensed,
    "HOUSEHOLD_MINING": _household,
    "CURTAILED_LOAD": _curtailed,
    "PATCHY_LOAD": _patchy,
    "BASE_LOAD": _base,
    "LOAD_STEP": _step,
}


@pytest.mark.parametrize("rule", [*SIGNATURE_RULES, "LOAD_STEP"])
def test_each_rule_fires_on_a_flat_farm_at_the_defaults(rule):
    assert fired({**SIGNATURE_RULES, "LOAD_STEP": _step}[rule]()) == rule


# The mining signature: days ≥ 5, floor change ≤ 0.020, floor share ≥ 0.600 (for every rule that needs it)


def test_the_signature_holds_exactly_on_every_threshold():
    # 5 days; a floor of 200 kWh moving 4 kWh (0.020) from day to day; a floor of 120 kWh is 0.600 of 200 kWh.
    assert mining_signature(shape(days=5, change=4.0), DEFAULTS)
    assert mining_signature(shape(running_avg=200, floor=120), DEFAULTS)


@pytest.mark.parametrize(
    "overrides",
    [{"days": 4}, {"change": 4.001}, {"floor": 119.999}, {"change": None}, {"floor": None}],
    ids=["4 days", "floor change above 0.020", "floor share below 0.600", "no floor change", "no floor"],
)
def test_the_signature_fails_just_past_any_threshold(overrides):
    assert not mining_signature(shape(**overrides), DEFAULTS)


SIGNATURE_SIDES = {
    "days": ({"days": 5}, {"days": 4}),
    "floor change": ({"change": 4.0}, {"change": 4.001}),  # of a 200 kWh floor: 0.020 and just above
    "floor share": ({"floor": 120}, {"floor": 119.999}),  # of a 200 kWh running hour: 0.600 and just below
}
# A home's own base wanders on top of a small farm: its floor may change by 0.050 (10 kWh of 200) a day; and
# the machines are nearly all of a home's load: its floor must carry 0.850 of it (170 kWh of 200).
HOUSEHOLD_SIDES = {
    "floor change": ({"change": 10.0}, {"change": 10.001}),
    "floor share": ({"floor": 170}, {"floor": 169.999}),
}


def signature_sides(rule: str, threshold: str) -> tuple[dict, dict]:
    if rule == "HOUSEHOLD_MINING" and threshold in HOUSEHOLD_SIDES:
        return HOUSEHOLD_SIDES[threshold]
    return SIGNATURE_SIDES[threshold]


@pytest.mark.parametrize("threshold", SIGNATURE_SIDES)
@pytest.mark.parametrize("rule", SIGNATURE_RULES)
def test_each_rule_fires_on_the_signature_threshold(rule, threshold):
    firing, _ = signature_sides(rule, threshold)

    assert fired(SIGNATURE_RULES[rule](**firing)) == rule


@pytest.mark.parametrize("threshold", SIGNATURE_SIDES)
@pytest.mark.parametrize("rule", SIGNATURE_RULES)
def test_each_rule_is_silent_just_past_the_signature_threshold(rule, threshold):
    _, missing = signature_sides(rule, threshold)

    assert SIGNATURE_RULES[rule](**missing) is None


def test_household_mining_allows_a_floor_change_a_plain_farm_may_not_have():
    assert (fired(_household(change=10.0)), _base(change=10.0)) == ("HOUSEHOLD_MINING", None)


def test_household_mining_needs_a_floor_share_a_plain_farm_need_not_have():
    assert (_household(floor=150), fired(_base(floor=150))) == (None, "BASE_LOAD")


def test_a_step_needs_the_signature_on_all_but_one_of_its_recent_days():
    assert fired(_step(days=2)) == "LOAD_STEP"  # a feed a day late still shows the step


def test_a_step_is_silent_with_two_recent_days_unjudged():
    assert _step(days=1) is None


@pytest.mark.parametrize(
    "overrides", [{"change": 4.001}, {"floor": 119.999}], ids=["floor change above 0.020", "floor share below 0.600"]
)
def test_a_step_is_silent_without_the_signature(overrides):
    assert _step(**overrides) is None


# A transformer is judged by the energy balance, never by its own load


@pytest.mark.parametrize("rule", LOAD_RULES)
def test_a_transformer_is_never_flagged_by_a_load_rule(rule):
    assert LOAD_RULES[rule](is_parent=True) is None


# UNLICENSED_MINING with and without a shape


def test_unlicensed_mining_without_a_shape_keeps_the_contracts_behaviour():
    failing_shape = shape(change=50.0)  # a wandering floor: a continuous plant, not a farm
    subject = connection(averaging(avg_kwh="170", peak_kwh="200", hours=576))

    without = unlicensed_mining(subject, DEFAULTS)

    assert (fired(without), without.evidence["coverage"], without.evidence["load_factor"]) == (
        "UNLICENSED_MINING",
        0.8,
        0.85,
    )
    assert unlicensed_mining(subject, DEFAULTS, failing_shape) is None


def test_unlicensed_mining_without_a_shape_is_silent_below_the_contracts_load_factor():
    subject = connection(averaging(avg_kwh="169.999", peak_kwh="200"))

    assert unlicensed_mining(subject, DEFAULTS) is None


def test_unlicensed_mining_with_a_shape_puts_the_shape_in_the_evidence():
    finding = _unlicensed()

    assert (finding.evidence["floor_change"], finding.evidence["floor_share"], finding.evidence["level_mw"]) == (
        0.0,
        1.0,
        0.2,
    )
    assert finding.meters == ((7, "subject"),)


def test_unlicensed_mining_needs_no_signature_over_a_window_shorter_than_the_signatures_days():
    window = 24 * DEFAULTS.signature_min_days - 1  # 119 hours
    subject = connection(load(hours=window, window_hours=window))

    finding = unlicensed_mining(subject, DEFAULTS, shape(hours=window, window_hours=window, days=4, change=50.0))

    assert fired(finding) == "UNLICENSED_MINING"


def test_unlicensed_mining_needs_the_signature_over_a_window_of_the_signatures_days():
    window = 24 * DEFAULTS.signature_min_days  # 120 hours
    subject = connection(load(hours=window, window_hours=window))

    finding = unlicensed_mining(subject, DEFAULTS, shape(hours=window, window_hours=window, days=4, change=50.0))

    assert finding is None


# HOUSEHOLD_MINING: residential, ≥ 168 hours, floor ≥ 0.005 MW, the signature


def test_household_mining_fires_on_a_five_kilowatt_floor():
    finding = _household(running_avg=5, floor=5)

    assert (fired(finding), finding.severity, finding.subject_ref) == ("HOUSEHOLD_MINING", "high", "UN-0001")
    assert finding.meters == ((7, "subject"),)


def test_household_mining_is_silent_just_below_a_five_kilowatt_floor():
    assert _household(running_avg=5, floor=4.999) is None


def test_household_mining_fires_on_168_hours():
    assert fired(_household(hours=168, days=7)) == "HOUSEHOLD_MINING"


def test_household_mining_is_silent_on_167_hours():
    assert _household(hours=167, days=7) is None


def test_household_mining_is_silent_on_a_meter_that_is_not_residential():
    assert household_mining(connection(tariff="commercial"), shape(), DEFAULTS) is None


# CURTAILED_LOAD: coverage ≥ 0.80, running average ≥ 0.10 MW and ≥ 0.85 of the peak, 1..6 curtailed hours


@pytest.mark.parametrize("hours", [1, 6])
def test_curtailed_load_fires_with_one_to_six_curtailed_hours(hours):
    finding = _curtailed(curtailment=tuple(range(17, 17 + hours)))

    assert fired(finding) == "CURTAILED_LOAD"
    assert finding.evidence["curtailment_hours"] == list(range(17, 17 + hours))


@pytest.mark.parametrize("hours", [0, 7])
def test_curtailed_load_is_silent_with_no_or_seven_curtailed_hours(hours):
    assert _curtailed(curtailment=tuple(range(17, 17 + hours))) is None


def test_curtailed_load_fires_on_eighty_per_cent_coverage():
    subject = connection(load(hours=576))

    assert fired(curtailed_load(subject, shape(hours=576, curtailment=EVENING), DEFAULTS)) == "CURTAILED_LOAD"


def test_curtailed_load_is_silent_just_below_eighty_per_cent_coverage():
    subject = connection(load(hours=575))

    assert curtailed_load(subject, shape(hours=575, curtailment=EVENING), DEFAULTS) is None


def test_curtailed_load_fires_on_a_running_average_of_a_tenth_of_a_megawatt():
    finding = _curtailed(running_avg=100)

    assert (fired(finding), finding.evidence["running_avg_mw"]) == ("CURTAILED_LOAD", 0.1)


def test_curtailed_load_is_silent_just_below_a_running_average_of_a_tenth_of_a_megawatt():
    assert _curtailed(running_avg="99.999") is None


def test_curtailed_load_fires_when_its_running_hours_reach_085_of_the_peak():
    assert fired(_curtailed(running_avg=170, peak=200)) == "CURTAILED_LOAD"


def test_curtailed_load_is_silent_when_its_running_hours_stay_below_085_of_the_peak():
    assert _curtailed(running_avg="169.99", peak=200) is None


# PATCHY_LOAD: coverage < 0.80, ≥ 168 hours, the contract's average and load factor on the hours present


def test_patchy_load_fires_just_below_eighty_per_cent_coverage():
    finding = patchy_load(connection(load(hours=575)), shape(hours=575), DEFAULTS)

    assert (fired(finding), finding.evidence["coverage"]) == ("PATCHY_LOAD", round(575 / 720, 6))


def test_patchy_load_leaves_eighty_per_cent_coverage_to_the_other_rules():
    assert patchy_load(connection(load(hours=576)), shape(hours=576), DEFAULTS) is None


def test_patchy_load_fires_on_168_hours():
    assert fired(patchy_load(connection(load(hours=168)), shape(hours=168, days=7), DEFAULTS)) == "PATCHY_LOAD"


def test_patchy_load_is_silent_on_167_hours():
    assert patchy_load(connection(load(hours=167)), shape(hours=167, days=7), DEFAULTS) is None


def test_patchy_load_fires_on_an_average_of_a_tenth_of_a_megawatt():
    subject = connection(load(hours=400, kwh=100))

    assert fired(patchy_load(subject, shape(hours=400, running_avg=100), DEFAULTS)) == "PATCHY_LOAD"


def test_patchy_load_is_silent_just_below_an_average_of_a_tenth_of_a_megawatt():
    subject = connection(load(hours=400, kwh="99.999"))

    assert patchy_load(subject, shape(hours=400, running_avg="99.999"), DEFAULTS) is None


def test_patchy_load_fires_on_a_load_factor_of_085():
    subject = connection(averaging(avg_kwh="170", peak_kwh="200", hours=400))

    assert fired(patchy_load(subject, shape(hours=400, running_avg=170, peak=200), DEFAULTS)) == "PATCHY_LOAD"


def test_patchy_load_is_silent_just_below_a_load_factor_of_085():
    subject = connection(averaging(avg_kwh="169.999", peak_kwh="200", hours=400))

    assert patchy_load(subject, shape(hours=400, running_avg="169.999", peak=200), DEFAULTS) is None


# BASE_LOAD: coverage ≥ 0.80, floor ≥ 0.100 MW, the signature


def test_base_load_fires_on_a_floor_of_a_tenth_of_a_megawatt():
    finding = _base(running_avg=150, floor=100)  # a shop's daily cycle on top: floor share 0.667

    assert (fired(finding), finding.evidence["floor_mw"]) == ("BASE_LOAD", 0.1)


def test_base_load_is_silent_just_below_a_floor_of_a_tenth_of_a_megawatt():
    assert _base(running_avg=150, floor="99.999") is None


def test_base_load_fires_on_eighty_per_cent_coverage():
    assert fired(base_load(connection(load(hours=576)), shape(hours=576), DEFAULTS)) == "BASE_LOAD"


def test_base_load_is_silent_just_below_eighty_per_cent_coverage():
    assert base_load(connection(load(hours=575)), shape(hours=575), DEFAULTS) is None


# LOAD_STEP: ≥ 168 baseline hours, recent hours ≥ half, around the clock, floor ≥ 3 × baseline,
# floor − baseline ≥ 0.050 MW (0.005 MW on a household meter), the signature over the recent days


def test_load_step_carries_its_baseline_and_jump():
    finding = _step()

    assert (finding.subject_ref, finding.evidence["baseline_mw"], finding.evidence["recent_floor_mw"]) == (
        "UN-0001",
        0.01,
        0.2,
    )
    assert (finding.evidence["step_ratio"], finding.meters) == (20.0, ((7, "subject"),))


def test_load_step_fires_on_three_times_the_baseline():
    assert fired(_step(baseline_kwh=40.0, running_avg=120)) == "LOAD_STEP"


def test_load_step_is_silent_just_below_three_times_the_baseline():
    assert _step(baseline_kwh=40.0, running_avg="119.99") is None


def test_load_step_fires_on_fifty_kilowatts_added_to_a_business():
    assert fired(_step(baseline_kwh=10.0, running_avg=60)) == "LOAD_STEP"


def test_load_step_is_silent_just_below_fifty_kilowatts_added_to_a_business():
    assert _step(baseline_kwh=10.0, running_avg="59.99") is None


def test_load_step_fires_on_five_kilowatts_added_to_a_home():
    assert fired(_step(tariff="residential", baseline_kwh=1.0, running_avg=6)) == "LOAD_STEP"


def test_load_step_is_silent_just_below_five_kilowatts_added_to_a_home():
    assert _step(tariff="residential", baseline_kwh=1.0, running_avg="5.99") is None


def test_ten_kilowatts_added_is_a_step_on_a_home_and_not_on_a_business():
    home = _step(tariff="residential", baseline_kwh=2.0, running_avg=12)
    business = _step(tariff="commercial", baseline_kwh=2.0, running_avg=12)

    assert (fired(home), business) == ("LOAD_STEP", None)
    home_minimum = step_min_added_mw(connection(tariff="residential"), DEFAULTS)
    assert (home_minimum, step_min_added_mw(connection(), DEFAULTS)) == (Decimal("0.005"), Decimal("0.050"))


def test_load_step_fires_on_168_baseline_hours():
    assert fired(_step(baseline_hours=168)) == "LOAD_STEP"


def test_load_step_is_silent_on_167_baseline_hours():
    assert _step(baseline_hours=167) is None


def test_load_step_fires_when_the_recent_days_run_18_hours_a_day():
    assert fired(_step(running_hours=54)) == "LOAD_STEP"  # 54 of 72 hours


def test_load_step_is_silent_when_the_recent_days_run_less_than_18_hours_a_day():
    assert _step(running_hours=53) is None


def test_load_step_fires_on_half_of_the_recent_hours():
    assert fired(_step(hours=36, days=2)) == "LOAD_STEP"  # 36 = 72 / 2: the feed may be a day late


def test_load_step_is_silent_below_half_of_the_recent_hours():
    assert _step(hours=35, days=2) is None


def test_load_step_is_silent_without_a_recent_floor():
    assert _step(floor=None) is None


def test_running_around_the_clock_allows_the_longest_curtailment():
    assert runs_around_the_clock(shape(hours=24, running_hours=18), DEFAULTS)
    assert not runs_around_the_clock(shape(hours=24, running_hours=17), DEFAULTS)


# SPLIT_LOAD: no member meets the contract load; the group's coverage ≥ 0.80, running average ≥ 0.10 MW and
# ≥ 0.85 of its peak, the signature


def test_split_load_names_every_member_and_the_group():
    finding = _split()

    assert (finding.rule, finding.subject_ref, finding.evidence["meters"]) == (
        "SPLIT_LOAD",
        "address:pavlodar:12 abai",
        4,
    )
    assert finding.meters == ((20, "member"), (21, "member"), (22, "member"), (23, "member"))
    assert finding.links == {"connection_id": 20}


def test_split_load_is_silent_when_a_member_meets_the_contract_load():
    heavy = connection(load(kwh=100), connection_id=40, meter_id="FLAT-HEAVY")  # 0.10 MW flat, all hours
    light = connection(load(kwh=100), connection_id=41, meter_id="FLAT-LIGHT")

    assert split_load(group(shape(), heavy, light), DEFAULTS) is None


@pytest.mark.parametrize(
    "member_load",
    [
        load(kwh="99.999"),
        load(kwh=200, hours=575),
        averaging(avg_kwh="169.999", peak_kwh="200"),
    ],
    ids=["average just below 0.10 MW", "coverage just below 0.80", "load factor just below 0.85"],
)
def test_split_load_fires_when_no_member_meets_the_contract_load(member_load):
    members = (
        connection(member_load, connection_id=40, meter_id="FLAT-A"),
        connection(member_load, connection_id=41, meter_id="FLAT-B"),
    )

    assert fired(split_load(group(shape(), *members), DEFAULTS)) == "SPLIT_LOAD"


def test_split_load_fires_on_a_group_running_a_tenth_of_a_megawatt():
    assert fired(_split(running_avg=100)) == "SPLIT_LOAD"


def test_split_load_is_silent_on_a_group_running_just_below_a_tenth_of_a_megawatt():
    assert _split(running_avg="99.999") is None


def test_split_load_fires_when_the_groups_running_hours_reach_085_of_its_peak():
    assert fired(_split(running_avg=170, peak=200)) == "SPLIT_LOAD"


def test_split_load_is_silent_when_the_groups_running_hours_stay_below_085_of_its_peak():
    assert _split(running_avg="169.99", peak=200) is None


def test_split_load_judges_the_load_factor_on_the_running_hours_not_the_curtailed_ones():
    # 600 of 720 hours at 200 kWh, 120 curtailed at 0: 0.83 of the peak over the window, 1.0 when running.
    curtailed = shape(running_hours=600, curtailment=EVENING)
    assert float(curtailed.kwh_total) / curtailed.hours < 0.85 * float(curtailed.kwh_peak)

    assert fired(split_load(group(curtailed), DEFAULTS)) == "SPLIT_LOAD"


def test_split_load_fires_on_a_group_covering_eighty_per_cent_of_the_hours():
    assert fired(_split(hours=576)) == "SPLIT_LOAD"


def test_split_load_is_silent_on_a_group_covering_just_below_eighty_per_cent():
    assert _split(hours=575) is None


# ENERGY_BALANCE: ≥ 168 balanced hours, level − 0.08 × the transformer's average ≥ 0.050 MW, the signature


def test_energy_balance_names_the_transformer_and_its_children():
    finding = _balance()

    assert (finding.rule, finding.subject_ref, finding.links) == ("ENERGY_BALANCE", "TR-0001", {"connection_id": 30})
    assert finding.meters == ((30, "subject"), (31, "child"), (32, "child"))


def test_energy_balance_fires_on_168_balanced_hours():
    assert fired(_balance(hours=168, days=7)) == "ENERGY_BALANCE"


def test_energy_balance_is_silent_on_167_balanced_hours():
    assert _balance(hours=167, days=7) is None


def test_energy_balance_fires_on_fifty_kilowatts_unmetered_after_the_losses():
    # A transformer averaging 1,000 kWh an hour may lose 80 kWh; 130 kWh missing leaves exactly 50 unmetered.
    finding = _balance(level=130, positive_avg=1000)

    assert (fired(finding), finding.evidence["unmetered_mw"]) == ("ENERGY_BALANCE", 0.05)


def test_energy_balance_is_silent_just_below_fifty_kilowatts_unmetered_after_the_losses():
    assert _balance(level=129.999, positive_avg=1000) is None


# A dismissal's regrowth test compares a finding's avg_mw with the dismissed flag's evidence["avg_mw"]


REGROWTH_SUBJECTS = {
    # A floor of 180 kWh under running hours of 200 kWh: the floor, the level and the average differ.
    **{rule: lambda run=run: run(floor=180) for rule, run in SIGNATURE_RULES.items()},
    "LOAD_STEP": lambda: _step(floor=180),
}


@pytest.mark.parametrize("rule", REGROWTH_SUBJECTS)
def test_a_findings_avg_mw_is_the_average_its_evidence_records(rule):
    finding = REGROWTH_SUBJECTS[rule]()

    assert round(float(finding.avg_mw), 6) == finding.evidence["avg_mw"]
