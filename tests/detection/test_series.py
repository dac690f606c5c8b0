"""The shape of a load in SQL (registry/detection/series.py) against small hand-computed fixtures in PostgreSQL.

The window is ten registry-zone days: Almaty is UTC+5, so each day starts at 19:00 UTC. Hours are written by
their UTC instant; the figures the rules read come back in the registry's zone.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from registry.detection.series import SeriesStats, Subject, baseline_levels, series_stats
from tests.detection.fixtures import HOUR, at, meter, readings

START = at(2026, 9, 30, 19)  # 1 October 2026, 00:00 in Almaty
DAYS = 10
END = START + DAYS * 24 * HOUR
LOCAL = dt.timedelta(hours=5)


def write(connection, kwh: Callable[[dt.datetime], int | str | None]) -> None:
    """Write each hour of the window that `kwh(utc_hour)` gives a value for (None: no reading)."""
    hours = (START + i * HOUR for i in range(DAYS * 24))
    readings(connection, {hour: value for hour in hours if (value := kwh(hour)) is not None})


def local_hour(hour: dt.datetime) -> int:
    return (hour + LOCAL).hour


def local_day(hour: dt.datetime) -> int:
    """0 for the window's first registry-zone day."""
    return (hour - START) // (24 * HOUR)


def stats_of(members: dict[str, list[tuple[int, int]]], *, complete: bool = False, **options) -> dict:
    """The figures of each subject, given as {key: [(connection id, sign), …]}."""
    subjects = [Subject(key, tuple(pairs), complete=complete) for key, pairs in members.items()]
    return series_stats(start=START, end=END, subjects=subjects, **options)


def shape_of(connection, **options) -> SeriesStats:
    return stats_of({"m": [(connection.pk, 1)]}, **options)["m"]


# Level, running hours, floor


def test_a_flat_load_has_no_floor_change_and_its_floor_carries_all_of_it(db):
    farm = meter("FLAT")
    write(farm, lambda hour: 100)

    stats = shape_of(farm)

    assert (stats.hours, stats.window_hours, stats.kwh_total, stats.kwh_peak) == (240, 240, Decimal(24000), 100)
    assert (stats.kwh_level, stats.running_hours, stats.running_kwh, stats.days) == (100, 240, 24000, 10)
    assert (stats.floor_kwh, stats.floor_change, stats.floor_share) == (100, 0, 1)
    assert (stats.curtailment_hours, stats.positive_avg_kwh) == ((), 100)


def test_an_hour_at_half_the_level_runs_and_an_hour_just_below_does_not(db):
    farm = meter("DIPS")
    dips = {START + 50 * HOUR: 50, START + 100 * HOUR: "49.999"}
    write(farm, lambda hour: dips.get(hour, 100))

    stats = shape_of(farm)

    assert (stats.kwh_level, stats.running_hours) == (100, 239)


def test_a_daily_stop_gives_its_registry_zone_hours_and_the_floor_skips_the_partial_hours_around_it(db):
    # Stopped 13:00–16:59 UTC (18:00–21:59 in Almaty); the hours either side ramp down (60) and up (70).
    farm = meter("CURTAILED")
    write(farm, lambda hour: {12: 60, 13: 0, 14: 0, 15: 0, 16: 0, 17: 70}.get(hour.hour, 100))

    stats = shape_of(farm)

    assert stats.curtailment_hours == (18, 19, 20, 21)
    assert (stats.running_hours, stats.running_kwh, stats.days) == (200, 19300, 10)  # 18 × 100 + 60 + 70 a day
    assert (stats.floor_kwh, stats.floor_change) == (100, 0)  # neither 60 nor 70 is a steady hour
    assert stats.floor_share == pytest.approx(100 / 96.5)


def test_an_hour_stopped_on_half_the_days_is_a_curtailment_hour_and_on_fewer_it_is_not(db):
    # 20:00 in Almaty (15:00 UTC) is stopped on 5 of 10 days; 21:00 (16:00 UTC) on 4.
    farm = meter("SOMETIMES")
    stopped_days = {15: 5, 16: 4}  # UTC hour: stopped on the first this many days
    write(farm, lambda hour: 0 if local_day(hour) < stopped_days.get(hour.hour, 0) else 100)

    stats = shape_of(farm)

    assert stats.curtailment_hours == (20,)


def test_a_daily_cycle_leaves_a_floor_well_below_the_running_load(db):
    # A business: 55 kWh in the night (00–10 in Almaty), 100 by day, 250 in the evening (18–20).
    shop = meter("CYCLE")
    daily = [55] * 11 + [100] * 7 + [250] * 3 + [100] * 3
    write(shop, lambda hour: daily[local_hour(hour)])

    stats = shape_of(shop)

    assert (stats.kwh_level, stats.running_hours, stats.floor_kwh, stats.floor_change) == (100, 240, 55, 0)
    assert stats.floor_share == pytest.approx(55 / (2355 / 24))  # 0.56
    assert stats.floor_share < 0.6


# The floor from day to day


def test_a_floor_wandering_from_day_to_day_changes_by_its_75th_percentile(db):
    plant = meter("WANDERING")
    floors = [100, 104, 97, 103, 96, 102, 99, 105, 98, 101]
    write(plant, lambda hour: floors[local_day(hour)])

    stats = shape_of(plant)

    # Changes 4, 7, 6, 7, 6, 3, 6, 7, 3: their 75th percentile is 7; the floor's median is 100.5.
    assert (stats.days, stats.floor_kwh, stats.floor_change_p75_kwh) == (10, 100.5, 7)
    assert stats.floor_change == pytest.approx(7 / 100.5)


