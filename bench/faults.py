#!/usr/bin/env python
"""Faults: kill, stop and restart the real things, and check that minereg recovers without losing or doubling data.

    .venv/bin/python bench/faults.py               # every scenario (about five minutes)
    .venv/bin/python bench/faults.py --only 1,5    # some of them

Everything runs against servers of its own, started here and stopped at the end: a PostgreSQL 15 cluster
(Debian's binaries) in a temporary directory and a redis-server, each on a free port. The machine's shared
PostgreSQL and Redis are never touched. Web processes are gunicorn, workers are `celery worker` processes
(the real ones: signals, prefork pool, acks_late), commands are `manage.py` processes.

1. worker killed in the middle of a detection run (its pool process; then the whole worker) → the task runs
   again and the flags equal those of one clean run on a copy of the same data;
2. Redis down → firms still file through the portal, /healthz 200, /readyz 503 naming the broker, pages work;
   Redis back → the receipt waiting in the outbox goes out (worker kept running; worker restarted);
3. PostgreSQL restarted (fast, immediate) → the web and the worker recover without being restarted;
4. two sessions file the same facility-month at once over HTTP → one declaration, the other a form error;
5. an import killed halfway (readings mid-COPY; the register) → nothing of it stored; a rerun loads it once.

It prints a table: scenario | what was done | expected | observed | result.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from partitions import make_partitions  # noqa: E402  (bench/ on the path)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "Steppe-wind-1987"
# Detection runs as of this instant over the 30 days before it.
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DAYS = 30
FLAG_WRITER_LOCK = 74_611_001  # registry/services/detection.py


@dataclass
class Row:
    scenario: str
    done: str
    expected: str
    observed: str
    ok: bool


RESULTS: list[Row] = []
# Every process started here (each in a session of its own), killed at the end whatever happened.
SPAWNED: list[subprocess.Popen] = []


def spawn(command: list[str], **options) -> subprocess.Popen:
    process = subprocess.Popen(command, start_new_session=True, **options)
    SPAWNED.append(process)
    return process


def kill_spawned(sparing: subprocess.Popen | None = None) -> None:
    for process in SPAWNED:
        if process is not sparing and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def record(scenario: str, done: str, expected: str, observed: str, ok: bool) -> None:
    RESULTS.append(Row(scenario, done, expected, observed, ok))
    print(f"  [{'ok' if ok else 'FAIL'}] {scenario}: {observed}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float, interval: float = 0.1):
    """Poll until condition() is truthy; return its value, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


# Servers of our own


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (run as the `postgres` user when we are root, as initdb requires)."""

    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.dir.mkdir(parents=True)
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(base, 0o755)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=check)

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n"
            )
        self.pg_ctl("start")

    def pg_ctl(self, action: str, *options: str) -> float:
        """Run pg_ctl (waiting for it to finish); return its seconds."""
        started = time.monotonic()
        self._run(str(PG_BIN / "pg_ctl"), action, "-w", "-D", str(self.data), "-l", str(self.dir / "log"), *options)
        return time.monotonic() - started

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, params=None, database: str = "postgres"):
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.data), check=False)


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.ping, 10), "redis-server did not start"

    def ping(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def environment(database_url: str, redis_url: str = "", **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "faults-bench-only",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        "LANGUAGE_CODE": "en",
        **extra,
    }
    env.pop("DEPLOYMENT", None)
    if not redis_url:
        env.pop("REDIS_URL")
    return env


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


class Worker:
    """A `celery worker` process (prefork, one pool process) on a queue, with a visibility timeout of our choice."""

    def __init__(
        self, env: dict, log: Path, *, queue: str = "celery", visibility_timeout: int | None = None, beat: bool = False
    ):
        # A short visibility timeout, and a sweep for abandoned messages every 10 s instead of every 100 s.
        options = (
            f"{{**app.conf.broker_transport_options, 'visibility_timeout': {visibility_timeout}, "
            "'unacked_restore_throttle': 1}"
        )
        argv = [
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "prefork",
            "-l",
            "INFO",
            "-n",
            f"faults-{time.monotonic_ns()}@%h",
        ]
        if beat:
            argv += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
        code = (
            "from config.celery import app\n"
            + (f"app.conf.broker_transport_options = {options}\n" if visibility_timeout else "")
            + f"app.worker_main({argv!r})\n"
        )
        self.log = log
        env = {**env, "LOG_LEVEL": "INFO"}  # its "ready." line says when it consumes
        self.process = spawn([PYTHON, "-c", code], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def ready(self, seconds: float = 30) -> bool:
        return bool(wait_for(lambda: "ready." in self.log.read_text(errors="replace"), seconds, 0.2))

    def pool_process(self) -> psutil.Process | None:
        children = psutil.Process(self.process.pid).children()
        return children[0] if children else None

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill_all()


def send_task(redis_url: str, name: str, args: list, queue: str = "celery") -> None:
    """Publish a task as the web would, from a bare Celery app (no Django needed here)."""
    from celery import Celery

    with Celery("faults", broker=redis_url) as sender:
        sender.send_task(name, args=args, queue=queue)


# 1. A worker killed in the middle of a detection run


WORLD = """
import datetime as dt
from decimal import Decimal
from registry.models import Facility, FacilityConnection, Firm, GridConnection, Licence
n = {connections}
firm = Firm.objects.create(bin="291417776310", name="Bench Mining LLP", region="pavlodar")
tariffs = ["residential", "commercial", "industrial"]
GridConnection.objects.bulk_create(
    GridConnection(meter_id=f"B-{{i:07d}}", operator="Bench REC", region="pavlodar", tariff=tariffs[i % 3])
    for i in range(1, n + 1))
