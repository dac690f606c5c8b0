"""detection_run end to end for the rules on how farms hide (docs/rules.md, "Detection: how farms hide").

A 30-day window to 1 November 2026 (00:00 UTC, 05:00 in Almaty): each new rule fires once on a site built to
show it, next to a near miss that must stay quiet. The contract's six rules keep their own world in
tests/services/test_detection.py.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db.models import F

from registry.models import Flag, FlagMeter, GridConnection, MeterReading
from registry.selectors.legal_status import annotate, connection_conditions
from registry.services.detection import RULES
from tests.detection.fixtures import HOUR, at, detect, readings
from tests.factories import GridConnectionFactory

AS_OF = at(2026, 11, 1)
WINDOW_DAYS = 30
START = AS_OF - dt.timedelta(days=WINDOW_DAYS)
DAY = dt.timedelta(days=1)
LOCAL = dt.timedelta(hours=5)  # Almaty
TODAY = dt.date(2026, 11, 1)
LOSSES = Decimal("1.04")  # a transformer reads its meters' energy and 4% more


def meter(meter_id: str, tariff: str = "industrial", **fields) -> GridConnection:
    return GridConnectionFactory(meter_id=meter_id, tariff=tariff, **fields)


def hourly(
    connection: GridConnection,
    kwh: Callable[[dt.datetime], int | str | Decimal | None],
    *,
    start: dt.datetime = START,
    end: dt.datetime = AS_OF,
) -> None:
    """Write every hour of [start, end) that `kwh(utc_hour)` gives a value for (None: no reading)."""
    hours = (start + i * HOUR for i in range(int((end - start) / HOUR)))
    readings(connection, {hour: value for hour in hours if (value := kwh(hour)) is not None})


def local_hour(hour: dt.datetime) -> int:
    return (hour + LOCAL).hour


def local_day(hour: dt.datetime) -> int:
    """The registry-zone day, as a day number."""
    return (hour + LOCAL).date().toordinal()


def flags() -> set[tuple[str, str, str]]:
    return set(Flag.objects.values_list("rule", "subject_ref", "severity"))


def flagged_meters() -> set[tuple[str, str, str]]:
    return set(FlagMeter.objects.values_list("flag__rule", "connection__meter_id", "role"))


def legal_status(*meter_ids: str) -> dict[str, str]:
    connections = GridConnection.objects.filter(meter_id__in=meter_ids)
    return dict(annotate(connections, connection_conditions(TODAY)).values_list("meter_id", "legal_status"))


def once(new=0, updated=0, silenced=0) -> dict[str, int]:
    return {"new": new, "updated": updated, "silenced": silenced}


# The sites: each builder writes one example that fires and one near miss.


def homes() -> None:
    """HOUSEHOLD_MINING: a home drawing a flat 20 kW; the near miss, a steady 4.9 kW (< 5) with an evening's cooking."""
    hourly(meter("HM-HIT", "residential"), lambda hour: 20)
    hourly(meter("HM-MISS", "residential"), lambda hour: 6 if 18 <= local_hour(hour) <= 21 else "4.9")


def buildings() -> None:
    """SPLIT_LOAD: four flats of one building, 126 kW together; the near miss, three offices of 30 kW (90 kW)."""
    for meter_id, address, kwh in (
        ("FLAT-1", "Abai street 12, apt 1", 36),
        ("FLAT-2", "Abai street 12 / 7", 30),
        ("FLAT-3", "ABAI ST. 12", 30),
        ("FLAT-4", "ул. Abai 12, кв. 5", 30),
    ):
        hourly(meter(meter_id, "residential", address=address), lambda hour, kwh=kwh: kwh)
    for office in (1, 2, 3):
        hourly(meter(f"OFFICE-{office}", "commercial", address=f"Satpaev street 7, office {office}"), lambda hour: 30)


def curtailed() -> None:
    """CURTAILED_LOAD: 200 kW, off 19:00–22:59 in Almaty (14–17 UTC) every day; the near miss, a pump with the
    same stop whose level wanders from day to day (no mining signature)."""
    hourly(meter("CU-HIT"), lambda hour: 0 if 14 <= hour.hour <= 17 else 200)
    levels = [200, 212, 196, 208, 192, 204]
    hourly(meter("CU-MISS"), lambda hour: 0 if 14 <= hour.hour <= 17 else levels[local_day(hour) % 6])


