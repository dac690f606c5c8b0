"""`manage.py` speaks the terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.terminal_language import terminal_language

ROOT = Path(__file__).resolve().parent.parent
OFFERED = ["ru", "kk", "en"]


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "kk_KZ.UTF-8"}, "kk"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # a language the registry does not speak: untranslated
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "kk:ru"}, "kk"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "de:ru"}, "ru"),
        ({"LANG": "C", "LANGUAGE": "ru"}, "en"),  # gettext ignores LANGUAGE in the C locale
    ],
)
def test_the_terminal_locale_picks_the_language(environ, language):
    assert terminal_language(environ, OFFERED) == language


def manage(*args, **locale):
    environment = {k: v for k, v in os.environ.items() if k not in {"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"}}
    # A placeholder database: the command fails before it needs one, and no embedded PostgreSQL is started.
    environment.update(locale, DATABASE_URL="postgres://unused/unused")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ({"LANG": "en_US.UTF-8"}, "“Nowhere” is not a time zone: use an IANA name such as Asia/Almaty."),
        ({"LANG": "C.UTF-8"}, "“Nowhere” is not a time zone: use an IANA name such as Asia/Almaty."),
        ({"LANG": "ru_RU.UTF-8"}, "«Nowhere» — не часовой пояс: укажите имя IANA, например Asia/Almaty."),
    ],
)
def test_a_command_answers_in_the_terminals_language(locale, message):
    result = manage("import_readings", "--time-zone", "Nowhere", os.devnull, **locale)

    assert result.returncode == 1
    assert result.stderr.strip() == f"CommandError: {message}"
