#!/usr/bin/env python
"""Benchmark: the numbers at national scale — a year of hourly readings against one month, in one run.

    make bench-scale
    make bench-scale BENCH_ARGS="--connections 2000 --months 3 --keep"

It works in a database of its own (`minereg_bench_scale`, recreated each run, dropped at the end unless
--keep) on the configured server (DATABASE_URL, or the embedded one), and refuses to start with less than
30 GB free on the disk of /work (a year at 10,000 connections is about 8.5 GB, plus WAL and the archive's
round trip). The world is the one of `make bench` (bench/ingest_detect.py): N connections, 10% feeding a
facility of their own, half of those licensed, 1% flat hidden farms; the readings follow the same formula.

Set-up: the last month before END (November 2026) by one INSERT … SELECT generate_series into its partition
in hour order, as a feed arrives (its key grows by inserts, as in production); each earlier month (`--months`,
default 12: a year, 87.6M readings at 10,000 connections) into a table of the readings' shape, then its key
built and the table attached as the month's partition (twice as fast; a key built at once is denser than
one grown by inserts: the bytes per reading are given for both); then VACUUM ANALYZE. The next day's month
(December 2026) has its partition from the start, as the monthly beat task makes the months ahead: the
imports measure the ingestion, not the making of a partition.

One database holds the year. The registries compared are that database with its older months detached
(catalog only: each month keeps a CHECK of its bounds, so attaching it again does not scan it):

- "12 months": every month attached;
- "1 month": only the last month (the month detection reads) attached;
- "empty": no month of readings attached (the same world, no readings).

Three rounds visit the three registries in turn (empty, 1, 12; then 12, 1, empty; then empty, 1, 12), so
that the load of this shared machine, which moves a detection run between 2.5 s and 5 s from minute to
minute, falls on both sides of every ratio alike. In each visit:

- detection (1 month, 12 months): `manage.py detect --as-of END --window-days 30 --json`, its own recorded
  duration and the command's wall time; best of the 3 rounds; target 12 months / 1 month ≤ 1.25. A first
  run before the rounds writes the flags; the measured runs refresh them, as the daily run does;
- import of the next day (every connection's 24 hours after END, a contract-format CSV) by `manage.py
  import_readings` into the day's emptied partition: the whole command and the import's own recorded
  duration; best of the 3 rounds; target throughput 12 months / empty ≥ 0.8;
- in a `manage.py shell -c` process (1 month, 12 months): `registry.selectors.loads.flag_chart` for an
  UNLICENSED_MINING flag of the last detection run; the admin's flag page, the flag's connection page (it
  shows the meter's latest reading; the admin has no connection load chart) and the dashboard with its
  cached figures emptied, through Django's test client logged in as staff do (password, then the TOTP code:
  bench/measure_admin_pages.py); one warm-up, then one timed call per visit: median of the 3 rounds.

Then, on the year: bytes per reading on disk (the readings' partitions with their keys ÷ readings);
`manage.py archive_readings --month <oldest> --dir <tmp>` (wall time, rows/s, archive bytes and bytes per
reading); `manage.py import_readings` of that archive (wall time; the month's row count must match).

Exits 1 if a step of the pipeline failed; a target missed is printed as MISSED, not an error.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from ingest_detect import MEASURE, bench_kwh, build_world, server_url  # noqa: E402  (after the path is set)
from partitions import make_partitions  # noqa: E402

DB = "minereg_bench_scale"
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
WINDOW_DAYS = 30
ROUNDS = 3
MIN_FREE_GB = 30
DETECT_TARGET = 1.25  # 12 months / 1 month, at most
IMPORT_TARGET = 0.8  # throughput into the year registry / into an empty one, at least
EMPTY, MONTH, YEAR = "empty", "1 month", "year"
ORDERS = [(EMPTY, MONTH, YEAR), (YEAR, MONTH, EMPTY)]

# bench/ingest_detect.py's bench_kwh in SQL (the year is loaded by INSERT … SELECT), hour n counted from the
# first loaded hour.
KWH_SQL = """CASE WHEN c.idx %% 100 = 7 THEN 400 + (h.n * 7 + c.idx) %% 9
                  ELSE 1 + (h.n %% 24) * 0.05 * (c.idx %% 13) + ((h.n * 31 + c.idx) %% 17) / 10.0 END"""
MONTH_SQL = f"""SELECT c.id, %(start)s::timestamptz + h.n * interval '1 hour', {KWH_SQL}
                  FROM generate_series(%(first)s::int, %(last)s::int) AS h(n) CROSS JOIN bench_connection c
                 ORDER BY h.n, c.id"""

# Run by `manage.py shell -c` in the database under test: the chart and the pages, as JSON on the last line.
PAGES_CODE = """
import json, sys, time
sys.path.insert(0, "bench")
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.signals import request_started
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from measure_admin_pages import log_in
from registry.models import Flag
from registry.selectors.loads import flag_chart