meters = dict(GridConnection.objects.values_list("meter_id", "id"))
sites = Facility.objects.bulk_create(
    Facility(ref=f"BF-B-{{i:07d}}", firm=firm, name="Bench site", region="pavlodar", capacity_mw=Decimal(5))
    for i in range(10, n + 1, 10))
FacilityConnection.objects.bulk_create(FacilityConnection(facility=f, connection_id=meters[f.ref[3:]]) for f in sites)
for site in sites[::2]:
    licence = Licence.objects.create(number=f"KZ-DM-2025-{{site.pk:06d}}", firm=firm, capacity_mw=Decimal(5),
                                     valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2027, 12, 31), status="active")
    licence.facilities.add(site)
"""


def build_detection_world(pg: PrivatePostgres, database: str, connections: int) -> int:
    """Connections, every tenth feeding a facility (half of them licensed), and 30 days of hourly readings.

    1% of the meters are hidden farms (UNLICENSED_MINING); one facility in four draws 5–6 MW on its 5 MW
    (OVER_CAPACITY when licensed, NO_VALID_LICENCE when not); licensed ones lack September's declaration
    (MISSING_DECLARATION). Return the number of readings.
    """
    manage(environment(pg.url(database)), "shell", "-c", WORLD.format(connections=connections))
    with psycopg.connect(pg.url(database)) as conn:
        make_partitions(conn, AS_OF - dt.timedelta(days=DAYS), AS_OF)
        conn.execute(
            """
            INSERT INTO registry_meterreading (connection_id, period_start, kwh)
            SELECT c.id, h,
                   CASE WHEN i %% 100 = 7 THEN 400 + (extract(epoch FROM h)::bigint / 3600 %% 9)
                        WHEN i %% 40 IN (0, 10) THEN 5000 + extract(hour FROM h) * 50
                        ELSE 1 + (extract(hour FROM h) * 0.05 * (i %% 13))::numeric(12,3)
                   END
              FROM (SELECT id, substr(meter_id, 3)::int AS i FROM registry_gridconnection) c
             CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '1 hour') h
            """,
            [AS_OF - dt.timedelta(days=DAYS), AS_OF],
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        return conn.execute("SELECT count(*) FROM registry_meterreading").fetchone()[0]


def flags_of(pg: PrivatePostgres, database: str) -> list[tuple]:
    return pg.sql(
        "SELECT rule, subject_type, subject_ref, coalesce(month::text, ''), severity, status, evidence::text"
        " FROM registry_flag ORDER BY 1, 2, 3, 4",
        database=database,
    )


def queue_run(pg: PrivatePostgres, database: str) -> int:
    """A detection run as the admin's "Run detection now" records it (the worker executes it)."""
    return pg.sql(
        "INSERT INTO registry_detectionrun (as_of, window_days, status, trigger, counts, thresholds, error, created_at)"
        " VALUES (%s, %s, 'queued', 'faults', '{}', '{}', '', now()) RETURNING id",
        [AS_OF, DAYS],
        database=database,
    )[0][0]


def run_status(pg: PrivatePostgres, database: str, run_id: int) -> str:
    return pg.sql("SELECT status FROM registry_detectionrun WHERE id = %s", [run_id], database=database)[0][0]


def worker_backend(pg: PrivatePostgres, database: str) -> int | None:
    """The backend that holds the flag writers' advisory lock (the run writing flags), if any."""
    rows = pg.sql(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.locktype = 'advisory' AND l.objid = %s AND l.granted AND a.datname = %s",
        [FLAG_WRITER_LOCK, database],
    )
    return rows[0][0] if rows else None


def backend_alive(pg: PrivatePostgres, pid: int) -> bool:
    return bool(pg.sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]))


