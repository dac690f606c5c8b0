"""Score a flags export against a generated grid's truth: sites caught and innocent sites flagged, per kind.

    python -m bench.fieldgrid.score --truth /tmp/fieldgrid/truth.csv --flags flags.csv [--rules CODE,CODE]

A site is *flagged* when any of its meters (for a bypass_farm: its transformer meter) is named in a flag
of an unlicensed-type rule: UNLICENSED_MINING, NO_VALID_LICENCE, and every code given with --rules.
Licensing rules (OVER_CAPACITY, UNDER_DECLARED, MISSING_DECLARATION, RELATED_PARTY) never count.

The meters a flag names are its `meter_ids` column (`;`-joined). When that is empty or missing (older
exports), a `connection` flag names its subject_ref and a `facility` flag the facility's meters (from
facilities.csv next to truth.csv, or --facilities). A flag that names a meter *and* the meter upstream
of it (an energy balance flag naming a transformer and its children) names the upstream one only: the
children are its evidence, not its accusation. Dismissed flags are left out unless --include-dismissed.

Recall is mining sites caught / mining sites. Precision is flagged sites that are mining / flagged sites,
where a transformer whose children include a mining site is neutral (flagging it duplicates the farm below
it, it accuses no innocent) and is left out of both counts; it is also given without the data centres,
which load alone cannot tell from mining.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

from .generator import INNOCENT_KINDS, MINING_KINDS

UNLICENSED_RULES = ("UNLICENSED_MINING", "NO_VALID_LICENCE")
LICENSING_RULES = ("OVER_CAPACITY", "UNDER_DECLARED", "MISSING_DECLARATION", "RELATED_PARTY")
# The bar for "done": see issue 12.
NEVER_FLAGGED = ("household", "commercial", "licensed_miner", "transformer")


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def score(
    truth_path: str | Path,
    flags_path: str | Path,
    *,
    rules: tuple[str, ...] = (),
    grid_path: str | Path | None = None,
    facilities_path: str | Path | None = None,
    include_dismissed: bool = False,
) -> dict:
    truth_path = Path(truth_path)
    grid_path = Path(grid_path) if grid_path else truth_path.with_name("grid_connections.csv")
    facilities_path = Path(facilities_path) if facilities_path else truth_path.with_name("facilities.csv")
    truth = {row["meter_id"]: row for row in _read(truth_path)}
    parent = {row["meter_id"]: row.get("parent_meter_id", "") for row in _read(grid_path)} if grid_path.exists() else {}
    facility_meters = (
        {row["ref"]: [m for m in row["meter_ids"].split(";") if m] for row in _read(facilities_path)}
        if facilities_path.exists()
        else {}
    )
    counted = set(UNLICENSED_RULES) | {r.strip() for r in rules if r.strip()}

    site_kind: dict[str, str] = {}
    site_mining: dict[str, bool] = {}
    for row in truth.values():
        site_kind[row["site_id"]] = row["kind"]
        site_mining[row["site_id"]] = row["is_mining"].strip().lower() == "true"
    children: dict[str, list[str]] = defaultdict(list)
    for meter_id, up in parent.items():
        if up:
            children[up].append(meter_id)

    flagged: dict[str, set[str]] = defaultdict(set)  # site -> rules
    unknown_meters: set[str] = set()
    unmapped = 0
    used = 0
    for flag in _read(Path(flags_path)):
        if flag.get("rule") not in counted:
            continue
        if not include_dismissed and flag.get("status", "") == "dismissed":
            continue
        used += 1
        named = [m.strip() for m in (flag.get("meter_ids") or "").split(";") if m.strip()]
        if not named:
            subject_type, ref = flag.get("subject_type", ""), flag.get("subject_ref", "")
            if subject_type == "connection":
                named = [ref]
            elif subject_type == "facility":
                named = facility_meters.get(ref, [])
        if not named:
            unmapped += 1
            continue
        named_set = set(named)
        accused = [m for m in named if parent.get(m, "") not in named_set]
        for meter_id in accused:
            row = truth.get(meter_id)
            if row is None:
                unknown_meters.add(meter_id)
                continue
            flagged[row["site_id"]].add(flag["rule"])

    site_meters: dict[str, list[str]] = defaultdict(list)
    for meter_id, row in truth.items():
        site_meters[row["site_id"]].append(meter_id)

    def farm_below(site_id: str) -> bool:
        below = [c for m in site_meters[site_id] for c in children.get(m, []) if c in truth]
        return any(site_mining[truth[c]["site_id"]] for c in below)

    kinds: dict[str, dict] = {}
    for kind in INNOCENT_KINDS + MINING_KINDS:
        sites = [s for s, k in site_kind.items() if k == kind]
        if not sites:
            continue
        hit = [s for s in sites if s in flagged]
        row = {
            "mining": kind in MINING_KINDS,
            "sites": len(sites),
            "flagged": len(hit),
            "missed": len(sites) - len(hit),
        }
        if kind == "transformer":
            row["farm_below"] = sum(1 for s in hit if farm_below(s))
        kinds[kind] = row
    mining_sites = sum(r["sites"] for r in kinds.values() if r["mining"])
    caught = sum(r["flagged"] for r in kinds.values() if r["mining"])
    neutral = kinds.get("transformer", {}).get("farm_below", 0)
    flagged_total = sum(r["flagged"] for r in kinds.values()) - neutral
    data_centres = kinds.get("data_centre", {}).get("flagged", 0)
    result = {
        "flags_used": used,
        "flags_unmapped": unmapped,
        "unknown_meters": sorted(unknown_meters),
        "rules": sorted(counted),
        "kinds": kinds,
        "mining_sites": mining_sites,
        "caught": caught,
        "flagged_sites": flagged_total,
        "recall": caught / mining_sites if mining_sites else 0.0,
        "precision": caught / flagged_total if flagged_total else 0.0,
        "precision_without_data_centres": (
            caught / (flagged_total - data_centres) if flagged_total - data_centres else 0.0
        ),
    }
    continuous = kinds.get("continuous_plant", {"sites": 0, "flagged": 0})
    result["checks"] = {
        "recall >= 0.90": result["recall"] >= 0.90,
        "precision (without data centres) >= 0.85": result["precision_without_data_centres"] >= 0.85,
        "every way of hiding >= 0.75": all(
            r["flagged"] / r["sites"] >= 0.75 for k, r in kinds.items() if r["mining"] and r["sites"]
        ),
        "continuous plants flagged <= 1 in 5": continuous["flagged"] <= continuous["sites"] / 5,
        "no household, shop, licensed miner or transformer without a farm below flagged": all(
            kinds.get(k, {}).get("flagged", 0) - (neutral if k == "transformer" else 0) == 0 for k in NEVER_FLAGGED
        ),
    }
    return result


def render(result: dict) -> str:
    lines = [
        "| kind | mining | sites | caught / flagged | missed | share |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        share = row["flagged"] / row["sites"] if row["sites"] else 0.0
        extra = f" ({row['farm_below']} with a farm below)" if row.get("farm_below") else ""
        missed = str(row["missed"]) if row["mining"] else ""
        lines.append(
            f"| {kind} | {'yes' if row['mining'] else 'no'} | {row['sites']} | {row['flagged']}{extra} "
            f"| {missed} | {share:.0%} |"
        )
    lines += [
        "",
        f"recall {result['caught']}/{result['mining_sites']} = {result['recall']:.2f}; "
        f"precision {result['caught']}/{result['flagged_sites']} = {result['precision']:.2f} "
        f"({result['precision_without_data_centres']:.2f} without data centres)",
        f"flags counted: {result['flags_used']} of rules {', '.join(result['rules'])}"
        + (f"; {result['flags_unmapped']} named no meter" if result["flags_unmapped"] else "")
        + (f"; {len(result['unknown_meters'])} meters not in truth" if result["unknown_meters"] else ""),
        "",
    ]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in result["checks"].items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fieldgrid.score", description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", required=True, help="truth.csv of a generated grid")
    parser.add_argument("--flags", required=True, help="a flags export (CSV)")
    parser.add_argument(
        "--rules", action="append", default=[], help="more unlicensed-type rule codes (comma-separated)"
    )
    parser.add_argument("--grid", help="grid_connections.csv (default: next to truth.csv)")
    parser.add_argument("--facilities", help="facilities.csv (default: next to truth.csv)")
    parser.add_argument("--include-dismissed", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless every check passes")
    args = parser.parse_args(argv)
    rules = tuple(code for chunk in args.rules for code in chunk.split(","))
    result = score(
        args.truth,
        args.flags,
        rules=rules,
        grid_path=args.grid,
        facilities_path=args.facilities,
        include_dismissed=args.include_dismissed,
    )
    print(render(result))
    return 1 if args.strict and not all(result["checks"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
