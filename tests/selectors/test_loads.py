"""A flag's load chart (registry/selectors/loads.py): which series each rule shows, its thresholds, local-time hours."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from registry.models import DetectionSettings, MeterReading
from registry.selectors.loads import flag_chart
from tests.factories import (
    WINDOW_END,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    FlagMeterFactory,
    GridConnectionFactory,
    LicenceFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = WINDOW_END - dt.timedelta(days=30)  # 2026-10-02T00:00Z, 05:00 in Almaty (UTC+5)


def readings(meter, kwh_by_hour: dict[int, str], *, start: dt.datetime = START) -> None:
    """One reading per hour: {hours after start: kWh}."""
    MeterReading.objects.bulk_create(
        MeterReading(connection=meter, period_start=start + dt.timedelta(hours=h), kwh=Decimal(kwh))
        for h, kwh in kwh_by_hour.items()
    )


def flag_on(meter, rule: str, *, role: str = "subject", **fields):
    flag = FlagFactory(rule=rule, connection=meter, **fields)
    FlagMeterFactory(flag=flag, connection=meter, role=role)
    return flag


def series(chart, kind: str | None = None) -> list[dict]:
    return [s for s in chart["series"] if kind is None or s["kind"] == kind]


def test_a_flat_farm_shows_its_hourly_load_in_mw_on_local_hours():
    farm = GridConnectionFactory(meter_id="AL-7001", tariff="residential")
    readings(farm, {0: "520", 1: "530.5", 3: "510"})
    flag = flag_on(farm, "UNLICENSED_MINING")

    chart = flag_chart(flag=flag)

    (load,) = chart["series"]
    assert (load["kind"], load["label"]) == ("load", "Hourly load of AL-7001")
    # Hour 2 has no reading: a gap in the line, not a zero.
    assert load["points"] == [
        ["2026-10-02T05:00+05:00", 0.52],
        ["2026-10-02T06:00+05:00", 0.5305],
        ["2026-10-02T08:00+05:00", 0.51],
    ]
    assert (load["hours"], load["avg_mw"], load["peak_mw"]) == (3, 0.52017, 0.5305)
    assert chart["labels"][0] == "2026-10-02T05:00+05:00"
    assert len(chart["labels"]) == 30 * 24
    assert (chart["step_hours"], chart["unit"], chart["y_title"]) == (1, "MW", "Load, MW")
    assert chart["x_title"] == "Time in Asia/Almaty"
    assert "3 hours with readings, average 0.520 MW, highest hour 0.531 MW" in load["summary"]


@pytest.mark.parametrize("rule", ["UNLICENSED_MINING", "PATCHY_LOAD", "CURTAILED_LOAD"])
def test_the_load_rules_draw_the_minimum_average_load_across_the_window(rule):
    meter = GridConnectionFactory()
    readings(meter, {0: "150"})

    chart = flag_chart(flag=flag_on(meter, rule))

    assert chart["thresholds"] == [
        {
            "kind": "threshold",
            "label": "Minimum average load: 0.100 MW",
            "value_mw": 0.1,
            "start": "2026-10-02T05:00+05:00",
            "end": "2026-11-01T04:00+05:00",
        }
    ]


def test_a_household_flag_draws_the_household_floor_from_the_settings():
    DetectionSettings.objects.update_or_create(pk=1, defaults={"household_min_floor_mw": Decimal("0.008")})
    home = GridConnectionFactory(tariff="residential")
    readings(home, {0: "25"})

    chart = flag_chart(flag=flag_on(home, "HOUSEHOLD_MINING"))

    assert [(t["label"], t["value_mw"]) for t in chart["thresholds"]] == [("Household floor: 0.008 MW", 0.008)]


def test_over_capacity_draws_the_licensed_capacity_times_the_ratio(firm_a):
    meter = GridConnectionFactory()
    site = FacilityFactory(firm=firm_a, connections=[meter])
    licence = LicenceFactory(firm=firm_a, capacity_mw=Decimal("4"), facilities=[site])
    readings(meter, {0: "4800"})
    flag = FlagFactory(rule="OVER_CAPACITY", licence=licence, evidence={"capacity_mw": 4.0})
    FlagMeterFactory(flag=flag, connection=meter)

    chart = flag_chart(flag=flag)

    assert [(t["label"], t["value_mw"]) for t in chart["thresholds"]] == [("Licensed capacity × 1.10: 4.400 MW", 4.4)]
    assert series(chart)[0]["points"] == [["2026-10-02T05:00+05:00", 4.8]]


def test_a_split_load_shows_each_member_and_their_sum():
    first, second = GridConnectionFactory(meter_id="AB-0002"), GridConnectionFactory(meter_id="AB-0001")
    readings(first, {0: "40", 1: "45"})
    readings(second, {0: "60", 1: "50"})
    flag = FlagFactory(rule="SPLIT_LOAD", connection=first, subject_ref="abai 12")
    for meter in (first, second):
        FlagMeterFactory(flag=flag, connection=meter, role="member")

    chart = flag_chart(flag=flag)

    assert [(s["kind"], s["label"]) for s in chart["series"]] == [
        ("member", "AB-0001"),
        ("member", "AB-0002"),
        ("sum", "Sum of the 2 meters"),
    ]
    assert [p[1] for p in series(chart, "sum")[0]["points"]] == [0.1, 0.095]
    assert [p[1] for p in chart["series"][0]["points"]] == [0.06, 0.05]
    assert [t["value_mw"] for t in chart["thresholds"]] == [0.1]


def test_an_energy_balance_shows_the_transformer_against_the_sum_of_its_children_with_no_threshold():
    transformer = GridConnectionFactory(meter_id="TP-0001", tariff="industrial")
    homes = [GridConnectionFactory(parent=transformer) for _ in range(3)]
    readings(transformer, {0: "300", 1: "310"})
    for home in homes:
        readings(home, {0: "20", 1: "30"})
    flag = flag_on(transformer, "ENERGY_BALANCE", evidence={"unmetered_mw": 0.22})
    for home in homes:
        FlagMeterFactory(flag=flag, connection=home, role="child")

    chart = flag_chart(flag=flag)

    assert [(s["kind"], s["label"], [p[1] for p in s["points"]]) for s in chart["series"]] == [
        ("parent", "Transformer meter TP-0001", [0.3, 0.31]),
        ("children", "Sum of its 3 downstream meters", [0.06, 0.09]),
    ]
    assert chart["thresholds"] == []


def test_a_load_step_shows_the_load_from_the_baseline_start_with_both_levels():
    meter = GridConnectionFactory()
    baseline_start = WINDOW_END - dt.timedelta(days=60)
    readings(meter, {0: "4", 24 * 59: "60"}, start=baseline_start)
    evidence = {
        "baseline_mw": 0.004,
        "recent_floor_mw": 0.058,
        "step_ratio": 14.5,
        "baseline_start": baseline_start.isoformat(),
        "baseline_end": (WINDOW_END - dt.timedelta(days=14)).isoformat(),
        "recent_start": (WINDOW_END - dt.timedelta(days=3)).isoformat(),
    }

    chart = flag_chart(flag=flag_on(meter, "LOAD_STEP", evidence=evidence))

    assert chart["labels"][0] == "2026-09-02T05:00+05:00"  # 60 days before the window's end: still hourly
    assert (chart["step_hours"], len(chart["labels"])) == (1, 60 * 24)
    assert [p[1] for p in series(chart)[0]["points"]] == [0.004, 0.06]
    assert [(t["kind"], t["label"], t["start"], t["end"]) for t in chart["thresholds"]] == [
        ("baseline", "Baseline level: 0.004 MW", "2026-09-02T05:00+05:00", "2026-10-18T04:00+05:00"),
        ("recent", "Recent level: 0.058 MW", "2026-10-29T05:00+05:00", "2026-11-01T04:00+05:00"),
    ]


def test_a_range_over_60_days_shows_the_highest_hour_of_each_two():
    meter = GridConnectionFactory()
    start = WINDOW_END - dt.timedelta(days=90)
    readings(meter, {0: "100", 1: "300", 2: "200"}, start=start)

    chart = flag_chart(flag=flag_on(meter, "UNLICENSED_MINING", window_start=start))

    assert (chart["step_hours"], len(chart["labels"])) == (2, 90 * 12)
    assert series(chart)[0]["points"] == [["2026-08-03T05:00+05:00", 0.3], ["2026-08-03T07:00+05:00", 0.2]]
    assert series(chart)[0]["peak_mw"] == 0.3
    assert chart["note"] == "Each point is the highest of 2 hours."


def test_a_big_group_is_drawn_with_fewer_points_and_the_same_number_of_queries():
    DetectionSettings.current()

    def chart_of(members: int):
        meters = GridConnectionFactory.create_batch(members)
        flag = FlagFactory(rule="SPLIT_LOAD", connection=meters[0])
        for meter in meters:
            readings(meter, dict.fromkeys(range(0, 720, 5), "30"))
            FlagMeterFactory(flag=flag, connection=meter, role="member")
        with CaptureQueriesContext(db_connection) as queries:
            chart = flag_chart(flag=flag)
        return chart, len(queries)

    small, few = chart_of(2)
    big, many = chart_of(14)

    assert many == few
    assert sum(len(s["points"]) for s in big["series"]) <= 4000
    assert (small["step_hours"], big["step_hours"]) == (1, 3)


def test_a_flag_without_meter_rows_shows_its_facility_meters_summed():
    meters = GridConnectionFactory.create_batch(2)
    site = FacilityFactory(connections=meters)
    for meter in meters:
        readings(meter, {0: "1000"})

    chart = flag_chart(flag=FlagFactory(facility=site, firm=site.firm))

    assert [(s["label"], s["points"]) for s in chart["series"]] == [
        (f"Hourly load of {site.ref}", [["2026-10-02T05:00+05:00", 2.0]])
    ]
    assert [t["label"] for t in chart["thresholds"]] == ["Minimum average load: 0.050 MW"]


def test_a_flag_about_a_firm_has_no_chart():
    chart = flag_chart(flag=FlagFactory(rule="RELATED_PARTY", firm=FirmFactory()))

    assert (chart["series"], chart["has_readings"]) == ([], False)
