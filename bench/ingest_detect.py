#!/usr/bin/env python
"""Benchmark: grid-feed ingestion and detection, against PostgreSQL's own limits, at 1M and 10M readings.

    make bench                      # both sizes
    make bench BENCH_ARGS="--sizes 1"   # only 1M (millions of readings)

It works in a database of its own (`minereg_bench`, recreated each run) on
the configured server (DATABASE_URL, or the embedded one). For each size it
makes N connections × 30 days of hourly readings (10% of the connections
belong to facilities, half of those licensed; 1% are hidden farms), writes
the feed as a contract-format CSV, and measures:

- bare COPY: the same file into an empty table of the same shape with the
  same unique key (carrying kwh, as the readings' key does), streamed from
  Python in raw blocks (as fast as psql);
- import: `manage.py import_readings FILE` into an empty readings table;
- bare aggregate: per-connection count/sum/max over the window, one query;
- detect: `manage.py detect --as-of END --window-days 30`, three times: the
  first writes the flags, the next two refresh them (as the daily run does).
  Two figures: the run itself (its recorded duration: what the daily Celery
  task costs in a worker that is already started) and the whole command
  (plus Python's and Django's start-up, about 0.8 s, whatever the readings);
  best of three on both sides of each ratio, since timings on this machine
  vary by ±20% from one run to the next;
- peak memory (max RSS) of the import and detect processes.

Targets (issues #3 and #12): import ≥ 0.5 × bare COPY throughput; the
detection run ≤ 2.0 × the bare aggregate; both < 300 MB and flat from 1M to 10M readings.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BENCH_DB = "minereg_bench"
DAYS = 30
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
START = END - dt.timedelta(days=DAYS)
MEASURE = ROOT / "bench" / "measure_command.py"
RUNS = 3


def server_url() -> str:
    """A URL for the configured server's `postgres` database (starting the embedded one if needed)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    db = settings.DATABASES["default"]
    host = quote(db.get("HOST") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{quote(db.get('USER') or 'postgres', safe='')}{password}@{host}{port}/"


def run_manage(url: str, *args: str) -> dict:
    """Run a manage.py command in a fresh process; return its wall time and peak memory."""
    env = {**os.environ, "DATABASE_URL": url + BENCH_DB, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, str(MEASURE), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def recreate_database(url: str) -> None:
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    run_manage(url, "migrate", "--noinput", "-v0")


def build_world(conn: psycopg.Connection, connections: int) -> list[str]:
    """Connections, facilities, licences; return the meter ids."""
    conn.execute(
        """
        INSERT INTO registry_gridconnection (meter_id, operator, consumer_name, consumer_bin, region, address, tariff)
        SELECT 'B-' || lpad(i::text, 7, '0'), 'Bench REC', '', '', 'pavlodar', '',
               CASE WHEN i %% 3 = 0 THEN 'residential' WHEN i %% 3 = 1 THEN 'commercial' ELSE 'industrial' END
          FROM generate_series(1, %s) AS i
        """,
        [connections],
    )
    conn.execute(
        "INSERT INTO registry_firm (bin, name, region, address, email, phone, contact_person, origin, verification,"
        " created_at, updated_at)"
        " VALUES ('291417776310', 'Bench Mining LLP', 'pavlodar', '', '', '', '', 'registered', 'verified',"
        " now(), now())"
    )
    # Every tenth connection feeds a facility of its own; half of those facilities are licensed.
    conn.execute(
        """
        INSERT INTO registry_facility (ref, firm_id, name, region, address, capacity_mw, unverified_meter_ids,
                                       created_at, updated_at)
        SELECT 'BF-' || c.meter_id, f.id, 'Bench site', 'pavlodar', '', 5, '{}', now(), now()
          FROM registry_gridconnection c CROSS JOIN registry_firm f
         WHERE substr(c.meter_id, 3)::int % 10 = 0
        """
    )
    conn.execute(
        "INSERT INTO registry_facilityconnection (facility_id, connection_id)"
        " SELECT f.id, c.id FROM registry_facility f JOIN registry_gridconnection c ON f.ref = 'BF-' || c.meter_id"
    )
    conn.execute(
        """
        INSERT INTO registry_licence (number, firm_id, capacity_mw, subtype, valid_from, valid_until, status,
                                      status_reason, created_at, updated_at)
        SELECT 'KZ-DM-2025-' || lpad(f.id::text, 6, '0'), f.firm_id, 5, 'I', '2025-01-01', '2027-12-31', 'active',
               '', now(), now()
          FROM registry_facility f WHERE f.id % 2 = 0
        """
    )
    conn.execute(
        "INSERT INTO registry_licencecoverage (licence_id, facility_id, holds)"
        " SELECT l.id, f.id, true FROM registry_licence l JOIN registry_facility f"
        " ON l.number = 'KZ-DM-2025-' || lpad(f.id::text, 6, '0')"
    )
    return [row[0] for row in conn.execute("SELECT meter_id FROM registry_gridconnection ORDER BY id")]


def bench_kwh(index: int, hour: int) -> float:
    """The kWh of meter number `index` in hour number `hour`: 1% are flat farms of ~0.4 MW, the rest a daily curve."""
    if index % 100 == 7:
        return 400 + (hour * 7 + index) % 9
    return 1 + (hour % 24) * 0.05 * (index % 13) + (hour * 31 + index) % 17 / 10


def write_feed(path: Path, meters: list[str]) -> int:
    """Hourly readings for every meter over the window, in contract CSV; 1% are flat hidden farms."""
    rows = 0
    with path.open("w", buffering=1 << 22) as out:
        out.write("meter_id,period_start,kwh\n")
        for hour in range(DAYS * 24):
            stamp = (START + dt.timedelta(hours=hour)).strftime("%Y-%m-%dT%H:00:00Z")
            lines = [f"{meter},{stamp},{bench_kwh(index, hour):.3f}\n" for index, meter in enumerate(meters)]
            out.write("".join(lines))
            rows += len(lines)
    return rows


def bare_copy(conn: psycopg.Connection, path: Path) -> float:
    conn.execute("DROP TABLE IF EXISTS bench_bare")
    conn.execute("CREATE TABLE bench_bare (meter_id text, period_start timestamptz, kwh numeric(12,3))")
    conn.execute("CREATE UNIQUE INDEX ON bench_bare (meter_id, period_start) INCLUDE (kwh)")
    conn.commit()
    started = time.perf_counter()
    with conn.cursor() as cursor, path.open("rb") as feed:
        with cursor.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while block := feed.read(1 << 20):
                copy.write(block)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.execute("DROP TABLE bench_bare")
    conn.commit()
    return seconds


def bare_aggregate(conn: psycopg.Connection) -> float:
    started = time.perf_counter()
    conn.execute(
        "SELECT connection_id, count(*), sum(kwh), max(kwh) FROM registry_meterreading"
        " WHERE period_start >= %s AND period_start < %s GROUP BY connection_id",
        [START, END],
    ).fetchall()
    return time.perf_counter() - started


def measure(url: str, millions: float) -> dict:
    connections = int(millions * 1_000_000 / (DAYS * 24))
    recreate_database(url)
    OUT.mkdir(parents=True, exist_ok=True)
    feed = OUT / f"readings_{millions:g}M.csv"
    with psycopg.connect(url + BENCH_DB) as conn:
        meters = build_world(conn, connections)
        conn.commit()
        rows = write_feed(feed, meters)
        copy_s = bare_copy(conn, feed)
    imported = run_manage(url, "import_readings", str(feed))
    with psycopg.connect(url + BENCH_DB, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE registry_meterreading")
        bare_aggregate(conn)  # warm the cache, so both measurements below read it warm
        aggregate_s = min(bare_aggregate(conn) for _ in range(RUNS))
    # The first run writes the flags; the reruns refresh them, as the daily run does. Both sides of the ratio
    # are the best of RUNS (this machine's timings vary by ±20% from one run to the next).
    runs = [
        run_manage(url, "detect", "--as-of", END.isoformat(), "--window-days", str(DAYS), "--json") for _ in range(RUNS)
    ]
    run_s = [json.loads(run["output"])["duration_ms"] / 1000 for run in runs]
    feed.unlink()
    return {
        "rows": rows,
        "connections": connections,
        "copy_s": copy_s,
        "import_s": imported["seconds"],
        "import_mb": imported["maxrss_mb"],
        "aggregate_s": aggregate_s,
        "run_first_s": run_s[0],
        "run_s": min(run_s),
        "detect_s": min(run["seconds"] for run in runs),
        "detect_mb": max(run["maxrss_mb"] for run in runs),
        "flags": runs[0]["output"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="Millions of readings, comma-separated (default 1,10).")
    parser.add_argument("--keep", action="store_true", help=f"Keep the {BENCH_DB} database of the last size.")
    options = parser.parse_args()
    sizes = [float(size) for size in options.sizes.split(",")]
    url = server_url()
    results = [measure(url, size) for size in sizes]

    print()
    print("Grid-feed ingestion and detection (2 cores; times are wall-clock seconds)")
    print()
    header = (
        f"{'readings':>10} {'bare COPY':>10} {'import':>8} {'COPY/import':>12} {'import RSS':>11}"
        f" {'bare agg':>9} {'run 1st':>8} {'run':>7} {'run/agg':>8} {'command':>8} {'cmd/agg':>8} {'detect RSS':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['rows']:>10,} {r['copy_s']:>9.2f}s {r['import_s']:>7.2f}s {r['copy_s'] / r['import_s']:>12.2f}"
            f" {r['import_mb']:>9.0f}MB {r['aggregate_s']:>8.2f}s {r['run_first_s']:>7.2f}s {r['run_s']:>6.2f}s"
            f" {r['run_s'] / r['aggregate_s']:>8.2f} {r['detect_s']:>7.2f}s {r['detect_s'] / r['aggregate_s']:>8.2f}"
            f" {r['detect_mb']:>9.0f}MB"
        )
    print()
    print("run: detection's own duration, best of 3 ('1st' writes the flags); command: manage.py detect with start-up")
    print("targets: COPY/import ≥ 0.50 (import at least half COPY's throughput), run/agg ≤ 2.00, RSS < 300 MB")
    for r in results:
        summary = json.loads(r["flags"])
        flags = {rule: counts["new"] for rule, counts in summary["flags"].items() if counts["new"]}
        print(f"flags at {r['rows']:,} readings: {flags}")
    if not options.keep:
        with psycopg.connect(url + "postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
