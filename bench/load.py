#!/usr/bin/env python
"""Load test: 50 users for 60 s on gunicorn over portal filing, register search and the flag queue (issue item 6).

    .venv/bin/python bench/load.py                          # 50 users, 60 s
    .venv/bin/python bench/load.py --users 20 --duration 30 --workers 3

It works in a database of its own (`minereg_load` on the configured server,
or --database-url), kept between runs: the first run migrates it, fills it
with `seed_demo` (150 firms, ~2M hourly readings) and runs `detect` as of
now and the first of each of the last 11 months, as the daily schedule would
have; every run then adds what the load needs and is missing: a firm of its
own with facilities for each virtual firm user (another facility when a
firm runs short of months nobody has declared) and a regulator with a TOTP
device for each virtual staff user.

The server runs as in production: `manage.py collectstatic` into a
temporary STATIC_ROOT (whitenoise's manifest storage), then gunicorn with
config/gunicorn.py (or `-w 2×cores+1` without it) on a free loopback port,
with DEPLOYMENT=production, DEBUG=0, REDIS_URL (cache and broker, db 11) and
LOG_LEVEL=WARNING; only HTTPS is off (plain HTTP on loopback). No API or
login limit is raised: the load logs in once per user with the right
password, and the DRF throttles apply to /api/ only.

Locust runs headless in a second process (bench/locustfile.py, FastHttpUser
so that it stays near 3% of the CPU): first one user of each kind for
--baseline seconds (the unloaded figures), then --users users (public
visitors, firm users and regulators 5:3:2) for --duration seconds, each
logging in once and then looping with 1–3 s of think time. Meanwhile this
process asks /healthz twice a second and reads the CPU time of gunicorn,
locust, the load database's PostgreSQL backends, Redis and everything else
on the machine (colleagues' test suites show up there).

It prints, per request group, requests, failures, requests/s, p50, p95, p99
and max, from locust's final statistics (locust's --csv files are written
too, but rewritten only once a second, so they can miss the last second's
requests); the same from the last login's answer on (the password checks
of the first seconds, PBKDF2, saturate the CPU); the declarations stored during
the run against the filings locust saw succeed; the ratios of loaded to
unloaded latency; and exits non-zero if any request failed, any user raised,
a /healthz probe got no answer, the counts disagree, or the server answered
a 5xx or logged an error.
"""

import argparse
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.py"
LOAD_DB = "minereg_load"
REDIS_URL = "redis://127.0.0.1:6379/11"
PASSWORD = "load-test-only-3f9c"
# Months a firm may declare, newest first, down to this one.
FIRST_MONTH = (2000, 1)
DETECTION_MONTHS = 11
FLAG_PAGE = 50  # RegistryAdmin.list_per_page
REGISTER_PAGE = 50  # registry/public/views.PAGE_SIZE
GROUPS = ["login", "portal filing", "portal pages", "register search", "admin flag list"]


# Preparing the database (runs in a child process with DATABASE_URL set to the load database)


