"""The staff dashboard: who may open it, and the figures it shows for a small arranged world."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import clock
from registry.models import Flag, GridConnection, MeterReading
from registry.selectors import dashboard
from registry.services.demo import demo_seed
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    LicenceFactory,
    StaffFactory,
)

AS_OF = dt.datetime(2026, 6, 17, 12, tzinfo=dt.UTC)  # a Wednesday
URL = "/admin/dashboard/"


def _readings(grid: GridConnection, *hours_kwh: tuple[dt.datetime, int]) -> None:
    MeterReading.objects.bulk_create(
        MeterReading(connection=grid, period_start=hour, kwh=Decimal(kwh)) for hour, kwh in hours_kwh
    )


def _flag(*, created_at: dt.datetime, **fields) -> Flag:
    """A flag raised at `created_at`, over the 30 days before."""
    flag = FlagFactory(window_end=created_at, **fields)
    Flag.objects.filter(pk=flag.pk).update(created_at=created_at)
    return flag


def arrange_world(as_of: dt.datetime, *, tag: str = "") -> None:
    """Stopped farms (one metered, one not, one facility on two meters), a suspected farm, a licensed firm, flags.

    `tag` makes the names unique, so a test can arrange the same world twice.
    """
    today = clock.date_of(as_of)
    hour = dt.timedelta(hours=1)
    gamma = FirmFactory(name=f"Gamma{tag}", region="almaty_region", origin="unregistered")

    # Closed voluntarily 10 days ago; 2 MW over five hours before that, a load after it does not count.
    closed_on = today - dt.timedelta(days=10)
    closed_at = clock.day_start(closed_on)  # an action's day starts at midnight in the registry's zone
    closed = GridConnectionFactory(meter_id=f"AR-1{tag}", region="almaty_region", tariff="residential")
    _readings(
        closed,
        *[(closed_at - (i + 1) * hour, 2000) for i in range(5)],
        (closed_at + hour, 9000),
        (closed_at - dt.timedelta(days=31), 9000),
    )
    EnforcementActionFactory(action="voluntary_closure", firm=gamma, connection=closed, date=closed_on)

    # Cancelled 5 days ago, never metered: equipment confiscated and a criminal case.
    cancelled = GridConnectionFactory(meter_id=f"AR-2{tag}", region="almaty_region", tariff="agricultural")
    cancelled_on = today - dt.timedelta(days=5)
    for action, extra in [
        ("operation_cancelled", {}),
        ("equipment_confiscated", {"devices": 300, "value_usd": Decimal("1500000.50")}),
        ("criminal_case", {"case_number": f"26-0001{tag}"}),
    ]:
        EnforcementActionFactory(action=action, firm=gamma, connection=cancelled, date=cancelled_on, **extra)

    # A facility on two meters cancelled 3 days ago: hours summed across meters, (1500 + 1000) / 2 = 1.25 MW.
    jb1 = GridConnectionFactory(meter_id=f"JB-1{tag}", region="jambyl")
    jb2 = GridConnectionFactory(meter_id=f"JB-2{tag}", region="jambyl")
    farm = FacilityFactory(ref=f"FAC-G1{tag}", firm=gamma, region="jambyl", capacity_mw=3, connections=[jb1, jb2])
    farm_stopped_on = today - dt.timedelta(days=3)
    farm_stopped_at = clock.day_start(farm_stopped_on)
    _readings(jb1, (farm_stopped_at - 2 * hour, 1000), (farm_stopped_at - 3 * hour, 1000))
    _readings(jb2, (farm_stopped_at - 2 * hour, 500))
    EnforcementActionFactory(action="operation_cancelled", firm=gamma, facility=farm, date=farm_stopped_on)
    EnforcementActionFactory(
        action="equipment_confiscated",
        firm=gamma,
        facility=farm,
        date=farm_stopped_on,
        devices=200,
        value_usd=Decimal("500000"),
    )
    # Dated after the day reported on: not counted.
    EnforcementActionFactory(action="voluntary_closure", firm=gamma, region="jambyl", date=today + dt.timedelta(days=1))

    # A licensed firm: one 12 MW licence over a 6 MW and a 2 MW facility in two regions; an expired one.
    delta = FirmFactory(name=f"Delta{tag}", region="karaganda")
    d1 = FacilityFactory(
        ref=f"FAC-D1{tag}",
        firm=delta,
        capacity_mw=6,
        connections=[GridConnectionFactory(meter_id=f"KR-D1{tag}", region="karaganda")],
    )
    d2 = FacilityFactory(ref=f"FAC-D2{tag}", firm=delta, region="pavlodar", capacity_mw=2)
    d3 = FacilityFactory(ref=f"FAC-D3{tag}", firm=delta, capacity_mw=50)
    in_force = LicenceFactory(
        number=f"KZ-DM-1{tag}",
        firm=delta,
        capacity_mw=12,
        valid_from=today - dt.timedelta(days=100),
        valid_until=today + dt.timedelta(days=900),
        facilities=[d1, d2],
    )
    LicenceFactory(
        number=f"KZ-DM-2{tag}",
        firm=delta,
        capacity_mw=50,
        status="expired",
        valid_from=today - dt.timedelta(days=1200),
        valid_until=today - dt.timedelta(days=10),
        facilities=[d3],
    )

    # Suspected illegal: a meter with an open UNLICENSED_MINING flag (0.75 MW on average over the hours metered),
    # and the lapsed facility with an open NO_VALID_LICENCE flag (3 MW on its meter).
    farm_meter = GridConnectionFactory(meter_id=f"KR-9{tag}", region="karaganda", tariff="residential")
    _readings(
        farm_meter,
        *[(as_of - (i + 1) * hour, 1000) for i in range(10)],
        *[(as_of - (i + 11) * hour, 500) for i in range(10)],
        (as_of - dt.timedelta(days=30, hours=1), 9000),
    )
    d3_meter = GridConnectionFactory(meter_id=f"KR-D3{tag}", region="karaganda")
    d3.connections.add(d3_meter)
    _readings(d3_meter, *[(as_of - (i + 1) * hour, 3000) for i in range(4)])
    GridConnectionFactory(meter_id=f"AS-1{tag}", region="astana", tariff="residential")

    # Flags in different weeks (weeks start on Monday, UTC).
    this_monday = clock.day_start(today - dt.timedelta(days=today.weekday()))
    _flag(rule="UNLICENSED_MINING", severity="high", connection=farm_meter, created_at=as_of - hour)
    _flag(rule="NO_VALID_LICENCE", severity="high", facility=d3, created_at=this_monday - dt.timedelta(days=12))
    _flag(rule="MISSING_DECLARATION", severity="low", facility=d1, created_at=this_monday - dt.timedelta(days=19))
    _flag(
        rule="OVER_CAPACITY",
        severity="medium",
        licence=in_force,
        status="dismissed",
        created_at=this_monday - dt.timedelta(days=20),
    )
    _flag(rule="UNDER_DECLARED", severity="medium", facility=d2, created_at=this_monday - dt.timedelta(weeks=12))


@pytest.fixture
def world(db):
    arrange_world(AS_OF)


# Who may open it


@pytest.mark.parametrize("role", ["regulator", "inspector", "auditor"])
def test_every_staff_role_opens_the_dashboard(client, request, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(URL)

    assert response.status_code == 200
    assert reverse("admin-dashboard") == URL


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={URL}"


def test_a_firm_user_is_sent_to_the_login(client, alice):
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_user_without_a_registry_role_is_refused(client, db):
    client.force_login(StaffFactory(username="stan"))

    assert client.get(URL).status_code == 403


def test_the_admin_index_links_to_the_dashboard(client, regulator):
    client.force_login(regulator)

    index = client.get(reverse("admin:index")).content.decode()

    assert f'href="{URL}"' in index


# The figures


def test_enforcement_sums_actions_up_to_the_day(world):
    summary = dashboard.enforcement_summary(today=clock.date_of(AS_OF))

    total = summary.total
    assert (total.voluntary_closures, total.operations_cancelled, total.operations_stopped) == (1, 2, 3)
    assert total.devices_confiscated == 500
    assert total.value_confiscated_usd == Decimal("2000000.50")
    assert total.criminal_cases == 1
    assert [(r.region, r.operations_stopped, r.devices_confiscated) for r in summary.regions] == [
        ("almaty_region", 2, 300),
        ("jambyl", 1, 200),
    ]


def test_legal_status_is_counted_per_region(world):
    facilities = dashboard.facility_status_by_region(today=clock.date_of(AS_OF))
    connections = dashboard.connection_status_by_region(today=clock.date_of(AS_OF))

    def table(status_table):
        columns = dashboard.STATUS_COLUMNS
        return {row.region: {columns[i]: n for i, n in enumerate(row.counts) if n} for row in status_table.rows}

    assert table(facilities) == {
        "jambyl": {"cancelled": 1},
        "karaganda": {"licensed": 1, "suspected_illegal": 1},
        "pavlodar": {"licensed": 1},
    }
    assert table(connections) == {
        "almaty_region": {"closed_voluntarily": 1, "cancelled": 1},
        "jambyl": {"cancelled": 2},
        "karaganda": {"licensed": 1, "suspected_illegal": 2},
        "astana": {"": 1},
    }
    assert (facilities.total, connections.total) == (4, 8)


def test_licensed_capacity_is_split_by_region_and_set_against_suspected_load(world):
    rows = dashboard.capacity_vs_suspected_load(as_of=AS_OF, days=30)

    by_region = {row.region: (row.licensed_mw, row.suspected_sites, row.suspected_load_mw) for row in rows}
    # 12 MW licensed over 6 + 2 MW installed; the expired licence counts for nothing.
    # Suspected: the flagged meter (0.75 MW) and the meter of the flagged facility (3 MW).
    assert by_region == {
        "karaganda": (Decimal("9.000"), 2, Decimal("3.750")),
        "pavlodar": (Decimal("3.000"), 0, Decimal("0.000")),
    }


def test_power_released_is_the_load_before_each_stopping_action(world):
    released = dashboard.power_released(today=clock.date_of(AS_OF), days=30)

    by_region = {
        r.region: (r.voluntary_closure_mw, r.operation_cancelled_mw, r.sites, r.metered_sites) for r in released.regions
    }
    # almaty_region: the closed meter drew 2 MW before its closure; the cancelled one has no readings (0 MW).
    # jambyl: the facility's two meters summed per hour.
    assert by_region == {
        "almaty_region": (Decimal("2.000"), Decimal("0.000"), 2, 1),
        "jambyl": (Decimal("0.000"), Decimal("1.250"), 1, 1),
    }
    assert released.total.released_mw == Decimal("3.250")


def test_flags_are_counted_per_week_and_severity(world):
    weeks = dashboard.flags_per_week(as_of=AS_OF, weeks=12)

    assert len(weeks) == 12
    assert weeks[0].week == dt.date(2026, 3, 30) and weeks[-1].week == dt.date(2026, 6, 15)
    counts = {week.week: week.counts for week in weeks if week.total}  # [high, medium, low]
    assert counts == {
        dt.date(2026, 6, 15): [1, 0, 0],
        dt.date(2026, 6, 1): [1, 0, 0],
        dt.date(2026, 5, 25): [0, 1, 1],  # a dismissed flag was still raised
    }


def test_a_flag_raised_since_the_hour_began_is_counted_in_this_week(client, regulator):
    """The dashboard's figures are as of the current hour; a detection run a few minutes ago still shows."""
    now = clock.now()
    flag = FlagFactory(connection=GridConnectionFactory())
    Flag.objects.filter(pk=flag.pk).update(created_at=clock.hour_floor(now) + (now - clock.hour_floor(now)) / 2)
    client.force_login(regulator)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    charts = json.loads(
        re.search(
            r'<script id="dashboard-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
        ).group(1)
    )["charts"]
    assert sum(sum(d["data"]) for d in charts["flags"]["datasets"]) == 1


