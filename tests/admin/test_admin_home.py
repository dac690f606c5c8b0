"""The admin home puts the regulator's work first: open flags, applications to decide, inspections due."""

import datetime as dt

import pytest

from registry import clock
from registry.models import Flag
from tests.factories import FacilityFactory, FlagFactory, GridConnectionFactory, InspectionFactory, LicenceFactory
from tests.portal.page import Node, Page


def queue(response, name) -> Node | None:
    return Page(response).root.find(id=f"queue-{name}")


def cells(row: Node) -> list[str]:
    return [td.text for td in row.find_all("td")]


@pytest.fixture
def workload(firm_a, firm_b, inspector):
    """Three open flags (two high), one under inspection, one dismissed; two applications; three inspections."""
    meters = [GridConnectionFactory(meter_id=f"AL-{n}") for n in range(5)]
    FlagFactory(connection=meters[0])
    FlagFactory(connection=meters[1])
    FlagFactory(connection=meters[2], severity=Flag.Severity.MEDIUM)
    FlagFactory(connection=meters[3], status=Flag.Status.UNDER_INSPECTION)
    FlagFactory(connection=meters[4], status=Flag.Status.DISMISSED)
    LicenceFactory(firm=firm_b, status="under_review")
    LicenceFactory(firm=firm_a, status="applied")
    LicenceFactory(firm=firm_a)  # active: nothing to decide
    today = clock.today()
    site = FacilityFactory(firm=firm_a, ref="FAC-Q1")
    overdue = InspectionFactory(facility=site, date=today - dt.timedelta(days=3), outcome="")
    overdue.inspectors.add(inspector)
    InspectionFactory(connection=meters[3], date=today + dt.timedelta(days=2), outcome="")
    InspectionFactory(connection=meters[2], date=today + dt.timedelta(days=30), outcome="")  # not this week
    InspectionFactory(facility=site, date=today - dt.timedelta(days=10))  # recorded: done
    return site


def test_the_home_shows_open_flags_by_severity_with_links_to_the_filtered_queue(rita, workload):
    flags = queue(rita.get("/admin/"), "flags")

    assert "3 open flags" in flags.text
    links = {a.text: a.attrs["href"] for a in flags.find_all("a")}
    assert links["2 high"] == "/admin/registry/flag/?status__exact=open&severity__exact=high"
    assert links["1 medium"] == "/admin/registry/flag/?status__exact=open&severity__exact=medium"
    assert links["0 low"] == "/admin/registry/flag/?status__exact=open&severity__exact=low"
    assert links["1 flag under inspection"] == "/admin/registry/flag/?status__exact=under_inspection"
    assert rita.get(links["2 high"]).context["cl"].result_count == 2


def test_the_home_lists_applications_to_decide_longest_waiting_first(rita, workload, firm_a, firm_b):
    applications = queue(rita.get("/admin/"), "applications")

    assert "2 applications" in applications.text
    rows = [cells(tr)[:2] for tr in applications.find("tbody").find_all("tr")]
    assert rows == [[firm_b.name, "Under review"], [firm_a.name, "Applied"]]
    listed = rita.get(next(a.attrs["href"] for a in applications.find_all("a") if a.text == "2 applications"))
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2


def test_the_home_lists_inspections_due_this_week_and_marks_the_overdue(rita, workload):
    today = clock.today()
    inspections = queue(rita.get("/admin/"), "inspections")

    assert "2 inspections due this week" in inspections.text
    rows = inspections.find("tbody").find_all("tr")
    assert [tr.classes for tr in rows] == [{"overdue"}, set()]
    assert cells(rows[0]) == [f"{today - dt.timedelta(days=3):%Y-%m-%d} overdue", "FAC-Q1", "ivan"]
    assert cells(rows[1])[:2] == [
        f"{today + dt.timedelta(days=2):%Y-%m-%d}",
        "AL-3",
    ]


def test_the_home_counts_in_a_fixed_number_of_queries(rita, workload, django_assert_max_num_queries, firm_a):
    rita.get("/admin/")  # the session and the user's permissions, cached after the first page
    for _ in range(20):
        LicenceFactory(firm=firm_a, status="applied")
    with django_assert_max_num_queries(12):
        rita.get("/admin/")


def test_an_auditor_sees_the_queues_but_no_firm_user_reaches_the_home(client, auditor, alice, workload):
    client.force_login(auditor)
    page = client.get("/admin/")
    assert queue(page, "flags") and queue(page, "applications") and queue(page, "inspections")

    client.force_login(alice)
    assert client.get("/admin/").status_code == 302
