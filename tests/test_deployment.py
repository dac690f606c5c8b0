"""docker-compose.yml as `docker-compose config` resolves it, and each service's command run for real on this machine.

No Docker engine runs here, so the commands and healthchecks of web, worker and beat are taken from the
resolved file and started outside a container, against the test database and Redis, with the environment
of .env.example and the image's paths moved to a temporary directory.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER_COMPOSE = shutil.which("docker-compose")
APP_SERVICES = ["migrate", "web", "worker", "beat"]
LONG_RUNNING = ["db", "redis", "web", "worker", "beat"]
# Where the image keeps its writable files; the commands refer to it.
IMAGE_DATA_DIR = "/var/lib/minereg"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
# This session's own worker name and queue: another session's tasks on the same Redis are never taken.
NODE = f"minereg-deploy-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def compose():
    """The resolved docker-compose.yml, with .env.example standing in for the operator's .env."""
    if DOCKER_COMPOSE is None:
        pytest.skip("docker-compose is not installed (Debian's docker-compose package; CI installs it)")
    result = subprocess.run(
        [DOCKER_COMPOSE, "-f", "docker-compose.yml", "--env-file", ".env.example", "config"],
        cwd=ROOT,
        env={**os.environ, "MINEREG_ENV_FILE": ".env.example"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_it_declares_database_redis_web_worker_beat_and_a_migrate_job(compose):
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}


def test_web_worker_beat_and_migrate_run_one_image_built_from_this_checkout(compose):
    services = [compose["services"][name] for name in APP_SERVICES]

    assert {service["build"]["context"] for service in services} == {str(ROOT)}
    assert len({service["image"] for service in services}) == 1


def test_every_long_running_service_has_a_healthcheck(compose):
    for name in LONG_RUNNING:
        healthcheck = compose["services"][name].get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), name


def test_web_worker_and_beat_start_only_after_the_migrations_succeeded(compose):
    services = compose["services"]

    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ["web", "worker", "beat"]:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_data_lives_in_named_volumes(compose):
    declared = set(compose["volumes"])
    mounts = {
        (name, volume.split(":")[0], volume.split(":")[1])
        for name, service in compose["services"].items()
        for volume in service.get("volumes", [])
    }

    assert {source for _, source, _ in mounts} <= declared
    assert {
        ("db", "pgdata", "/var/lib/postgresql/data"),
        ("redis", "redisdata", "/data"),
        ("web", "documents", f"{IMAGE_DATA_DIR}/documents"),
        ("worker", "documents", f"{IMAGE_DATA_DIR}/documents"),
    } <= mounts


def test_redis_keeps_queued_tasks_across_a_restart(compose):
    command = compose["services"]["redis"]["command"]

    assert command[command.index("--appendonly") + 1] == "yes"


def test_the_only_secrets_are_placeholders(compose):
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if re.search(r"SECRET|PASSWORD|TOKEN", key):
                assert str(value).startswith("change-me"), f"{name}: {key}"
        if "DATABASE_URL" in environment:
            assert urlsplit(environment["DATABASE_URL"]).password.startswith("change-me"), name


def test_the_app_reaches_the_database_and_redis_services_by_name(compose):
    environment = compose["services"]["web"]["environment"]
    database = urlsplit(environment["DATABASE_URL"])

    assert (database.hostname, database.username, database.password, database.path) == (
        "db",
        environment["POSTGRES_USER"],
        environment["POSTGRES_PASSWORD"],
        "/" + environment["POSTGRES_DB"],
    )
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"


def test_beats_healthcheck_fails_once_the_schedule_file_is_ten_minutes_old(compose, tmp_path):
    schedule = tmp_path / "beat" / "celerybeat-schedule"
    schedule.parent.mkdir()
    schedule.write_bytes(b"")
    fresh = _healthcheck(compose, "beat", os.environ, tmp_path).returncode
    os.utime(schedule, (time.time() - 11 * 60,) * 2)
    stale = _healthcheck(compose, "beat", os.environ, tmp_path).returncode

    assert (fresh, stale) == (0, 1)


# The commands, for real.


def real_process(test):
    """Mark a test that runs a service's command: it needs Redis and the migrated test database (CI has both)."""
    for mark in (pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db):
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def broker():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return REDIS_URL


def _service_env(compose, name: str, data_dir: Path, database_url: str, **extra) -> dict:
    """The service's environment from .env.example, pointed at this machine's database, Redis and directories."""
    env = {key: str(value) for key, value in compose["services"][name]["environment"].items() if value is not None}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        HOME=str(data_dir),
        DEPLOYMENT="production",
        SECRET_KEY=f"test-deployment-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        MINEREG_DATA_DIR=str(data_dir),
        STATIC_ROOT=str(data_dir / "static"),
        DOCUMENTS_ROOT=str(data_dir / "documents"),
        MEDIA_ROOT=str(data_dir / "media"),
        **extra,
    )
    return env


