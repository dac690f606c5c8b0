"""Settings read from the environment: a value they cannot read stops the start and says which and why."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def check(**env) -> subprocess.CompletedProcess:
    """`manage.py check` with these variables set (and DEBUG/DEPLOYMENT/SECRET_KEY only as given)."""
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DEPLOYMENT"}}
    environment.update(env, LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_a_misspelt_debug_stops_the_start_naming_the_variable_its_value_and_the_accepted_values():
    result = check(DEBUG="ture")

    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DEBUG='ture' is not understood: use 1, true, yes or on to turn it on, "
        "0, false, no or off to turn it off." in result.stderr
    )


def test_a_misspelt_deployment_does_not_start_as_a_development_machine():
    result = check(DEPLOYMENT="prodution")

    assert result.returncode != 0
    assert "DEPLOYMENT='prodution' is not understood: use production or development." in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " on "])
def test_every_spelling_of_on_turns_a_switch_on(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)

    assert env_bool("DEBUG", False) is True


@pytest.mark.parametrize("value", ["0", "false", "False", "NO", "off"])
def test_every_spelling_of_off_turns_a_switch_off(monkeypatch, value):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", value)

    assert env_bool("SECURE_SSL_REDIRECT", True) is False


@pytest.mark.parametrize("value", ["ture", "y", "2", "enabled", "off!"])
def test_a_switch_refuses_what_it_does_not_understand(monkeypatch, value):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", value)

    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("SESSION_COOKIE_SECURE", True)

    assert str(refused.value).startswith(f"SESSION_COOKIE_SECURE={value!r} is not understood: use 1, true, yes or on")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_unset_or_empty_variable_takes_the_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("TRUST_X_FORWARDED_PROTO", raising=False)
    else:
        monkeypatch.setenv("TRUST_X_FORWARDED_PROTO", value)

    assert env_bool("TRUST_X_FORWARDED_PROTO", True) is True
    assert env_int("TRUST_X_FORWARDED_PROTO", 7) == 7


def test_a_number_is_read_and_a_word_is_refused(monkeypatch):
    monkeypatch.setenv("AXES_FAILURE_LIMIT", " 12 ")
    assert env_int("AXES_FAILURE_LIMIT", 5) == 12

    monkeypatch.setenv("AXES_FAILURE_LIMIT", "five")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_int("AXES_FAILURE_LIMIT", 5)

    assert str(refused.value) == "AXES_FAILURE_LIMIT='five' is not understood: use a whole number, digits only."


def test_a_choice_outside_the_list_is_refused(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "yaml")

    with pytest.raises(ImproperlyConfigured) as refused:
        env_choice("LOG_FORMAT", "text", ("json", "text"))

    assert str(refused.value) == "LOG_FORMAT='yaml' is not understood: use json or text."


def test_a_list_is_split_on_commas_and_a_list_split_on_spaces_is_refused(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "registry.example.kz, .example.kz,")
    assert env_list("ALLOWED_HOSTS", "localhost") == ["registry.example.kz", ".example.kz"]

    monkeypatch.setenv("ALLOWED_HOSTS", "registry.example.kz example.kz")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_list("ALLOWED_HOSTS", "localhost")

    assert str(refused.value) == (
        "ALLOWED_HOSTS='registry.example.kz example.kz' is not understood: "
        "separate the items with commas (“registry.example.kz example.kz” has a space in it)."
    )