def test_the_page_shows_the_figures_as_tables_and_as_chart_data(client, regulator):
    arrange_world(clock.hour_floor(clock.now()))
    client.force_login(regulator)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert _figure(page, "operations-stopped") == "3"
    assert _figure(page, "devices-confiscated") == "500 devices"
    assert _figure(page, "value-confiscated") == "$2,000,001"
    assert _figure(page, "criminal-cases") == "1"
    assert _figure(page, "released-mw") == "3.3 MW"  # 3.25 MW, shown to one decimal
    assert "2 of 3 stopped sites had readings" in page
    assert "9.0 MW" in page and "3.8 MW" in page  # karaganda: licensed, suspected load
    charts = json.loads(
        re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )["charts"]
    capacity = {d["key"]: d["data"] for d in charts["capacity"]["datasets"]}
    assert charts["capacity"]["labels"] == ["Karaganda Region", "Pavlodar Region"]
    assert capacity == {"licensed_mw": [9.0, 3.0], "suspected_load_mw": [3.75, 0.0]}
    assert sum(sum(d["data"]) for d in charts["flags"]["datasets"]) == 4
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js"' in page
    assert "cdn" not in page.lower()


@pytest.mark.slow
def test_the_demo_shows_the_2022_campaign_and_the_recent_closures(client, regulator):
    demo_seed(today=clock.today(), connections=120, days=1, months=0)
    client.force_login(regulator)

    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # The campaign's 55 closures and 51 cancellations, and the demo's four recent ones (two of each).
    assert _figure(page, "operations-stopped") == "110"
    assert _figure(page, "voluntary-closures") == "57"
    assert _figure(page, "operations-cancelled") == "53"
    assert _figure(page, "devices-confiscated") == "67,000 devices"
    assert _figure(page, "value-confiscated") == "$193,000,000"
    assert _figure(page, "criminal-cases") == "25"
    assert "4 of 110 stopped sites had readings before their action" in page
    assert _figure(page, "released-mw") != "0.0 MW"


def test_the_number_of_queries_does_not_grow_with_the_rows(client, regulator, django_assert_max_num_queries):
    as_of = clock.hour_floor(clock.now())
    arrange_world(as_of)
    client.force_login(regulator)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)

    for tag in ("x", "yy", "zzz"):
        arrange_world(as_of, tag=tag)
    cache.clear()  # the figures are cached for a few minutes; measure a fresh computation
    with django_assert_max_num_queries(13):  # 12 + the staff session's second-factor device
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.context["status_tables"][1]["rows"]) == 4
    assert response.context["enforcement"].total.operations_stopped == 12
    assert len(small.captured_queries) == 13


def _figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(.*?)</span>', page, re.S)
    assert match, name
    return " ".join(match.group(1).split())


def test_the_figures_are_reused_for_a_few_minutes(client, regulator):
    client.force_login(regulator)
    with CaptureQueriesContext(connection) as first:
        client.get(URL)

    with CaptureQueriesContext(connection) as again:
        response = client.get(URL)

    assert response.status_code == 200
    figures = [q["sql"] for q in first.captured_queries if "registry_" in q["sql"]]
    assert figures and not [q["sql"] for q in again.captured_queries if "registry_" in q["sql"]]