def scenario_worker_killed(pg: PrivatePostgres, cache: PrivateRedis, work: Path, connections: int) -> None:
    print("1. worker killed in the middle of a detection run", flush=True)
    pg.sql("CREATE DATABASE detect_source")
    manage(environment(pg.url("detect_source")), "migrate", "--noinput", "-v0")
    readings = build_detection_world(pg, "detect_source", connections)
    for copy in ("detect_clean", "detect_child", "detect_whole"):
        pg.sql(f"CREATE DATABASE {copy} TEMPLATE detect_source")

    # The reference: one clean run, by the same code the task runs, on a copy of the same data.
    clean_run = queue_run(pg, "detect_clean")
    manage(
        environment(pg.url("detect_clean")),
        "shell",
        "-c",
        f"from registry.tasks import run_detection; run_detection({clean_run})",
    )
    clean = flags_of(pg, "detect_clean")
    run_ms = pg.sql(
        "SELECT duration_ms FROM registry_detectionrun WHERE id = %s", [clean_run], database="detect_clean"
    )[0][0]
    print(f"  clean run: {len(clean)} flags from {readings:,} readings in {run_ms / 1000:.1f} s", flush=True)

    def kill_mid_run(database: str, worker: Worker, queue: str, whole: bool) -> tuple[int, float, float, int]:
        """Send a run; once it holds the flag writers' lock, kill the worker half a clean run's time later.

        Return the run's id, when it was killed, how far into the run, and the run's database backend.
        """
        run_id = queue_run(pg, database)
        send_task(cache.url, "registry.tasks.run_detection", [run_id], queue)
        backend = wait_for(lambda: worker_backend(pg, database), 60, 0.02)
        assert backend, "the run never started"
        began = time.monotonic()
        time.sleep(run_ms / 1000 / 2)
        assert run_status(pg, database, run_id) == "running" and worker_backend(pg, database) == backend
        into = time.monotonic() - began
        if whole:
            worker.kill_all()
        else:
            worker.pool_process().kill()
        return run_id, time.monotonic(), into, backend

    # a) The pool process dies (the OOM killer's choice): the worker requeues the task at once.
    queue = "faults-detect-child"
    worker = Worker(environment(pg.url("detect_child"), cache.url), work / "worker-child.log", queue=queue)
    assert worker.ready(), "worker did not start"
    run_id, killed_at, into, backend = kill_mid_run("detect_child", worker, queue, whole=False)
    orphan = wait_for(lambda: not backend_alive(pg, backend), 120, 0.05)
    orphan_s = time.monotonic() - killed_at
    done = wait_for(lambda: run_status(pg, "detect_child", run_id) == "succeeded", 180, 0.1)
    recovered_s = time.monotonic() - killed_at
    worker.stop()
    after = flags_of(pg, "detect_child")
    runs = pg.sql("SELECT status, count(*) FROM registry_detectionrun GROUP BY 1", database="detect_child")
    same = after == clean
    record(
        "1a worker's pool process SIGKILLed mid-detection",
        f"run_detection on {readings:,} readings ({run_ms / 1000:.1f} s clean); SIGKILL of the pool process "
        f"{into:.1f} s into the run, the worker's main process left alive",
        "task redelivered at once (acks_late + reject_on_worker_lost); flags = one clean run's",
        f"run succeeded {recovered_s:.1f} s after the kill (orphan backend gone after {orphan_s:.1f} s); "
        f"{len(after)} flags vs {len(clean)} clean, identical (rule, subject, month, severity, evidence): {same}; "
        f"runs {dict(runs)}",
        bool(done) and bool(orphan) and same,
    )

    # b) The whole worker dies (machine lost). The message stays unacked in Redis until the visibility timeout.
    queue = "faults-detect-whole"
    worker = Worker(
        environment(pg.url("detect_whole"), cache.url), work / "worker-whole.log", queue=queue, visibility_timeout=10
    )
    assert worker.ready(), "worker did not start"
    run_id, killed_at, into, backend = kill_mid_run("detect_whole", worker, queue, whole=True)
    unacked = redis.Redis(port=cache.port).hlen("unacked")
    orphan = wait_for(lambda: not backend_alive(pg, backend), 120, 0.05)
    orphan_s = time.monotonic() - killed_at
    worker = Worker(
        environment(pg.url("detect_whole"), cache.url), work / "worker-whole-2.log", queue=queue, visibility_timeout=10
    )
    started_new = time.monotonic() - killed_at
    done = wait_for(lambda: run_status(pg, "detect_whole", run_id) == "succeeded", 180, 0.1)
    recovered_s = time.monotonic() - killed_at
    worker.stop()
    after = flags_of(pg, "detect_whole")
    runs = pg.sql("SELECT status, count(*) FROM registry_detectionrun GROUP BY 1", database="detect_whole")
    same = after == clean
    record(
        "1b whole worker SIGKILLed mid-detection",
        f"the same run; SIGKILL of the worker's process group {into:.1f} s into the run; a new worker started "
        f"{started_new:.1f} s later; broker visibility_timeout 10 s, unacked sweep every 10 s (production: 900 s "
        "and 10 s, config/settings.py)",
        "task redelivered once the visibility timeout passes; flags = one clean run's",
        f"{unacked} message left unacked at the kill; run succeeded {recovered_s:.1f} s after the kill "
        f"(orphan backend gone after {orphan_s:.1f} s); {len(after)} flags vs {len(clean)}, identical: {same}; "
        f"runs {dict(runs)}",
        bool(done) and same,
    )


