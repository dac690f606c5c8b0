"""What a newcomer meets first: the terminal and the browser tab (issue 14)."""

import os
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_has_an_icon():
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("registry/favicon.svg")
    assert finders.find("registry/favicon.svg")


def test_a_management_command_prints_no_login_library_banner():
    # A placeholder database: `check` opens none, and settings then start no embedded PostgreSQL.
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://unused/unused"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert "AXES" not in done.stdout + done.stderr
