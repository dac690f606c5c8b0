"""Licence documents with odd names: kept under the name the firm gave, stored under the registry's own, no orphans."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DataError
from django.urls import reverse

from registry.models import Facility, Licence, LicenceDocument
from registry.services.licences import licence_apply
from tests.portal.helpers import pdf

LONG = "\U0001d518" * 120 + ".pdf"  # 120 four-byte characters: 484 bytes, more than a file name may have


def _stored(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def _apply(client, *uploads):
    facility = Facility.objects.get(ref="FAC-A1")
    return client.post(
        reverse("portal:licence-apply"),
        {"subtype": "II", "facilities": [facility.pk], "capacity_mw": "3", "documents": list(uploads)},
    )


def test_a_pdf_named_with_120_four_byte_characters_is_filed_under_that_name(alice_client, firm_a, documents):
    response = _apply(alice_client, pdf("plan.pdf"), pdf(LONG))

    assert response.status_code == 302
    names = sorted(LicenceDocument.objects.values_list("original_name", flat=True))
    assert names == sorted(["plan.pdf", LONG])
    assert _stored(documents) == {document.file.name for document in LicenceDocument.objects.all()}


def test_the_document_downloads_under_the_name_the_firm_gave(alice_client, firm_a, documents):
    _apply(alice_client, pdf(LONG))
    document = LicenceDocument.objects.get()

    response = alice_client.get(reverse("portal:document", args=[document.pk]))

    assert response.status_code == 200
    assert "filename*=utf-8''" + "%F0%9D%94%98" * 120 + ".pdf" in response["Content-Disposition"]


def test_a_name_longer_than_the_column_is_cut_keeping_the_extension(alice_client, firm_a, documents):
    _apply(alice_client, pdf("я" * 300 + ".pdf"))

    name = LicenceDocument.objects.get().original_name
    assert name == "я" * 251 + ".pdf"


def test_no_file_name_the_firm_gives_reaches_the_file_system(alice_client, firm_a, documents):
    _apply(alice_client, pdf("../../../etc/passwd.pdf"), pdf("a\x00b.pdf"))

    assert sorted(LicenceDocument.objects.values_list("original_name", flat=True)) == ["ab.pdf", "passwd.pdf"]
    for stored in _stored(documents):
        assert stored.startswith("licences/") and len(Path(stored).name) == len("0" * 32 + ".pdf")


def test_an_application_that_fails_leaves_no_file_behind(firm_a, documents):
    """The second document's row cannot be stored (its size is out of the column's range) after the first's file
    was written: the application is not filed and the first file is removed."""
    big = pdf("annex.pdf")
    big.size = 2**31

    with pytest.raises(DataError):
        licence_apply(
            firm=firm_a,
            facilities=[Facility.objects.get(ref="FAC-A1")],
            capacity_mw=Decimal("3"),
            subtype="II",
            documents=[pdf("plan.pdf"), big],
        )

    assert not Licence.objects.filter(status="applied").exists()
    assert _stored(documents) == set()