# The web: gunicorn over a firm's portal


PORTAL_WORLD = """
from decimal import Decimal
from django.contrib.auth.models import User
from registry.models import Facility, Firm, FirmMembership
firm = Firm.objects.create(bin="291417776310", name="Alpha Mining LLP", region="pavlodar", email="office@alpha.test")
Facility.objects.bulk_create(
    Facility(ref=f"FAC-{{i:03d}}", firm=firm, name=f"Alpha site {{i}}", region="pavlodar", capacity_mw=Decimal(10))
    for i in range(1, {facilities} + 1))
for name in ("alice", "carol"):
    FirmMembership.objects.create(user=User.objects.create_user(name, f"{{name}}@alpha.test", "{password}"), firm=firm)
"""


def web_database(pg: PrivatePostgres) -> str:
    """The portal's database (made once): firm A with 40 facilities and two users, alice and carol."""
    if not pg.sql("SELECT 1 FROM pg_database WHERE datname = 'web'"):
        pg.sql("CREATE DATABASE web")
        env = environment(pg.url("web"))
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "shell", "-c", PORTAL_WORLD.format(facilities=40, password=PASSWORD))
    return "web"


def last_month() -> dt.date:
    """The latest month a declaration may be filed for, in the site's time zone (Asia/Almaty)."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=5))).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class Web:
    """gunicorn serving config.wsgi (with config/gunicorn.py when the project has one)."""

    def __init__(self, env: dict, log: Path, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = ["-c", "config/gunicorn.py"] if (ROOT / "config" / "gunicorn.py").exists() else []
        self.process = spawn(
            [
                PYTHON,
                "-m",
                "gunicorn",
                *config,
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        assert wait_for(self.healthy, 60, 0.2), f"gunicorn did not start (see {log})"

    def healthy(self) -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(self.base + "/healthz", timeout=2).status_code == 200
        return False

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Portal:
    """A firm user's browser session."""

    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, web: Web, username: str):
        self.base = web.base
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "en"
        page = self.session.get(self.base + "/accounts/login/", timeout=10)
        response = self.session.post(
            self.base + "/accounts/login/",
            timeout=10,
            allow_redirects=False,
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.CSRF.search(page.text)[1],
                "next": "/portal/",
            },
        )
        assert response.status_code == 302, f"{username} could not log in: {response.status_code}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=30)

    def file_form(self) -> str:
        return self.CSRF.search(self.get("/portal/declarations/file/").text)[1]

    def file(
        self, facility_id: int, consumed_mwh: str = "900", token: str | None = None
    ) -> tuple[requests.Response, float]:
        """Post a declaration for last month; return the response (not followed) and its seconds."""
        data = {
            "facility": facility_id,
            "month": f"{last_month():%Y-%m}",
            "consumed_mwh": consumed_mwh,
            "peak_mw": "4",
            "devices": "1000",
            "power_source": "grid_exchange",
            "csrfmiddlewaretoken": token or self.file_form(),
        }
        started = time.monotonic()
        response = self.session.post(
            self.base + "/portal/declarations/file/", data=data, timeout=60, allow_redirects=False
        )
        return response, time.monotonic() - started


def facility_id(pg: PrivatePostgres, ref: str) -> int:
    return pg.sql("SELECT id FROM registry_facility WHERE ref = %s", [ref], database="web")[0][0]


def declaration_id(pg: PrivatePostgres, ref: str) -> int | None:
    rows = pg.sql(
        "SELECT d.id FROM registry_powerdeclaration d JOIN registry_facility f ON f.id = d.facility_id"
        " WHERE f.ref = %s AND d.month = %s AND d.is_current",
        [ref, last_month()],
        database="web",
    )
    return rows[0][0] if rows else None


def receipt_sent(pg: PrivatePostgres, declaration: int) -> bool:
    return bool(
        pg.sql(
            "SELECT 1 FROM registry_reminderlog WHERE kind = 'declaration_receipt' AND key = %s",
            [str(declaration)],
            database="web",
        )
    )


