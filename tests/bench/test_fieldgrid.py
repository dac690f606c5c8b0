"""The field-grid benchmark generator (bench/fieldgrid): a tiny grid parses, hangs together and looks real."""

import csv
import datetime as dt

import pytest

from bench.fieldgrid import KINDS, MINING_KINDS, generate
from bench.fieldgrid.score import score
from registry.validators import bin_is_valid

END = "2026-11-01T00:00:00Z"
COLUMNS = {
    "firms.csv": ["bin", "name", "region", "address", "email"],
    "grid_connections.csv": [
        "meter_id",
        "operator",
        "consumer_name",
        "consumer_bin",
        "region",
        "address",
        "tariff",
        "contracted_mw",
        "parent_meter_id",
    ],
    "facilities.csv": [
        "ref",
        "firm_bin",
        "name",
        "region",
        "address",
        "latitude",
        "longitude",
        "meter_ids",
        "capacity_mw",
        "devices",
    ],
    "licences.csv": [
        "number",
        "firm_bin",
        "facility_refs",
        "capacity_mw",
        "valid_from",
        "valid_until",
        "status",
        "subtype",
    ],
    "declarations.csv": ["facility_ref", "month", "consumed_mwh", "peak_mw", "devices", "power_source"],
    "readings.csv": ["meter_id", "period_start", "kwh"],
    "truth.csv": ["meter_id", "site_id", "kind", "is_mining", "note"],
}
REGIONS = set(
    "abai akmola aktobe almaty_region atyrau east_kazakhstan jambyl jetisu karaganda kostanay kyzylorda "
    "mangystau north_kazakhstan pavlodar turkistan ulytau west_kazakhstan astana almaty shymkent".split()
)


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("fieldgrid")
    summary = generate(out, seed=7, days=3, end=END, scale=0.05)
    files = {name: _rows(out / name) for name in COLUMNS}
    return out, summary, files


def test_files_parse_with_the_contract_columns(grid):
    out, summary, files = grid
    for name, columns in COLUMNS.items():
        assert files[name][0] == columns, name
    __, connections = files["grid_connections.csv"]
    assert summary["connections"] == len(connections)
    assert summary["readings"] == len(files["readings.csv"][1])
    ids = [row["meter_id"] for row in connections]
    assert len(ids) == len(set(ids))
    for row in connections:
        assert row["region"] in REGIONS
        assert row["tariff"] in {"residential", "commercial", "industrial", "agricultural"}
        assert row["consumer_bin"] == "" or bin_is_valid(row["consumer_bin"]), row
    for row in files["firms.csv"][1]:
        assert bin_is_valid(row["bin"])


def test_every_parent_exists_and_every_consumer_has_one(grid):
    __, __, files = grid
    connections = files["grid_connections.csv"][1]
    truth = {row["meter_id"]: row for row in files["truth.csv"][1]}
    ids = {row["meter_id"] for row in connections}
    for row in connections:
        if row["parent_meter_id"]:
            assert row["parent_meter_id"] in ids
            assert truth[row["parent_meter_id"]]["kind"] in ("transformer", "bypass_farm")
        else:
            assert truth[row["meter_id"]]["kind"] in ("transformer", "bypass_farm"), row


def test_truth_covers_every_meter_and_every_kind(grid):
    __, summary, files = grid
    connections = {row["meter_id"] for row in files["grid_connections.csv"][1]}
    truth = files["truth.csv"][1]
    assert sorted(row["meter_id"] for row in truth) == sorted(connections)
    kinds = {row["kind"] for row in truth}
    assert kinds == set(KINDS)
    for row in truth:
        assert row["is_mining"] == ("true" if row["kind"] in MINING_KINDS else "false")
    assert summary["mining_sites"] == len({row["site_id"] for row in truth if row["is_mining"] == "true"})


def test_readings_are_hourly_known_and_within_the_window(grid):
    __, __, files = grid
    meters = {row["meter_id"] for row in files["grid_connections.csv"][1]}
    end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for row in files["readings.csv"][1]:
        at = dt.datetime.fromisoformat(row["period_start"].replace("Z", "+00:00"))
        assert row["meter_id"] in meters
        assert at.minute == at.second == 0
        assert end - dt.timedelta(days=3) <= at < end
        assert float(row["kwh"]) >= 0


def test_households_draw_household_scale_power_and_farms_far_more(grid):
    __, __, files = grid
    kind = {row["meter_id"]: row["kind"] for row in files["truth.csv"][1]}
    sums, counts = {}, {}
    for row in files["readings.csv"][1]:
        sums[row["meter_id"]] = sums.get(row["meter_id"], 0.0) + float(row["kwh"])
        counts[row["meter_id"]] = counts.get(row["meter_id"], 0) + 1
    average = {m: sums[m] / counts[m] for m in sums}
    homes = [kw for m, kw in average.items() if kind[m] == "household"]
    assert 0.3 <= sum(homes) / len(homes) <= 1.5
    assert max(homes) < 8
    miners = [kw for m, kw in average.items() if kind[m] == "home_miner"]
    assert min(miners) > 5
    assert all(kw > 100 for m, kw in average.items() if kind[m] == "flat_farm")


def test_same_seed_same_grid(grid, tmp_path):
    out, __, __ = grid
    generate(tmp_path, seed=7, days=3, end=END, scale=0.05)
    for name in ("grid_connections.csv", "truth.csv", "readings.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_score_counts_sites_not_meters(grid, tmp_path):
    out, __, files = grid
    truth = files["truth.csv"][1]
    parent = {row["meter_id"]: row["parent_meter_id"] for row in files["grid_connections.csv"][1]}
    mining = [row for row in truth if row["is_mining"] == "true"]
    bypass = next(row["meter_id"] for row in mining if row["kind"] == "bypass_farm")
    household = next(row["meter_id"] for row in truth if row["kind"] == "household")
    facility = files["facilities.csv"][1][0]
    flags = tmp_path / "flags.csv"
    with open(flags, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rule", "status", "subject_type", "subject_ref", "meter_ids"])
        for row in mining:
            if row["kind"] != "bypass_farm":
                writer.writerow(["HOME_MINER", "open", "connection", row["meter_id"], row["meter_id"]])
        # A balance flag names the transformer and its children: only the transformer is accused.
        children = [m for m, up in parent.items() if up == bypass]
        writer.writerow(["ENERGY_BALANCE", "open", "connection", bypass, ";".join([bypass, *children])])
        writer.writerow(["OVER_CAPACITY", "open", "connection", household, ""])  # licensing: never counts
        writer.writerow(["UNLICENSED_MINING", "dismissed", "connection", household, ""])  # dismissed
        writer.writerow(["NO_VALID_LICENCE", "open", "facility", facility["ref"], ""])  # mapped via facilities.csv
    result = score(out / "truth.csv", flags, rules=("HOME_MINER", "ENERGY_BALANCE"))
    assert result["recall"] == 1.0
    assert result["kinds"]["household"]["flagged"] == 0
    assert result["kinds"]["licensed_miner"]["flagged"] == 1
    assert result["flagged_sites"] == result["mining_sites"] + 1
    without_extra_rules = score(out / "truth.csv", flags)
    assert without_extra_rules["caught"] == 0
