"""Staff sessions end after 30 idle minutes and 10 hours after login at the latest; firm sessions are unaffected."""

import time

import pytest

from registry.staff.middleware import LOGIN_AT, SEEN_AT

pytestmark = pytest.mark.django_db


def shift_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


def test_a_staff_session_is_set_to_expire_after_the_idle_time(client, regulator, settings):
    client.force_login(regulator)

    assert client.session.get_expiry_age() == settings.STAFF_SESSION_IDLE_SECONDS == 1800


def test_thirty_idle_minutes_end_a_staff_session(client, regulator):
    client.force_login(regulator)
    shift_session(client, seen=1801)

    response = client.get("/admin/registry/flag/")

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/registry/flag/"
    assert client.get("/admin/").status_code == 302  # logged out for good, not only redirected


def test_activity_keeps_a_staff_session_alive(client, regulator):
    client.force_login(regulator)
    shift_session(client, seen=1700)

    assert client.get("/admin/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 5  # the idle clock restarted


def test_ten_hours_after_login_a_staff_session_ends_however_active(client, regulator):
    client.force_login(regulator)
    shift_session(client, login=10 * 3600 + 1, seen=10)

    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_firm_sessions_keep_djangos_default_lifetime(client, alice, settings):
    client.force_login(alice)

    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert client.get("/portal/").status_code == 200
