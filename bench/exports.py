#!/usr/bin/env python
"""Benchmark: the readings export against `psql \\copy` of the same rows in the same order, whole commands.

    .venv/bin/python bench/exports.py [--connections 2640] [--runs 5] [--keep]     (also part of `make bench`)

In a database of its own (minereg_bench_exports, recreated each run) it loads
2,640 connections × 30 days of hourly readings across the end of a month (1.9M rows,
the size of the demo registry's feed) with one INSERT … generate_series, then
times, each as a process of its own, from its start to its exit:
- `manage.py export readings --out FILE` (Django's start-up included, as anyone
  running it pays it) for one meter (720 rows), half the days (~1M rows) and
  every row;
- the limit: `psql -c "\\copy (SELECT meter_id, period_start, kwh … the same rows,
  same order) TO FILE WITH CSV"`, PostgreSQL's own CSV of the bare columns.
Both sides are timed `--runs` times, interleaved; the table gives the best of
each (this shared 2-core machine's timings vary by ±20% from one run to the
next) and each process's peak memory (max RSS, from wait4).
Targets (issue #13): export ≥ 0.5 × psql's throughput for the bulk exports;
peak memory flat (< 200 MB) from the smallest export to the largest.

Then the XLSX beside the CSV (issue 15): `manage.py export readings --out FILE.xlsx`
for the cases a sheet can hold (every row, 1.9M, is more than its 1,048,575:
refused, pointing to the CSV), timed `--xlsx-runs` times against the CSV of the
same rows above, with each one's peak memory and size.
"""

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_detect import ROOT, server_url  # noqa: E402
from partitions import make_partitions  # noqa: E402

DB = "minereg_bench_exports"
DAYS = 30
END = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)  # the window spans two months: two partitions, as the demo's does
START = END - dt.timedelta(days=DAYS)
OUT = ROOT / "bench" / "out"
TARGET = 0.5
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, the header's less (registry/exports/xlsx.py)


def load(url: str, connections: int) -> int:
    with psycopg.connect(url + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=_env(url), check=True)
    with psycopg.connect(url + DB, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO registry_gridconnection"
            " (meter_id, operator, consumer_name, consumer_bin, region, address, tariff)"
            " SELECT 'E-' || lpad(i::text, 6, '0'), 'Bench REC', '', '', 'pavlodar', '', 'industrial'"
            " FROM generate_series(1, %s) AS i",
            [connections],
        )
        make_partitions(conn, START, END)
        conn.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT c.id, h, round((random() * 900)::numeric, 3) FROM registry_gridconnection c"
            " CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '1 hour') h",
            [START, END],
        )
        conn.execute("VACUUM ANALYZE")
        return conn.execute("SELECT count(*) FROM registry_meterreading").fetchone()[0]