def outbox_row(pg: PrivatePostgres, declaration: int) -> tuple | None:
    rows = pg.sql(
        "SELECT sent_at IS NOT NULL, attempts FROM registry_taskoutbox"
        " WHERE task = 'registry.tasks.send_declaration_receipt' AND args = %s::jsonb",
        [json.dumps([declaration])],
        database="web",
    )
    return rows[0] if rows else None


# 2. Redis down


def scenario_redis_down(pg: PrivatePostgres, cache: PrivateRedis, work: Path) -> None:
    print("2. Redis down", flush=True)
    env = environment(pg.url(web_database(pg)), cache.url)
    web = Web(env, work / "web-redis.log")
    worker = Worker(env, work / "worker-redis.log", beat=True)
    try:
        assert worker.ready(), "worker did not start"
        alice = Portal(web, "alice")

        response, seconds = alice.file(facility_id(pg, "FAC-001"))
        up = declaration_id(pg, "FAC-001")
        started = time.monotonic()
        delivered = wait_for(lambda: receipt_sent(pg, up), 30)
        normal = time.monotonic() - started
        record(
            "2 Redis up (reference)",
            "alice files FAC-001 through the portal (gunicorn, worker with beat)",
            "302; receipt emailed by the worker",
            f"{response.status_code} in {seconds * 1000:.0f} ms; receipt sent {normal:.2f} s later",
            response.status_code == 302 and bool(delivered),
        )

        cache.stop()
        token = alice.file_form()
        response, seconds = alice.file(facility_id(pg, "FAC-002"), token=token)
        down = declaration_id(pg, "FAC-002")
        pending = outbox_row(pg, down) if down else None
        pages = {
            path: alice.get(path) for path in ("/portal/", "/portal/declarations/", "/portal/facilities/", "/register/")
        }
        health = requests.get(web.base + "/healthz", timeout=10)
        ready = requests.get(web.base + "/readyz", timeout=10)
        broker = (
            ready.json().get("checks", {}).get("broker", "")
            if ready.headers.get("content-type", "").startswith("application/json")
            else ready.text[:80]
        )
        slowest = max(page.elapsed.total_seconds() for page in pages.values())
        record(
            "2 Redis down: filing and pages",
            "redis-server killed; alice files FAC-002; opens 4 pages; /healthz, /readyz",
            "302 and the declaration stored, receipt pending in the outbox; pages 200; /healthz 200; /readyz 503 "
            "naming the broker",
            f"filing {response.status_code} in {seconds * 1000:.0f} ms, stored: {down is not None}, outbox row "
            f"(sent, attempts) {pending}; pages {sorted({p.status_code for p in pages.values()})} (slowest "
            f"{slowest * 1000:.0f} ms); /healthz {health.status_code}; /readyz {ready.status_code} broker={broker!r}",
            response.status_code == 302
            and down is not None
            and pending == (False, 1)
            and all(p.status_code == 200 for p in pages.values())
            and health.status_code == 200
            and ready.status_code == 503
            and broker.startswith("error"),
        )

        cache.start()
        back = time.monotonic()
        delivered = wait_for(lambda: receipt_sent(pg, down), 150, 0.2)
        took = time.monotonic() - back
        record(
            "2 Redis back, worker kept running",
            "redis-server started again (empty); the worker reconnects; "
            "beat's outbox-flush every 30 s (config/settings.py)",
            "the receipt goes out within a beat period (≤ 30 s + reconnect)",
            f"receipt sent {took:.1f} s after Redis came back; outbox row {outbox_row(pg, down)}",
            bool(delivered) and took < 90,
        )

        worker.stop()
        cache.stop()
        response, seconds = alice.file(facility_id(pg, "FAC-003"))
        later = declaration_id(pg, "FAC-003")
        cache.start()
        worker = Worker(env, work / "worker-redis-2.log")
        back = time.monotonic()
        delivered = wait_for(lambda: receipt_sent(pg, later), 60, 0.1)
        took = time.monotonic() - back
        record(
            "2 Redis back with a worker restarted",
            "worker stopped, Redis killed, alice files FAC-003 "
            f"({response.status_code} in {seconds * 1000:.0f} ms); Redis and a worker (no beat) started",
            "the worker flushes the outbox when it is ready (worker_ready)",
            f"receipt sent {took:.1f} s after the worker was started",
            bool(delivered),
        )
    finally:
        worker.stop()
        web.stop()
        if not cache.ping():
            cache.start()


# 3. PostgreSQL restarted


