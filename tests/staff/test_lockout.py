"""django-axes: five wrong passwords for one user name from one address lock that pair out, on both login pages."""

import pytest
from axes.models import AccessAttempt
from django.test import override_settings

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def attempt(client, username, password, path, address="203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_the_fifth_wrong_password_locks_the_user_name_from_that_address(client, alice, path):
    for _ in range(4):
        assert attempt(client, "alice", "wrong", path).status_code == 200  # the form again, with its error

    locked = attempt(client, "alice", "wrong", path)

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "locked for 30 minutes" in locked.content.decode()
    # Now even the right password is refused from there.
    assert attempt(client, "alice", "pass", path).status_code == 429


def test_a_lockout_holds_across_both_login_pages(client, regulator):
    for _ in range(5):
        attempt(client, "rita", "wrong", "/accounts/login/")

    assert attempt(client, "rita", "pass", "/admin/login/").status_code == 429


def test_the_owner_can_still_log_in_from_another_address(client, alice):
    for _ in range(5):
        attempt(client, "alice", "wrong", "/accounts/login/", address="203.0.113.7")

    response = attempt(client, "alice", "pass", "/accounts/login/", address="198.51.100.20")

    assert response.status_code == 302 and response.url == "/portal/"


def test_guessing_other_user_names_from_the_same_address_does_not_lock_the_owner(client, alice):
    for n in range(10):
        attempt(client, f"guess{n}", "wrong", "/accounts/login/")

    assert attempt(client, "alice", "pass", "/accounts/login/").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, alice):
    for _ in range(4):
        attempt(client, "alice", "wrong", "/accounts/login/")
    attempt(client, "alice", "pass", "/accounts/login/")
    client.post("/accounts/logout/")

    for _ in range(4):
        attempt(client, "alice", "wrong", "/accounts/login/")

    assert attempt(client, "alice", "pass", "/accounts/login/").status_code == 302


@override_settings(LANGUAGE_CODE="kk")
def test_the_lockout_page_speaks_the_visitors_language(client, alice):
    for _ in range(5):
        response = client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_ACCEPT_LANGUAGE="ru",
        )

    assert response.status_code == 429
    assert "Слишком много неудачных входов" in response.content.decode()
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


@override_settings(CLIENT_IP_PROXY_COUNT=1)
def test_behind_our_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(client, alice):
    # The client writes any address it likes at the left; our proxy appends the address it saw.
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="172.18.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7",
        )

    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "pass"},
        REMOTE_ADDR="172.18.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7",
    )

    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="alice").ip_address == "203.0.113.7"


@override_settings(CLIENT_IP_PROXY_COUNT=1)
def test_behind_our_proxy_other_clients_are_not_locked_out_with_the_attacker(client, alice):
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="172.18.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "pass"},
        REMOTE_ADDR="172.18.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert response.status_code == 302