options = json.loads({options!r})
user, _ = User.objects.get_or_create(username="bench_regulator", defaults={{"is_staff": True}})
user.groups.add(Group.objects.get(name="regulators"))
client = Client()
log_in(client, "bench_regulator")
flag = Flag.objects.get(pk=options["flag"])
# Each request would empty the query log that CaptureQueriesContext counts from.
request_started.disconnect(reset_queries)


def timed(name, call, cold=False):
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        status = call()
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    if cold:
        cache.clear()
    started = time.perf_counter()
    call()
    ms = (time.perf_counter() - started) * 1000
    slowest = max(queries, default=(0.0, ""))
    return {{"name": name, "status": status, "ms": ms, "queries": len(queries),
            "sql_ms": sum(ms for ms, _sql in queries), "slowest_ms": slowest[0], "slowest_sql": slowest[1][:2000]}}


def page(url):
    return lambda: client.get(url).status_code


def chart():
    return 200 if flag_chart(flag=flag)["has_readings"] else "a chart without readings"


results = [
    timed("flag chart (selector)", chart),
    timed("flag page", page(reverse("admin:registry_flag_change", args=[flag.pk]))),
    timed("connection page", page(reverse("admin:registry_gridconnection_change", args=[flag.connection_id]))),
    timed("dashboard, figures recomputed", page(reverse("admin-dashboard")), cold=True),
]
print(json.dumps(results))
"""


def run_manage(url: str, *args: str) -> dict:
    """Run a manage.py command in a fresh process; return its wall time, peak memory and output."""
    done = subprocess.run(
        [sys.executable, str(MEASURE), *args], cwd=ROOT, env=_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url + DB, "DEBUG": "0", "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "testserver"}
    env.pop("REDIS_URL", None)
    return env


def check_disk() -> float:
    """Free GB on the disk of /work; stop before loading anything if it is under MIN_FREE_GB."""
    free_gb = shutil.disk_usage("/work" if Path("/work").exists() else ROOT).free / 1e9
    if free_gb < MIN_FREE_GB:
        raise SystemExit(
            f"only {free_gb:.1f} GB free on /work: a year of readings takes about 8.5 GB plus WAL and the"
            f" archive's round trip; this benchmark wants at least {MIN_FREE_GB} GB free. Nothing was done."
        )
    return free_gb


def months_back(end: dt.datetime, count: int) -> list[dt.datetime]:
    """The first instants of the `count` UTC months before `end` (a month's start), oldest first."""
    starts = []
    year, month = end.year, end.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        starts.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
    return starts[::-1]


def month_end(start: dt.datetime) -> dt.datetime:
    return (start + dt.timedelta(days=32)).replace(day=1)


def partition(start: dt.datetime) -> str:
    return f"registry_meterreading_p{start:%Y%m}"


def hours(a: dt.datetime, b: dt.datetime) -> int:
    return int((b - a).total_seconds() // 3600)


def load_month(conn: psycopg.Connection, month: dt.datetime, first: dt.datetime, *, as_a_feed: bool) -> None:
    """One month of every connection's hours: inserted hour by hour into its partition, or built and attached.

    Either way the month keeps a CHECK of its bounds, so that it can be detached and attached again
    without a scan.
    """
    params = {"start": first, "first": hours(first, month), "last": hours(first, month_end(month)) - 1}
    name = partition(month)
    bounds_check = (
        f"ALTER TABLE {name} ADD CONSTRAINT bench_bounds CHECK (period_start >= '{month.isoformat()}'"
        f" AND period_start < '{month_end(month).isoformat()}')"
    )
    if as_a_feed:
        make_partitions(conn, month, month_end(month))
        conn.execute(f"INSERT INTO {name} {MONTH_SQL}", params)
        conn.execute(bounds_check)
        return
    conn.execute(f"CREATE TABLE {name} (LIKE registry_meterreading INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    conn.execute(f"INSERT INTO {name} {MONTH_SQL}", params)
    conn.execute(f"ALTER TABLE {name} ADD PRIMARY KEY (connection_id, period_start) INCLUDE (kwh)")
    conn.execute(bounds_check)
    attach(conn, month)


def attach(conn: psycopg.Connection, month: dt.datetime) -> None:
    conn.execute(
        f"ALTER TABLE registry_meterreading ATTACH PARTITION {partition(month)}"
        f" FOR VALUES FROM ('{month.isoformat()}') TO ('{month_end(month).isoformat()}')"
    )


def set_history(url: str, months: list[dt.datetime], wanted: list[dt.datetime]) -> None:
    """Attach the wanted months' partitions and detach the others (catalog only: each has its bounds' CHECK)."""
    with psycopg.connect(url + DB, autocommit=True) as conn:
        for month in months:
            attached = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = %s::regclass)", [partition(month)]
            ).fetchone()[0]
            if month in wanted and not attached:
                attach(conn, month)
            elif month not in wanted and attached:
                conn.execute(f"ALTER TABLE registry_meterreading DETACH PARTITION {partition(month)}")


def write_next_day(path: Path, meters: list[str], first: dt.datetime) -> int:
    """The day after END for every meter, in contract CSV, continuing the loaded readings' formula."""
    rows = 0
    with path.open("w", buffering=1 << 22) as out:
        out.write("meter_id,period_start,kwh\n")
        for step in range(24):
            hour = hours(first, END) + step
            stamp = (END + dt.timedelta(hours=step)).strftime("%Y-%m-%dT%H:00:00Z")
            lines = [f"{meter},{stamp},{bench_kwh(index, hour):.3f}\n" for index, meter in enumerate(meters)]
            out.write("".join(lines))
            rows += len(lines)
    return rows


def detect(url: str) -> dict:
    run = run_manage(url, "detect", "--as-of", END.isoformat(), "--window-days", str(WINDOW_DAYS), "--json")
    summary = json.loads(run["output"])
    return {"run_s": summary["duration_ms"] / 1000, "command_s": run["seconds"], "rss_mb": run["maxrss_mb"]}


def import_day(url: str, feed: Path, rows: int) -> dict:
    """Import the next day into its emptied partition: the whole command and the import's own duration."""
    day = partition(END)
    with psycopg.connect(url + DB, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {day}")
    done = run_manage(url, "import_readings", str(feed))
    with psycopg.connect(url + DB, autocommit=True) as conn:
        inserted, own_s = conn.execute(
            "SELECT inserted, extract(epoch FROM finished_at - started_at) FROM registry_readingimport"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        conn.execute(f"TRUNCATE {day}")
    if inserted != rows:
        raise SystemExit(f"the import of the next day inserted {inserted} rows of {rows}: {done['output']}")
    return {"command_s": done["seconds"], "own_s": float(own_s), "rss_mb": done["maxrss_mb"]}


def pages(url: str, flag: int) -> dict:
    code = PAGES_CODE.format(options=json.dumps({"flag": flag}))
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the chart and pages process failed:\n{done.stdout}\n{done.stderr}")
    results = {page["name"]: page for page in json.loads(done.stdout.strip().splitlines()[-1])}
    for page in results.values():
        if page["status"] != 200:
            raise SystemExit(f"{page['name']} answered {page['status']}")
    return results


def vacuum_analyze(url: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(url + DB, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def sizes(conn: psycopg.Connection, months: list[dt.datetime], feed_month: dt.datetime) -> dict:
    """Readings and bytes on disk of the months' partitions (heap, key), overall and per way of loading."""
    found = {}
    for month in months:
        name = partition(month)
        found[month] = conn.execute(
            f"SELECT count(*), pg_table_size('{name}'), pg_indexes_size('{name}') FROM {name}"
        ).fetchone()
    rows = sum(r for r, _h, _i in found.values())
    heap = sum(h for _r, h, _i in found.values())
    index = sum(i for _r, _h, i in found.values())
    bulk = [v for m, v in found.items() if m != feed_month]
    bulk_rows = sum(r for r, _h, _i in bulk)
    feed_rows, feed_heap, feed_index = found[feed_month]
    return {
        "rows": rows,
        "bytes": heap + index,
        "heap_per_reading": heap / rows,
        "index_per_reading": index / rows,
        "per_reading": (heap + index) / rows,
        "feed_per_reading": (feed_heap + feed_index) / feed_rows,
        "feed_index_per_reading": feed_index / feed_rows,
        "bulk_per_reading": sum(h + i for _r, h, i in bulk) / bulk_rows if bulk_rows else None,
        "bulk_index_per_reading": sum(i for _r, _h, i in bulk) / bulk_rows if bulk_rows else None,
    }


def archive_round_trip(url: str, month: dt.datetime, directory: Path) -> dict:
    name = partition(month)
    with psycopg.connect(url + DB) as conn:
        held = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    archived = run_manage(url, "archive_readings", "--month", f"{month:%Y-%m}", "--dir", str(directory))
    path = directory / f"readings-{month:%Y-%m}.csv.gz"
    if not path.is_file():
        raise SystemExit(f"archive_readings wrote no {path}: {archived['output']}")
    size = path.stat().st_size
    back = run_manage(url, "import_readings", str(path))
    with psycopg.connect(url + DB) as conn:
        again = conn.execute(
            "SELECT count(*) FROM registry_meterreading WHERE period_start >= %s AND period_start < %s",
            [month, month_end(month)],
        ).fetchone()[0]
    return {
        "month": f"{month:%Y-%m}",
        "rows": held,
        "archive_s": archived["seconds"],
        "archive_rate": held / archived["seconds"],
        "archive_mb": archived["maxrss_mb"],
        "bytes": size,
        "bytes_per_reading": size / held,
        "import_s": back["seconds"],
        "import_rate": held / back["seconds"],
        "import_mb": back["maxrss_mb"],
        "rows_back": again,
    }


def pick_flag(conn: psycopg.Connection) -> int:
    """An open connection flag of the last run, UNLICENSED_MINING if there is one: the page a regulator opens."""
    row = conn.execute(
        "SELECT id FROM registry_flag WHERE connection_id IS NOT NULL AND status = 'open'"
        " ORDER BY rule <> 'UNLICENSED_MINING', id LIMIT 1"
    ).fetchone()
    if row is None:
        raise SystemExit("detection raised no connection flag: nothing to chart")
    return row[0]


def window_partitions(url: str) -> list[str]:
    """The partitions a bare aggregate over detection's window reads (from its plan)."""
    with psycopg.connect(url + DB) as conn:
        plan = conn.execute(
            "EXPLAIN SELECT connection_id, count(*), sum(kwh) FROM registry_meterreading"
            " WHERE period_start >= %s AND period_start < %s GROUP BY connection_id",
            [END - dt.timedelta(days=WINDOW_DAYS), END],
        ).fetchall()
    return sorted({word for (line,) in plan for word in line.split() if word.startswith("registry_meterreading_p")})


def load(url: str, connections: int, starts: list[dt.datetime], feed: Path) -> dict:
    """The database, the world, the next day's feed and the history; return the set-up's times."""
    first, last = starts[0], starts[-1]
    setup = {}
    started = time.perf_counter()
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    run_manage(url, "migrate", "--noinput", "-v0")
    with psycopg.connect(url + DB) as conn:
        meters = build_world(conn, connections)
        # The next day's month, made ahead as the monthly beat task does.
        make_partitions(conn, END, END + dt.timedelta(days=1))
        conn.commit()
    setup["world_s"] = time.perf_counter() - started
    print(f"world: {connections:,} connections ({setup['world_s']:.0f} s)", flush=True)
    with psycopg.connect(url + DB) as conn:
        conn.execute("SET work_mem = '1GB'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(
            "CREATE TEMP TABLE bench_connection AS"
            " SELECT id, substr(meter_id, 3)::int - 1 AS idx FROM registry_gridconnection"
        )
        started = time.perf_counter()
        load_month(conn, last, first, as_a_feed=True)
        conn.commit()
        setup["last_month_s"] = time.perf_counter() - started
        print(f"  {last:%Y-%m} loaded in hour order ({setup['last_month_s']:.0f} s)", flush=True)
        started = time.perf_counter()
        for month in starts[:-1]:
            load_month(conn, month, first, as_a_feed=False)
            conn.commit()
            print(f"  {month:%Y-%m} built and attached ({time.perf_counter() - started:.0f} s so far)", flush=True)
        setup["earlier_months_s"] = time.perf_counter() - started
    setup["vacuum_s"] = vacuum_analyze(url)
    setup["day_rows"] = write_next_day(feed, meters, first)
    return setup


def measure(url: str, connections: int, months: int, workdir: Path) -> dict:
    starts = months_back(END, months)
    feed = workdir / "next_day.csv"
    setup = load(url, connections, starts, feed)
    day_rows = setup.pop("day_rows")
    r = {"connections": connections, "months": months, "first": starts[0], "day_rows": day_rows, "setup": setup}
    r["setup_s"] = sum(setup.values())
    print(f"set-up: {r['setup_s'] / 60:.1f} min", flush=True)
    with psycopg.connect(url + DB) as conn:
        r["sizes"] = sizes(conn, starts, starts[-1])
    # The first run writes the flags; the measured ones refresh them, as the daily run does.
    r["first_run"] = json.loads(
        run_manage(url, "detect", "--as-of", END.isoformat(), "--window-days", str(WINDOW_DAYS), "--json")["output"]
    )
    with psycopg.connect(url + DB) as conn:
        r["flag"] = pick_flag(conn)

    attached = {EMPTY: [], MONTH: starts[-1:], YEAR: starts}
    r["detect"] = {MONTH: [], YEAR: []}
    r["import"] = {EMPTY: [], MONTH: [], YEAR: []}
    r["pages"] = {MONTH: [], YEAR: []}
    r["partitions"] = {}
    try:
        for round_ in range(ROUNDS):
            for state in ORDERS[round_ % len(ORDERS)]:
                set_history(url, starts, attached[state])
                if state != EMPTY:
                    r["partitions"][state] = window_partitions(url)
                    r["detect"][state].append(detect(url))
                    r["pages"][state].append(pages(url, r["flag"]))
                r["import"][state].append(import_day(url, feed, day_rows))
                print(
                    f"round {round_ + 1}, {state}: import {r['import'][state][-1]['command_s']:.2f} s"
                    + (f", detection run {r['detect'][state][-1]['run_s']:.2f} s" if state != EMPTY else ""),
                    flush=True,
                )
    finally:
        set_history(url, starts, starts)
    if months > 1:
        r["archive"] = archive_round_trip(url, starts[0], workdir / "archive")
    return r


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def best(runs: list[dict], key: str) -> float:
    return min(run[key] for run in runs)


def report(r: dict) -> bool:
    """Print the table; return whether the archive came back whole."""
    s, n, setup = r["sizes"], r["months"], r["setup"]
    detect, imports, pages = r["detect"], r["import"], r["pages"]
    rows = r["day_rows"]
    print()
    print(
        f"At national scale: {r['connections']:,} connections, {s['rows']:,} readings over {n} months"
        f" ({r['first']:%Y-%m} to {END - dt.timedelta(hours=1):%Y-%m}); detection as of {END:%Y-%m-%d %H:%M} UTC"
        f" over {WINDOW_DAYS} days"
    )
    print(
        f"set-up {r['setup_s'] / 60:.1f} min: database, migrations and world {setup['world_s']:.0f} s;"
        f" last month in hour order {setup['last_month_s']:.0f} s; {n - 1} earlier months"
        f" {setup['earlier_months_s']:.0f} s; VACUUM ANALYZE {setup['vacuum_s']:.0f} s"
    )
    print()
    year = f"{n} months"
    header = f"{'figure':<44} {'empty':>16} {'1 month':>16} {year:>16} {'ratio':>6} {'target':>7} {'':>6}"
    print(header)
    print("-" * len(header))

    def line(name, empty="—", month="—", whole="—", ratio="", target="", mark=""):
        print(f"{name:<44} {empty:>16} {month:>16} {whole:>16} {ratio:>6} {target:>7} {mark:>6}")

    for key, name in (
        ("run_s", "detection run (own duration, best of 3)"),
        ("command_s", "detect command (best of 3)"),
    ):
        a, b = best(detect[MONTH], key), best(detect[YEAR], key)
        line(
            name,
            "",
            f"{a:.2f} s",
            f"{b:.2f} s",
            f"{b / a:.2f}",
            f"≤ {DETECT_TARGET:.2f}",
            verdict(b / a <= DETECT_TARGET),
        )
    line("detect peak memory", "", *(f"{max(x['rss_mb'] for x in detect[k]):.0f} MB" for k in (MONTH, YEAR)))
    for key, name in (
        ("command_s", f"import next day, {rows:,} rows (best of 3)"),
        ("own_s", "  the import's own duration (best of 3)"),
    ):
        seconds = {state: best(imports[state], key) for state in (EMPTY, MONTH, YEAR)}
        cells = [f"{seconds[state]:.2f} s {rows / seconds[state] / 1000:.0f}k/s" for state in (EMPTY, MONTH, YEAR)]
        ratio = seconds[EMPTY] / seconds[YEAR]  # throughput into the year / into the empty registry
        line(name, *cells, f"{ratio:.2f}", f"≥ {IMPORT_TARGET:.2f}", verdict(ratio >= IMPORT_TARGET))
    line("import peak memory", *(f"{max(x['rss_mb'] for x in imports[k]):.0f} MB" for k in (EMPTY, MONTH, YEAR)))
    for name in pages[YEAR][0]:
        a = statistics.median(p[name]["ms"] for p in pages[MONTH])
        b = statistics.median(p[name]["ms"] for p in pages[YEAR])
        line(f"{name} (median of 3)", "", f"{a:.0f} ms", f"{b:.0f} ms", f"{b / a:.2f}")
    print()
    print(
        f"bytes per reading ({n} months): {s['per_reading']:.1f} B (heap {s['heap_per_reading']:.1f} + key"
        f" {s['index_per_reading']:.1f}); {s['bytes'] / 1e9:.2f} GB for {s['rows']:,} readings"
    )
    if s["bulk_per_reading"] is not None:
        print(
            f"  the month loaded in hour order (its key grown by inserts, as a feed grows it): "
            f"{s['feed_per_reading']:.1f}"
            f" B (key {s['feed_index_per_reading']:.1f}); the months built then attached: {s['bulk_per_reading']:.1f}"
            f" B (key {s['bulk_index_per_reading']:.1f})"
        )
    whole = True
    if "archive" in r:
        a = r["archive"]
        whole = a["rows_back"] == a["rows"]
        print(
            f"archive of {a['month']}: {a['rows']:,} readings in {a['archive_s']:.1f} s"
            f" ({a['archive_rate'] / 1000:.0f}k rows/s, {a['archive_mb']:.0f} MB RSS), {a['bytes'] / 1e6:.1f} MB"
            f" gzip = {a['bytes_per_reading']:.2f} B per reading"
        )
        print(
            f"  imported back in {a['import_s']:.1f} s ({a['import_rate'] / 1000:.0f}k rows/s,"
            f" {a['import_mb']:.0f} MB RSS): {a['rows_back']:,} rows, {'matches' if whole else 'DOES NOT MATCH'}"
        )
    print(
        "partitions an aggregate over the window reads: "
        + "; ".join(f"{state}: {', '.join(names)}" for state, names in r["partitions"].items())
    )
    flags = {rule: counts["new"] for rule, counts in r["first_run"]["flags"].items() if counts["new"]}
    print(f"flags written by the first run: {flags}; charted: flag {r['flag']}")
    for state in (MONTH, YEAR):
        print(
            f"runs, {state}: detection {[round(x['run_s'], 2) for x in detect[state]]} s,"
            f" import {[round(x['command_s'], 2) for x in imports[state]]} s"
        )
    print(f"runs, empty: import {[round(x['command_s'], 2) for x in imports[EMPTY]]} s")
    for name, page in pages[YEAR][0].items():
        print(
            f"  {name}, {n} months: {page['queries']} queries, {page['sql_ms']:.0f} ms of SQL, slowest"
            f" {page['slowest_ms']:.0f} ms: {' '.join(page['slowest_sql'].split())[:140]}"
        )
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000, help="Connections (default 10000).")
    parser.add_argument("--months", type=int, default=12, help="Months of hourly history before END (default 12).")
    parser.add_argument("--keep", action="store_true", help=f"Keep the {DB} database afterwards.")
    options = parser.parse_args()
    if options.months < 1:
        parser.error("--months must be at least 1")
    free_gb = check_disk()
    print(f"{free_gb:.0f} GB free on /work", flush=True)
    url = server_url()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_scale_") as workdir:
            result = measure(url, options.connections, options.months, Path(workdir))
    finally:
        if not options.keep:
            with psycopg.connect(url + "postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    if not report(result):
        sys.exit(1)


if __name__ == "__main__":
    main()