def scenario_postgres_restarted(pg: PrivatePostgres, cache: PrivateRedis, work: Path) -> None:
    print("3. PostgreSQL restarted", flush=True)
    env = environment(pg.url(web_database(pg)), cache.url)
    web = Web(env, work / "web-pg.log")
    worker = Worker(env, work / "worker-pg.log")
    try:
        assert worker.ready(), "worker did not start"
        alice = Portal(web, "alice")
        for mode in ("fast", "immediate"):
            for _ in range(4):  # both gunicorn workers hold a connection (CONN_MAX_AGE) from before the restart
                assert alice.get("/portal/declarations/").status_code == 200
            poll = Portal(web, "carol")
            seen: list[tuple[float, int]] = []
            stop = threading.Event()

            def poller():
                while not stop.is_set():
                    try:
                        status = poll.get("/portal/").status_code
                    except requests.RequestException:
                        status = 0
                    seen.append((time.monotonic(), status))
                    time.sleep(0.05)

            thread = threading.Thread(target=poller)
            began = time.monotonic()
            thread.start()
            downtime = pg.pg_ctl("restart", "-m", mode)
            up = time.monotonic()
            after = [alice.get("/portal/declarations/").status_code for _ in range(10)]
            time.sleep(1)
            stop.set()
            thread.join()
            during = [status for t, status in seen if began <= t <= up]
            first_ok = next((t - up for t, status in seen if t > up and status == 200), None)
            failed_after = [status for t, status in seen if t > up and status != 200]
            record(
                f"3 PostgreSQL restart -m {mode}: web",
                f"gunicorn (2 workers, connections kept {60} s, health checks on) under a poller every 50 ms; "
                "pg_ctl restart; then 10 page requests",
                "the next requests succeed without restarting gunicorn (at most one failure)",
                f"PostgreSQL down {downtime:.1f} s; during it {len(during)} requests, {sum(s != 200 for s in during)} "
                f"failed; after it: {len(failed_after)} failed, first 200 {first_ok:.2f} s after PostgreSQL was up; "
                f"the 10 requests: {sorted(set(after))}",
                len(failed_after) <= 1 and all(status == 200 for status in after),
            )
            run_id = pg.sql(
                "INSERT INTO registry_detectionrun (as_of, window_days, status, trigger, counts, thresholds, error,"
                " created_at) VALUES (%s, 30, 'queued', 'faults', '{}', '{}', '', now()) RETURNING id",
                [AS_OF],
                database="web",
            )[0][0]
            sent = time.monotonic()
            send_task(cache.url, "registry.tasks.run_detection", [run_id])
            done = wait_for(lambda: run_status(pg, "web", run_id) == "succeeded", 60, 0.1)
            took = time.monotonic() - sent
            retried = len(re.findall(r"Retry in", worker.log.read_text(errors="replace")))
            record(
                f"3 PostgreSQL restart -m {mode}: worker",
                "after the restart, run_detection sent to the worker that was connected before it",
                "the task succeeds (autoretry on OperationalError at worst)",
                f"succeeded {took:.2f} s after it was sent; retries logged so far: {retried}",
                bool(done),
            )
    finally:
        worker.stop()
        web.stop()


# 4. Two sessions file the same facility-month at once


def scenario_concurrent_filing(pg: PrivatePostgres, cache: PrivateRedis, work: Path, pairs: int = 20) -> None:
    print("4. two sessions filing the same facility-month at once", flush=True)
    env = environment(pg.url(web_database(pg)), cache.url)
    web = Web(env, work / "web-race.log", workers=4)
    try:
        sessions = [Portal(web, "alice"), Portal(web, "carol")]
        outcomes = {
            "stored": 0,
            "form error: already declared": 0,
            "form error: filed from another session": 0,
            "other": 0,
        }
        refs = [f"FAC-{i:03d}" for i in range(11, 11 + pairs)]
        for ref in refs:
            facility = facility_id(pg, ref)
            tokens = [session.file_form() for session in sessions]
            start = threading.Barrier(2)
            responses: list = [None, None]

            def post(i):
                start.wait()
                responses[i] = sessions[i].file(facility, consumed_mwh=str(900 + i), token=tokens[i])[0]

            threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for response in responses:
                if response.status_code == 302:
                    outcomes["stored"] += 1
                elif response.status_code == 200 and "filed from another session a moment ago" in response.text:
                    outcomes["form error: filed from another session"] += 1
                elif response.status_code == 200 and "is already declared for" in response.text:
                    outcomes["form error: already declared"] += 1
                else:
                    outcomes["other"] += 1
        stored = pg.sql(
            "SELECT count(*), count(DISTINCT f.ref) FROM registry_powerdeclaration d"
            " JOIN registry_facility f ON f.id = d.facility_id WHERE f.ref = ANY(%s) AND d.month = %s",
            [refs, last_month()],
            database="web",
        )[0]
        record(
            "4 two sessions file the same facility-month at once",
            f"{pairs} facility-months, each posted by alice and carol at the same instant (two HTTP sessions, "
            "gunicorn with 4 workers)",
            f"{pairs} declarations (one each); every other post a form error, never a 500",
            f"{stored[0]} declarations over {stored[1]} facility-months; responses {outcomes}",
            stored[0] == pairs and stored[1] == pairs and outcomes["stored"] == pairs and outcomes["other"] == 0,
        )
    finally:
        web.stop()


