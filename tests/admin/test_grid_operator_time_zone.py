"""A grid operator account's time zone in the admin: the zone its 80020 files are read in."""

from django.urls import reverse

from registry.models import GridOperatorAccount


def change(rita, account: GridOperatorAccount, time_zone: str):
    return rita.post(
        reverse("admin:registry_gridoperatoraccount_change", args=[account.pk]),
        {"user": account.user_id, "operator": account.operator, "time_zone": time_zone},
    )


def test_a_regulator_sets_an_accounts_time_zone(rita, grid_operator):
    account = grid_operator.grid_operator

    response = change(rita, account, "Asia/Aqtobe")

    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.time_zone == "Asia/Aqtobe"


def test_an_unknown_time_zone_is_refused(rita, grid_operator):
    account = grid_operator.grid_operator

    response = change(rita, account, "Asia/Nowhere")

    assert response.status_code == 200
    assert "Asia/Nowhere is not one of the available choices" in response.content.decode()
    account.refresh_from_db()
    assert account.time_zone == "Asia/Almaty"


def test_the_list_shows_each_accounts_time_zone(rita, grid_operator):
    page = rita.get(reverse("admin:registry_gridoperatoraccount_changelist")).content.decode()

    assert "Asia/Almaty" in page


def test_a_new_account_starts_in_the_registrys_zone(rita):
    page = rita.get(reverse("admin:registry_gridoperatoraccount_add")).content.decode()

    assert '<option value="Asia/Almaty" selected>' in page
