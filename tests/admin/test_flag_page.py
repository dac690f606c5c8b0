"""A flag's page in the admin: its meters, its chart, its decisions as buttons for those who may take them."""

import html
import json
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Flag, MeterReading
from tests.factories import (
    WINDOW_END,
    FacilityFactory,
    FlagFactory,
    FlagMeterFactory,
    GridConnectionFactory,
)

BUTTONS = ["Assign", "Schedule an inspection", "Confirm", "Dismiss", "Inspected: compliant — dismiss"]
DECISIONS = ["assign", "schedule_inspection", "confirm", "dismiss", "dismiss_compliant"]


def page_url(flag) -> str:
    return reverse("admin:registry_flag_change", args=[flag.pk])


def decide_url(flag, decision: str) -> str:
    return reverse("admin:registry_flag_decide", args=[flag.pk, decision])


def buttons(response) -> list[str]:
    block = re.search(r'<div class="flag-decisions".*?</div>', response.content.decode(), re.S)
    return (
        [html.unescape(label) for label in re.findall(r'class="button"[^>]*>([^<]+)</a>', block.group(0))]
        if block
        else []
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def split_flag(db):
    """An open SPLIT_LOAD flag over two flats at one address, with an hour of readings each."""
    flats = [
        GridConnectionFactory(meter_id=meter_id, tariff="residential", address="Abai street 12", consumer_name=name)
        for meter_id, name in (("AB-12-2", "A. Seitkali"), ("AB-12-1", "B. Nurlanov"))
    ]
    flag = FlagFactory(
        rule="SPLIT_LOAD",
        severity="high",
        connection=flats[0],
        subject_ref="abai street 12",
        evidence={"avg_mw": 0.16, "peak_mw": 0.17, "meters": 2, "member_avg_mw": {"AB-12-1": 0.09, "AB-12-2": 0.07}},
    )
    for flat in flats:
        FlagMeterFactory(flag=flag, connection=flat, role="member")
        MeterReading.objects.create(connection=flat, period_start=flag.window_start, kwh=Decimal("80"))
    return flag


@pytest.fixture
def farm_flag(db):
    farm = GridConnectionFactory(meter_id="AL-7001", tariff="residential")
    flag = FlagFactory(rule="UNLICENSED_MINING", connection=farm, evidence={"avg_mw": 0.52}, window_end=WINDOW_END)
    FlagMeterFactory(flag=flag, connection=farm)
    return flag


# What the page shows.


def test_the_page_lists_the_flag_meters_with_links_and_roles(rita, split_flag):
    response = rita.get(page_url(split_flag))

    page = response.content.decode()
    table = re.search(r'<table class="flag-meters">.*?</table>', page, re.S).group(0)
    rows = re.findall(r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td>([^<]+)</td>', table)
    assert [(meter, role) for _href, meter, role in rows] == [
        ("AB-12-1", "Member of the group"),
        ("AB-12-2", "Member of the group"),
    ]
    assert rows[0][0] == reverse(
        "admin:registry_gridconnection_change",
        args=[split_flag.meters.get(connection__meter_id="AB-12-1").connection_id],
    )
    assert "Abai street 12" in table and "B. Nurlanov" in table


def test_the_page_carries_the_chart_as_json_and_loads_its_script_from_static(rita, split_flag):
    response = rita.get(page_url(split_flag))

    page = response.content.decode()
    data = json.loads(re.search(r'<script id="flag-chart-data" type="application/json">(.*?)</script>', page).group(1))
    assert [s["label"] for s in data["series"]] == ["AB-12-1", "AB-12-2", "Sum of the 2 meters"]
    assert data["y_title"] == "Load, MW"
    assert '<canvas id="flag-chart"' in page
    # No inline script (the CSP allows none): every other script is a file.
    inline = [tag for tag in re.findall(r"<script[^>]*>", page) if "src=" not in tag and "application/json" not in tag]
    assert inline == []
    assert "/static/registry/load_chart.js" in page
    # Without the script, the figures it would draw are listed.
    figures = re.search(r'<ul class="flag-chart-figures">(.*?)</ul>', page, re.S).group(1)
    assert "<li>Sum of the 2 meters: 1 hour with readings, average 0.160 MW, highest hour 0.160 MW.</li>" in figures
    assert "<li>Minimum average load: 0.100 MW</li>" in figures


def test_the_chart_is_read_with_debug_on_too(rita, split_flag, settings):
    settings.DEBUG = True  # `make run`: every cursor is a debug wrapper

    response = rita.get(page_url(split_flag))

    assert response.status_code == 200
    assert 'id="flag-chart-data"' in response.content.decode()


def test_the_title_names_the_rule_and_the_subject(rita, split_flag):
    response = rita.get(page_url(split_flag))

    assert "<h1>Mining load split over several meters — abai street 12</h1>" in response.content.decode()


def test_the_evidence_of_a_group_reads_with_units(rita, split_flag):
    response = rita.get(page_url(split_flag))

    table = re.search(r'<table class="evidence">.*?</table>', response.content.decode(), re.S).group(0)
    assert "<tr><th>meters in the group</th><td>2</td></tr>" in table
    assert "<tr><th>average load of each meter</th><td>AB-12-1: 0.090 MW; AB-12-2: 0.070 MW</td></tr>" in table


# Decisions as buttons.


def test_a_regulator_sees_every_decision_as_a_button_and_no_save_or_delete(rita, farm_flag):
    response = rita.get(page_url(farm_flag))

    page = response.content.decode()
    assert buttons(response) == BUTTONS
    for name in ("_save", "_continue", "_addanother"):
        assert f'name="{name}"' not in page
    assert "deletelink" not in page


def test_a_flag_under_inspection_can_no_longer_be_scheduled(rita, farm_flag):
    Flag.objects.filter(pk=farm_flag.pk).update(status="under_inspection")

    response = rita.get(page_url(farm_flag))

    assert buttons(response) == ["Assign", "Confirm", "Dismiss", "Inspected: compliant — dismiss"]


@pytest.mark.parametrize("status", ["confirmed", "dismissed"])
def test_a_decided_flag_offers_no_decision(rita, farm_flag, status):
    Flag.objects.filter(pk=farm_flag.pk).update(status=status)

    assert buttons(rita.get(page_url(farm_flag))) == []


def test_a_compliant_visit_is_offered_only_for_the_suspicions_a_visit_settles(rita, firm_a):
    flag = FlagFactory(rule="MISSING_DECLARATION", facility=firm_a.facilities.get())

    assert buttons(rita.get(page_url(flag))) == ["Assign", "Schedule an inspection", "Confirm", "Dismiss"]


@pytest.mark.parametrize("who", ["inspector", "auditor"])
def test_readers_see_no_decision_buttons_and_may_not_open_a_decision(client, request, farm_flag, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(page_url(farm_flag))

    assert response.status_code == 200
    assert buttons(response) == []
    for decision in DECISIONS:
        assert client.get(decide_url(farm_flag, decision)).status_code == 403
    refused = client.post(decide_url(farm_flag, "dismiss"), {"apply": "1", "reason": "Not mining"})
    assert refused.status_code == 403
    assert Flag.objects.get(pk=farm_flag.pk).status == "open"


def test_the_dismiss_button_opens_the_reason_form_and_returns_to_the_page(rita, farm_flag):
    form = rita.get(decide_url(farm_flag, "dismiss"))

    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    assert f'href="{page_url(farm_flag)}" class="closelink"' in form.content.decode()
    assert Flag.objects.get(pk=farm_flag.pk).status == "open"  # opening the form decides nothing

    response = rita.post(
        decide_url(farm_flag, "dismiss"),
        {"action": "dismiss", "_selected_action": [farm_flag.pk], "apply": "1", "reason": "A bakery's ovens"},
    )

    assert response.status_code == 302 and response["Location"] == page_url(farm_flag)
    dismissed = Flag.objects.get(pk=farm_flag.pk)
    assert (dismissed.status, dismissed.decision_reason) == ("dismissed", "A bakery's ovens")
    assert texts(response) == ["Dismiss: UNLICENSED_MINING AL-7001"]


def test_a_blank_reason_shows_the_form_again_with_its_error(rita, farm_flag):
    response = rita.post(decide_url(farm_flag, "confirm"), {"apply": "1", "reason": "  "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Flag.objects.get(pk=farm_flag.pk).status == "open"


def test_inspected_compliant_dismisses_with_its_reason_and_says_how_long_it_silences(rita, farm_flag):
    form = rita.get(decide_url(farm_flag, "dismiss_compliant")).content.decode()

    assert "Inspected: compliant.</textarea>" in form
    assert "Detection stays quiet about this subject for 180 days, unless its average load grows by more than 50%" in (
        form
    )

    response = rita.post(
        decide_url(farm_flag, "dismiss_compliant"), {"apply": "1", "reason": "Inspected: compliant. A cold store."}
    )

    assert response["Location"] == page_url(farm_flag)
    dismissed = Flag.objects.get(pk=farm_flag.pk)
    assert (dismissed.status, dismissed.decision_reason) == ("dismissed", "Inspected: compliant. A cold store.")
    assert dismissed.decided_at is not None  # the dismissal silence counts from here


def test_a_decision_the_page_does_not_offer_is_refused(rita, farm_flag):
    assert rita.get(decide_url(farm_flag, "export_csv")).status_code == 403
    assert rita.get(decide_url(farm_flag, "delete_selected")).status_code == 403


# Nobody deletes or edits a flag.


@pytest.mark.parametrize("who", ["regulator", "inspector", "auditor"])
def test_nobody_deletes_a_flag(client, request, farm_flag, who):
    client.force_login(request.getfixturevalue(who))
    delete = reverse("admin:registry_flag_delete", args=[farm_flag.pk])

    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Flag.objects.filter(pk=farm_flag.pk).exists()


def test_the_flag_list_offers_no_bulk_delete(rita, farm_flag):
    response = rita.get(reverse("admin:registry_flag_changelist"))

    actions = [value for value, _label in response.context["action_form"].fields["action"].choices if value]
    assert "delete_selected" not in actions
    assert "dismiss_compliant" in actions
    refused = rita.post(
        reverse("admin:registry_flag_changelist"),
        {"action": "delete_selected", "_selected_action": [farm_flag.pk], "post": "yes"},
    )
    assert refused.status_code in (200, 302)
    assert Flag.objects.filter(pk=farm_flag.pk).exists()


def test_posting_the_change_form_is_refused(rita, farm_flag):
    response = rita.post(page_url(farm_flag), {"status": "dismissed"})

    assert response.status_code == 403
    assert Flag.objects.get(pk=farm_flag.pk).status == "open"


# Record links only for those who may record.


@pytest.mark.parametrize(
    ("who", "links"),
    [
        ("regulator", ["Record an inspection", "Record an enforcement action"]),
        ("inspector", ["Record an inspection"]),
        ("auditor", []),
    ],
)
def test_record_links_are_offered_only_to_who_may_record(client, request, firm_a, who, links):
    client.force_login(request.getfixturevalue(who))
    site = firm_a.facilities.get()
    flag = FlagFactory(facility=site, firm=firm_a)

    for url in (page_url(flag), reverse("admin:registry_facility_change", args=[site.pk])):
        page = client.get(url).content.decode()
        assert re.findall(r'<a href="/admin/registry/[a-z]+/add/\?[^"]*">([^<]+)</a>', page) == links, url


# Query count.


def test_the_page_takes_the_same_queries_for_any_number_of_meters(rita):
    def queries_for(members: int) -> int:
        meters = GridConnectionFactory.create_batch(members)
        flag = FlagFactory(rule="SPLIT_LOAD", connection=meters[0])
        for meter in meters:
            FlagMeterFactory(flag=flag, connection=meter, role="member")
        with CaptureQueriesContext(db_connection) as queries:
            assert rita.get(page_url(flag)).status_code == 200
        return len(queries)

    queries_for(2)  # the first page creates the detection settings' row
    assert queries_for(12) == queries_for(3)


def test_a_facility_flag_without_meter_rows_still_draws_its_facility(rita, firm_b):
    meter = GridConnectionFactory()
    site = FacilityFactory(firm=firm_b, connections=[meter])
    flag = FlagFactory(facility=site, firm=firm_b)
    MeterReading.objects.create(connection=meter, period_start=flag.window_start, kwh=Decimal("70"))

    page = rita.get(page_url(flag)).content.decode()

    assert 'id="flag-chart-data"' in page
    assert f"Hourly load of {site.ref}" in page
