"""A firm that signs up is pending: it completes its profile and owners, and files once a regulator verifies it."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry.models import Facility, Firm, Licence, Ownership, PowerDeclaration
from tests.clients import english_client
from tests.factories import BIN_C, FacilityFactory
from tests.portal.helpers import PASSWORD, everything, last_month, pdf

from .page import Page

PENDING_NOTICE = (
    "Your firm is waiting for verification by the regulator. You can complete your profile and owners "
    "now; facilities, applications and declarations open once it is verified."
)
WAIT_WARNING = "Your firm is waiting for verification by the regulator; you can file once it is verified."


def sign_up(client):
    """Gulnara registers Gamma Compute through the sign-up page, following the redirect."""
    return client.post(
        reverse("accounts:signup"),
        {
            "bin": BIN_C,
            "firm_name": "Gamma Compute LLP",
            "region": "almaty",
            "contact_person": "Gulnara Akhmetova",
            "email": "gulnara@gamma.test",
            "phone": "",
            "username": "gulnara",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )


@pytest.fixture
def gulnara_client(db):
    """A browser that has just registered Gamma Compute through the sign-up page (and is logged in)."""
    client = english_client()
    response = sign_up(client)
    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    return client


@pytest.fixture
def gamma(gulnara_client) -> Firm:
    """The signed-up firm, with a facility the regulator already has on file (so filing would be possible)."""
    firm = Firm.objects.get(bin=BIN_C)
    FacilityFactory(ref="FAC-C1", firm=firm, name="Gamma hall", region="almaty", capacity_mw=Decimal("2"))
    return firm


def test_signing_up_logs_in_to_a_dashboard_with_the_pending_notice(db):
    client = english_client()

    response = sign_up(client)

    page = Page(response)
    firm = Firm.objects.get(bin=BIN_C)
    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert page.messages() == ["Your firm is registered. The regulator will verify it before you can file."]
    assert PENDING_NOTICE in page.text
    assert (firm.name, firm.verification) == ("Gamma Compute LLP", "pending")
    assert firm.members.get().user.username == "gulnara"


def test_a_pending_firms_dashboard_offers_no_filing(gulnara_client, gamma):
    response = gulnara_client.get(reverse("portal:dashboard"))

    links = Page(response).links()
    assert reverse("portal:licence-apply") not in links
    assert reverse("portal:declaration-file") not in links


def test_a_pending_firm_edits_its_profile(gulnara_client, gamma):
    response = gulnara_client.post(
        reverse("portal:profile"),
        {
            "address": "Almaty, Abai 10",
            "email": "office@gamma.test",
            "phone": "+7 727 000 0000",
            "contact_person": "Gulnara Akhmetova",
        },
        follow=True,
    )

    gamma.refresh_from_db()
    assert Page(response).messages() == ["Your contact details are saved."]
    assert (gamma.address, gamma.email) == ("Almaty, Abai 10", "office@gamma.test")


def test_a_pending_firm_adds_an_owner(gulnara_client, gamma):
    response = gulnara_client.post(
        reverse("portal:owner-add"),
        {"full_name": "Gulnara Akhmetova", "iin": "", "role": "beneficial_owner", "share_percent": "100"},
    )

    ownership = Ownership.objects.get(firm=gamma)
    assert response.status_code == 302
    assert (ownership.person.full_name, ownership.share_percent) == ("Gulnara Akhmetova", Decimal("100"))


def _filings(facility: Facility) -> dict[str, dict]:
    return {
        "facility-add": {"name": "Gamma hall 2", "region": "almaty", "capacity_mw": "1", "meter_ids": "AL-0001"},
        "licence-apply": {"subtype": "I", "facilities": [facility.pk], "capacity_mw": "2", "documents": [pdf()]},
        "declaration-file": {
            "facility": facility.pk,
            "month": f"{last_month():%Y-%m}",
            "consumed_mwh": "100",
            "power_source": "grid_exchange",
        },
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ["facility-add", "licence-apply", "declaration-file"])
def test_a_pending_firm_is_sent_back_to_the_dashboard_and_nothing_is_created(
    gulnara_client, gamma, documents, name, method
):
    before = everything()
    data = _filings(gamma.facilities.get())[name] if method == "post" else None

    response = getattr(gulnara_client, method)(reverse(f"portal:{name}"), data, follow=True)

    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert Page(response).messages() == [WAIT_WARNING]
    assert everything() == before
    assert not [path for path in documents.rglob("*") if path.is_file()]


def verify(regulator_client, firm):
    return regulator_client.post(
        reverse("admin:registry_firm_changelist"), {"action": "verify", ACTION_CHECKBOX_NAME: [firm.pk]}, follow=True
    )


def test_the_regulators_verify_action_verifies_the_firm(regulator_client, gamma):
    response = verify(regulator_client, gamma)

    gamma.refresh_from_db()
    assert gamma.verification == "verified"
    assert Page(response).admin_messages() == [
        "Verify (the firm may file in the portal): Gamma Compute LLP (500080636080)"
    ]


def test_once_verified_the_firm_files_a_declaration(gulnara_client, regulator_client, gamma):
    verify(regulator_client, gamma)

    filing = _filings(gamma.facilities.get())["declaration-file"]

    response = gulnara_client.post(reverse("portal:declaration-file"), filing, follow=True)

    assert Page(response).messages() == [f"Declaration for FAC-C1, {last_month():%Y-%m} filed."]
    assert PowerDeclaration.objects.get().facility.ref == "FAC-C1"


def test_once_verified_the_firm_applies_for_a_licence(gulnara_client, regulator_client, gamma, documents):
    verify(regulator_client, gamma)
    application = _filings(gamma.facilities.get())["licence-apply"]

    response = gulnara_client.post(reverse("portal:licence-apply"), application)

    licence = Licence.objects.get(firm=gamma)
    assert response.status_code == 302
    assert licence.status == "applied"
