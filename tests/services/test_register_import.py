"""register_import: the register CSVs of docs/rules.md, "Bulk formats", all or nothing, upserted by natural key."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils.translation import override
from pghistory.models import Events

from registry.errors import ImportRejected
from registry.models import (
    Facility,
    Firm,
    GridConnection,
    Licence,
    LicenceCoverage,
    Ownership,
    Person,
    PowerDeclaration,
)
from registry.services.imports import register_import
from tests.factories import BIN_A, BIN_C
from tests.register_files import (
    ALTYN_BIN,
    DECLARATIONS,
    ERLAN_IIN,
    FACILITIES,
    FIRMS,
    GRID_CONNECTIONS,
    KARAGANDA_BIN,
    LICENCES,
    OWNERS,
    REGISTER,
    write_files,
)

REGISTER_MODELS = (Firm, Person, Ownership, GridConnection, Facility, Licence, LicenceCoverage, PowerDeclaration)


@pytest.fixture
def run_import(db, tmp_path):
    """Write the files into a fresh directory and import it, in English."""
    runs = itertools.count(1)

    def run(files):
        directory = write_files(tmp_path / f"run{next(runs)}", files)
        with override("en"):
            return register_import(directory=directory)

    return run


@pytest.fixture
def import_errors(run_import):
    """Import files that must be rejected; return the error lines."""

    def run(files) -> list[str]:
        with pytest.raises(ImportRejected) as caught:
            run_import(files)
        return [str(error) for error in caught.value.errors]

    return run


def counts():
    return {model.__name__: model.objects.count() for model in REGISTER_MODELS}


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is not in the file"
    return text.replace(old, new, 1)


def register_through(file: str, text: str | bytes) -> dict[str, str | bytes]:
    """The register files in dependency order up to `file`, with `file` replaced by `text`."""
    names = list(REGISTER)
    files = {name: REGISTER[name] for name in names[: names.index(file) + 1]}
    files[file] = text
    return files


def outcomes(report):
    return {r.file: {outcome.value: n for outcome, n in r.counts.items() if n} for r in report.files}


# Happy path


def test_it_imports_all_six_files(run_import):
    run_import(REGISTER)

    altyn = Firm.objects.get(bin=ALTYN_BIN)
    assert altyn.name == "ТОО «Алтын Хэш»"
    assert (altyn.region, altyn.address, altyn.email) == ("pavlodar", "г. Павлодар, ул. Ломова, 1", "info@altyn.kz")
    assert Firm.objects.get(bin=KARAGANDA_BIN).name == "Қарағанды Майнинг ЖШС"
    owner = Ownership.objects.get(firm=altyn, person__person_id="P-001")
    person = owner.person
    assert (person.full_name, person.iin, person.is_pep) == ("Ержанов Ерлан Серікұлы", ERLAN_IIN, True)
    assert (owner.role, owner.share_percent) == ("beneficial_owner", Decimal("60"))
    director = Ownership.objects.get(firm=altyn, person__person_id="P-002")
    assert (director.role, director.share_percent, director.person.is_pep) == ("director", None, False)
    connection = GridConnection.objects.get(meter_id="KR-2001")
    assert (connection.operator, connection.tariff, connection.address) == (
        "ТОО «Караганды Жарык»",
        "agricultural",
        "с. Ботакара",
    )
    assert GridConnection.objects.get(meter_id="PV-1001").contracted_mw == Decimal("12.5")
    site = Facility.objects.get(ref="ALT-1")
    assert site.firm == altyn
    assert sorted(site.connections.values_list("meter_id", flat=True)) == ["PV-1001", "PV-1002"]
    assert (site.capacity_mw, site.devices, site.latitude) == (Decimal("10"), 3500, Decimal("52.287"))
    licence = Licence.objects.get(number="KZ-DM-2024-000101")
    assert (licence.firm, licence.status, licence.subtype) == (altyn, "active", "I")
    assert (licence.valid_from, licence.valid_until) == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert list(licence.facilities.values_list("ref", flat=True)) == ["ALT-1"]
    assert Licence.objects.get(number="KZ-DM-2023-000050").subtype == "II"
    january = PowerDeclaration.objects.get(facility=site, month=dt.date(2025, 1, 1))
    assert (january.consumed_mwh, january.peak_mw, january.devices, january.power_source) == (
        Decimal("6800.5"),
        Decimal("9.8"),
        3400,
        "grid_exchange",
    )
    assert january.is_current


def test_it_reports_what_it_created(run_import):
    report = run_import(REGISTER)

    assert outcomes(report) == {
        "firms.csv": {"created": 2},
        "owners.csv": {"created": 2},
        "grid_connections.csv": {"created": 3},
        "facilities.csv": {"created": 2},
        "licences.csv": {"created": 2},
        "declarations.csv": {"created": 2},
    }


def test_it_imports_only_the_files_present(run_import):
    report = run_import({"firms.csv": FIRMS, "grid_connections.csv": GRID_CONNECTIONS})

    assert [r.file for r in report.files] == ["firms.csv", "grid_connections.csv"]
    assert {name: n for name, n in counts().items() if n} == {"Firm": 2, "GridConnection": 3}


def test_it_links_rows_to_firms_already_in_the_register(run_import, firm_a):
    files = {
        "grid_connections.csv": "meter_id,operator,region,tariff\nPV-7777,Pavlodar REC,pavlodar,industrial\n",
        "facilities.csv": (
            f"ref,firm_bin,name,region,meter_ids,capacity_mw\nFAC-A2,{BIN_A},Alpha 2,pavlodar,PV-7777,3\n"
        ),
    }

    run_import(files)

    assert Facility.objects.get(ref="FAC-A2").firm == firm_a


def test_it_reads_a_file_without_a_bom_and_with_crlf_line_ends(run_import):
    run_import({"firms.csv": FIRMS.lstrip("\ufeff").replace("\n", "\r\n")})

    assert Firm.objects.get(bin=ALTYN_BIN).address == "г. Павлодар, ул. Ломова, 1"


# Rerun


def test_rerun_changes_nothing(run_import):
    run_import(REGISTER)
    before = counts()
    events = Events.objects.count()

    report = run_import(REGISTER)

    assert report.changed == 0
    assert all(set(counts) == {"unchanged"} for counts in outcomes(report).values())
    assert counts() == before
    assert Events.objects.count() == events, "a rerun writes no audit rows"


def test_rerun_with_a_changed_value_updates_the_row(run_import):
    run_import(REGISTER)
    firm_id = Firm.objects.get(bin=KARAGANDA_BIN).pk

    report = run_import({**REGISTER, "firms.csv": replaced(FIRMS, "Қарағанды Майнинг ЖШС", "Qaraghandy Mining LLP")})

    assert Firm.objects.get(bin=KARAGANDA_BIN).name == "Qaraghandy Mining LLP"
    assert Firm.objects.get(bin=KARAGANDA_BIN).pk == firm_id
    assert outcomes(report)["firms.csv"] == {"updated": 1, "unchanged": 1}
    assert report.changed == 1


def test_rerun_with_other_meters_relinks_the_facility(run_import):
    run_import(REGISTER)

    report = run_import({**REGISTER, "facilities.csv": replaced(FACILITIES, "PV-1001;PV-1002", "PV-1002;KR-2001")})

    site = Facility.objects.get(ref="ALT-1")
    assert sorted(site.connections.values_list("meter_id", flat=True)) == ["KR-2001", "PV-1002"]
    assert outcomes(report)["facilities.csv"] == {"updated": 1, "unchanged": 1}


def test_rerun_with_a_changed_declaration_files_a_correction(run_import):
    run_import(REGISTER)
    original = PowerDeclaration.objects.get(facility__ref="ALT-1", month=dt.date(2025, 1, 1))

    report = run_import({**REGISTER, "declarations.csv": replaced(DECLARATIONS, "6800.5", "7100.25")})

    rows = PowerDeclaration.objects.filter(facility__ref="ALT-1", month=dt.date(2025, 1, 1)).order_by("pk")
    assert [(row.consumed_mwh, row.is_current) for row in rows] == [
        (Decimal("6800.5"), False),
        (Decimal("7100.25"), True),
    ]
    assert rows[1].supersedes == original
    assert outcomes(report)["declarations.csv"] == {"updated": 1, "unchanged": 1}


# Errors: file, line, column and reason. Each case breaks one file and imports the files up to it.

ERROR_CASES = {
    "unknown column": (
        "firms.csv",
        replaced(FIRMS, ",address\n", ",adress\n"),
        "firms.csv:1: adress: unknown column",
    ),
    "missing required column": (
        "grid_connections.csv",
        "meter_id,operator,region\nPV-1001,Pavlodar REC,pavlodar\n",
        "grid_connections.csv:1: tariff: required column is missing",
    ),
    "empty required value": (
        "firms.csv",
        replaced(FIRMS, "Қарағанды Майнинг ЖШС", "   "),
        "firms.csv:3: name: a value is required",
    ),
    "bad region": (
        "facilities.csv",
        replaced(FACILITIES, ",pavlodar,52.287", ",Pavlodar,52.287"),
        "facilities.csv:2: region: “Pavlodar” is not one of: abai, akmola, aktobe, almaty_region, atyrau, "
        "east_kazakhstan, jambyl, jetisu, karaganda, kostanay, kyzylorda, mangystau, north_kazakhstan, pavlodar, "
        "turkistan, ulytau, west_kazakhstan, astana, almaty, shymkent",
    ),
    "bad BIN check digit": (
        "firms.csv",
        replaced(FIRMS, ALTYN_BIN, "220140000019"),
        "firms.csv:2: bin: “220140000019”: The BIN/IIN check digit is wrong.",
    ),
    "bad IIN length": (
        "owners.csv",
        replaced(OWNERS, ERLAN_IIN, "85010130001"),
        "owners.csv:2: iin: “85010130001”: A BIN/IIN is exactly 12 digits.",
    ),
    "impossible date": (
        "licences.csv",
        replaced(LICENCES, "2024-01-01", "2024-02-30"),
        "licences.csv:2: valid_from: “2024-02-30” is not a date YYYY-MM-DD",
    ),
    "date in another format": (
        "licences.csv",
        replaced(LICENCES, "2023-12-31", "31.12.2023"),
        "licences.csv:3: valid_until: “31.12.2023” is not a date YYYY-MM-DD",
    ),
    "bad month": (
        "declarations.csv",
        replaced(DECLARATIONS, "2025-02", "2025-2"),
        "declarations.csv:3: month: “2025-2” is not a month YYYY-MM",
    ),
    "valid_until before valid_from": (
        "licences.csv",
        replaced(LICENCES, "expired,2023-12-31,2023-01-01", "expired,2022-12-31,2023-01-01"),
        "licences.csv:3: valid_until: is before valid_from",
    ),
    "unknown meter id": (
        "facilities.csv",
        replaced(FACILITIES, "PV-1001;PV-1002", "PV-1001;PV-9999"),
        "facilities.csv:2: meter_ids: unknown meter ids: PV-9999",
    ),
    "unknown firm_bin": (
        "facilities.csv",
        replaced(FACILITIES, f"KR-2001,{KARAGANDA_BIN}", f"KR-2001,{BIN_C}"),
        f"facilities.csv:3: firm_bin: no firm with BIN {BIN_C} in the register or in firms.csv",
    ),
    "unknown facility_ref in licences": (
        "licences.csv",
        replaced(LICENCES, ",KRG-1,", ",KRG-9,"),
        "licences.csv:3: facility_refs: unknown facility refs: KRG-9",
    ),
    "overlapping licences": (
        "licences.csv",
        LICENCES + f"suspended,2027-12-31,2026-06-01,10,ALT-1,{ALTYN_BIN},KZ-DM-2026-000777,I\n",
        "licences.csv:4: facility_refs: "
        "another active or suspended licence covers this facility over overlapping dates",
    ),
    "wrong number of fields": (
        "owners.csv",
        replaced(OWNERS, "false,,director,", "false,director,"),
        "owners.csv:3: 6 fields, the header has 7",
    ),
    "comma as decimal separator": (
        "facilities.csv",
        replaced(FACILITIES, "\n2.5,", '\n"2,5",'),
        "facilities.csv:3: capacity_mw: “2,5” is not a number (use a decimal point)",
    ),
    "negative quantity": (
        "declarations.csv",
        replaced(DECLARATIONS, "1200", "-1200"),
        "declarations.csv:3: consumed_mwh: must not be below 0",
    ),
    "bad choice": (
        "licences.csv",
        replaced(LICENCES, "\nactive,", "\ngranted,"),
        "licences.csv:2: status: “granted” is not one of: applied, under_review, active, suspended, revoked, "
        "expired, surrendered, rejected",
    ),
}


@pytest.mark.parametrize("name", ERROR_CASES)
def test_it_names_file_line_column_and_reason(import_errors, name):
    file, text, expected = ERROR_CASES[name]

    errors = import_errors(register_through(file, text))

    assert errors == [expected]


def test_it_names_an_unknown_facility_ref_in_declarations(import_errors):
    errors = import_errors({**REGISTER, "declarations.csv": replaced(DECLARATIONS, "2025-02,ALT-1", "2025-02,ALT-9")})

    assert errors == ["declarations.csv:3: facility_ref: unknown facility ref ALT-9"]


def test_it_reports_a_bad_facility_row_even_when_declarations_follow(import_errors):
    errors = import_errors({**REGISTER, "facilities.csv": replaced(FACILITIES, "PV-1001;PV-1002", "PV-9999")})

    assert errors[0] == "facilities.csv:2: meter_ids: unknown meter ids: PV-9999"


def test_it_counts_physical_lines_past_a_quoted_line_break(import_errors):
    text = "bin,name,region,address\n" + f'{ALTYN_BIN},"Алтын\nХэш",pavlodar,\n' + f"{BIN_C},Third,nowhere,\n"

    errors = import_errors({"firms.csv": text})

    assert errors == [
        "firms.csv:4: region: “nowhere” is not one of: abai, akmola, aktobe, almaty_region, atyrau, east_kazakhstan, "
        "jambyl, jetisu, karaganda, kostanay, kyzylorda, mangystau, north_kazakhstan, pavlodar, turkistan, ulytau, "
        "west_kazakhstan, astana, almaty, shymkent"
    ]


def test_it_reports_every_bad_cell_of_a_row(import_errors):
    errors = import_errors({"firms.csv": "bin,name,region,email\n220140000019,,nowhere,not-an-email\n"})

    assert [error.split(": ")[1] for error in errors] == ["bin", "name", "region", "email"]
    assert all(error.startswith("firms.csv:2: ") for error in errors)


def test_it_refuses_a_file_that_is_not_utf8(import_errors):
    windows_1251 = f"bin,name,region\n{ALTYN_BIN},ТОО «Алтын Хэш»,pavlodar\n".encode("cp1251")

    errors = import_errors({"firms.csv": windows_1251})

    (error,) = errors
    assert error.startswith("firms.csv:")
    assert error.endswith(": the file is not valid UTF-8")
    assert Firm.objects.count() == 0


def test_it_names_the_line_with_the_bytes_that_are_not_utf8(import_errors):
    good = "bin,name,region\n" + f"{ALTYN_BIN},Altyn,pavlodar\n"
    bad = f"{KARAGANDA_BIN},Карагандинский майнинг,karaganda\n".encode("cp1251")

    errors = import_errors({"firms.csv": good.encode("utf-8") + bad})

    assert errors == ["firms.csv:3: the file is not valid UTF-8"]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        ("facilities.csv", "52.287", "95", "facilities.csv:2: latitude: "),
        ("facilities.csv", "76.967", "200", "facilities.csv:2: longitude: "),
        ("owners.csv", "true,60,", "true,160,", "owners.csv:2: share_percent: "),
    ],
    ids=["latitude", "longitude", "share_percent"],
)
def test_it_names_the_column_of_a_value_out_of_range(import_errors, file, old, new, expected):
    source = {"facilities.csv": FACILITIES, "owners.csv": OWNERS}[file]

    errors = import_errors(register_through(file, replaced(source, old, new)))

    assert errors[0].startswith(expected)


def test_it_refuses_a_natural_key_given_twice_in_one_file(import_errors):
    twice = DECLARATIONS + "grid_exchange,,,7000,2025-01,ALT-1\n"

    errors = import_errors({**REGISTER, "declarations.csv": twice})

    assert errors == [
        "declarations.csv:4: facility_ref: the same facility_ref + month is already on line 2; give each once per file"
    ]


def test_it_reports_a_directory_without_register_files(import_errors):
    errors = import_errors({"readme.txt": "nothing here"})

    assert len(errors) == 1
    assert "no register files found" in errors[0]


# All or nothing


def test_one_bad_row_in_the_last_file_saves_nothing(import_errors, firm_a):
    before = counts()
    files = {
        **REGISTER,
        "firms.csv": FIRMS + f",pavlodar,Renamed Alpha,{BIN_A},\n",
        "declarations.csv": DECLARATIONS + "grid_exchange,,,-1,2025-03,ALT-1\n",
    }

    errors = import_errors(files)

    assert errors == ["declarations.csv:4: consumed_mwh: must not be below 0"]
    assert counts() == before
    assert Firm.objects.get(bin=BIN_A).name == "Alpha Mining LLP"


def test_a_rejected_rerun_keeps_the_register_as_it_was(run_import, import_errors):
    run_import(REGISTER)
    before = counts()
    files = {
        **REGISTER,
        "firms.csv": replaced(FIRMS, "ТОО «Алтын Хэш»", "Renamed"),
        "declarations.csv": replaced(DECLARATIONS, "6800.5", "1,5"),
    }

    import_errors(files)

    assert counts() == before
    assert Firm.objects.get(bin=ALTYN_BIN).name == "ТОО «Алтын Хэш»"
    assert PowerDeclaration.objects.get(facility__ref="ALT-1", month=dt.date(2025, 1, 1)).consumed_mwh == Decimal(
        "6800.5"
    )


def test_it_stops_at_100_errors(import_errors):
    rows = "".join(f"{ALTYN_BIN},Firm {i},nowhere\n" for i in range(150))
    files = {"firms.csv": "bin,name,region\n" + rows, "grid_connections.csv": "meter_id\nX\n"}

    errors = import_errors(files)

    assert len(errors) == 100
    assert errors[0].startswith("firms.csv:2: region: ")
    assert errors[-1].startswith("firms.csv:101: region: ")


def test_it_reports_errors_from_several_files_together(import_errors):
    files = {
        "firms.csv": replaced(FIRMS, "info@altyn.kz", "info(at)altyn.kz"),
        "grid_connections.csv": replaced(GRID_CONNECTIONS, "agricultural", "farm"),
    }

    errors = import_errors(files)

    assert errors[0] == "firms.csv:2: email: “info(at)altyn.kz” is not an email address"
    assert errors[1].startswith("grid_connections.csv:4: tariff: “farm” is not one of: ")