def patchy() -> None:
    """PATCHY_LOAD: a flat 200 kW reporting 3 days in 5 (60%); the near miss reports only 167 hours."""
    hourly(meter("PA-HIT"), lambda hour: 200 if local_day(hour) % 5 < 3 else None)
    hourly(meter("PA-MISS"), lambda hour: 200, end=START + 167 * HOUR)


def businesses() -> None:
    """BASE_LOAD: a shop's 100 kW by day on a steady 150 kW; the near miss rests on a steady 95 kW (< 100)."""
    hourly(meter("BA-HIT", "commercial"), lambda hour: 150 + (100 if 9 <= local_hour(hour) <= 20 else 0))
    hourly(meter("BA-MISS", "commercial"), lambda hour: 95 + (100 if 9 <= local_hour(hour) <= 20 else 0))


def steps() -> None:
    """LOAD_STEP: a 10 kW business that draws 200 kW for the last 5 days (its baseline from 60 to 14 days back,
    before the window); the near miss goes from 40 to 110 kW (2.75 times, < 3)."""
    began = AS_OF - 5 * DAY
    hourly(meter("ST-HIT", "commercial"), lambda hour: 200 if hour >= began else 10, start=AS_OF - 60 * DAY)
    hourly(meter("ST-MISS", "commercial"), lambda hour: 110 if hour >= began else 40, start=AS_OF - 60 * DAY)


def child_homes(transformer: GridConnection) -> list[Callable[[dt.datetime], int]]:
    """Two homes under the transformer with an evening peak; their hourly kWh by the hour."""
    patterns = [(1, 2, 4), (2, 3, 5)]  # night (00–06), day (07–17), evening (18–23) in Almaty
    homes = []
    for number, (night, day, evening) in enumerate(patterns, start=1):
        child = meter(f"{transformer.meter_id}-{number}", "residential", parent=transformer)

        def kwh(hour, night=night, day=day, evening=evening):
            return night if local_hour(hour) < 7 else day if local_hour(hour) < 18 else evening

        hourly(child, kwh)
        homes.append(kwh)
    return homes


def transformers() -> None:
    """ENERGY_BALANCE: a transformer reading its homes + 4% losses + a flat 100 kW nobody meters; the near
    miss carries 45 kW unmetered (41 kW after the 8% allowed for losses, < 50)."""
    for meter_id, unmetered in (("TR-HIT", 100), ("TR-MISS", 45)):
        transformer = meter(meter_id)
        homes = child_homes(transformer)
        hourly(transformer, lambda hour, homes=homes, extra=unmetered: LOSSES * sum(h(hour) for h in homes) + extra)


def plants() -> None:
    """UNLICENSED_MINING: a flat 500 kW (no second flag, though its floor is a base load too); the near miss, a
    water pump at a 0.94 load factor whose level follows the day (the contract's rule alone would flag it)."""
    hourly(meter("UN-HIT"), lambda hour: 500)
    levels = [500, 530, 505, 540, 495, 525]
    hourly(
        meter("UN-MISS"),
        lambda hour: Decimal(levels[local_day(hour) % 6]) * (1 + Decimal("0.02") * (local_hour(hour) % 3 - 1)),
    )


@pytest.fixture
def world(db):
    for site in (homes, buildings, curtailed, patchy, businesses, steps, transformers, plants):
        site()


