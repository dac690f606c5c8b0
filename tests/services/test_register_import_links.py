"""register_import: facilities and licences keep their rows and their links in step with the files."""

import pytest
from django.utils.translation import override

from registry.errors import ImportRejected
from registry.models import Facility, Licence
from registry.services.imports import register_import
from tests.register_files import ALTYN_BIN, FACILITIES, LICENCES, REGISTER, write_files


def run(directory, files):
    with override("en"):
        return register_import(directory=write_files(directory, files))


def counts(report, file: str) -> dict[str, int]:
    (found,) = [r for r in report.files if r.file == file]
    return {outcome.value: n for outcome, n in found.counts.items() if n}


def test_rerun_with_another_facility_relinks_the_licence_and_counts_it_updated(db, tmp_path):
    run(tmp_path / "first", REGISTER)
    licence = Licence.objects.get(number="KZ-DM-2024-000101")
    relinked = LICENCES.replace(f"10,ALT-1,{ALTYN_BIN}", f"10,ALT-1;KRG-1,{ALTYN_BIN}", 1)
    assert relinked != LICENCES

    report = run(tmp_path / "second", {**REGISTER, "licences.csv": relinked})

    assert sorted(Licence.objects.get(pk=licence.pk).facilities.values_list("ref", flat=True)) == ["ALT-1", "KRG-1"]
    assert counts(report, "licences.csv") == {"updated": 1, "unchanged": 1}


def test_rerun_with_another_capacity_and_the_same_meters_updates_the_facility_only(db, tmp_path):
    run(tmp_path / "first", REGISTER)
    bigger = FACILITIES.replace("10,PV-1001;PV-1002", "12,PV-1001;PV-1002", 1)
    assert bigger != FACILITIES

    report = run(tmp_path / "second", {**REGISTER, "facilities.csv": bigger})

    site = Facility.objects.get(ref="ALT-1")
    assert str(site.capacity_mw) == "12.000"
    assert sorted(site.connections.values_list("meter_id", flat=True)) == ["PV-1001", "PV-1002"]
    assert counts(report, "facilities.csv") == {"updated": 1, "unchanged": 1}


def test_a_facility_row_with_unknown_meters_names_them_before_its_unknown_firm(db, tmp_path):
    files = {
        "facilities.csv": (
            f"ref,firm_bin,name,region,meter_ids,capacity_mw\nNEW-1,{ALTYN_BIN},New,pavlodar,XX-1;XX-2,3\n"
        )
    }

    with pytest.raises(ImportRejected) as rejected:
        run(tmp_path, files)

    assert [str(error) for error in rejected.value.errors] == [
        "facilities.csv:2: meter_ids: unknown meter ids: XX-1; XX-2"
    ]