def _on_this_machine(value: str, data_dir: Path) -> str:
    # `config` prints a literal $ as $$; the image's data directory becomes the test's.
    return value.replace("$$", "$").replace(IMAGE_DATA_DIR, str(data_dir))


def _command(compose, name: str, data_dir: Path) -> list[str]:
    command = compose["services"][name]["command"]
    assert isinstance(command, list), f"{name}: an exec-form command starts the process as PID 1"
    return [_on_this_machine(part, data_dir) for part in command]


def _healthcheck(compose, name: str, env, data_dir: Path) -> subprocess.CompletedProcess:
    kind, *args = compose["services"][name]["healthcheck"]["test"]
    args = [_on_this_machine(arg, data_dir) for arg in args]
    argv = ["sh", "-c", args[0]] if kind == "CMD-SHELL" else args
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


class Started:
    """A service's command running in its own process group, its output in a file."""

    def __init__(self, argv: list[str], env: dict, log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, condition, seconds: float, what: str):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            assert self.process.poll() is None, f"exited ({self.process.returncode}) before {what}:\n{self.output()}"
            time.sleep(0.2)
        raise AssertionError(f"no {what} after {seconds} s:\n{self.output()[-3000:]}")

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, host: str):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None


@pytest.fixture(scope="module")
def test_database_url(django_db_setup):
    """The migrated test database, as a URL for another process."""
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


@pytest.fixture(scope="module")
def web(compose, broker, test_database_url, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("web")
    port = _free_port()
    env = _service_env(compose, "web", data_dir, test_database_url, PORT=str(port))
    host = env["ALLOWED_HOSTS"].split(",")[0]
    server = Started(_command(compose, "web", data_dir), env, data_dir / "web.log")
    try:
        server.wait_for(lambda: _get(port, "/healthz", host), 30, "answer on /healthz")
        yield server, port, host, env, data_dir
    finally:
        server.stop()


@real_process
def test_webs_command_serves_healthz_and_passes_its_healthcheck(compose, web):
    server, port, host, env, data_dir = web

    status, body = _get(port, "/healthz", host)
    healthcheck = _healthcheck(compose, "web", env, data_dir)

    assert (status, body) == (200, b"ok")
    assert healthcheck.returncode == 0, healthcheck.stderr


@real_process
def test_webs_command_is_ready_with_the_migrated_database_and_redis(web):
    server, port, host, env, data_dir = web

    status, body = _get(port, "/readyz", host)

    assert status == 200, body


@real_process
def test_webs_access_log_is_one_json_object_per_request(web):
    server, port, host, env, data_dir = web

    _get(port, "/healthz?probe=log", host)
    entry = server.wait_for(
        lambda: next(
            (
                json.loads(line)
                for line in server.output().splitlines()
                if line.startswith("{") and '"query": "probe=log"' in line
            ),
            None,
        ),
        10,
        "access log line",
    )

    assert (entry["logger"], entry["method"], entry["path"], entry["status"]) == (
        "gunicorn.access",
        "GET",
        "/healthz",
        200,
    )


@real_process
def test_workers_command_starts_a_worker_that_passes_its_healthcheck(compose, broker, test_database_url, tmp_path):
    # Its own queue and node name; the healthcheck finds the node by $HOSTNAME, as in the container.
    env = _service_env(compose, "worker", tmp_path, test_database_url, HOSTNAME=NODE)
    argv = _command(compose, "worker", tmp_path) + ["--queues", NODE, "--hostname", f"celery@{NODE}"]
    worker = Started(argv, env, tmp_path / "worker.log")
    try:
        worker.wait_for(lambda: f"celery@{NODE} ready" in worker.output(), 40, "ready worker")
        healthcheck = _healthcheck(compose, "worker", env, tmp_path)
    finally:
        worker.stop()

    assert healthcheck.returncode == 0, healthcheck.stdout + healthcheck.stderr
    assert "pong" in healthcheck.stdout


@real_process
def test_beats_command_starts_the_scheduler_and_passes_its_healthcheck(compose, broker, test_database_url, tmp_path):
    (tmp_path / "beat").mkdir()
    env = _service_env(compose, "beat", tmp_path, test_database_url)
    beat = Started(_command(compose, "beat", tmp_path), env, tmp_path / "beat.log")
    try:
        beat.wait_for(lambda: "beat: Starting" in beat.output(), 30, "starting beat")
        healthy = beat.wait_for(
            lambda: _healthcheck(compose, "beat", env, tmp_path).returncode == 0,
            10,
            "healthy beat (a fresh schedule file)",
        )
    finally:
        beat.stop()

    assert healthy