# 5. An import killed halfway


METERS = """
from registry.models import GridConnection
GridConnection.objects.bulk_create(
    GridConnection(meter_id=f"IM-{{i:05d}}", operator="Import REC", region="karaganda", tariff="industrial")
    for i in range({meters}))
"""


def write_readings(path: Path, meters: int) -> int:
    rows = 0
    start = AS_OF - dt.timedelta(days=DAYS)
    with path.open("w", buffering=1 << 22) as out:
        out.write("meter_id,period_start,kwh\n")
        for hour in range(DAYS * 24):
            stamp = (start + dt.timedelta(hours=hour)).strftime("%Y-%m-%dT%H:00:00Z")
            out.write("".join(f"IM-{i:05d},{stamp},{(hour * 7 + i) % 500 / 10:.1f}\n" for i in range(meters)))
            rows += meters
    return rows


def counts(pg: PrivatePostgres, database: str, *tables: str) -> dict[str, int]:
    return {table: pg.sql(f"SELECT count(*) FROM registry_{table}", database=database)[0][0] for table in tables}


def kill_when(process: subprocess.Popen, ready) -> tuple[float, object]:
    """SIGKILL the process once ready() returns something; return the seconds it had run and that something."""
    started = time.monotonic()
    seen = wait_for(ready, 300, 0.02)
    assert seen, f"never reached the point to kill at (exit status {process.poll()})"
    process.kill()
    process.wait()
    return time.monotonic() - started, seen


