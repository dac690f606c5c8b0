"""/healthz answers while the process runs; /readyz only when the database, its migrations and the broker are there."""

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler
from django.test import override_settings


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")  # no django_db mark: any query would fail the test

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.redis
def test_readyz_is_ready_with_database_migrations_and_broker(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs a Redis server (REDIS_URL)")

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_names_an_unreachable_broker(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"] == "error: ConnectionError"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_counts_unapplied_migrations(client):
    from django.core.management import call_command

    call_command("migrate", "otp_totp", "zero", verbosity=0)
    try:
        response = client.get("/readyz")
    finally:
        call_command("migrate", "otp_totp", verbosity=0)

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("pending: ")


@pytest.mark.django_db
def test_readyz_says_when_the_database_is_unreachable(client, monkeypatch):
    from registry import health

    # A real connection attempt, to a port where no PostgreSQL listens.
    unreachable = ConnectionHandler({"default": {**connection.settings_dict, "PORT": "1", "CONN_MAX_AGE": 0}})
    monkeypatch.setattr(health, "connections", unreachable)

    response = client.get("/readyz")
    unreachable.close_all()

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OperationalError"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_probes_answer_plain_http_when_https_is_enforced(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/register/").status_code == 301
