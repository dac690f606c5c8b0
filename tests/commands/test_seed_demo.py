import csv
import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Avg, Max, Min, Sum
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import override

from registry import clock
from registry.models import EnforcementAction, Firm, Flag, Inspection, Licence, MeterReading, Person
from registry.selectors.dashboard import STOPPING, power_released

pytestmark = pytest.mark.slow

TODAY = dt.date(2026, 11, 24)
SMALL_DEMO = ["--today", TODAY.isoformat(), "--connections", "300", "--days", "3", "--months", "2"]


def seed() -> str:
    out = io.StringIO()
    with override("en"):
        call_command("seed_demo", *SMALL_DEMO, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return seed()


def test_the_seed_counts_the_firms_as_the_readme_does(demo):
    """The licensed or applying firms apart from the operators the 2022 campaign stopped (it said 150 firms)."""
    licensed = Firm.objects.filter(origin="registered").count()
    assert f"Demo data: {licensed} licensed or applying firms and 106 operators stopped in the 2022 campaign" in demo


def test_export_enforcement_shows_the_2022_campaign(demo, capsysbinary):
    call_command("export", "enforcement")
    rows = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig"))))
    rows = [row for row in rows if row["date"].startswith("2022-")]

    actions = Counter(row["action"] for row in rows)
    confiscations = [row for row in rows if row["action"] == "equipment_confiscated"]
    assert actions["voluntary_closure"] == 55
    assert actions["operation_cancelled"] == 51
    assert sum(int(row["devices"]) for row in confiscations) == 67_000
    assert sum(Decimal(row["value_usd"]) for row in confiscations) == Decimal("193000000")
    assert actions["criminal_case"] == 25
    assert all(row["case_number"] for row in rows if row["action"] == "criminal_case")


def test_it_builds_the_licensed_industry(demo):
    assert set(Licence.objects.values_list("status", flat=True)) == set(Licence.Status.values)
    assert 35 <= Firm.objects.filter(origin="registered").count() <= 50
    assert Person.objects.filter(is_pep=True).exists()


# The demo's one farm for each way farms hide (docs/rules.md, "Detection: how farms hide"), by the addresses
# of the meters that make its flag; the bypassed meter's farm shows only on a transformer.
HIDING_EXAMPLES = {
    "HOUSEHOLD_MINING": {"ул. Ерубаева, 31, кв. 48"},
    "SPLIT_LOAD": {
        "ул. Жибек Жолы, 48, кв. 3",
        "ул. Жибек Жолы 48 / 7",
        "ул. Жибек Жолы, 48, офис 12",
        "Жибек Жолы ул., 48, кв 21",
        "ул. Жибек жолы, 48/2",
    },
    "CURTAILED_LOAD": {"с. Байтерек, бывшая птицефабрика"},
    "PATCHY_LOAD": {"г. Усть-Каменогорск, промзона, склад 7"},
    "BASE_LOAD": {"ул. Торайгырова, 64"},
    "LOAD_STEP": {"ул. Баймагамбетова, 115"},
}
HIDING_RULES = [*HIDING_EXAMPLES, "ENERGY_BALANCE"]
MONTH_DEMO = ["--today", "2026-11-24", "--connections", "300", "--days", "30", "--months", "0"]


def test_detection_on_the_demo_finds_one_farm_of_each_way_of_hiding(db):
    # A month of readings, as `make run` seeds, and a run late in Almaty's day: the feed's last hours are then
    # furthest behind `as_of`, and the step is judged on the last three days.
    call_command("seed_demo", *MONTH_DEMO, stdout=io.StringIO())
    call_command("detect", "--as-of", "2026-11-24T18:00Z", stdout=io.StringIO())

    hiding = Flag.objects.filter(rule__in=HIDING_RULES)
    assert Counter(hiding.values_list("rule", flat=True)) == dict.fromkeys(HIDING_RULES, 1)
    flags = {flag.rule: flag for flag in hiding}
    for rule, addresses in HIDING_EXAMPLES.items():
        assert {m.connection.address for m in flags[rule].meters.select_related("connection")} == addresses, rule
    balance = flags["ENERGY_BALANCE"].meters.select_related("connection")
    (transformer,) = [m.connection for m in balance if m.role == "subject"]
    assert "-TP-" in transformer.meter_id
    assert {m.connection.parent_id for m in balance if m.role == "child"} == {transformer.pk}
    # The contract's rule still finds the 14 flat farms the demo hides, and none of the new examples (the flags
    # of the farms stopped in the last weeks were confirmed before the run).
    assert Flag.objects.filter(rule="UNLICENSED_MINING", status=Flag.Status.OPEN).count() == 14


def _recent_stops():
    """The operations the demo stopped in the last weeks, inside the grid feed: the ones with meter data."""
    return EnforcementAction.objects.filter(action__in=STOPPING, date__gt=TODAY - dt.timedelta(days=60))


def _hourly(grid, start: dt.datetime, end: dt.datetime) -> dict:
    return MeterReading.objects.filter(connection=grid, period_start__gte=start, period_start__lt=end).aggregate(
        mw=Avg("kwh") / 1000, low_mw=Min("kwh") / 1000, high_mw=Max("kwh") / 1000
    )


def test_power_released_is_the_flat_load_the_recent_closures_took_off_the_grid(demo):
    released = power_released(today=TODAY)

    assert released.total.released_mw > 0
    assert released.total.metered_sites > 0
    stops = list(_recent_stops().select_related("connection"))
    assert released.total.metered_sites == len(stops)  # the 2022 campaign's sites have no readings: 0 MW
    expected_mw = Counter()
    for stop in stops:
        action_day = clock.day_start(stop.date)
        before = _hourly(stop.connection, action_day - dt.timedelta(days=30), action_day)
        after = _hourly(stop.connection, action_day + dt.timedelta(days=1), clock.day_start(TODAY))
        # A mining farm's flat load, every hour within a few per cent of its average, then next to nothing.
        assert before["low_mw"] > Decimal("0.97") * before["mw"] and before["high_mw"] < Decimal("1.03") * before["mw"]
        assert after["high_mw"] < Decimal("0.02") * before["mw"]
        expected_mw[stop.region] += before["mw"]
    by_region = {row.region: row.released_mw for row in released.regions if row.released_mw}
    assert by_region.keys() == expected_mw.keys()
    for region, mw in expected_mw.items():
        assert by_region[region] == pytest.approx(mw, abs=Decimal("0.002")), region


def test_the_recent_closures_keep_the_flag_that_found_them_and_get_no_other(demo):
    # A run at the feed's end, when the farms' old load fills most of the window it will ever fill.
    call_command("detect", "--as-of", f"{TODAY.isoformat()}T00:00Z", stdout=io.StringIO())

    stops = list(_recent_stops().select_related("inspection__flag"))
    assert stops
    for stop in stops:
        flag = stop.inspection.flag
        assert stop.inspection.outcome == Inspection.Outcome.ILLEGAL_OPERATION
        assert stop.inspection.date <= stop.date
        assert (flag.rule, flag.status, flag.firm_id) == ("UNLICENSED_MINING", Flag.Status.CONFIRMED, stop.firm_id)
        assert flag.created_at < clock.day_start(stop.inspection.date) < flag.decided_at
        assert list(Flag.objects.filter(meters__connection=stop.connection_id)) == [flag]


def test_demo_logins_work_with_the_demo_password(demo):
    for username in ("regulator", "inspector", "auditor", "firm"):
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password="demo") is not None


class _Rollback(Exception):
    pass


def _fingerprint_of_a_fresh_seed():
    try:
        with transaction.atomic():
            seed()
            fingerprint = (
                list(Firm.objects.order_by("bin").values_list("bin", "name")),
                MeterReading.objects.aggregate(total=Sum("kwh"))["total"],
            )
            raise _Rollback
    except _Rollback:
        return fingerprint


def test_the_same_seed_gives_the_same_registry(db):
    assert _fingerprint_of_a_fresh_seed() == _fingerprint_of_a_fresh_seed()


def test_it_refuses_a_registry_that_has_data(demo):
    with translation.override("en"), pytest.raises(CommandError, match="already holds data"):
        call_command("seed_demo", stdout=io.StringIO())


def test_if_empty_leaves_a_registry_with_data_alone(demo):
    before = Firm.objects.count()
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Firm.objects.count() == before
