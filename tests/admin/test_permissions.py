"""Who may do what in /admin/ (docs/rules.md, "Who sees what"), checked through the pages themselves."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from registry.models import EnforcementAction, Facility, Firm, Flag, GridConnection, Inspection, Licence
from tests.factories import EnforcementActionFactory, FlagFactory, InspectionFactory

pytestmark = pytest.mark.django_db

REGISTRY_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label == "registry"), key=lambda m: m._meta.model_name
)
# Written only by the system (detection, imports, exports) or edited in place: nobody adds them by hand.
SYSTEM_WRITTEN = {
    "flag",
    "detectionsettings",
    "detectionrun",
    "exportlog",
    "readingimport",
    "readingcorrection",
    "readingarchive",
    "taskoutbox",
}
STAFF = ["regulator", "inspector", "auditor"]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:registry_{model._meta.model_name}_{view}", args=args)


def login(client, request, who: str):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))


@pytest.fixture
def records(firm_a, inspector):
    """One record of each kind a regulator works with."""
    site = Facility.objects.get(ref="FAC-A1")
    flag = FlagFactory(
        rule="OVER_CAPACITY",
        severity="medium",
        licence=Licence.objects.get(),
        firm=firm_a,
        evidence={"peak_to_capacity": 1.3},
        window_end=dt.datetime(2025, 5, 31, tzinfo=dt.UTC),
    )
    inspection = InspectionFactory(
        facility=site,
        firm=firm_a,
        flag=flag,
        date=dt.date(2025, 6, 1),
        outcome="violations",
        findings="Two racks over the plan",
    )
    inspection.inspectors.set([inspector])
    action = EnforcementActionFactory(firm=firm_a, facility=site, date=dt.date(2025, 6, 2), fine_kzt=500_000)
    return {
        Firm: firm_a,
        Facility: site,
        GridConnection: GridConnection.objects.get(meter_id="PV-0001"),
        Licence: Licence.objects.get(),
        Flag: flag,
        Inspection: inspection,
        EnforcementAction: action,
    }


# Changelists


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m._meta.model_name)
def test_every_staff_role_reads_every_registry_list(client, request, who, model):
    login(client, request, who)

    response = client.get(url(model, "changelist"), follow=True)

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["alice", "anonymous"])
@pytest.mark.parametrize("view", ["changelist", "add"])
@pytest.mark.parametrize("model", [Firm, Licence, Flag, Inspection], ids=lambda m: m._meta.model_name)
def test_non_staff_are_sent_to_the_admin_login(client, request, who, view, model):
    login(client, request, who)
    page = url(model, view)

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert page in response["Location"]


@pytest.mark.parametrize("who", ["alice", "anonymous"])
def test_non_staff_are_sent_to_the_admin_login_from_a_record(client, request, records, who):
    login(client, request, who)

    response = client.get(url(Firm, "change", records[Firm].pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# Add pages


def may_add(who: str, model) -> bool:
    name = model._meta.model_name
    if who == "regulator":
        return name not in SYSTEM_WRITTEN
    if who == "inspector":
        return name == "inspection"
    return False


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m._meta.model_name)
def test_add_pages_open_only_for_the_roles_that_may_add(client, request, who, model):
    login(client, request, who)

    response = client.get(url(model, "add"))

    assert response.status_code == (200 if may_add(who, model) else 403)


# Change pages: every staff role reads them; only the roles that may change get save buttons.


def may_change(who: str, model) -> bool:
    if who == "regulator":
        return True
    return who == "inspector" and model is Inspection


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize(
    "model", [Firm, Facility, GridConnection, Licence, Inspection, EnforcementAction], ids=lambda m: m._meta.model_name
)
def test_change_pages_show_save_buttons_only_to_the_roles_that_may_change(client, request, records, who, model):
    login(client, request, who)

    response = client.get(url(model, "change", records[model].pk))

    assert response.status_code == 200
    assert ('name="_save"' in response.content.decode()) is may_change(who, model)


@pytest.mark.parametrize("who", ["inspector", "auditor"])
def test_a_flag_page_has_no_save_button_for_readers(client, request, records, who):
    login(client, request, who)

    response = client.get(url(Flag, "change", records[Flag].pk))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("who", ["inspector", "auditor"])
@pytest.mark.parametrize("model", [Firm, Facility, Licence, EnforcementAction], ids=lambda m: m._meta.model_name)
def test_posting_a_change_as_a_reader_is_refused(client, request, records, who, model):
    login(client, request, who)
    obj = records[model]
    before = model.objects.filter(pk=obj.pk).values().get()

    response = client.post(url(model, "change", obj.pk), {"name": "Hacked", "notes": "Hacked", "capacity_mw": "99"})

    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).values().get() == before


def test_an_inspector_records_an_inspection(client, inspector, records):
    client.force_login(inspector)
    site = records[Facility]

    response = client.post(
        url(Inspection, "add"),
        {
            "facility": site.pk,
            "date": "2025-06-20",
            "inspectors": [inspector.pk],
            "findings": "All in order",
            "outcome": "compliant",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Inspection.objects.filter(facility=site, date=dt.date(2025, 6, 20), outcome="compliant").exists()


def test_an_inspector_corrects_an_inspection(client, inspector, records):
    client.force_login(inspector)
    inspection = records[Inspection]

    response = client.post(
        url(Inspection, "change", inspection.pk),
        {
            "facility": inspection.facility_id,
            "firm": inspection.firm_id,
            "date": "2025-06-01",
            "inspectors": [inspector.pk],
            "findings": "Three racks over the plan",
            "outcome": "violations",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Inspection.objects.get(pk=inspection.pk).findings == "Three racks over the plan"


def test_an_auditor_cannot_record_an_inspection(client, auditor, records):
    client.force_login(auditor)
    count = Inspection.objects.count()

    response = client.post(
        url(Inspection, "add"),
        {
            "facility": records[Facility].pk,
            "date": "2025-06-20",
            "findings": "x",
            "outcome": "compliant",
        },
    )

    assert response.status_code == 403
    assert Inspection.objects.count() == count


# Actions: decisions are listed for regulators only, and refused to anyone else even when posted by hand.


def action_names(response) -> list[str]:
    """The actions offered in the changelist's action bar (none: no bar at all)."""
    form = response.context.get("action_form")
    return [value for value, _label in form.fields["action"].choices if value] if form else []


