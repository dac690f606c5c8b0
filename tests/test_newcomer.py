"""What a newcomer meets first: the terminal and the browser tab (issue 14)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


def test_ctrl_c_on_make_run_stops_everything_without_a_crash():
    """The recipe's trap, under dash (make's /bin/sh): it must not re-trigger itself (a segfault before)."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "trap " in line)
    trap = line.strip().lstrip("@").rstrip("\\").strip().rstrip(";")
    shell = subprocess.Popen(
        ["dash", "-c", f"{trap}; sleep 30 & sleep 30"],
        start_new_session=True,
        stderr=subprocess.PIPE,
        # As in a terminal: a test run started in the background inherits SIGINT ignored, and a shell cannot
        # trap a signal ignored when it started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(0.5)
    os.killpg(shell.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group

    assert shell.wait(timeout=10) != -signal.SIGSEGV
    time.sleep(0.2)
    assert _running_in_group(shell.pid) == []  # the background child went too


def _running_in_group(group: int) -> list[int]:
    """Processes of the group that are still running (a zombie waiting for init to reap it is not)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            running.append(int(stat.parent.name))
    return running


def test_make_stop_prints_no_warning(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path; from config.embedded_postgres import stop; stop(Path({str(tmp_path)!r}))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stderr == ""


@pytest.mark.slow
def test_the_embedded_database_starts_under_a_locale_the_machine_lacks(tmp_path):
    """A newcomer's LANG may name a locale never generated here; initdb refused it and `make run` failed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    env.update(LANG="xx_YY.UTF-8")
    data = str(tmp_path / "data")
    script = (
        "from pathlib import Path; import psycopg; from config.embedded_postgres import database_settings, stop\n"
        f"db = database_settings(Path({data!r}))\n"
        "try:\n"
        "    with psycopg.connect(host=db['HOST'], port=db['PORT'], user='postgres', dbname=db['NAME']) as c:\n"
        "        print(c.execute(\"SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'minereg'\")"
        ".fetchone()[0])\n"
        f"finally:\n    stop(Path({data!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "UTF8"
