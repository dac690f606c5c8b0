"""Per-kind statistics of a generated grid, to check the profiles look like what they claim to be.

    python -m bench.fieldgrid.stats /tmp/fieldgrid [--window-days 30]

Over the last `window-days` before the grid's end, per site (a site's meters summed per hour, like the
contract's facility sums; a bypass farm measured as its transformer's excess over its children): coverage,
average MW, load factor, the median hour-to-hour change |ΔP|/P̄ over consecutive hours present, and the
median per-kind of these. Then the transformer energy balance: parent / Σ children - 1 over hours where
the parent and every child reported.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
from collections import defaultdict
from pathlib import Path

from .generator import KINDS, MINING_KINDS, parse_end


def _load(out: Path, window_days: int, end: dt.datetime | None = None):
    truth = {}
    with open(out / "truth.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[row["meter_id"]] = row
    parent = {}
    with open(out / "grid_connections.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parent[row["meter_id"]] = row["parent_meter_id"]
    if end is None:
        # The file ends with a transformer's rows in time order: the latest stamp near the end is the last hour.
        with open(out / "readings.csv", "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - 65536))
            tail = handle.read().decode().splitlines()[1:]
        last = max(line.split(",")[1] for line in tail if line.count(",") == 2 and "T" in line)
        end = dt.datetime.fromisoformat(last.replace("Z", "+00:00")) + dt.timedelta(hours=1)
    hours = window_days * 24
    start = end - dt.timedelta(hours=hours)
    index = {(start + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"): h for h in range(hours)}
    series: dict[str, list[float | None]] = defaultdict(lambda: [None] * hours)
    with open(out / "readings.csv", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for meter_id, stamp, kwh in reader:
            h = index.get(stamp)
            if h is not None:
                series[meter_id][h] = float(kwh)
    return truth, parent, series, hours, start


def metrics(values: list[float | None], hours: int) -> dict:
    present = [v for v in values if v is not None]
    if not present:
        return {"coverage": 0.0, "avg_mw": 0.0, "load_factor": 0.0, "step": 0.0}
    avg = sum(present) / len(present)
    peak = max(present)
    steps = [abs(b - a) for a, b in zip(values, values[1:], strict=False) if a is not None and b is not None]
    return {
        "coverage": len(present) / hours,
        "avg_mw": avg / 1000,
        "load_factor": avg / peak if peak else 0.0,
        "step": statistics.median(steps) / avg if steps and avg else 0.0,
    }


def summarise(out: str | Path, window_days: int = 30, end: str | None = None) -> dict:
    out = Path(out)
    truth, parent, series, hours, start = _load(out, window_days, parse_end(end) if end else None)
    children: dict[str, list[str]] = defaultdict(list)
    for meter_id, up in parent.items():
        if up:
            children[up].append(meter_id)
    sites: dict[str, list[str]] = defaultdict(list)
    kind_of = {}
    for meter_id, row in truth.items():
        sites[row["site_id"]].append(meter_id)
        kind_of[row["site_id"]] = row["kind"]
    per_kind: dict[str, list[dict]] = defaultdict(list)
    balance: dict[str, list[float]] = defaultdict(list)
    for site_id, meters in sites.items():
        kind = kind_of[site_id]
        if kind in ("transformer", "bypass_farm"):
            tp = meters[0]
            kids = children[tp]
            excess: list[float | None] = []
            parent_sum = child_sum = 0.0
            for h in range(hours):
                up = series[tp][h]
                below = [series[k][h] for k in kids]
                if up is None or any(v is None for v in below):
                    excess.append(None)
                    continue
                parent_sum += up
                child_sum += sum(below)
                excess.append(up - sum(below))
            if child_sum:
                balance[kind].append(parent_sum / child_sum - 1)
            if kind == "bypass_farm":
                per_kind[kind].append(metrics(excess, hours))
            else:
                per_kind[kind].append(metrics(series[tp], hours))
            continue
        summed: list[float | None] = []
        for h in range(hours):
            values = [series[m][h] for m in meters if series[m][h] is not None]
            summed.append(sum(values) if values else None)
        per_kind[kind].append(metrics(summed, hours))
    table = {}
    for kind in KINDS:
        rows = per_kind.get(kind, [])
        if not rows:
            continue
        table[kind] = {
            "sites": len(rows),
            **{key: statistics.median(r[key] for r in rows) for key in ("avg_mw", "load_factor", "step", "coverage")},
            "avg_mw_range": (min(r["avg_mw"] for r in rows), max(r["avg_mw"] for r in rows)),
            "lf_range": (min(r["load_factor"] for r in rows), max(r["load_factor"] for r in rows)),
            "step_range": (min(r["step"] for r in rows), max(r["step"] for r in rows)),
        }
    return {"window_start": start.isoformat(), "kinds": table, "balance": dict(balance)}


def render(summary: dict) -> str:
    lines = [
        f"window from {summary['window_start']}",
        "",
        "| kind | mining | sites | avg MW (median; min-max) | load factor (median; min-max) "
        "| hour-to-hour |ΔP|/P̄ (median; min-max) | coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, row in summary["kinds"].items():
        lo, hi = row["avg_mw_range"]
        lf_lo, lf_hi = row["lf_range"]
        st_lo, st_hi = row["step_range"]
        lines.append(
            f"| {kind} | {'yes' if kind in MINING_KINDS else 'no'} | {row['sites']} "
            f"| {row['avg_mw']:.4f}; {lo:.4f}-{hi:.3f} | {row['load_factor']:.2f}; {lf_lo:.2f}-{lf_hi:.2f} "
            f"| {row['step']:.2%}; {st_lo:.2%}-{st_hi:.2%} | {row['coverage']:.2f} |"
        )
    lines.append("")
    for kind, values in summary["balance"].items():
        values = sorted(values)
        lines.append(
            f"energy balance, {kind}: parent/Σchildren - 1 over complete hours: "
            f"median {statistics.median(values):.1%}, min {values[0]:.1%}, max {values[-1]:.1%} "
            f"({len(values)} transformers)"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fieldgrid.stats", description=__doc__)
    parser.add_argument("out", help="a generated grid's directory")
    parser.add_argument("--window-days", type=int, default=30)
    parser.add_argument("--end", help="the grid's end (default: the last hour in readings.csv + 1 h)")
    args = parser.parse_args(argv)
    print(render(summarise(args.out, args.window_days, args.end)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