EXPECTED = {
    ("UNLICENSED_MINING", "UN-HIT", "medium"),
    ("HOUSEHOLD_MINING", "HM-HIT", "high"),
    ("SPLIT_LOAD", "address:pavlodar:12 abai", "high"),
    ("CURTAILED_LOAD", "CU-HIT", "medium"),
    ("PATCHY_LOAD", "PA-HIT", "medium"),
    ("BASE_LOAD", "BA-HIT", "medium"),
    ("LOAD_STEP", "ST-HIT", "medium"),
    ("ENERGY_BALANCE", "TR-HIT", "medium"),
}
FLAT_MEMBERS = ("FLAT-1", "FLAT-2", "FLAT-3", "FLAT-4")
EXPECTED_METERS = {
    ("UNLICENSED_MINING", "UN-HIT", "subject"),
    ("HOUSEHOLD_MINING", "HM-HIT", "subject"),
    *(("SPLIT_LOAD", flat, "member") for flat in FLAT_MEMBERS),
    ("CURTAILED_LOAD", "CU-HIT", "subject"),
    ("PATCHY_LOAD", "PA-HIT", "subject"),
    ("BASE_LOAD", "BA-HIT", "subject"),
    ("LOAD_STEP", "ST-HIT", "subject"),
    ("ENERGY_BALANCE", "TR-HIT", "subject"),
    ("ENERGY_BALANCE", "TR-HIT-1", "child"),
    ("ENERGY_BALANCE", "TR-HIT-2", "child"),
}


def counted(**per_rule) -> dict:
    return {rule: per_rule.get(rule, once()) for rule in RULES}


# Every new rule, once


def test_each_new_rule_fires_once_and_no_near_miss_does(world):
    run = detect(AS_OF, WINDOW_DAYS)

    assert flags() == EXPECTED
    assert run.counts == counted(**{rule: once(new=1) for rule, *_ in EXPECTED})


def test_every_flag_names_the_meters_whose_readings_made_it(world):
    detect(AS_OF, WINDOW_DAYS)

    assert flagged_meters() == EXPECTED_METERS


def test_the_flags_link_their_connection_and_carry_the_evidence(world):
    detect(AS_OF, WINDOW_DAYS)

    by_rule = {flag.rule: flag for flag in Flag.objects.select_related("connection")}
    assert by_rule["SPLIT_LOAD"].connection.meter_id == "FLAT-1"  # the largest member
    assert by_rule["ENERGY_BALANCE"].connection.meter_id == "TR-HIT"
    assert by_rule["CURTAILED_LOAD"].evidence["curtailment_hours"] == [19, 20, 21, 22]
    assert (by_rule["SPLIT_LOAD"].evidence["meters"], by_rule["ENERGY_BALANCE"].evidence["children"]) == (4, 2)
    step = by_rule["LOAD_STEP"].evidence
    assert (step["baseline_mw"], step["recent_floor_mw"], step["baseline_start"]) == (
        0.01,
        0.2,
        (AS_OF - 60 * DAY).isoformat(),
    )


# One flag per meter, in the order of docs/rules.md


def test_a_meter_caught_by_unlicensed_mining_gets_no_second_flag(db):
    plants()

    detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("UNLICENSED_MINING", "UN-HIT", "medium")}
    assert flagged_meters() == {("UNLICENSED_MINING", "UN-HIT", "subject")}


def test_members_of_a_split_load_get_no_household_mining(db):
    buildings()

    run = detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("SPLIT_LOAD", "address:pavlodar:12 abai", "high")}
    assert run.counts["HOUSEHOLD_MINING"] == once()


def test_a_curtailed_farm_is_flagged_as_curtailed_and_not_again_as_a_base_load(db):
    curtailed()

    detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("CURTAILED_LOAD", "CU-HIT", "medium")}


def test_a_home_with_a_curtailed_farm_is_household_mining_and_not_curtailed_load(db):
    hourly(meter("HM-CURTAILED", "residential"), lambda hour: 0 if 14 <= hour.hour <= 17 else 200)

    detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("HOUSEHOLD_MINING", "HM-CURTAILED", "high")}


def test_split_members_whose_floor_carries_exactly_the_signatures_share_form_a_group(db):
    # Two offices of one building in turn: each 60 kW for 12 hours and 140 kW for 12 (floor share 60/100 = 0.600),
    # together a flat 200 kW. Neither meets the contract's load (load factor 0.71).
    offices = (("DUO-1", "Abai street 40, office 1", True), ("DUO-2", "Abai st. 40", False))
    for meter_id, address, night_first in offices:
        hourly(
            meter(meter_id, "commercial", address=address),
            lambda hour, night_first=night_first: 60 if (local_hour(hour) < 12) == night_first else 140,
        )

    detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("SPLIT_LOAD", "address:pavlodar:40 abai", "medium")}


