"""Production settings.

`check --deploy` is clean, secrets are demanded, and every response carries the security headers.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DEPLOYMENT"}}
    environment.update(env, LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {"DEPLOYMENT": "production", "ALLOWED_HOSTS": "minereg.example.kz"}


def test_check_deploy_is_clean_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_development_configuration():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning in result.stderr  # HSTS, SSL redirect, weak secret, insecure cookies


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **PRODUCTION)

    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random string of 50 or more characters" in result.stderr


@pytest.mark.parametrize(
    "key", ["change-me-to-a-long-random-string-of-at-least-fifty-characters-please", "short-but-random-Xk29dk"]
)
def test_production_refuses_the_placeholder_or_a_short_secret_key(key):
    result = manage("check", SECRET_KEY=key, **PRODUCTION)

    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random string of 50 or more characters" in result.stderr


def test_the_demo_with_its_public_logins_cannot_be_loaded_in_production():
    # In English: a management command speaks LANGUAGE_CODE (Russian by default), and the refusal is translated.
    result = manage("seed_demo", SECRET_KEY=secrets.token_urlsafe(50), LANGUAGE_CODE="en", **PRODUCTION)

    assert result.returncode != 0
    assert "seed_demo is refused when DEPLOYMENT=production" in result.stderr


def test_production_refuses_debug():
    result = manage("check", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="1", **PRODUCTION)

    assert result.returncode != 0
    assert "DEBUG must be off when DEPLOYMENT=production." in result.stderr


def test_production_logs_one_json_object_per_line():
    code = "import logging, django; django.setup(); logging.getLogger('registry').warning('grid feed late')"
    environment = {
        **os.environ,
        **PRODUCTION,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )

    import json

    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "grid feed late"
    assert record["level"] == "WARNING" and record["logger"] == "registry"


def test_no_secret_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert ".env" not in tracked
    settings_text = (ROOT / "config" / "settings.py").read_text()
    assert 'os.environ.get("SECRET_KEY", "")' in settings_text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/register/", "/accounts/login/", "/admin/login/", "/api/docs/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code == 200
    # django-csp joins the directives in set order, which changes from run to run: read them one by one.
    csp = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert (csp["default-src"], csp["script-src"], csp["frame-ancestors"]) == ("'self'", "'self'", "'none'")
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
