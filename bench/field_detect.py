#!/usr/bin/env python
"""Benchmark: detection on a realistic grid (bench/fieldgrid), before and after issue 12, in one run.

    make bench-field
    make bench-field BENCH_ARGS="--seeds 11 --before d2f68cd"

For each seed it generates a grid with bench.fieldgrid (about 2,200 connections and 3.2M readings over
60 days; the truth labels stay aside), and for each version of the code, "before" (a git revision checked
out as a worktree in /tmp, removed at the end) and "after" (this working tree), loads the grid into a fresh
PostgreSQL database with that version's own commands and judges it:

    manage.py migrate; import_register DIR; import_readings readings.csv;
    detect --as-of END --window-days 30; export flags --out flags.csv

each in a process of its own with tasks in-process (REDIS_URL unset). After the imports the readings are
VACUUM ANALYZEd, as `make bench` does, so both versions' detect read the same warm, analysed table. Each
flags export is scored by bench.fieldgrid.score: mining sites caught and innocent sites flagged, per kind,
per seed and pooled over the seeds, with issue 12's bars for "done" as PASS/FAIL.

A version whose import_register does not know the grid's topology (the `parent_meter_id` column of
issue 12) gets grid_connections.csv without that column, and the output says so; any other refusal is a
pipeline error, printed as the command wrote it.

Exits 1 if a step of the pipeline failed (the other version's results are still printed); a bar that is
not met is printed, not an error.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fieldgrid import INNOCENT_KINDS, MINING_KINDS, generate  # noqa: E402  (after the path is set)
from bench.fieldgrid.score import score  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
# Every rule whose flag says "mining here without a licence": the contract's two and issue 12's seven.
UNLICENSED_TYPE_RULES = (
    "UNLICENSED_MINING",
    "NO_VALID_LICENCE",
    "HOUSEHOLD_MINING",
    "SPLIT_LOAD",
    "CURTAILED_LOAD",
    "PATCHY_LOAD",
    "BASE_LOAD",
    "LOAD_STEP",
    "ENERGY_BALANCE",
)
TOPOLOGY_COLUMN = "parent_meter_id"
REGISTER_FILES = ("firms.csv", "grid_connections.csv", "facilities.csv", "licences.csv", "declarations.csv")
STEPS = ("migrate", "import_register", "import_readings", "vacuum", "detect", "export")


class StepFailed(Exception):
    def __init__(self, step: str, output: str):
        super().__init__(f"{step} failed")
        self.step = step
        self.output = output


@dataclass
class Version:
    name: str  # "before" or "after"
    label: str  # what the code is: a revision or "working tree"
    tree: Path


@dataclass
class Outcome:
    """One version's run on one seed's grid."""

    seconds: dict[str, float] = field(default_factory=dict)
    detect_run_ms: int | None = None
    new_flags: dict[str, int] = field(default_factory=dict)
    flags_path: Path | None = None
    result: dict | None = None
    notes: list[str] = field(default_factory=list)
    failed: StepFailed | None = None


# --- the database server and the code versions -------------------------------------------------------------


def database_recreate(server: str, name: str) -> str:
    """Drop and create a database on the server; return its URL."""
    with psycopg.connect(server + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server + name


def database_drop(server: str, name: str) -> None:
    with psycopg.connect(server + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def worktree_add(rev: str) -> Path:
    """Check the revision out, detached, in /tmp/minereg-before-<rev> (replacing a stale one)."""
    short = git("rev-parse", "--short", f"{rev}^{{commit}}")
    path = Path(tempfile.gettempdir()) / f"minereg-before-{short}"
    if path.exists():
        worktree_remove(path)
    if path.exists():
        raise SystemExit(f"{path} exists and is not a git worktree of {ROOT}: move it away first")
    git("worktree", "add", "--detach", str(path), short)
    return path


def worktree_remove(path: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)


# --- one version on one grid --------------------------------------------------------------------------------


def manage(version: Version, db_url: str, step: str, *args: str) -> tuple[float, str]:
    """Run the version's manage.py in a process of its own; return its wall time and standard output."""
    env = {**os.environ, "DATABASE_URL": db_url, "DEBUG": "0", "LOG_LEVEL": "WARNING", "LANGUAGE_CODE": "en"}
    env.pop("REDIS_URL", None)
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    started = time.perf_counter()
    done = subprocess.run(
        [python, "manage.py", *args], cwd=version.tree, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise StepFailed(step, (done.stdout + done.stderr).strip())
    return seconds, done.stdout


def register_without_topology(grid: Path, out: Path) -> Path:
    """The register files, with grid_connections.csv lacking the topology column."""
    out.mkdir(parents=True, exist_ok=True)
    for name in REGISTER_FILES:
        if name != "grid_connections.csv":
            shutil.copyfile(grid / name, out / name)
    with (
        open(grid / "grid_connections.csv", encoding="utf-8", newline="") as source,
        open(out / "grid_connections.csv", "w", encoding="utf-8", newline="") as target,
    ):
        reader = csv.DictReader(source)
        columns = [name for name in reader.fieldnames if name != TOPOLOGY_COLUMN]
        writer = csv.DictWriter(target, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(reader)
    return out


def refuses_topology(output: str) -> bool:
    """Whether an import_register refusal names the topology column as unknown.

    The facilities, licences and declarations that refer to the refused connections are refused with them;
    the import without the column shows whether anything else is wrong.
    """
    return any(line.endswith(f": {TOPOLOGY_COLUMN}: unknown column") for line in output.splitlines())


def register_load(version: Version, db_url: str, grid: Path, work: Path, outcome: Outcome) -> float:
    try:
        seconds, __ = manage(version, db_url, "import_register", "import_register", str(grid))
        return seconds
    except StepFailed as failed:
        if not refuses_topology(failed.output):
            raise
    outcome.notes.append(
        f"import_register refused `{TOPOLOGY_COLUMN}` (unknown column): imported grid_connections.csv without it,"
        " so this run has no grid topology"
    )
    plain = register_without_topology(grid, work / f"register-{version.name}")
    seconds, __ = manage(version, db_url, "import_register", "import_register", str(plain))
    return seconds


def version_run(version: Version, server: str, seed: int, grid: Path, work: Path, end: str, window_days: int):
    """Load the grid into a fresh database with the version's commands, detect, export and score the flags."""
    outcome = Outcome()
    db_name = f"bench_field_{version.name}_{seed}"
    db_url = database_recreate(server, db_name)
    try:
        outcome.seconds["migrate"], __ = manage(version, db_url, "migrate", "migrate", "--noinput", "-v0")
        outcome.seconds["import_register"] = register_load(version, db_url, grid, work, outcome)
        outcome.seconds["import_readings"], __ = manage(
            version, db_url, "import_readings", "import_readings", str(grid / "readings.csv")
        )
        started = time.perf_counter()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        outcome.seconds["vacuum"] = time.perf_counter() - started
        outcome.seconds["detect"], printed = manage(
            version, db_url, "detect", "detect", "--as-of", end, "--window-days", str(window_days), "--json"
        )
        try:
            summary = json.loads(printed)
        except ValueError:
            raise StepFailed("detect", f"detect --json printed no JSON:\n{printed}") from None
        outcome.detect_run_ms = summary.get("duration_ms")
        outcome.new_flags = {rule: n["new"] for rule, n in summary.get("flags", {}).items() if n.get("new")}
        outcome.flags_path = work / f"flags-{version.name}.csv"
        outcome.seconds["export"], __ = manage(
            version, db_url, "export", "export", "flags", "--out", str(outcome.flags_path)
        )
    except StepFailed as failed:
        outcome.failed = failed
        return outcome, db_name
    outcome.result = score(grid / "truth.csv", outcome.flags_path, rules=UNLICENSED_TYPE_RULES)
    return outcome, db_name


# --- pooling the seeds --------------------------------------------------------------------------------------


def _rewrite(source: Path, target: Path, prefix: str, columns: dict[str, str]) -> None:
    """Append source's rows to target, prefixing the named columns' values ("ref" or ";"-joined "refs")."""
    with open(source, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames)
        rows = list(reader)
    for row in rows:
        for column, how in columns.items():
            value = row.get(column) or ""
            if how == "ref":
                row[column] = prefix + value if value else ""
            else:
                row[column] = ";".join(prefix + ref for ref in value.split(";") if ref)
    new = not target.exists()
    if not new:
        with open(target, encoding="utf-8", newline="") as handle:
            fieldnames = next(csv.reader(handle))
    with open(target, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames, extrasaction="ignore", restval="", lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerows(rows)


def pooled_score(parts: list[tuple[int, Path, Path]], out: Path) -> dict:
    """Score several seeds as one grid: every id prefixed with its seed, scored by the same function."""
    out.mkdir(parents=True, exist_ok=True)
    flags_fields = ["rule", "status", "subject_type", "subject_ref", "meter_ids"]
    with open(out / "flags.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(flags_fields)
    for seed, grid, flags in parts:
        prefix = f"s{seed}:"
        _rewrite(grid / "truth.csv", out / "truth.csv", prefix, {"meter_id": "ref", "site_id": "ref"})
        _rewrite(
            grid / "grid_connections.csv",
            out / "grid_connections.csv",
            prefix,
            {"meter_id": "ref", TOPOLOGY_COLUMN: "ref"},
        )
        _rewrite(grid / "facilities.csv", out / "facilities.csv", prefix, {"ref": "ref", "meter_ids": "refs"})
        _rewrite(flags, out / "flags.csv", prefix, {"subject_ref": "ref", "meter_ids": "refs"})
    return score(out / "truth.csv", out / "flags.csv", rules=UNLICENSED_TYPE_RULES)


# --- the tables ---------------------------------------------------------------------------------------------


def _cell(result: dict | None, kind: str) -> str:
    if result is None:
        return "—"
    row = result["kinds"].get(kind)
    if row is None:
        return "—"
    farm_below = row.get("farm_below")
    return f"{row['flagged']} ({farm_below} over a farm)" if farm_below else str(row["flagged"])


def _sites(results: list[dict | None], kind: str) -> str:
    for result in results:
        if result is not None and kind in result["kinds"]:
            return str(result["kinds"][kind]["sites"])
    return "—"


def tables(before: dict | None, after: dict | None) -> str:
    results = [before, after]
    lines = ["| how the farm hides | sites | caught before | caught after |", "|---|---:|---:|---:|"]
    for kind in MINING_KINDS:
        lines.append(f"| {kind} | {_sites(results, kind)} | {_cell(before, kind)} | {_cell(after, kind)} |")

    def caught(result):
        return "—" if result is None else str(result["caught"])

    mining = next((str(r["mining_sites"]) for r in results if r is not None), "—")
    lines.append(f"| **all mining sites** | {mining} | {caught(before)} | {caught(after)} |")
    lines += ["", "| innocent kind | sites | flagged before | flagged after |", "|---|---:|---:|---:|"]
    for kind in INNOCENT_KINDS:
        lines.append(f"| {kind} | {_sites(results, kind)} | {_cell(before, kind)} | {_cell(after, kind)} |")

    def figure(result, name):
        if result is None:
            return "—"
        if name == "recall":
            return f"{result['caught']}/{result['mining_sites']} = {result['recall']:.2f}"
        if name == "precision":
            return f"{result['caught']}/{result['flagged_sites']} = {result['precision']:.2f}"
        return f"{result['precision_without_data_centres']:.2f}"

    lines += ["", "| | before | after |", "|---|---|---|"]
    for name, label in (
        ("recall", "recall"),
        ("precision", "precision"),
        ("precision_without_data_centres", "precision without data centres"),
    ):
        lines.append(f"| {label} | {figure(before, name)} | {figure(after, name)} |")
    checks = next((list(r["checks"]) for r in results if r is not None), [])
    for check in checks:
        verdicts = ["—" if r is None else ("PASS" if r["checks"][check] else "FAIL") for r in results]
        lines.append(f"| bar: {check} | {verdicts[0]} | {verdicts[1]} |")
    return "\n".join(lines)


def steps_table(outcomes: dict[str, Outcome]) -> str:
    lines = ["| step (s) | " + " | ".join(outcomes) + " |", "|---|" + "---:|" * len(outcomes)]
    for step in STEPS:
        cells = [f"{o.seconds[step]:.1f}" if step in o.seconds else "—" for o in outcomes.values()]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speed_line(outcomes: dict[str, Outcome]) -> str:
    parts = []
    for name, outcome in outcomes.items():
        if "detect" in outcome.seconds:
            run = f" (run {outcome.detect_run_ms / 1000:.1f} s)" if outcome.detect_run_ms is not None else ""
            parts.append(f"{name} {outcome.seconds['detect']:.1f} s{run}")
        else:
            parts.append(f"{name} —")
    seconds = [o.seconds.get("detect") for o in outcomes.values()]
    ratio = f"; after/before {seconds[1] / seconds[0]:.2f}" if None not in seconds and len(seconds) == 2 else ""
    return "detect: " + ", ".join(parts) + ratio


def report_seed(seed: int, summary: dict, outcomes: dict[str, Outcome], versions: dict[str, Version]) -> None:
    print(
        f"\n## Seed {seed}: {summary['connections']:,} connections, {summary['readings']:,} readings,"
        f" {summary['mining_sites']} mining sites; as of {summary['end']}\n"
    )
    for name, outcome in outcomes.items():
        print(f"- {name} ({versions[name].label}):", end=" ")
        if outcome.failed:
            print(f"FAILED at {outcome.failed.step}")
        else:
            flags = ", ".join(f"{rule} {n}" for rule, n in sorted(outcome.new_flags.items())) or "none"
            print(f"flags {flags}")
        for note in outcome.notes:
            print(f"  - note: {note}")
    print()
    print(tables(outcomes["before"].result, outcomes["after"].result))
    print()
    print(steps_table(outcomes))
    print()
    print(speed_line(outcomes))
    for name, outcome in outcomes.items():
        if outcome.failed:
            tail = "\n".join(outcome.failed.output.splitlines()[-40:])
            print(f"\n{name} ({versions[name].label}) failed at {outcome.failed.step}:\n```\n{tail}\n```")


# --- the run ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="11,12", help="grid seeds, comma-separated (default 11,12)")
    parser.add_argument("--days", type=int, default=60, help="days of readings before --end (default 60)")
    parser.add_argument("--end", default="2026-11-01T00:00:00Z", help="the grid's end and detect's --as-of")
    parser.add_argument("--scale", type=float, default=1.0, help="the generator's scale (default 1.0)")
    parser.add_argument("--window-days", type=int, default=30, help="detect's window (default 30)")
    parser.add_argument("--before", default="d2f68cd", help="git revision of the code before (default d2f68cd)")
    parser.add_argument(
        "--server", default="postgresql://postgres@127.0.0.1:5432/", help="PostgreSQL server URL, ending in /"
    )
    parser.add_argument("--keep", action="store_true", help="keep the grids, flags and databases (paths printed)")
    options = parser.parse_args()
    seeds = [int(seed) for seed in options.seeds.split(",") if seed.strip()]
    server = options.server if options.server.endswith("/") else options.server + "/"

    work_root = Path(tempfile.mkdtemp(prefix="minereg-field-"))
    before_tree = worktree_add(options.before)
    versions = {
        "before": Version("before", options.before, before_tree),
        "after": Version("after", "working tree", ROOT),
    }
    print(f"# Detection on the field grid: before = {options.before}, after = the working tree of {ROOT}")
    print(f"window {options.window_days} days; unlicensed-type rules: {', '.join(UNLICENSED_TYPE_RULES)}")
    databases: list[str] = []
    runs: dict[int, tuple[Path, dict[str, Outcome]]] = {}
    try:
        for seed in seeds:
            work = work_root / f"seed-{seed}"
            grid = work / "grid"
            started = time.perf_counter()
            summary = generate(grid, seed=seed, days=options.days, end=options.end, scale=options.scale)
            print(f"\nseed {seed}: grid generated in {time.perf_counter() - started:.0f} s", flush=True)
            outcomes: dict[str, Outcome] = {}
            for name, version in versions.items():
                outcome, db_name = version_run(version, server, seed, grid, work, summary["end"], options.window_days)
                databases.append(db_name)
                outcomes[name] = outcome
                status = f"failed at {outcome.failed.step}" if outcome.failed else "done"
                print(f"seed {seed}: {name} {status} in {sum(outcome.seconds.values()):.0f} s", flush=True)
            runs[seed] = (grid, outcomes)
            report_seed(seed, summary, outcomes, versions)

        if len(seeds) > 1:
            print(f"\n## All seeds pooled ({', '.join(map(str, seeds))})\n")
            pooled = {}
            for name in versions:
                parts = [(seed, grid, o[name].flags_path) for seed, (grid, o) in runs.items()]
                complete = all(o[name].result is not None for __, o in runs.values())
                pooled[name] = pooled_score(parts, work_root / f"pooled-{name}") if complete else None
            print(tables(pooled["before"], pooled["after"]))
            print()
            for name in versions:
                # Pooling can hide a seed that misses a bar (a kind of hiding at 5/8 on one seed, 7/8 on the other).
                missed = [
                    f"{check} (seed {seed})"
                    for seed, (__, o) in runs.items()
                    if o[name].result is not None
                    for check, ok in o[name].result["checks"].items()
                    if not ok
                ]
                print(f"- bars missed on a single seed, {name}: {'; '.join(missed) or 'none'}")
            for name in versions:
                detect = [o[name].seconds.get("detect") for __, o in runs.values()]
                total = "—" if None in detect else f"{sum(detect):.1f} s"
                print(f"- detect, {name}, all seeds: {total}")
    finally:
        worktree_remove(before_tree)
        if options.keep:
            print(f"\nkept: {work_root} and databases {', '.join(databases)} on {server}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)
            for name in databases:
                database_drop(server, name)
    failed = [(seed, name) for seed, (__, o) in runs.items() for name in o if o[name].failed]
    return 1 if failed or len(runs) < len(seeds) else 0


if __name__ == "__main__":
    raise SystemExit(main())