def _env(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url + DB, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    return env


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Run a command to its exit; return its wall time and its own peak memory (MB).

    GNU time starts it, when there is one: a process forked from this one would count this one's memory
    as its own peak (Linux keeps the larger of the two across exec).
    """
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [gnu_time, "-q", "-f", "%M", "-o", peak.name, *command] if gnu_time else command
        started = time.perf_counter()
        process = subprocess.Popen(wrapped, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{errors.read().decode()}")
        kilobytes = int(peak.read().split()[-1]) if gnu_time else usage.ru_maxrss
    return seconds, kilobytes / 1024


def export(url: str, args: list[str], out: Path) -> tuple[float, float]:
    return timed([sys.executable, "manage.py", "export", "readings", "--out", str(out), *args], _env(url))


def psql_copy(url: str, where: str, out: Path) -> tuple[float, float]:
    query = (
        "SELECT c.meter_id, r.period_start, r.kwh FROM registry_meterreading r"
        f" JOIN registry_gridconnection c ON c.id = r.connection_id WHERE {where}"
        " ORDER BY r.connection_id, r.period_start"
    )
    return timed(["psql", "-X", "-q", url + DB, "-c", f"\\copy ({query}) TO '{out}' WITH (FORMAT csv)"], os.environ)


def rows_in(path: Path, header: bool) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file) - header


def rows_in_xlsx(path: Path) -> int:
    """The data rows of the workbook's one sheet: its <row> elements, the header's less (streamed from the ZIP)."""
    count, tail = 0, b""
    with zipfile.ZipFile(path) as package, package.open("xl/worksheets/sheet1.xml") as sheet:
        while block := sheet.read(1 << 20):
            block = tail + block
            count += block.count(b"<row ")
            tail = block[-4:]  # a "<row " cut in two is counted with the next block, never twice
    return count - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=2_640, help="× 720 hours = readings (default 1.9M)")
    parser.add_argument("--runs", type=int, default=5, help="timings of each side; the best is reported")
    parser.add_argument("--xlsx-runs", type=int, default=3, help="timings of each XLSX export; the best is reported")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB} database")
    parser.add_argument("--reuse", action="store_true", help=f"time the {DB} database kept by --keep; load nothing")
    options = parser.parse_args()
    url = server_url()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if options.reuse:
        with psycopg.connect(url + DB) as conn:
            total = conn.execute("SELECT count(*) FROM registry_meterreading").fetchone()[0]
        print(f"{total:,} readings kept from an earlier run")
    else:
        total = load(url, options.connections)
        print(f"loaded {total:,} readings in {time.perf_counter() - started:.0f} s")

    first = START.date()
    middle = first + dt.timedelta(days=DAYS // 2 - 1)
    day_after = dt.datetime.combine(middle + dt.timedelta(days=1), dt.time(), dt.UTC)
    cases = [  # label, export arguments, the same rows for psql
        ("one meter", ["--meter", "E-000042"], "c.meter_id = 'E-000042'"),
        (
            f"{DAYS // 2} days",
            ["--from", str(first), "--to", str(middle)],
            f"r.period_start >= '{START.isoformat()}' AND r.period_start < '{day_after.isoformat()}'",
        ),
        ("every row", [], "TRUE"),
    ]
    results, csv_bytes = [], {}
    for label, args, where in cases:
        exported, copied = OUT / "export.csv", OUT / "psql.csv"
        export_runs, psql_runs = [], []
        for _ in range(options.runs):
            psql_runs.append(psql_copy(url, where, copied))
            export_runs.append(export(url, args, exported))
        rows = rows_in(exported, header=True)
        if rows != rows_in(copied, header=False):
            raise SystemExit(f"{label}: the export has {rows} rows, psql {rows_in(copied, header=False)}")
        csv_bytes[label] = exported.stat().st_size
        exported.unlink()
        copied.unlink()
        results.append((label, rows, min(psql_runs), min(export_runs), max(mb for _, mb in export_runs)))

    print()
    print(f"Readings export against psql \\copy of the same rows, same order (whole commands, best of {options.runs})")
    print()
    header = (
        f"{'case':>10} {'rows':>10} {'psql':>7} {'export':>7} {'export/psql':>12} {'target':>7}"
        f" {'w/o start-up':>13} {'export rows/s':>14} {'export RSS':>11} {'psql RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    start_up = results[0][3][0]  # the one-meter export: Django's start-up and one small query
    for label, rows, (psql_s, psql_mb), (export_s, _), export_mb in results:
        ratio = psql_s / export_s
        bulk = rows >= 500_000
        verdict = ("met" if ratio >= TARGET else "MISSED") if bulk else ""
        shown, streamed = (f"{ratio:.2f}", f"{psql_s / (export_s - start_up):.2f}") if bulk else ("—", "—")
        print(
            f"{label:>10} {rows:>10,} {psql_s:>6.2f}s {export_s:>6.2f}s {shown:>12} {verdict:>7} {streamed:>13}"
            f" {rows / export_s:>14,.0f} {export_mb:>9.0f}MB {psql_mb:>7.0f}MB"
        )
    print()
    print(
        f"export/psql: the export's throughput as a share of psql's, whole commands (target ≥ {TARGET:.2f} for the"
        " bulk exports). w/o start-up: the same with the one-meter export's time (Django's start-up, about"
        f" {start_up:.1f} s) taken off the export's. RSS: each process's peak (target < 200 MB, flat)."
    )
    xlsx_table(url, cases, results, csv_bytes, options.xlsx_runs)
    if not options.keep:
        with psycopg.connect(url + "postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def xlsx_table(url: str, cases: list, results: list, csv_bytes: dict, runs: int) -> None:
    """Time the XLSX of each case a sheet holds; print it beside the CSV of the same rows."""
    lines = []
    for (label, args, _), (_, rows, _, (csv_s, _), csv_mb) in zip(cases, results, strict=True):
        if rows > XLSX_MAX_ROWS:
            lines.append(f"{label:>10} {rows:>10,}   refused: more rows than a sheet holds (the CSV has them)")
            continue
        out = OUT / "export.xlsx"
        xlsx_runs = [export(url, args, out) for _ in range(runs)]
        if rows_in_xlsx(out) != rows:
            raise SystemExit(f"{label}: the XLSX has {rows_in_xlsx(out)} rows, the CSV {rows}")
        xlsx_mb_on_disk = out.stat().st_size / 1e6
        out.unlink()
        xlsx_s, xlsx_mb = min(xlsx_runs)[0], max(mb for _, mb in xlsx_runs)
        lines.append(
            f"{label:>10} {rows:>10,} {csv_s:>6.2f}s {xlsx_s:>7.2f}s {xlsx_s / csv_s:>10.1f}×"
            f" {rows / xlsx_s:>11,.0f} {csv_mb:>7.0f}MB {xlsx_mb:>7.0f}MB"
            f" {csv_bytes[label] / 1e6:>8.1f}MB {xlsx_mb_on_disk:>8.1f}MB"
        )
    print()
    print(f"The XLSX beside the CSV of the same rows (whole commands; XLSX best of {runs}, CSV as above)")
    print()
    header = (
        f"{'case':>10} {'rows':>10} {'CSV':>7} {'XLSX':>8} {'XLSX/CSV':>11} {'XLSX rows/s':>11}"
        f" {'CSV RSS':>9} {'XLSX RSS':>9} {'CSV size':>10} {'XLSX size':>10}"
    )
    print(header)
    print("-" * len(header))
    print("\n".join(lines))
    print()
    print("RSS: each process's peak (target < 200 MB, flat). An XLSX is written whole (to a temporary file) before")
    print("its first byte goes out: a ZIP is only complete at its end.")


if __name__ == "__main__":
    main()
