import pytest
from django.contrib import admin
from django.urls import reverse

from registry.models import Firm


def test_a_regulators_edit_shows_on_the_history_page_with_who_and_before_after(client, regulator, firm_a):
    client.force_login(regulator)
    change_url = reverse("admin:registry_firm_change", args=[firm_a.pk])
    form = {
        "bin": firm_a.bin,
        "name": "Alpha Mining Group LLP",
        "region": firm_a.region,
        "address": "",
        "email": "",
        "origin": "registered",
        "verification": "verified",
        "phone": "",
        "contact_person": "",
        "ownerships-TOTAL_FORMS": "0",
        "ownerships-INITIAL_FORMS": "0",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
    }

    response = client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    history = client.get(reverse("admin:registry_firm_history", args=[firm_a.pk])).content.decode()
    assert "rita" in history
    assert "Alpha Mining LLP → Alpha Mining Group LLP" in history


def test_an_auditor_can_read_the_history_but_not_change_the_firm(client, auditor, firm_a):
    client.force_login(auditor)

    history = client.get(reverse("admin:registry_firm_history", args=[firm_a.pk]))
    change = client.post(reverse("admin:registry_firm_change", args=[firm_a.pk]), {"name": "Hacked"})

    assert history.status_code == 200
    assert change.status_code == 403
    assert Firm.objects.get(pk=firm_a.pk).name == "Alpha Mining LLP"


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label == "registry"], ids=lambda m: m._meta.model_name
)
def test_every_registry_changelist_opens_for_a_regulator(client, regulator, firm_a, model):
    client.force_login(regulator)
    opts = model._meta

    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True)

    assert changelist.status_code == 200


def test_a_regulator_queues_a_detection_run_from_the_admin(client, regulator, django_capture_on_commit_callbacks):
    from registry.models import DetectionRun

    client.force_login(regulator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:registry_detectionrun_run_now"), follow=True)

    run = DetectionRun.objects.get()
    assert response.status_code == 200
    assert run.trigger == "admin:rita"
    assert run.status == "succeeded"  # tasks run in-process in the tests


def test_an_auditor_cannot_start_a_detection_run(client, auditor):
    from registry.models import DetectionRun

    client.force_login(auditor)
    client.post(reverse("admin:registry_detectionrun_run_now"))

    assert not DetectionRun.objects.exists()