# Legal status


def test_an_open_split_load_makes_every_member_suspected_illegal(db):
    buildings()

    detect(AS_OF, WINDOW_DAYS)

    statuses = legal_status(*FLAT_MEMBERS, "OFFICE-1")
    assert statuses == {**dict.fromkeys(FLAT_MEMBERS, "suspected_illegal"), "OFFICE-1": ""}


def test_an_energy_balance_makes_the_transformer_suspected_and_not_its_children(db):
    transformers()

    detect(AS_OF, WINDOW_DAYS)

    assert flags() == {("ENERGY_BALANCE", "TR-HIT", "medium")}
    assert legal_status("TR-HIT", "TR-HIT-1", "TR-HIT-2", "TR-MISS") == {
        "TR-HIT": "suspected_illegal",
        "TR-HIT-1": "",
        "TR-HIT-2": "",
        "TR-MISS": "",
    }


def test_a_dismissed_split_load_leaves_its_members_without_status(db):
    buildings()
    detect(AS_OF, WINDOW_DAYS)

    Flag.objects.filter(rule="SPLIT_LOAD").update(status="dismissed", decided_at=AS_OF, decision_reason="A hostel")

    assert set(legal_status(*FLAT_MEMBERS).values()) == {""}


# Idempotency and dismissals


def test_rerun_updates_the_flags_adds_no_twin_and_keeps_their_meters(world):
    detect(AS_OF, WINDOW_DAYS)
    first = set(FlagMeter.objects.values_list("flag_id", "connection_id", "role"))

    run = detect(AS_OF, WINDOW_DAYS)

    assert flags() == EXPECTED
    assert Flag.objects.count() == len(EXPECTED)
    assert run.counts == counted(**{rule: once(updated=1) for rule, *_ in EXPECTED})
    assert set(FlagMeter.objects.values_list("flag_id", "connection_id", "role")) == first


def test_a_dismissed_household_mining_flag_stays_silent_while_the_load_is_the_same(db):
    homes()
    detect(AS_OF, WINDOW_DAYS)
    Flag.objects.filter(subject_ref="HM-HIT").update(status="dismissed", decided_at=AS_OF, decision_reason="Sauna")
    hourly(GridConnection.objects.get(meter_id="HM-HIT"), lambda hour: 20, start=AS_OF, end=AS_OF + DAY)

    run = detect(AS_OF + DAY, WINDOW_DAYS)

    assert list(Flag.objects.values_list("rule", "status")) == [("HOUSEHOLD_MINING", "dismissed")]
    assert run.counts["HOUSEHOLD_MINING"] == once(silenced=1)


@pytest.fixture
def dismissed_balance(db):
    """TR-HIT's ENERGY_BALANCE flag (100 kW unmetered), dismissed on as_of."""
    transformers()
    detect(AS_OF, WINDOW_DAYS)
    Flag.objects.filter(subject_ref="TR-HIT").update(status="dismissed", decided_at=AS_OF, decision_reason="Pumps")


def unmetered_grows_by(kwh: int) -> None:
    MeterReading.objects.filter(connection__meter_id="TR-HIT").update(kwh=F("kwh") + kwh)


def test_a_dismissed_energy_balance_stays_silent_while_its_unmetered_load_grows_by_less_than_half(dismissed_balance):
    unmetered_grows_by(45)  # 100 → 145 kW

    run = detect(AS_OF, WINDOW_DAYS)

    assert run.counts["ENERGY_BALANCE"] == once(silenced=1)


def test_a_dismissed_energy_balance_returns_when_its_unmetered_load_grows_by_more_than_half(dismissed_balance):
    dismissed = Flag.objects.get(subject_ref="TR-HIT").evidence
    unmetered_grows_by(55)  # 100 → 155 kW on the transformer: the unmetered load, less losses, grows by over half

    run = detect(AS_OF, WINDOW_DAYS)

    assert run.counts["ENERGY_BALANCE"] == once(new=1)
    evidence = Flag.objects.get(subject_ref="TR-HIT", status="open").evidence
    assert evidence["avg_mw"] == evidence["unmetered_mw"] > 1.5 * dismissed["unmetered_mw"]
