"""`manage.py import_register DIR` (README.md, "Commands"): counts on stdout, errors on stderr, exit status 1."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override
from pghistory.models import Events

from registry.models import Facility, Firm, GridConnection, Licence, PowerDeclaration
from tests.register_files import ALTYN_BIN, FACILITIES, FIRMS, LICENCES, REGISTER, write_files


def import_register(directory) -> tuple[str, str]:
    """Run the command in English; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with override("en"):
        call_command("import_register", str(directory), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rejected(directory) -> tuple[CommandError, str]:
    """Run the command on files it must reject; return the error and stderr."""
    err = io.StringIO()
    with override("en"), pytest.raises(CommandError) as caught:
        call_command("import_register", str(directory), stdout=io.StringIO(), stderr=err)
    return caught.value, err.getvalue()


def test_it_prints_a_line_per_file(db, tmp_path):
    directory = write_files(tmp_path, REGISTER)

    out, err = import_register(directory)

    assert out.splitlines() == [
        "firms.csv: 2 created, 0 updated, 0 unchanged",
        "owners.csv: 2 created, 0 updated, 0 unchanged",
        "grid_connections.csv: 3 created, 0 updated, 0 unchanged",
        "facilities.csv: 2 created, 0 updated, 0 unchanged",
        "licences.csv: 2 created, 0 updated, 0 unchanged",
        "declarations.csv: 2 created, 0 updated, 0 unchanged",
    ]
    assert err == ""
    assert (Firm.objects.count(), Facility.objects.count(), PowerDeclaration.objects.count()) == (2, 2, 2)


def test_rerun_says_nothing_changed(db, tmp_path):
    directory = write_files(tmp_path, REGISTER)
    import_register(directory)

    out, _ = import_register(directory)

    assert "firms.csv: 0 created, 0 updated, 2 unchanged" in out.splitlines()
    assert out.splitlines()[-1] == "Nothing changed: the register already holds these files."


def test_rerun_with_a_change_prints_it_and_not_nothing_changed(db, tmp_path):
    import_register(write_files(tmp_path / "first", REGISTER))
    changed = {**REGISTER, "licences.csv": LICENCES.replace("\nactive,", "\nsuspended,", 1)}

    out, _ = import_register(write_files(tmp_path / "second", changed))

    assert "licences.csv: 0 created, 1 updated, 1 unchanged" in out.splitlines()
    assert "Nothing changed" not in out
    assert Licence.objects.get(number="KZ-DM-2024-000101").status == "suspended"


def test_it_exits_with_status_1_and_lists_the_errors_on_stderr(db, tmp_path):
    files = {
        "firms.csv": FIRMS.replace(ALTYN_BIN, "220140000019"),
        "grid_connections.csv": 'meter_id,operator,region,tariff,contracted_mw\nPV-1,REC,pavlodar,industrial,"1,5"\n',
    }

    error, err = rejected(write_files(tmp_path, files))

    assert error.returncode == 1
    assert str(error) == "Import rejected: nothing was saved."
    assert err.splitlines() == [
        "firms.csv:2: bin: “220140000019”: The BIN/IIN check digit is wrong.",
        "grid_connections.csv:2: contracted_mw: “1,5” is not a number (use a decimal point)",
    ]
    assert (Firm.objects.count(), GridConnection.objects.count()) == (0, 0)


def test_it_names_file_line_and_column_of_a_bad_facility(db, tmp_path):
    files = {**REGISTER, "facilities.csv": FACILITIES.replace("PV-1001;PV-1002", "PV-1001; PV-0404")}
    del files["licences.csv"], files["declarations.csv"]

    _, err = rejected(write_files(tmp_path, files))

    assert err.splitlines() == ["facilities.csv:2: meter_ids: unknown meter ids: PV-0404"]


def test_it_says_when_it_stopped_at_100_errors(db, tmp_path):
    rows = "".join(f"{ALTYN_BIN},Firm {i},nowhere\n" for i in range(120))
    directory = write_files(tmp_path, {"firms.csv": "bin,name,region\n" + rows})

    error, err = rejected(directory)

    lines = err.splitlines()
    assert len(lines) == 101
    assert lines[99].startswith("firms.csv:101: region: “nowhere” is not one of: ")
    assert lines[100] == "Stopped after the first 100 errors."
    assert error.returncode == 1


def test_it_refuses_a_path_that_is_not_a_directory(db, tmp_path):
    with override("en"), pytest.raises(CommandError) as caught:
        call_command("import_register", str(tmp_path / "missing"))

    assert str(caught.value) == f"{tmp_path / 'missing'} is not a directory"


def test_it_refuses_a_directory_without_register_files(db, tmp_path):
    error, err = rejected(write_files(tmp_path, {"notes.txt": "hello"}))

    assert error.returncode == 1
    assert "no register files found (expected any of firms.csv, owners.csv," in err


def test_it_tags_the_audit_trail_with_the_command(db, tmp_path):
    directory = write_files(tmp_path, {"firms.csv": FIRMS})

    import_register(directory)

    firm = Firm.objects.get(bin=ALTYN_BIN)
    event = Events.objects.get(pgh_obj_model="registry.Firm", pgh_obj_id=str(firm.pk), pgh_label="insert")
    assert event.pgh_context["command"] == "import_register"
    assert event.pgh_context["source"] == str(directory.resolve())
