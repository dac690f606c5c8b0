#!/usr/bin/env python
"""Benchmark: loading N corrected hours against loading N new hours, at N = 100k (issue 15).

    .venv/bin/python bench/corrections.py [--sizes 100000] [--runs 3] [--keep]     (also part of `make bench`)

In a database of its own (minereg_bench_corrections, recreated each run) it
writes two contract-format CSV files of N readings each, 1,000 connections ×
N/1,000 hours: the feed, and the same hours with every value changed (a grid
company resending corrected days). Then, `--runs` times, from empty readings,
corrections and audit tables:
- new: `manage.py import_readings FEED` (every hour new: COPY straight in);
- corrected: `manage.py import_readings CORRECTED` (every hour stored with
  another value: staged, merged, N corrections recorded).
Both are whole commands, each a process of its own, timed from start to exit
(Django's start-up included, as bench/ingest_detect.py times the import, and as
anyone running the command or waiting on the API pays it); the table gives the
best of each side's runs. It also gives the load alone (the import's recorded
start to finish, before the commit), where corrections stay near a third of new
hours: a correction writes the reading's new version and its own record, a new
hour only the reading.
Target (issue 15): corrected/new ≥ 0.5 at N = 100k, the rate of corrections at
least half that of new hours. Several sizes (`--sizes 9000,44000,88000`) show
whether the time grows with N or faster.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_detect import MEASURE, ROOT, bench_kwh, server_url  # noqa: E402
from partitions import make_partitions  # noqa: E402

DB = "minereg_bench_corrections"
CONNECTIONS = 1_000
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
OUT = ROOT / "bench" / "out"
TARGET = 0.5
# What one import leaves behind; emptied before every run, so each measures the same work.
TABLES = (
    "registry_meterreading",
    "registry_readingcorrection",
    "registry_readingimport",
    "registry_readingimportevent",
    "pghistory_context",
)


def _env(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url + DB, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    return env


def manage(url: str, *args: str) -> dict:
    """Run a manage.py command in a process of its own; return its wall time, peak memory and output."""
    done = subprocess.run(
        [sys.executable, str(MEASURE), *args], cwd=ROOT, env=_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(url: str) -> None:
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    manage(url, "migrate", "--noinput", "-v0")
    with psycopg.connect(url + DB, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO registry_gridconnection"
            " (meter_id, operator, consumer_name, consumer_bin, region, address, tariff)"
            " SELECT 'C-' || lpad(i::text, 6, '0'), 'Bench REC', '', '', 'pavlodar', '', 'industrial'"
            " FROM generate_series(1, %s) AS i",
            [CONNECTIONS],
        )


def write_feeds(rows: int) -> tuple[Path, Path, int]:
    """The feed of `rows` new hours and the same hours corrected (every value changed)."""
    hours = max(rows // CONNECTIONS, 1)
    meters = [f"C-{index:06d}" for index in range(1, CONNECTIONS + 1)]
    feed, corrected = OUT / f"corrections_feed_{rows}.csv", OUT / f"corrections_corrected_{rows}.csv"
    with feed.open("w", buffering=1 << 22) as new, corrected.open("w", buffering=1 << 22) as changed:
        new.write("meter_id,period_start,kwh\n")
        changed.write("meter_id,period_start,kwh\n")
        for hour in range(hours):
            stamp = (START + dt.timedelta(hours=hour)).strftime("%Y-%m-%dT%H:00:00Z")
            new.write("".join(f"{m},{stamp},{bench_kwh(i, hour):.3f}\n" for i, m in enumerate(meters)))
            changed.write("".join(f"{m},{stamp},{bench_kwh(i, hour) + 0.5:.3f}\n" for i, m in enumerate(meters)))
    return feed, corrected, hours * CONNECTIONS


def empty(url: str, hours: int) -> None:
    """Empty what an import leaves behind; keep the month's partition, as a running registry has it."""
    with psycopg.connect(url + DB, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        make_partitions(conn, START, START + dt.timedelta(hours=hours))
        conn.execute("VACUUM ANALYZE")


def import_readings(url: str, path: Path, *, inserted: int, corrected: int) -> tuple[float, float]:
    """Import a file; return the command's wall time and the load's own (the import's recorded duration)."""
    run = manage(url, "import_readings", str(path))
    with psycopg.connect(url + DB) as conn:
        own, counts = conn.execute(
            "SELECT extract(epoch FROM finished_at - started_at), (inserted, corrected)::text"
            " FROM registry_readingimport ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if counts != f"({inserted},{corrected})":
        raise SystemExit(f"import_readings {path.name}: (inserted, corrected) = {counts}, not ({inserted},{corrected})")
    return run["seconds"], float(own)


def measure(url: str, rows: int, runs: int) -> dict:
    feed, corrected, rows = write_feeds(rows)
    hours = rows // CONNECTIONS
    new_runs, corrected_runs = [], []
    for _ in range(runs):
        empty(url, hours)
        new_runs.append(import_readings(url, feed, inserted=rows, corrected=0))
        corrected_runs.append(import_readings(url, corrected, inserted=0, corrected=rows))
    feed.unlink()
    corrected.unlink()
    return {
        "rows": rows,
        "new_cmd": min(run[0] for run in new_runs),
        "new_own": min(run[1] for run in new_runs),
        "corrected_cmd": min(run[0] for run in corrected_runs),
        "corrected_own": min(run[1] for run in corrected_runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000", help="readings per file, comma-separated (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timings of each side; the best is reported")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB} database")
    options = parser.parse_args()
    url = server_url()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepare(url)
    results = [measure(url, int(size), options.runs) for size in options.sizes.split(",")]

    print()
    print(f"Corrected hours against new hours, {CONNECTIONS:,} connections (2 cores; wall-clock seconds, best of")
    print(f"{options.runs}; new, corrected: manage.py import_readings with its start-up; load: the import alone)")
    print()
    header = (
        f"{'readings':>10} {'new':>7} {'corrected':>10} {'corrected/new':>14} {'corrections/s':>14}"
        f" {'new load':>9} {'corr. load':>11} {'load ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['rows']:>10,} {r['new_cmd']:>6.2f}s {r['corrected_cmd']:>9.2f}s"
            f" {r['new_cmd'] / r['corrected_cmd']:>14.2f} {r['rows'] / r['corrected_cmd']:>14,.0f}"
            f" {r['new_own']:>8.2f}s {r['corrected_own']:>10.2f}s {r['new_own'] / r['corrected_own']:>11.2f}"
        )
    print()
    print(f"corrected/new: the rate of corrections over that of new hours; target ≥ {TARGET:.2f} at 100,000")
    print(f"(whole bench {time.perf_counter() - started:.0f} s)")
    if not options.keep:
        with psycopg.connect(url + "postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