def test_a_single_level_shift_leaves_the_floor_change_at_zero(db):
    # An expansion at noon (Almaty) of the sixth day: 100 kWh before, 150 after.
    farm = meter("EXPANDED")
    shift = START + (5 * 24 + 12) * HOUR
    write(farm, lambda hour: 100 if hour < shift else 150)

    stats = shape_of(farm)

    # Floors of 100 on six days and 150 on four: one change of 50 among nine, the 75th percentile is 0.
    assert (stats.days, stats.floor_kwh) == (10, 100)
    assert (stats.floor_change_p75_kwh, stats.floor_change) == (0, 0)


def test_missing_hours_are_neither_counted_nor_curtailment(db):
    # The modem drops 07:00–10:59 UTC (12:00–15:59 in Almaty) every day.
    farm = meter("PATCHY")
    write(farm, lambda hour: None if 7 <= hour.hour <= 10 else 100)

    stats = shape_of(farm)

    assert (stats.hours, stats.window_hours, stats.running_hours, stats.kwh_total) == (200, 240, 200, 20000)
    assert (stats.curtailment_hours, stats.days, stats.floor_kwh, stats.floor_change) == ((), 10, 100, 0)


def test_a_day_counts_for_the_floor_only_with_six_steady_hours(db):
    # Day one reports 08:00–15:59 in Almaty (6 steady hours), day two 08:00–14:59 at 80 (5 steady hours).
    farm = meter("SHORT-DAYS")
    readings(farm, {START + hour * HOUR: 100 for hour in range(8, 16)})
    readings(farm, {START + (24 + hour) * HOUR: 80 for hour in range(8, 15)})

    stats = shape_of(farm)

    assert (stats.hours, stats.days, stats.floor_kwh) == (15, 1, 100)
    assert (stats.floor_change_p75_kwh, stats.floor_change) == (None, None)


def test_a_load_without_a_day_of_six_steady_hours_has_no_floor(db):
    farm = meter("BLIPS")
    write(farm, lambda hour: 100 if local_hour(hour) < 5 else None)

    stats = shape_of(farm)

    assert (stats.hours, stats.days) == (50, 0)
    assert (stats.floor_kwh, stats.floor_share, stats.floor_change) == (None, None, None)


# Subjects of several meters


def test_a_group_sums_its_meters_per_hour(db):
    flat_1, flat_2 = meter("FLAT-1"), meter("FLAT-2")
    write(flat_1, lambda hour: 60)
    write(flat_2, lambda hour: 40 if hour != START else None)

    stats = stats_of({"building": [(flat_1.pk, 1), (flat_2.pk, 1)]})["building"]

    assert (stats.hours, stats.kwh_total, stats.kwh_level, stats.kwh_peak) == (240, 23960, 100, 100)


def test_a_single_meter_gives_the_same_figures_read_alone_and_beside_a_group(db):
    # Read alone, a meter's hours come straight from its readings; beside a group, they are summed per hour.
    farm, flat_1, flat_2 = meter("ALONE"), meter("FLAT-1"), meter("FLAT-2")
    write(farm, lambda hour: None if hour.hour == 3 else {12: 60, 13: 0, 14: 0, 17: 70}.get(hour.hour, "100.5"))
    write(flat_1, lambda hour: 60)
    write(flat_2, lambda hour: 40)

    alone = stats_of({"farm": [(farm.pk, 1)]})
    beside = stats_of({"farm": [(farm.pk, 1)], "building": [(flat_1.pk, 1), (flat_2.pk, 1)]})

    assert alone["farm"] == beside["farm"]


@pytest.fixture
def transformer(db):
    """A transformer reading 300 kWh over 10 hours, a child 100 on all of them, another 50 on the first 8;
    in an eleventh hour only the first child reports."""
    parent, child_1, child_2 = meter("TR-1"), meter("HOME-1"), meter("HOME-2")
    readings(parent, {START + i * HOUR: 300 for i in range(10)})
    readings(child_1, {START + i * HOUR: 100 for i in range(11)})
    readings(child_2, {START + i * HOUR: 50 for i in range(8)})
    return {"TR-1": [(parent.pk, 1), (child_1.pk, -1), (child_2.pk, -1)]}


def test_a_balance_counts_only_the_hours_every_meter_reported(transformer):
    stats = stats_of(transformer, complete=True)["TR-1"]

    assert (stats.hours, stats.kwh_total, stats.kwh_level, stats.kwh_peak) == (8, 1200, 150, 150)
    assert stats.positive_avg_kwh == 300  # the transformer's own average over those hours


def test_without_complete_hours_only_every_hour_a_meter_reported_counts(transformer):
    stats = stats_of(transformer)["TR-1"]

    # 8 hours of 150, 2 of 200 (the second child missing), 1 of −100 (the transformer missing).
    assert (stats.hours, stats.kwh_total, stats.kwh_peak) == (11, 1500, 200)


def test_subjects_without_readings_in_the_window_are_left_out(db):
    quiet = meter("QUIET")
    readings(quiet, {START - HOUR: 100, END: 100})

    assert stats_of({"q": [(quiet.pk, 1)]}) == {}
    assert stats_of({}) == {}


# The load step's baseline


def test_baseline_levels_give_the_hours_and_the_median_hour_of_each_connection(db):
    shop, idle = meter("SHOP"), meter("IDLE")
    readings(shop, {START - HOUR: 999, END: 999})  # outside [start, end)
    readings(shop, {START: 10, START + HOUR: 40, START + 2 * HOUR: 20, START + 3 * HOUR: 30})

    levels = baseline_levels(start=START, end=END, connection_ids=[shop.pk, idle.pk])

    assert levels == {shop.pk: (4, 25.0)}
