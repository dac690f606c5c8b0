"""Licence applications with PDF documents: stored outside the web root, downloaded only by their firm and staff."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from registry.models import Facility, Licence
from tests.clients import english_client
from tests.factories import FacilityFactory, StaffFactory
from tests.portal.helpers import PDF, pdf

from .page import Page

CONTENT = PDF + b"% business plan, 3 pages\n" * 50


@pytest.fixture
def application(alice_client, firm_a, documents):
    """Alice applies for FAC-A1 and FAC-A2 (not FAC-A3) with one PDF; the response to her POST."""
    for ref in ("FAC-A2", "FAC-A3"):
        FacilityFactory(ref=ref, firm=firm_a, capacity_mw=Decimal("3"))
    chosen = Facility.objects.filter(ref__in=["FAC-A1", "FAC-A2"])
    return alice_client.post(
        reverse("portal:licence-apply"),
        {
            "subtype": "II",
            "facilities": [f.pk for f in chosen],
            "capacity_mw": "12.5",
            "documents": [pdf("Business plan.pdf", CONTENT)],
        },
        follow=True,
    )


@pytest.fixture
def licence(application) -> Licence:
    return Licence.objects.get(status="applied")


def test_a_pdf_application_creates_an_applied_licence_over_the_chosen_facilities(application, licence):
    assert application.redirect_chain == [(reverse("portal:licence", args=[licence.pk]), 302)]
    assert Page(application).messages() == ["Your application is filed; the regulator will review it."]
    assert (licence.firm.bin, licence.number, licence.subtype, licence.capacity_mw) == (
        "291417776310",
        None,
        "II",
        Decimal("12.5"),
    )
    assert sorted(licence.facilities.values_list("ref", flat=True)) == ["FAC-A1", "FAC-A2"]


def test_the_licence_page_lists_the_document(application, licence):
    page = Page(application)

    assert f"application #{licence.pk}" in page.text
    assert "Business plan.pdf" in page.text
    assert reverse("portal:document", args=[licence.documents.get().pk]) in page.links()


def test_the_document_is_kept_in_the_documents_folder(licence, documents):
    document = licence.documents.get()
    path = Path(document.file.path)

    assert path.is_relative_to(documents)
    assert path.read_bytes() == CONTENT
    assert (document.original_name, document.size_bytes) == ("Business plan.pdf", len(CONTENT))


def test_the_documents_folder_is_outside_media_and_static_files():
    folder = Path(settings.STORAGES["documents"]["OPTIONS"]["location"]).resolve()
    web_roots = [settings.MEDIA_ROOT, settings.STATIC_ROOT, *settings.STATICFILES_DIRS]

    assert folder == Path(settings.DOCUMENTS_ROOT).resolve()
    assert not any(folder.is_relative_to(Path(root).resolve()) for root in web_roots)


def _download(client, licence):
    return client.get(reverse("portal:document", args=[licence.documents.get().pk]))


def test_the_firm_downloads_its_document_as_an_attachment(alice_client, licence):
    response = _download(alice_client, licence)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Business plan.pdf"'
    assert b"".join(response.streaming_content) == CONTENT


@pytest.mark.parametrize("who", ["regulator", "auditor"])
def test_staff_who_may_view_documents_download_it(request, licence, who):
    response = _download(english_client(request.getfixturevalue(who)), licence)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT


def test_another_firms_user_gets_404(bob_client, licence):
    assert _download(bob_client, licence).status_code == 404


def test_an_anonymous_visitor_gets_404(client, licence):
    assert _download(client, licence).status_code == 404


def test_staff_without_the_view_permission_get_404(licence):
    clerk = StaffFactory(username="clerk")

    assert _download(english_client(clerk), licence).status_code == 404


def test_the_application_is_in_the_admin_list_of_applied_licences(regulator_client, licence):
    response = regulator_client.get(reverse("admin:registry_licence_changelist") + "?status__exact=applied")

    rows = Page(response).rows()
    assert len(rows) == 1
    assert f"application #{licence.pk}" in rows[0] and "Alpha Mining LLP" in rows[0] and "Applied" in rows[0]


def test_the_admin_licence_page_links_the_document(regulator_client, licence):
    response = regulator_client.get(reverse("admin:registry_licence_change", args=[licence.pk]))

    assert reverse("portal:document", args=[licence.documents.get().pk]) in Page(response).links()