def command_backends(pg: PrivatePostgres, database: str) -> list[int]:
    return [
        row[0]
        for row in pg.sql("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
    ]


def scenario_import_killed(pg: PrivatePostgres, work: Path, meters: int, firms: int) -> None:
    print("5. imports killed halfway", flush=True)
    pg.sql("CREATE DATABASE imports")
    env = environment(pg.url("imports"))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "shell", "-c", METERS.format(meters=meters))
    feed = work / "readings.csv"
    rows = write_readings(feed, meters)
    command = [PYTHON, "manage.py", "import_readings", str(feed)]

    def copy_half_done():
        progress = pg.sql("SELECT tuples_processed FROM pg_stat_progress_copy WHERE datname = 'imports'")
        return progress[0][0] if progress and progress[0][0] >= rows // 2 else None

    process = spawn(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ran, copied = kill_when(process, copy_half_done)
    killed = time.monotonic()
    gone = wait_for(lambda: not command_backends(pg, "imports"), 60, 0.02)
    gone_s = time.monotonic() - killed
    after_kill = counts(pg, "imports", "meterreading", "readingimport", "readingcorrection")
    started = time.monotonic()
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    rerun_s = time.monotonic() - started
    after_rerun = counts(pg, "imports", "meterreading", "readingimport")
    imports = pg.sql(
        "SELECT status, rows, inserted, unchanged, corrected FROM registry_readingimport ORDER BY id",
        database="imports",
    )
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after_again = counts(pg, "imports", "meterreading")
    record(
        "5a import_readings SIGKILLed mid-COPY",
        f"`manage.py import_readings` of {rows:,} rows ({feed.stat().st_size / 1e6:.0f} MB); SIGKILL after "
        f"{ran:.1f} s with {copied:,} rows through COPY (pg_stat_progress_copy); then the same import twice",
        "nothing of the file stored, no ReadingImport; the rerun loads every row once; a third run changes nothing",
        f"after the kill: {after_kill} (server backend gone in {gone_s:.2f} s); rerun exit {rerun.returncode} in "
        f"{rerun_s:.1f} s: {after_rerun['meterreading']:,} readings, imports {imports}; third run exit "
        f"{again.returncode}: {again.stdout.strip()!r}, {after_again['meterreading']:,} readings",
        bool(gone)
        and after_kill == {"meterreading": 0, "readingimport": 0, "readingcorrection": 0}
        and rerun.returncode == 0
        and after_rerun == {"meterreading": rows, "readingimport": 1}
        and imports[0][:3] == ("succeeded", rows, rows)
        and again.returncode == 0
        and after_again["meterreading"] == rows,
    )

    # The register: firms and grid connections, read row by row through the upsert (slower than COPY).
    sys.path.insert(0, str(ROOT))
    from registry.validators import bin_check_digit

    folder = work / "register"
    folder.mkdir()
    bins = []
    serial = 0
    while len(bins) < firms:
        serial += 1
        check = bin_check_digit(f"7{serial:010d}")
        if check is not None:
            bins.append(f"7{serial:010d}{check}")
    with (folder / "firms.csv").open("w") as out:
        out.write("bin,name,region,address,email\n")
        out.writelines(f"{b},Firm {i} LLP,astana,Street {i},firm{i}@example.test\n" for i, b in enumerate(bins))
    with (folder / "grid_connections.csv").open("w") as out:
        out.write("meter_id,operator,consumer_name,consumer_bin,region,address,tariff,contracted_mw\n")
        out.writelines(f"RG-{i:06d},Astana REC,Firm {i} LLP,{b},astana,,commercial,1.5\n" for i, b in enumerate(bins))
    for database in ("register_clean", "register"):
        pg.sql(f"CREATE DATABASE {database} TEMPLATE imports")
    command = [PYTHON, "manage.py", "import_register", str(folder)]
    started = time.monotonic()
    clean = subprocess.run(command, cwd=ROOT, env=environment(pg.url("register_clean")), capture_output=True, text=True)
    clean_s = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr
    env = environment(pg.url("register"))
    before = counts(pg, "register", "firm", "gridconnection")
    process = spawn(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.monotonic()
    # Half way through a clean run's time, measured from when the command starts talking to the database.
    ran, _ = kill_when(process, lambda: command_backends(pg, "register") and time.monotonic() - began >= clean_s / 2)
    gone = wait_for(lambda: not command_backends(pg, "register"), 60, 0.02)
    after_kill = counts(pg, "register", "firm", "gridconnection")
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after_rerun = counts(pg, "register", "firm", "gridconnection")
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after_again = counts(pg, "register", "firm", "gridconnection")
    expected = {"firm": before["firm"] + firms, "gridconnection": before["gridconnection"] + firms}
    record(
        "5b import_register SIGKILLed halfway",
        f"`manage.py import_register` of {firms:,} firms + {firms:,} grid connections ({clean_s:.1f} s clean); "
        f"SIGKILL {ran:.1f} s in; then the same import twice",
        "nothing of the files stored; the rerun loads every row once; a third run changes nothing",
        f"after the kill: {after_kill} (as before: {after_kill == before}); rerun exit {rerun.returncode}: "
        f"{after_rerun}; third run exit {again.returncode}: {again.stdout.strip().splitlines()[-1]!r}",
        bool(gone)
        and after_kill == before
        and rerun.returncode == 0
        and after_rerun == expected
        and again.returncode == 0
        and after_again == expected
        and "Nothing changed" in again.stdout,
    )


# The table


def print_table() -> None:
    headers = ("scenario", "what was done", "expected", "observed", "result")
    rows = [(r.scenario, r.done, r.expected, r.observed, "PASS" if r.ok else "FAIL") for r in RESULTS]
    print()
    print(" | ".join(headers))
    print(" | ".join("---" for _ in headers))
    for row in rows:
        print(" | ".join(cell.replace("|", "/") for cell in row))
    print()
    print(f"{sum(r.ok for r in RESULTS)} of {len(RESULTS)} passed")


SCENARIOS = {
    "1": lambda pg, cache, work, options: scenario_worker_killed(pg, cache, work, options.connections),
    "2": lambda pg, cache, work, options: scenario_redis_down(pg, cache, work),
    "3": lambda pg, cache, work, options: scenario_postgres_restarted(pg, cache, work),
    "4": lambda pg, cache, work, options: scenario_concurrent_filing(pg, cache, work),
    "5": lambda pg, cache, work, options: scenario_import_killed(pg, work, options.meters, options.firms),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCENARIOS), help="Scenarios to run, comma-separated (default all).")
    parser.add_argument(
        "--connections",
        type=int,
        default=5000,
        help="Grid connections in the detection world (×720 hourly readings; default 5000).",
    )
    parser.add_argument(
        "--meters", type=int, default=2000, help="Meters in the killed readings import (×720 rows; default 2000)."
    )
    parser.add_argument("--firms", type=int, default=5000, help="Firms in the killed register import (default 5000).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory (logs) and print its path.")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="minereg-faults-"))
    pg, cache = PrivatePostgres(work), PrivateRedis()
    try:
        pg.init()
        cache.start()
        print(f"private PostgreSQL on port {pg.port}, private Redis on port {cache.port}, logs in {work}", flush=True)
        for key in options.only.split(","):
            try:
                SCENARIOS[key.strip()](pg, cache, work, options)
            except Exception as error:  # noqa: BLE001 — report it in the table and go on with the next scenario
                record(f"{key.strip()} (did not finish)", "", "", f"{type(error).__name__}: {error}", False)
                kill_spawned(sparing=cache.process)
                if not cache.ping():
                    cache.start()
    finally:
        kill_spawned()
        pg.stop()
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table()
    sys.exit(0 if RESULTS and all(r.ok for r in RESULTS) else 1)


if __name__ == "__main__":
    main()
