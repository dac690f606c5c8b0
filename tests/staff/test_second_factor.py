"""Staff cannot reach the admin (or anything else) without a second factor: enrol an authenticator once, then a code."""

import base64
import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor_pending]

SECOND_FACTOR = "/accounts/2fa/"


def password_login(client, user, path="/admin/login/"):
    return client.post(path, {"username": user.username, "password": "pass", "next": "/admin/"}, follow=True)


def code(device, offset=0):
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def test_after_the_password_a_staff_user_is_asked_to_set_up_an_authenticator(client, regulator):
    response = password_login(client, regulator)

    assert response.redirect_chain[-1][0].startswith(SECOND_FACTOR)
    page = response.content.decode()
    assert "Set up two-step login" in page
    assert re.search(r'<div class="qr"[^>]*><svg', page)  # the QR code
    device = TOTPDevice.objects.get(user=regulator)
    assert not device.confirmed
    shown_key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert base64.b32decode(shown_key) == device.bin_key


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/registry/flag/", "/admin/dashboard/", "/exports/", "/api/v1/flags/", "/portal/"],
)
def test_no_staff_page_opens_before_the_second_step(client, regulator, path):
    password_login(client, regulator)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"{SECOND_FACTOR}?next={path.replace('/', '%2F')}"


def test_the_admin_itself_refuses_an_unverified_session_even_past_the_middleware(rf, regulator):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = regulator
    regulator.is_verified = lambda: False

    assert not admin.site.has_permission(request)


def test_the_first_good_code_confirms_the_authenticator_and_opens_the_admin(client, regulator):
    password_login(client, regulator)
    device = TOTPDevice.objects.get(user=regulator)

    response = client.post(SECOND_FACTOR, {"token": code(device), "next": "/admin/registry/flag/"})

    assert response.status_code == 302 and response.url == "/admin/registry/flag/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/registry/flag/").status_code == 200


def test_a_reload_of_the_set_up_page_keeps_the_same_key(client, regulator):
    password_login(client, regulator)
    client.get(SECOND_FACTOR)
    client.get(SECOND_FACTOR)

    assert TOTPDevice.objects.filter(user=regulator).count() == 1


def test_a_wrong_code_is_refused_with_a_message_and_the_admin_stays_closed(client, regulator):
    password_login(client, regulator)
    device = TOTPDevice.objects.get(user=regulator)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    response = client.post(SECOND_FACTOR, {"token": wrong})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    device.refresh_from_db()
    assert not device.confirmed


def test_a_code_that_is_not_six_digits_is_refused_by_the_form(client, regulator):
    password_login(client, regulator)

    response = client.post(SECOND_FACTOR, {"token": "12ab"})

    assert response.status_code == 400
    assert "Enter the 6 digits the app shows." in response.content.decode()


def test_repeated_wrong_codes_make_the_user_wait(client, regulator):
    password_login(client, regulator)
    device = TOTPDevice.objects.get(user=regulator)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    client.post(SECOND_FACTOR, {"token": wrong})
    client.post(SECOND_FACTOR, {"token": wrong})

    # Even the right code waits until the back-off has passed.
    response = client.post(SECOND_FACTOR, {"token": code(device)})

    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_an_enrolled_user_is_asked_for_the_code_only_and_never_sees_the_key_again(client, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)

    response = password_login(client, regulator)

    page = response.content.decode()
    assert "Two-step login" in page and "Set up" not in page
    assert 'class="qr"' not in page and 'class="secret"' not in page
    assert client.post(SECOND_FACTOR, {"token": code(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_once_only(client, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)
    password_login(client, regulator)
    token = code(device)
    client.post(SECOND_FACTOR, {"token": token})
    client.post(reverse("admin:logout"))

    password_login(client, regulator)
    response = client.post(SECOND_FACTOR, {"token": token})

    assert response.status_code == 400


def test_the_next_address_must_be_on_this_site(client, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)
    password_login(client, regulator)

    response = client.post(SECOND_FACTOR, {"token": code(device), "next": "https://evil.example/"})

    assert response.url == "/admin/"


def test_firm_users_have_no_second_step(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "pass"}, follow=True)

    assert response.redirect_chain[-1][0] == "/portal/"
    assert client.get(SECOND_FACTOR).status_code == 403


def test_log_out_on_the_second_step_ends_the_session(client, regulator):
    password_login(client, regulator)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").url.startswith("/admin/login/")


def test_the_page_offers_the_log_out_that_works(client, regulator):
    page = password_login(client, regulator).content.decode()

    assert f'action="{reverse("accounts:logout")}"' in page


def test_another_session_with_the_same_password_is_shown_another_key(client, regulator):
    from django.test import Client

    first = password_login(client, regulator).content.decode()
    second = password_login(Client(), regulator).content.decode()

    key = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
    assert key.search(first).group(1) != key.search(second).group(1)


def test_a_set_up_left_unfinished_for_a_quarter_of_an_hour_expires(client, regulator):
    import datetime as dt

    from django.utils import timezone

    password_login(client, regulator)
    abandoned = TOTPDevice.objects.get(user=regulator)
    TOTPDevice.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - dt.timedelta(minutes=16))

    client.get(SECOND_FACTOR)

    assert not TOTPDevice.objects.filter(pk=abandoned.pk).exists()
    response = client.post(SECOND_FACTOR, {"token": code(abandoned)})
    assert response.status_code == 400  # the old secret confirms nothing


def test_the_session_gets_a_new_id_once_the_code_is_accepted(client, regulator):
    device = TOTPDevice.objects.create(user=regulator, name="phone", confirmed=True)
    password_login(client, regulator)
    before = client.session.session_key

    client.post(SECOND_FACTOR, {"token": code(device)})

    assert client.session.session_key != before
    assert client.get("/admin/").status_code == 200


def test_a_superuser_without_staff_status_also_needs_the_second_step(client, db):
    UserFactory(username="boss", is_superuser=True, is_staff=False)
    client.post("/accounts/login/", {"username": "boss", "password": "pass"})

    assert client.get("/exports/").url.startswith(SECOND_FACTOR)


def test_exports_are_for_staff_only_even_with_the_export_permission(client, db):
    outsider = UserFactory(username="outsider", group="auditors")
    client.force_login(outsider)

    assert client.get("/exports/").status_code == 403