@pytest.mark.parametrize("model", [Flag, Licence], ids=lambda m: m._meta.model_name)
def test_an_inspector_sees_no_actions_on_flags_and_licences(client, inspector, records, model):
    client.force_login(inspector)

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert action_names(response) == []
    assert 'name="action"' not in response.content.decode()


@pytest.mark.parametrize("model", [Flag, Licence], ids=lambda m: m._meta.model_name)
def test_an_auditor_may_only_export_from_flags_and_licences(client, auditor, records, model):
    client.force_login(auditor)

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert action_names(response) == ["export_csv", "export_xlsx"]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Flag, ["assign", "schedule_inspection", "confirm", "dismiss"]),
        (Licence, ["start_review", "grant", "reject", "suspend", "reinstate", "revoke", "surrender"]),
    ],
    ids=["flag", "licence"],
)
def test_a_regulator_sees_the_decisions_on_flags_and_licences(client, regulator, records, model, expected):
    client.force_login(regulator)

    response = client.get(url(model, "changelist"))

    assert set(expected) <= set(action_names(response))


@pytest.mark.parametrize("who", ["inspector", "auditor"])
@pytest.mark.parametrize(
    ("model", "action", "data"),
    [
        (Flag, "dismiss", {"reason": "Not mining"}),
        (Flag, "confirm", {"reason": "Mining"}),
        (Licence, "revoke", {"reason": "Revoked by a reader"}),
        (Licence, "suspend", {"reason": "Suspended by a reader", "months": "3"}),
        (Licence, "surrender", {"reason": ""}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_decision_posted_by_a_reader_changes_nothing(client, request, records, who, model, action, data):
    login(client, request, who)
    obj = records[model]
    before = model.objects.filter(pk=obj.pk).values().get()

    client.post(url(model, "changelist"), {"action": action, "_selected_action": [obj.pk], "apply": "1", **data})

    assert model.objects.filter(pk=obj.pk).values().get() == before
    assert not EnforcementAction.objects.exclude(pk=records[EnforcementAction].pk).exists()
