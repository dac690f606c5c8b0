"""A portal form shows the service's own words for a refusal the service decides, not a second wording of its check."""

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.errors import InvalidInput
from registry.models import Facility, Firm, PowerDeclaration
from registry.services import declarations, firms
from tests.factories import BIN_A
from tests.portal.helpers import PASSWORD, last_month
from tests.portal.page import Page

ALREADY_DECLARED = "{month} is already declared for FAC-A1: correct that declaration instead."


@pytest.fixture
def fac_a1(firm_a):
    return Facility.objects.get(ref="FAC-A1")


def filing(facility: Facility) -> dict:
    return {
        "facility": str(facility.pk),
        "month": f"{last_month():%Y-%m}",
        "consumed_mwh": "1200.500",
        "peak_mw": "8.5",
        "devices": "300",
        "power_source": "own_renewable",
    }


def test_a_second_filing_for_a_month_reads_as_the_service_says_with_a_link_to_the_declaration_on_file(
    alice_client, alice, fac_a1
):
    on_file, _ = declarations.declaration_file(facility=fac_a1, month=last_month(), consumed_mwh=Decimal("900"))
    message = ALREADY_DECLARED.format(month=f"{last_month():%Y-%m}")
    with pytest.raises(InvalidInput) as refused:
        declarations.declaration_submit(
            facility=fac_a1,
            month=last_month(),
            consumed_mwh=Decimal("1200.5"),
            peak_mw=None,
            devices=None,
            power_source="grid_exchange",
            user=alice,
        )
    assert refused.value.problems == {"month": message}

    response = alice_client.post(reverse("portal:declaration-file"), filing(fac_a1))

    page = Page(response)
    assert response.status_code == 200
    assert page.field_errors("month") == [f"{message} Open the declaration on file"]
    assert page.field_error_links("month") == [reverse("portal:declaration-correct", args=[on_file.pk])]
    assert list(PowerDeclaration.objects.values_list("pk", flat=True)) == [on_file.pk]


def test_a_month_filed_after_the_form_checked_is_refused_beside_the_month_in_the_services_words(
    alice_client, fac_a1, monkeypatch
):
    check = declarations.declaration_on_file_problem

    def another_session_files_meanwhile(**kwargs):
        problem = check(**kwargs)  # nothing on file yet: the form lets the filing through
        declarations.declaration_file(facility=fac_a1, month=last_month(), consumed_mwh=Decimal("900"))
        return problem

    monkeypatch.setattr("registry.portal.forms.declaration_on_file_problem", another_session_files_meanwhile)

    response = alice_client.post(reverse("portal:declaration-file"), filing(fac_a1))

    page = Page(response)
    assert response.status_code == 200
    assert page.field_errors("month") == [ALREADY_DECLARED.format(month=f"{last_month():%Y-%m}")]
    assert PowerDeclaration.objects.get().consumed_mwh == Decimal("900")


def test_a_sign_up_with_a_registered_bin_is_answered_like_any_other(client, firm_a):
    """Sign-up does not say which BINs are registered: the registered firm's BIN is only claimed."""
    user = firms.firm_sign_up(
        bin=BIN_A,
        name="Copy LLP",
        region="almaty",
        email="copy@copy.test",
        contact_person="Copy",
        phone="",
        password=PASSWORD,
    )

    claim = user.firm_membership.firm
    assert (claim.bin, claim.claimed_bin, claim.verification) == (None, BIN_A, "pending")
    assert Firm.objects.get(bin=BIN_A) == firm_a
