"""/exports/ and the admin's "Export selected as CSV".

The same bytes as `manage.py export`, for those who may export.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.exports import DATASETS
from registry.models import ExportLog, Facility, Firm, GridConnection, MeterReading
from tests.factories import EnforcementActionFactory, FlagFactory, InspectionFactory, PowerDeclarationFactory

FORMULA = '=HYPERLINK("http://x")'


def web_bytes(client, dataset: str, query: str = "") -> bytes:
    response = client.get(reverse("exports:download", args=[dataset]) + query)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def cli_bytes(capsysbinary, dataset: str, *args: str) -> bytes:
    call_command("export", dataset, *args)
    return capsysbinary.readouterr().out


@pytest.fixture
def world(firm_a, firm_b):
    connection = GridConnection.objects.get(meter_id="PV-0001")
    MeterReading.objects.create(
        connection=connection, period_start=dt.datetime(2026, 10, 1, 5, tzinfo=dt.UTC), kwh=Decimal("12.5")
    )
    facility = Facility.objects.get(ref="FAC-A1")
    PowerDeclarationFactory(facility=facility, month=dt.date(2026, 9, 1), consumed_mwh=Decimal("100"))
    FlagFactory(
        facility=Facility.objects.get(ref="FAC-B1"),
        firm=firm_b,
        window_end=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        evidence={"avg_mw": 1.5},
        decision_reason=FORMULA,
    )
    InspectionFactory(facility=facility, firm=firm_a, date=dt.date(2026, 10, 2), findings=FORMULA, outcome="compliant")
    EnforcementActionFactory(
        action="fine",
        firm=firm_b,
        region="karaganda",
        date=dt.date(2026, 10, 3),
        fine_kzt=Decimal("1000"),
        notes=FORMULA,
    )
    return firm_a


@pytest.mark.parametrize("dataset", [name for name in DATASETS if name != "audit"])
def test_the_web_download_is_the_same_bytes_as_the_command(client, auditor, world, capsysbinary, dataset):
    client.force_login(auditor)

    web = web_bytes(client, dataset)
    cli = cli_bytes(capsysbinary, dataset)

    assert web == cli
    assert web.startswith("\ufeff".encode())


def test_filters_give_the_same_bytes_on_the_web_and_the_command_line(client, auditor, world, capsysbinary):
    client.force_login(auditor)

    web = web_bytes(client, "readings", "?from=2026-10-01&to=2026-10-01&meter=PV-0001&region=pavlodar")
    cli = cli_bytes(
        capsysbinary,
        "readings",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-01",
        "--meter",
        "PV-0001",
        "--region",
        "pavlodar",
    )

    assert web == cli
    assert web.decode("utf-8-sig").splitlines()[1] == "PV-0001,2026-10-01T05:00:00Z,12.500"


def test_a_formula_in_any_text_column_of_any_dataset_comes_out_neutralised(client, auditor, world):
    Firm.objects.filter(pk=world.pk).update(name=FORMULA, address="+1", email="")
    GridConnection.objects.filter(meter_id="PV-0001").update(consumer_name="@SUM(A1)", address="-2")
    Facility.objects.filter(ref="FAC-A1").update(name="\tTAB", address="\rCR")
    client.force_login(auditor)
    quoted = "'" + FORMULA

    neutralised = {}
    for dataset in DATASETS:
        rows = list(csv.reader(io.StringIO(web_bytes(client, dataset).decode("utf-8-sig"), newline="")))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(cell), (dataset, cell)
        neutralised[dataset] = {cell for row in rows[1:] for cell in row if cell.startswith("'")}

    # Each payload planted above comes out of its dataset, apostrophe first (not dropped, not mangled).
    assert neutralised == {
        "firms": {quoted, "'+1"},
        "facilities": {"'\tTAB", "'\rCR"},
        "licences": {quoted},
        "declarations": set(),
        "connections": {"'@SUM(A1)", "'-2"},
        "readings": set(),
        "flags": {quoted},
        "inspections": {quoted},
        "enforcement": {quoted},
        "audit": set(),  # values there sit inside JSON objects, which start with "{"
    }


def _number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


def test_each_web_download_is_in_the_export_log_with_who_and_the_filters(client, auditor, world):
    client.force_login(auditor)

    web_bytes(client, "firms", "?region=pavlodar")

    entry = ExportLog.objects.get()
    assert (entry.user, entry.dataset, entry.filters, entry.row_count) == (auditor, "firms", {"region": "pavlodar"}, 1)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=2026-13-01", "Enter a valid date."),
        ("?region=atlantis", "Select a valid choice."),
        ("?from=2026-10-05&to=2026-10-01", "The last day is before the first."),
    ],
)
def test_a_bad_filter_answers_400_with_the_reason(client, auditor, world, query, message):
    client.force_login(auditor)

    response = client.get(reverse("exports:download", args=["firms"]) + query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExportLog.objects.exists()


def test_an_unknown_dataset_answers_400(client, auditor):
    client.force_login(auditor)

    response = client.get(reverse("exports:download", args=["salaries"]))

    assert response.status_code == 400
    assert "unknown dataset" in response.content.decode()


@pytest.mark.parametrize("who", ["inspector", "alice"])
def test_only_auditors_and_regulators_may_export(client, request, world, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("exports:download", args=["firms"]))

    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("exports:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_exports_the_selected_rows(client, regulator, world, firm_b):
    client.force_login(regulator)

    response = client.post(
        reverse("admin:registry_firm_changelist"), {"action": "export_csv", "_selected_action": [firm_b.pk]}
    )

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))
    assert [row["bin"] for row in rows] == [firm_b.bin]
    assert ExportLog.objects.get().filters == {"selected": "1"}
