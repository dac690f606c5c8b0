"""A month filed and corrected twice: every filing kept, one current, each correction superseding the last."""

import pytest
from django.urls import reverse

from registry.models import Facility, PowerDeclaration
from tests.portal.helpers import last_month

from .page import Page


def _values(consumed_mwh: str, peak_mw: str) -> dict:
    return {"consumed_mwh": consumed_mwh, "peak_mw": peak_mw, "devices": "300", "power_source": "grid_exchange"}


@pytest.fixture
def chain(alice_client, firm_a) -> list[PowerDeclaration]:
    """FAC-A1's last month filed through the portal, then corrected twice; oldest first."""
    facility = Facility.objects.get(ref="FAC-A1")
    filed = alice_client.post(
        reverse("portal:declaration-file"),
        {"facility": facility.pk, "month": f"{last_month():%Y-%m}", **_values("1000", "5")},
    )
    assert filed.status_code == 302
    for consumed, peak in (("1100", "6"), ("1150", "6.5")):
        current = PowerDeclaration.objects.get(facility=facility, is_current=True)
        corrected = alice_client.post(reverse("portal:declaration-correct", args=[current.pk]), _values(consumed, peak))
        assert corrected.status_code == 302
    return list(PowerDeclaration.objects.filter(facility=facility).order_by("filed_at", "pk"))


def test_two_corrections_keep_three_rows_each_superseding_the_one_before(chain):
    first, second, third = chain

    assert [d.consumed_mwh for d in chain] == [1000, 1100, 1150]
    assert {d.month for d in chain} == {last_month()}
    assert [d.is_current for d in chain] == [False, False, True]
    assert (first.supersedes, second.supersedes, third.supersedes) == (None, first, second)


def test_a_correction_keeps_the_month_and_facility_whatever_is_posted(alice_client, chain, firm_b):
    current = chain[-1]
    fac_b1 = Facility.objects.get(ref="FAC-B1")

    alice_client.post(
        reverse("portal:declaration-correct", args=[current.pk]),
        {"facility": fac_b1.pk, "month": "2020-01", **_values("1200", "7")},
    )

    newest = PowerDeclaration.objects.get(is_current=True, supersedes=current)
    assert (newest.facility.ref, newest.month, newest.consumed_mwh) == ("FAC-A1", last_month(), 1200)
    assert not PowerDeclaration.objects.filter(facility=fac_b1).exists()


def test_the_declaration_page_shows_the_months_history(alice_client, chain):
    response = alice_client.get(reverse("portal:declaration", args=[chain[-1].pk]))

    rows = Page(response).rows()
    assert len(rows) == 3
    assert ["1150.000" in rows[0], "1100.000" in rows[1], "1000.000" in rows[2]] == [True, True, True]
    assert [row.endswith("Current") for row in rows] == [True, False, False]
    assert [row.endswith("Superseded") for row in rows] == [False, True, True]


def test_a_superseded_declarations_page_offers_no_correction(alice_client, chain):
    response = alice_client.get(reverse("portal:declaration", args=[chain[0].pk]))

    assert response.status_code == 200
    assert reverse("portal:declaration-correct", args=[chain[0].pk]) not in Page(response).links()


def test_the_list_marks_superseded_rows(alice_client, chain):
    response = alice_client.get(reverse("portal:declarations"))

    page = Page(response)
    superseded = page.rows(cls="superseded")
    assert len(page.rows()) == 3
    assert len(superseded) == 2
    assert all("Superseded" in row for row in superseded)
    assert not any("1150.000" in row for row in superseded)
    correct_links = [link for link in page.links() if link.endswith("/correct/")]
    assert correct_links == [reverse("portal:declaration-correct", args=[chain[-1].pk])]


@pytest.mark.parametrize("method", ["get", "post"])
def test_correcting_a_superseded_declaration_answers_404(alice_client, chain, method):
    response = getattr(alice_client, method)(
        reverse("portal:declaration-correct", args=[chain[0].pk]), _values("1", "1")
    )

    assert response.status_code == 404
    assert PowerDeclaration.objects.count() == 3