def prepare(world_path: Path, accounts: int, slots: int) -> None:
    """Migrate, seed and detect once; make the accounts the load needs; write what the users need to know."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from registry.models import DetectionRun, Firm

    call_command("migrate", interactive=False, verbosity=0)
    if not Firm.objects.exists():
        call_command("seed_demo")
    if not DetectionRun.objects.exists():
        detect_history()
    # Hashed once: every account has the same password (the server still checks it at each login).
    password = make_password(PASSWORD)
    world = {
        "firms": [firm_account(number, slots, password) for number in range(1, accounts + 1)],
        "staff": [staff_account(number, password) for number in range(1, accounts + 1)],
        **register_facts(),
        "flags": flag_facts(),
    }
    world_path.write_text(json.dumps(world))


def detect_history() -> None:
    """Detection as of the first of each of the last months and now, as the daily task would have left it."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    first = timezone.now().date().replace(day=1)
    for back in range(DETECTION_MONTHS, 0, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        call_command(
            "detect",
            as_of=dt.datetime(year, month + 1, 1, tzinfo=dt.UTC).isoformat(),
            as_json=True,
            stdout=open(os.devnull, "w"),
        )
    call_command("detect")


def load_bin(number: int) -> str:
    """A valid BIN of its own for load firm `number` (registered 99-01: no demo firm has that prefix)."""
    from registry.validators import bin_check_digit

    for extra in range(10):
        prefix = f"99014{extra}{number:05d}"
        check = bin_check_digit(prefix)
        if check is not None:
            return prefix + str(check)
    raise ValueError(number)


def firm_account(number: int, slots: int, password: str) -> dict:
    """A verified firm with facilities, a portal user in it, and `slots` facility-months nobody has declared."""
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.utils import timezone

    from registry.models import Facility, Firm, FirmMembership, PowerDeclaration

    firm, _ = Firm.objects.get_or_create(
        bin=load_bin(number),
        defaults={
            "name": f"Load Test {number:03d} Mining LLP",
            "region": "pavlodar",
            "address": "Pavlodar",
            "email": f"load{number:03d}@minereg.test",
            "verification": Firm.Verification.VERIFIED,
        },
    )
    user, _ = User.objects.get_or_create(username=f"load_firm_{number:03d}", defaults={"password": password})
    FirmMembership.objects.get_or_create(user=user, defaults={"firm": firm})
    this_month = timezone.localdate().replace(day=1)
    months = []
    year, month = this_month.year, this_month.month
    while (year, month) > FIRST_MONTH:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(f"{year:04d}-{month:02d}")
    while True:
        facilities = list(Facility.objects.filter(firm=firm).order_by("ref"))
        declared = {(d.facility_id, f"{d.month:%Y-%m}") for d in PowerDeclaration.objects.filter(facility__firm=firm)}
        free = [[f.id, m] for m in months for f in facilities if (f.id, m) not in declared]
        if len(free) >= slots:
            break
        site = len(facilities) + 1
        Facility.objects.create(
            ref=f"FAC-LOAD-{number:03d}-{site}",
            firm=firm,
            name=f"Load test site {site}",
            region="pavlodar",
            capacity_mw=Decimal(10),
            devices=2800,
        )
    return {
        "username": user.username,
        "firm_id": firm.id,
        "facilities": [{"id": f.id, "ref": f.ref, "capacity_mw": str(f.capacity_mw)} for f in facilities],
        "free": free[:slots],
    }


def staff_account(number: int, password: str) -> dict:
    """A regulator with a confirmed TOTP device of their own."""
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from registry.roles import REGULATORS

    user, _ = User.objects.get_or_create(
        username=f"load_staff_{number:03d}", defaults={"is_staff": True, "password": password}
    )
    user.groups.add(Group.objects.get(name=REGULATORS))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
    return {"username": user.username, "totp_key": device.key}


def register_facts() -> dict:
    """What the public register lists today, as the visitors' checks expect it."""
    from django.utils import timezone

    from registry.selectors import public

    today = timezone.now().date()
    licensed = [
        {"number": row.number, "firm_name": row.firm_name, "firm_bin": row.firm_bin, "region": row.regions[0]}
        for row in public.licences_in_force(today=today)
    ]
    warned = [{"name": row.name, "bin": row.bin} for row in public.warning_list()]
    if not licensed or not warned:
        raise SystemExit("the register lists no licence in force or no warning: is the demo data there?")
    return {
        "licensed": licensed,
        "licensed_page_heads": [row["firm_name"] for row in licensed[::REGISTER_PAGE]],
        "warned": warned,
    }


def flag_facts() -> dict:
    """The values the flag queue's filters can take here (each with rows), and how many pages it has."""
    from registry.models import Flag

    flags = Flag.objects.all()
    count = flags.count()
    if not count:
        raise SystemExit("no flags after detection: the flag list would be empty")

    def values(field: str, queryset=flags) -> list[str]:
        return sorted(queryset.values_list(field, flat=True).distinct())

    return {
        "count": count,
        "pages": math.ceil(count / FLAG_PAGE),
        "statuses": values("status"),
        "severities": values("severity"),
        "open_severities": values("severity", flags.filter(status=Flag.Status.OPEN)),
        "rules": values("rule"),
        "subject_types": values("subject_type"),
        "subject_refs": list(flags.order_by("?").values_list("subject_ref", flat=True)[:20]),
    }


# The orchestra: database, gunicorn, locust, measurements


def database_url(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{LOAD_DB}"))
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest_detect import server_url  # starts the embedded server when there is no DATABASE_URL

    return server_url() + LOAD_DB


def libpq(url: str) -> str:
    """The URL as psycopg wants it (dj-database-url also takes postgres:// and postgresql://)."""
    return "postgresql://" + url.split("://", 1)[1]


def ensure_database(url: str) -> None:
    parts = urlsplit(libpq(url))
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def database_facts(url: str) -> dict:
    with psycopg.connect(libpq(url)) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "firms": one("SELECT count(*) FROM registry_firm"),
            "readings": one("SELECT count(*) FROM registry_meterreading"),
            "declarations": one("SELECT count(*) FROM registry_powerdeclaration"),
            "flags": one("SELECT count(*) FROM registry_flag"),
            "licences": one("SELECT count(*) FROM registry_licence"),
        }


def load_declarations(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute(
            "SELECT count(*) FROM registry_powerdeclaration d JOIN registry_facility f ON f.id = d.facility_id"
            " WHERE f.ref LIKE 'FAC-LOAD-%'"
        ).fetchone()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str, redis_url: str, static_root: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEPLOYMENT": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Plain HTTP on loopback: no redirect to HTTPS, no HSTS, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_CONCURRENCY", None)
    return env


def collectstatic(env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"collectstatic failed:\n{done.stdout}\n{done.stderr}")


def gunicorn_command(port: int, workers: int | None) -> tuple[list[str], str]:
    """The command, and how it was chosen."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    if GUNICORN_CONFIG.exists():
        command = [gunicorn, "--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}"]
        how = "config/gunicorn.py"
    else:
        workers = workers or 2 * len(os.sched_getaffinity(0)) + 1
        command = [gunicorn, "--bind", f"127.0.0.1:{port}"]
        how = "no config/gunicorn.py: command line only"
    if workers:
        command += ["--workers", str(workers)]
    return [*command, "config.wsgi"], how


def wait_ready(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        with suppress(OSError):
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready (/readyz) within a minute")


def stop_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM the process group (gunicorn: graceful stop of every worker), SIGKILL what is left after `grace`."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def warm_up(base: str, workers: int) -> None:
    """A few requests per worker, so no measured request pays for a first import or template load."""
    for _ in range(3 * workers):
        for path in ("/register/", "/accounts/login/", "/admin/login/", "/healthz"):
            with suppress(OSError), urllib.request.urlopen(base + path, timeout=30) as response:
                response.read()


def probe_once(base: str) -> float | None:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
            response.read()
    except OSError:
        return None
    return (time.perf_counter() - started) * 1000


class Prober(threading.Thread):
    """While the load runs: /healthz twice a second (a request that does no work, to tell queueing from work),
    and the CPU time of the processes that serve it."""

    def __init__(self, base: str, gunicorn: subprocess.Popen):
        super().__init__(daemon=True)
        self.base, self.samples, self.failed, self.done = base, [], 0, threading.Event()
        self.gunicorn = psutil.Process(gunicorn.pid)
        # PostgreSQL backends come and go (workers recycled by max_requests): each one's CPU as last seen.
        self.backends_start: dict[int, float] = {}
        self.backends_last: dict[int, float] = {}

    def run(self):
        while not self.done.wait(0.5):
            ms = probe_once(self.base)
            if ms is None:
                self.failed += 1
            else:
                self.samples.append(ms)
            self.read_backends()

    def read_backends(self) -> None:
        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            command = " ".join(process.info["cmdline"] or [])
            times = process.info["cpu_times"]
            if command.startswith("postgres:") and f" {LOAD_DB} " in command and times is not None:
                self.backends_last[process.pid] = times.user + times.system
                self.backends_start.setdefault(process.pid, 0.0)

    def snapshot(self) -> dict:
        """CPU seconds so far: gunicorn (master, workers, recycled workers), the load database's backends, Redis,
        and the machine as a whole."""
        self.read_backends()
        redis = sum(cpu_seconds(p) for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("redis"))
        machine = psutil.cpu_times()
        processes = {}
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            if process.info["cpu_times"] is not None:
                label = " ".join(process.info["cmdline"] or [process.info["name"] or "?"])[:70]
                processes[process.pid] = (label, process.info["cpu_times"].user + process.info["cpu_times"].system)
        return {
            "processes": processes,
            "gunicorn": cpu_seconds(self.gunicorn),
            "postgres": sum(self.backends_last.values()) - sum(self.backends_start.values()),
            "redis": redis,
            "busy": sum(machine) - machine.idle - getattr(machine, "iowait", 0),
            "wall": time.monotonic(),
        }

    def start_measuring(self) -> dict:
        self.read_backends()
        self.backends_start = dict(self.backends_last)
        before = self.snapshot()
        self.start()
        return before


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time of a process, its live children and its reaped children (workers recycled by max_requests)."""
    try:
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in process.children(recursive=True):
            with suppress(psutil.Error):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        return total
    except psutil.Error:
        return 0.0


def wait_reaping(process: subprocess.Popen, seconds: float) -> float:
    """Wait for the process to end; return the CPU seconds it (and its reaped children) used, from wait4's rusage."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.1)
    raise subprocess.TimeoutExpired(process.args, seconds)


def run_locust(
    base: str,
    plan: dict,
    tmp: Path,
    label: str,
    users: int,
    rate: float,
    seconds: int,
    gunicorn: subprocess.Popen | None = None,
) -> dict:
    """Run locust headless in a process of its own; return its CSV rows, failures, exceptions and log."""
    plan_path = tmp / f"plan_{label}.json"
    plan_path.write_text(json.dumps(plan))
    prefix = tmp / label
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "-u",
        str(users),
        "-r",
        str(rate),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "30",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--logfile",
        str(tmp / f"locust_{label}.log"),
    ]
    result_path = tmp / f"{label}_result.json"
    env = {
        **os.environ,
        "MINEREG_LOAD_PLAN": str(plan_path),
        "MINEREG_LOAD_RESULT": str(result_path),
        "PYTHONUNBUFFERED": "1",
    }
    with open(tmp / f"locust_{label}.out", "w") as out:
        locust = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    result = {"prober": None, "cpu": None}
    try:
        if gunicorn is None:
            locust.wait(seconds + 120)
        else:
            prober = Prober(base, gunicorn)
            before = prober.start_measuring()
            locust_cpu = wait_reaping(locust, seconds + 120)
            prober.done.set()
            prober.join()
            after = prober.snapshot()
            result["prober"] = prober
            ours = {
                gunicorn.pid,
                os.getpid(),
                *(c.pid for c in psutil.Process(gunicorn.pid).children(recursive=True)),
                *prober.backends_last,
            }
            others = sorted(
                (
                    (cpu - before["processes"].get(pid, ("", 0.0))[1], label)
                    for pid, (label, cpu) in after.pop("processes").items()
                    if pid not in ours
                ),
                reverse=True,
            )
            before.pop("processes")
            result["cpu"] = {
                **{key: after[key] - before[key] for key in before},
                "locust": locust_cpu,
                "others": [(seconds, label) for seconds, label in others[:3] if seconds >= 1],
            }
    except subprocess.TimeoutExpired:
        stop_group(locust, 5)
        raise SystemExit(f"locust ({label}) did not finish; see {tmp}") from None
    finally:
        stop_group(locust, 5)

    if not result_path.exists():
        raise SystemExit(f"locust ({label}) left no statistics; its output is in {tmp}")
    log = (tmp / f"locust_{label}.log").read_text() + (tmp / f"locust_{label}.out").read_text()
    return {**result, **json.loads(result_path.read_text()), "log": log}


def server_problems(tmp: Path) -> tuple[dict[str, int], list[str]]:
    """Responses by status class from gunicorn's access log; errors the server logged."""
    statuses: dict[str, int] = {}
    for line in (tmp / "gunicorn.out").read_text(errors="replace").splitlines():
        try:
            status = json.loads(line)["status"]
        except (ValueError, KeyError, TypeError):
            parts = line.split()
            status = parts[-1] if parts and parts[-1].isdigit() else None
        if status is not None:
            key = f"{str(status)[0]}xx"
            statuses[key] = statuses.get(key, 0) + 1
    errors = [
        line
        for line in (tmp / "gunicorn.err").read_text(errors="replace").splitlines()
        if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line or "Traceback" in line or " ERROR " in line
    ]
    return statuses, errors


# Report


class Group:
    """Requests of one kind, from locust's final statistics: counts and a histogram of response times (ms)."""

    def __init__(self, label: str):
        self.label, self.requests, self.failures, self.max_ms = label, 0, 0, 0
        self.times: dict[int, int] = {}

    def add(self, entry: dict) -> None:
        self.requests += entry["num_requests"]
        self.failures += entry["num_failures"]
        self.max_ms = max(self.max_ms, entry["max_response_time"] or 0)
        for ms, count in entry["response_times"].items():
            self.times[int(ms)] = self.times.get(int(ms), 0) + count

    def add_sample(self, ms: float, ok: bool) -> None:
        """One request, its time rounded as locust rounds it for its percentiles."""
        self.requests += 1
        self.failures += not ok
        self.max_ms = max(self.max_ms, ms)
        rounded = round(ms) if ms < 100 else round(ms, -1) if ms < 1000 else round(ms, -2)
        self.times[int(rounded)] = self.times.get(int(rounded), 0) + 1

    def percentile(self, share: float) -> int:
        """The response time `share` of the requests finished within, as locust computes it (locust.stats, which
        this process must not import: importing locust monkey-patches threads and child processes)."""
        count = sum(self.times.values())
        within, seen = int(count * share), 0
        for ms in sorted(self.times, reverse=True):
            seen += self.times[ms]
            if count - seen <= within:
                return ms
        return 0


def groups(result: dict) -> tuple[list[Group], float]:
    """One group per (method, name), in GROUPS order, then the total; and the seconds the requests spanned."""
    entries = {f"{e['method']} {e['name']}": e for e in result["stats"]}
    order = [f"{method} {name}" for name in GROUPS for method in ("GET", "POST") if f"{method} {name}" in entries]
    order += sorted(set(entries) - set(order))
    rows, total = [], Group("Total")
    for key in order:
        group = Group(key)
        group.add(entries[key])
        total.add(entries[key])
        rows.append(group)
    started = min(e["start_time"] for e in result["stats"])
    ended = max(e["last_request_timestamp"] or started for e in result["stats"])
    return [*rows, total], max(ended - started, 1e-9)


def steady_groups(result: dict) -> tuple[list[Group], float, float]:
    """Like groups(), for the requests started after the last login had its answer; and when that was (s)."""
    samples = result["samples"]
    first = min(start for _method, _name, start, _ms, _ok in samples)
    steady = max((start + ms / 1000 for _method, name, start, ms, _ok in samples if name == "login"), default=first)
    by_key: dict[str, Group] = {}
    total = Group("Total")
    for method, name, start, ms, ok in samples:
        if start >= steady:
            by_key.setdefault(f"{method} {name}", Group(f"{method} {name}")).add_sample(ms, ok)
            total.add_sample(ms, ok)
    order = [key for key in (f"{m} {n}" for n in GROUPS for m in ("GET", "POST")) if key in by_key]
    order += sorted(set(by_key) - set(order))
    last = max(start + ms / 1000 for _method, _name, start, ms, _ok in samples)
    return [*(by_key[key] for key in order), total], max(last - steady, 1e-9), steady - first


def print_table(title: str, result: dict, *, steady: bool = False) -> None:
    rows, seconds = groups(result) if not steady else steady_groups(result)[:2]
    print(title)
    print()
    header = (
        f"{'request group':<24} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p99 ms':>8} {'max ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.label == "Total":
            print("-" * len(header))
        print(
            f"{row.label:<24} {row.requests:>9,} {row.failures:>9,} {row.requests / seconds:>8.1f}"
            f" {row.percentile(0.5):>8} {row.percentile(0.95):>8} {row.percentile(0.99):>8} {row.max_ms:>8.0f}"
        )
    print()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def print_report(
    args,
    how: str,
    command: list[str],
    workers: int,
    facts: dict,
    baseline: dict | None,
    load: dict,
    idle_probe: list[float],
    stored: int,
    statuses: dict,
    errors: list[str],
    tmp: Path,
) -> int:
    cores = psutil.cpu_count()
    print()
    print(
        f"Load test: {args.users} users for {args.duration} s (spawn {args.spawn_rate}/s, think time "
        f"{args.wait_min}–{args.wait_max} s), locust {locust_version()} headless in its own process"
    )
    print(f"server: gunicorn ({how}), {workers} sync workers on {cores} cores: {' '.join(command[1:])}")
    print(
        f"        DEPLOYMENT=production DEBUG=0 REDIS_URL={args.redis_url} LOG_LEVEL=WARNING, collectstatic into a"
        " temp STATIC_ROOT; HTTPS settings off (loopback)"
    )
    print(
        f"database: {facts['firms']:,} firms, {facts['licences']:,} licences, {facts['readings']:,} hourly readings,"
        f" {facts['declarations']:,} declarations, {facts['flags']:,} flags"
    )
    print()
    if baseline is not None:
        print_table(f"Single user of each kind, {args.baseline} s (the unloaded figures)", baseline)
    print_table(f"{args.users} users, {args.duration} s", load)
    after = steady_groups(load)[2]
    print_table(
        f"The same run from the last login's answer ({after:.0f} s after the first request) to the end:"
        " the steady state",
        load,
        steady=True,
    )

    rows = {row.label: row for row in groups(load)[0]}
    filings = rows.get("POST portal filing")
    ok_filings = filings.requests - filings.failures if filings else 0
    print(f"declarations stored during the run: {stored:,} (successful filing POSTs: {ok_filings:,})")

    prober = load["prober"]
    loaded_probe = statistics.median(prober.samples) if prober.samples else float("nan")
    idle = statistics.median(idle_probe) if idle_probe else float("nan")
    print(
        f"/healthz from this process: idle p50 {idle:.1f} ms; under load p50 {loaded_probe:.1f} ms,"
        f" p95 {percentile(prober.samples, 0.95):.1f} ms ({len(prober.samples)} probes, {prober.failed} failed)"
    )
    ratios = [f"/healthz {loaded_probe / idle:.1f}×"]
    if baseline is not None:
        unloaded = {row.label: row for row in groups(baseline)[0]}
        for label, row in rows.items():
            if label in unloaded and unloaded[label].percentile(0.5) > 0:
                ratios.append(f"{label} {row.percentile(0.5) / unloaded[label].percentile(0.5):.1f}×")
    print("p50 under load / unloaded: " + ", ".join(ratios))

    cpu = load["cpu"]
    wall = cpu["wall"]
    share = lambda seconds: f"{100 * seconds / (wall * cores):.0f}%"  # noqa: E731
    other = cpu["busy"] - cpu["gunicorn"] - cpu["locust"] - cpu["postgres"] - cpu["redis"]
    print(
        f"CPU over the run (share of {cores} cores × {wall:.0f} s): gunicorn {share(cpu['gunicorn'])},"
        f" locust {share(cpu['locust'])}, PostgreSQL backends of {LOAD_DB} {share(cpu['postgres'])},"
        f" Redis {share(cpu['redis'])}, everything else on the machine {share(max(other, 0))},"
        f" idle {share(max(wall * cores - cpu['busy'], 0))}"
    )
    if cpu["others"]:
        print(
            "  busiest other processes: " + "; ".join(f"{share(seconds)} {label}" for seconds, label in cpu["others"])
        )
    print(
        f"  gunicorn CPU per request: {1000 * cpu['gunicorn'] / max(rows['Total'].requests, 1):.0f} ms on average"
        f" (the {rows['POST login'].requests if 'POST login' in rows else 0} login POSTs included)"
    )
    served = ", ".join(f"{key} {count:,}" for key, count in sorted(statuses.items()))
    print(f"gunicorn access log: {served}; errors logged by the server: {len(errors)}")

    problems = 0
    for name, result in (("single-user pass", baseline), ("load", load)):
        if result is None:
            continue
        for error in result["errors"]:
            problems += 1
            print(f"FAILED ({name}): {error['occurrences']}× {error['method']} {error['name']}: {error['error']}")
        for exception in result["exceptions"]:
            problems += 1
            print(f"EXCEPTION ({name}): {exception['count']}× {exception['msg']}\n{exception['traceback']}")
        if "CPU usage above" in result["log"]:
            print(f"note ({name}): locust warned that its CPU usage was above 90%; its latencies include its own wait")
    if statuses.get("5xx"):
        problems += 1
        print(f"FAILED: gunicorn answered {statuses['5xx']} requests with a 5xx (see gunicorn.out)")
    for line in errors[:20]:
        problems += 1
        print(f"SERVER: {line}")
    if stored != ok_filings:
        problems += 1
        print("FAILED: the declarations stored differ from the filings locust saw succeed")
    if prober.failed:
        problems += 1
        print(f"FAILED: {prober.failed} /healthz probes got no answer")
    total = rows["Total"]
    print()
    print(
        "target (issue item 6): no errors, p50/p95/p99 and requests/s reported"
        f" — {total.failures} failed requests of {total.requests:,}"
        f"; {'OK' if not problems else 'NOT MET'} (logs in {tmp})"
    )
    return 1 if problems else 0


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    parser.add_argument("--wait-min", type=float, default=1.0, help="least think time between tasks, s (default 1)")
    parser.add_argument("--wait-max", type=float, default=3.0, help="most think time between tasks, s (default 3)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: config/gunicorn.py's, 2×cores+1)")
    parser.add_argument("--baseline", type=int, default=20, help="seconds of the single-user pass (0: none)")
    parser.add_argument("--database-url", help=f"default: the configured server's {LOAD_DB}")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"cache and broker of the server (default {REDIS_URL})")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slots", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(args.prepare, args.accounts, args.slots)

    url = database_url(args.database_url)
    ensure_database(url)
    tmp = Path(tempfile.mkdtemp(prefix="minereg-load-"))
    # One account per user plus one for the single-user pass (a TOTP code is good once per device and step).
    accounts = args.users + 1
    # A firm user files about once per task cycle: more free months than it can use.
    slots = max(50, math.ceil((args.duration + args.baseline) / max(args.wait_min, 0.5)))
    started = time.monotonic()
    prep_env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    prep_env.pop("REDIS_URL", None)
    world_path = tmp / "world.json"
    done = subprocess.run(
        [sys.executable, __file__, "--prepare", str(world_path), "--accounts", str(accounts), "--slots", str(slots)],
        cwd=ROOT,
        env=prep_env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit("preparing the load database failed")
    world = json.loads(world_path.read_text())
    facts = database_facts(url)
    print(f"database {url.rsplit('/', 1)[-1]} ready in {time.monotonic() - started:.0f} s: {facts}")

    shared = {key: world[key] for key in ("licensed", "licensed_page_heads", "warned", "flags")}
    common = {**shared, "password": PASSWORD, "wait_min": args.wait_min, "wait_max": args.wait_max}
    baseline_plan = {**common, "firms": world["firms"][-1:], "staff": world["staff"][-1:], "one_each": True}
    load_plan = {**common, "firms": world["firms"][:-1], "staff": world["staff"][:-1]}

    env = server_env(url, args.redis_url, tmp / "static")
    collectstatic(env)
    port = free_port()
    command, how = gunicorn_command(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    with open(tmp / "gunicorn.out", "w") as out, open(tmp / "gunicorn.err", "w") as err:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
    try:
        wait_ready(base, server)
        workers = len(psutil.Process(server.pid).children())
        print(f"gunicorn on {base} with {workers} workers ({how})")
        warm_up(base, workers)
        idle_probe = [ms for ms in (probe_once(base) for _ in range(20)) if ms is not None]
        baseline = None
        if args.baseline:
            print(f"single user of each kind for {args.baseline} s …")
            baseline = run_locust(base, baseline_plan, tmp, "single", 3, 3, args.baseline)
        before = load_declarations(url)
        print(f"{args.users} users for {args.duration} s …")
        load = run_locust(base, load_plan, tmp, "load", args.users, args.spawn_rate, args.duration, gunicorn=server)
        stored = load_declarations(url) - before
    finally:
        stop_group(server, 40)
    statuses, errors = server_problems(tmp)
    sys.exit(
        print_report(args, how, command, workers, facts, baseline, load, idle_probe, stored, statuses, errors, tmp)
    )


if __name__ == "__main__":
    main()
