"""Every portal form: its errors beside the field and in the summary at the top, and what was typed kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry import clock
from registry.models import Facility, Firm, Licence, LicenceDocument, Ownership, PowerDeclaration
from registry.services.declarations import declaration_file
from tests.factories import BIN_A, BIN_C
from tests.portal.helpers import PASSWORD, PDF, last_month, pdf

from .page import Page

SELECT_INVALID = "Select a valid choice. That choice is not one of the available choices."


def assert_shown(page: Page, field: str, label: str, message: str) -> None:
    """The error is printed next to the field and listed, linked to the field, in the summary."""
    assert page.field_errors(field) == [message]
    assert f"{label}: {message}" in page.summary()
    assert f"#id_{field}" in page.summary_targets()


def month_text(day: dt.date) -> str:
    return f"{day:%Y-%m}"


# ---------------------------------------------------------------- declaration


@pytest.fixture
def fac_a1(firm_a):
    return Facility.objects.get(ref="FAC-A1")


def declaration_data(facility, **changes) -> dict:
    return {
        "facility": str(facility.pk),
        "month": month_text(last_month()),
        "consumed_mwh": "1200.500",
        "peak_mw": "8.5",
        "devices": "300",
        "power_source": "own_renewable",
        **changes,
    }


def _this_month() -> str:
    return month_text(clock.today())


def _next_month() -> str:
    first = clock.today().replace(day=1)
    return month_text((first + dt.timedelta(days=32)).replace(day=1))


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        ("month", _next_month, "Month", "{value} has not ended yet: a month is declared once it is over."),
        ("month", _this_month, "Month", "{value} has not ended yet: a month is declared once it is over."),
        ("consumed_mwh", "-5", "Energy consumed, MWh", "Energy cannot be negative."),
        ("devices", "-3", "Devices operating", "The number of devices cannot be negative."),
        ("devices", "2147483648", "Devices operating", "At most 1000000 devices: check the number."),
        (
            "peak_mw",
            "21",
            "Peak load, MW",
            "21 MW is more than twice the facility's installed capacity (10.000 MW): check the unit.",
        ),
    ],
    ids=[
        "future-month",
        "current-month",
        "negative-energy",
        "negative-devices",
        "devices-past-32-bits",
        "peak-above-twice-capacity",
    ],
)
def test_a_bad_declaration_is_refused_with_the_error_beside_its_field(
    alice_client, fac_a1, field, value, label, message
):
    value = value() if callable(value) else value
    data = declaration_data(fac_a1, **{field: value})

    response = alice_client.post(reverse("portal:declaration-file"), data)

    page = Page(response)
    assert response.status_code == 200
    assert_shown(page, field, label, message.format(value=value))
    for name in ("month", "consumed_mwh", "peak_mw", "devices"):
        assert page.value(name) == data[name]
    assert page.value("facility") == [str(fac_a1.pk)]
    assert page.value("power_source") == ["own_renewable"]
    assert not PowerDeclaration.objects.exists()


def test_peak_of_exactly_twice_the_capacity_is_accepted(alice_client, fac_a1):
    response = alice_client.post(reverse("portal:declaration-file"), declaration_data(fac_a1, peak_mw="20"))

    assert response.status_code == 302
    assert PowerDeclaration.objects.get().peak_mw == Decimal("20")


def test_a_second_declaration_for_the_month_links_to_the_correction_of_the_current_one(alice_client, fac_a1):
    current, _ = declaration_file(facility=fac_a1, month=last_month(), consumed_mwh=Decimal("900"))
    data = declaration_data(fac_a1)

    response = alice_client.post(reverse("portal:declaration-file"), data)

    page = Page(response)
    message = (
        f"{data['month']} is already declared for FAC-A1: correct that declaration instead. "
        "Open the declaration on file"
    )
    assert_shown(page, "month", "Month", message)
    assert page.field_error_links("month") == [reverse("portal:declaration-correct", args=[current.pk])]
    assert page.value("consumed_mwh") == "1200.500"
    assert list(PowerDeclaration.objects.values_list("pk", flat=True)) == [current.pk]


def test_another_firms_facility_is_not_a_choice_for_a_declaration(alice_client, fac_a1, firm_b):
    fac_b1 = Facility.objects.get(ref="FAC-B1")
    data = declaration_data(fac_b1)

    response = alice_client.post(reverse("portal:declaration-file"), data)

    page = Page(response)
    assert_shown(page, "facility", "Facility", SELECT_INVALID)
    assert not any("FAC-B1" in option for option in page.options("facility"))
    assert page.value("consumed_mwh") == data["consumed_mwh"]
    assert not PowerDeclaration.objects.exists()


# ---------------------------------------------------------------- facility

FACILITY = {
    "name": "Alpha site 2",
    "region": "pavlodar",
    "address": "Ekibastuz, industrial zone 4",
    "latitude": "51.723400",
    "longitude": "75.322100",
    "capacity_mw": "5",
    "devices": "1500",
    "meter_ids": "PV-0042",
}


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        ("meter_ids", " , ;\n", "Grid meter ids", "Give at least one meter id."),
        ("capacity_mw", "-1", "Installed capacity, MW", "Ensure this value is greater than or equal to 0."),
        ("latitude", "91", "Latitude", "Ensure this value is less than or equal to 90."),
        ("devices", "2147483648", "Mining devices", "At most 1000000 devices: check the number."),
    ],
    ids=["no-meter-id", "negative-capacity", "latitude-out-of-range", "devices-past-32-bits"],
)
def test_a_bad_facility_is_refused_with_the_error_beside_its_field(alice_client, firm_a, field, value, label, message):
    data = {**FACILITY, field: value}

    response = alice_client.post(reverse("portal:facility-add"), data)

    page = Page(response)
    assert response.status_code == 200
    assert_shown(page, field, label, message)
    for name in ("name", "address", "latitude", "longitude", "capacity_mw", "devices"):
        assert page.value(name) == data[name]
    assert page.value("region") == ["pavlodar"]
    assert page.value("meter_ids") == data["meter_ids"].strip()
    assert list(Facility.objects.filter(firm=firm_a).values_list("ref", flat=True)) == ["FAC-A1"]


# ---------------------------------------------------------------- owner

OWNER = {
    "full_name": "Aigerim Nurlanovna Sadykova",
    "iin": BIN_C,
    "role": "beneficial_owner",
    "share_percent": "40",
    "is_pep": "on",
}


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        ("iin", BIN_C[:11] + str((int(BIN_C[11]) + 1) % 10), "IIN", "The BIN/IIN check digit is wrong."),
        ("share_percent", "100.5", "Share, %", "Ensure this value is less than or equal to 100."),
    ],
    ids=["iin-check-digit", "share-above-100"],
)
def test_a_bad_owner_is_refused_with_the_error_beside_its_field(alice_client, firm_a, field, value, label, message):
    data = {**OWNER, field: value}

    response = alice_client.post(reverse("portal:owner-add"), data)

    page = Page(response)
    assert response.status_code == 200
    assert_shown(page, field, label, message)
    for name in ("full_name", "iin", "share_percent"):
        assert page.value(name) == data[name]
    assert page.value("role") == ["beneficial_owner"]
    assert "checked" in page.root.find("input", name="is_pep").attrs
    assert not Ownership.objects.exists()


# ---------------------------------------------------------------- licence application


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: None, "This field is required."),
        (lambda: SimpleUploadedFile("notes.txt", b"our business plan", "text/plain"), "“notes.txt” is not a PDF file."),
        (
            lambda: SimpleUploadedFile("scan.pdf", b"PK\x03\x04 a zip in disguise", "application/pdf"),
            "“scan.pdf” is not a PDF file.",
        ),
        (lambda: pdf("big.pdf", PDF + b"0" * 1_200_000), "“big.pdf” is 1.2 MB; the limit is 1 MB."),
    ],
    ids=["no-document", "txt-file", "pdf-name-without-pdf-content", "over-the-size-limit"],
)
def test_a_licence_application_without_a_proper_pdf_is_refused(
    alice_client, fac_a1, documents, settings, upload, message
):
    settings.DOCUMENT_MAX_BYTES = 1_000_000
    data = {"subtype": "II", "facilities": [str(fac_a1.pk)], "capacity_mw": "7.5"}
    if (file := upload()) is not None:
        data["documents"] = [file]

    response = alice_client.post(reverse("portal:licence-apply"), data)

    page = Page(response)
    assert response.status_code == 200
    assert_shown(page, "documents", "Supporting documents (PDF)", message)
    assert page.value("subtype") == ["II"]
    assert page.value("facilities") == [str(fac_a1.pk)]
    assert page.value("capacity_mw") == "7.5"
    assert list(Licence.objects.values_list("number", flat=True)) == ["KZ-DM-2024-000001"]
    assert not LicenceDocument.objects.exists()
    assert not [path for path in documents.rglob("*") if path.is_file()]


# ---------------------------------------------------------------- sign-up

SIGN_UP = {
    "bin": BIN_C,
    "firm_name": "Gamma Compute LLP",
    "region": "almaty",
    "contact_person": "Gulnara Akhmetova",
    "email": "gulnara@gamma.test",
    "phone": "+7 701 555 0101",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        ("bin", BIN_C[:11] + str((int(BIN_C[11]) + 1) % 10), "BIN", "The BIN/IIN check digit is wrong."),
        ("password2", PASSWORD + "!", "Password confirmation", "The two password fields didn’t match."),
    ],
    ids=["bin-check-digit", "password-mismatch"],
)
def test_a_bad_sign_up_is_refused_with_the_error_beside_its_field(client, firm_a, field, value, label, message):
    data = {**SIGN_UP, field: value}

    response = client.post(reverse("accounts:signup"), data)

    page = Page(response)
    assert response.status_code == 200
    assert_shown(page, field, label, message)
    for name in ("bin", "firm_name", "contact_person", "email", "phone"):
        assert page.value(name) == data[name]
    assert page.value("region") == ["almaty"]
    assert list(Firm.objects.values_list("bin", flat=True)) == [BIN_A]
    assert not User.objects.filter(email="gulnara@gamma.test").exists()


# ---------------------------------------------------------------- profile


def test_posting_a_bin_and_name_to_the_profile_changes_neither(alice_client, firm_a):
    data = {
        "bin": BIN_C,
        "name": "Hijacked LLP",
        "region": "almaty",
        "address": "Pavlodar, Lomova 1",
        "email": "office@alpha.test",
        "phone": "+7 718 200 0000",
        "contact_person": "Alice Alpha",
    }

    response = alice_client.post(reverse("portal:profile"), data)

    firm = Firm.objects.get(pk=firm_a.pk)
    assert response.status_code == 302
    assert (firm.bin, firm.name, firm.region) == (BIN_A, "Alpha Mining LLP", "pavlodar")
    assert (firm.address, firm.email, firm.contact_person) == ("Pavlodar, Lomova 1", "office@alpha.test", "Alice Alpha")


def test_the_profile_shows_bin_and_name_as_text_not_as_fields(alice_client, firm_a):
    response = alice_client.get(reverse("portal:profile"))

    page = Page(response)
    readonly = page.root.find("dl", cls="readonly").text
    assert BIN_A in readonly and "Alpha Mining LLP" in readonly
    assert not page.has_field("bin") and not page.has_field("name")
    assert page.has_field("address")


def test_adding_the_same_owner_twice_is_refused_with_a_form_error(alice_client, firm_a):
    alice_client.post(reverse("portal:owner-add"), OWNER)

    response = alice_client.post(reverse("portal:owner-add"), OWNER)

    assert response.status_code == 200
    assert Page(response).summary()
    assert Ownership.objects.filter(firm=firm_a).count() == 1
