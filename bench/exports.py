#!/usr/bin/env python
"""Benchmark: the readings export against PostgreSQL's own COPY, and its memory from 10k to 5M rows.

    .venv/bin/python bench/exports.py          (also part of `make bench`)

In a database of its own (recreated each run) it loads 7,000 connections ×
30 days of hourly readings (5.04M rows) with one INSERT … generate_series,
then measures, each in a fresh process:
- `manage.py export readings` for one meter (720 rows), ~1M rows (6 days) and
  all 5.04M rows: wall time, rows/s and peak memory (max RSS);
- the bare limit: `COPY (SELECT meter_id, period_start, kwh … same rows, same
  order) TO STDOUT WITH CSV`, streamed to /dev/null from Python.
Targets (issue #6): export ≥ 0.5 × COPY's throughput at 1M rows; peak memory
< 200 MB from the smallest export to 5M rows.
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_detect import BENCH_DB, ROOT, run_manage, server_url  # noqa: E402

CONNECTIONS = 7_000
DAYS = 30
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
START = END - dt.timedelta(days=DAYS)


def load(url: str) -> None:
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    run_manage(url, "migrate", "--noinput", "-v0")
    with psycopg.connect(url + BENCH_DB, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO registry_gridconnection"
            " (meter_id, operator, consumer_name, consumer_bin, region, address, tariff)"
            " SELECT 'E-' || lpad(i::text, 6, '0'), 'Bench REC', '', '', 'pavlodar', '', 'industrial'"
            " FROM generate_series(1, %s) AS i",
            [CONNECTIONS],
        )
        conn.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT c.id, h, round((random() * 900)::numeric, 3) FROM registry_gridconnection c"
            " CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '1 hour') h",
            [START, END],
        )
        conn.execute("VACUUM ANALYZE registry_meterreading")


def export(url: str, *args: str) -> dict:
    out = ROOT / "bench" / "out" / "export.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = run_manage(url, "export", "readings", "--out", str(out), *args)
    result["rows"] = sum(1 for _ in out.open("rb")) - 1
    out.unlink()
    return result


def bare_copy(url: str, date_from, date_to, meter: str | None) -> float:
    where, params = ["TRUE"], []
    if date_from:
        where.append("r.period_start >= %s AND r.period_start < %s")
        params += [
            dt.datetime.combine(date_from, dt.time(), dt.UTC),
            dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.UTC),
        ]
    if meter:
        where.append("c.meter_id = %s")
        params.append(meter)
    sql = (
        "COPY (SELECT c.meter_id, r.period_start, r.kwh FROM registry_meterreading r"
        " JOIN registry_gridconnection c ON c.id = r.connection_id"
        f" WHERE {' AND '.join(where)} ORDER BY r.connection_id, r.period_start) TO STDOUT WITH (FORMAT csv)"
    )
    with psycopg.connect(url + BENCH_DB) as conn, conn.cursor() as cursor, open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        with cursor.copy(sql, params) as copy:
            for block in copy:
                sink.write(block)
        return time.perf_counter() - started


def main() -> None:
    url = server_url()
    started = time.perf_counter()
    load(url)
    print(f"loaded {CONNECTIONS * DAYS * 24:,} readings in {time.perf_counter() - started:.0f} s")
    first, last = (START + dt.timedelta(days=10)).date(), (START + dt.timedelta(days=15)).date()
    cases = [  # label, export arguments, (from, to, meter) for the bare COPY of the same rows
        ("one meter", ["--meter", "E-000042"], (None, None, "E-000042")),
        ("~1M rows", ["--from", str(first), "--to", str(last)], (first, last, None)),
        ("all rows", [], (None, None, None)),
    ]
    rows_out = [(label, export(url, *args), bare_copy(url, *same)) for label, args, same in cases]
    print()
    print("Readings export against PostgreSQL COPY (2 cores; whole command, Django start-up included)")
    print()
    header = (
        f"{'case':>10} {'rows':>10} {'COPY':>8} {'export':>8} {'export/COPY':>12}"
        f" {'export rows/s':>14} {'export RSS':>11}"
    )
    print(header)
    print("-" * len(header))
    for label, exported, copy_s in rows_out:
        print(
            f"{label:>10} {exported['rows']:>10,} {copy_s:>7.2f}s {exported['seconds']:>7.2f}s"
            f" {copy_s / exported['seconds']:>12.2f} {exported['rows'] / exported['seconds']:>14,.0f}"
            f" {exported['maxrss_mb']:>9.0f}MB"
        )
    print()
    print("targets: export/COPY ≥ 0.50 at ~1M rows (throughput ratio), RSS < 200 MB at every size")
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
