"""A firm that signs up is pending: it completes its profile and owners, and files once a regulator verifies it."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
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
    firm = Firm.objects.get(claimed_bin=BIN_C)
    FacilityFactory(ref="FAC-C1", firm=firm, name="Gamma hall", region="almaty", capacity_mw=Decimal("2"))
    return firm


def test_signing_up_logs_in_to_a_dashboard_with_the_pending_notice(db):
    client = english_client()

    response = sign_up(client)

    page = Page(response)
    firm = Firm.objects.get(claimed_bin=BIN_C)
    username = firm.members.get().user.username
    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert page.messages() == [
        f"Your firm is registered. Your login name is {username}: keep it with your password. The regulator will "
        "verify your firm and its BIN before you can file."
    ]
    assert re.fullmatch(r"gulnara-\d{4}", username)
    assert PENDING_NOTICE in page.text
    assert (firm.name, firm.verification, firm.bin) == ("Gamma Compute LLP", "pending", None)


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
    assert (gamma.verification, gamma.bin) == ("verified", BIN_C)
    assert Page(response).admin_messages() == [
        "Verify (the firm may file in the portal): Gamma Compute LLP (BIN 500080636080, not verified)"
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


# ---------------------------------------------------------------- a sign-up claims its BIN, it does not take it


def sign_up_as(client, *, bin, email):
    return client.post(
        reverse("accounts:signup"),
        {
            "bin": bin,
            "firm_name": "Claimant LLP",
            "region": "almaty",
            "contact_person": "Claimant",
            "email": email,
            "phone": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )


def test_a_sign_up_with_a_registered_bin_reads_exactly_like_a_new_one(firm_a):
    new = Page(sign_up_as(english_client(), bin=BIN_C, email="one@claim.test"))
    registered = Page(sign_up_as(english_client(), bin=firm_a.bin, email="one@claim.test"))

    def without_login_name(page):
        return [re.sub(r"one-\d{4}", "LOGIN", message) for message in page.messages()]

    assert without_login_name(registered) == without_login_name(new)
    assert PENDING_NOTICE in registered.text and firm_a.name not in registered.text
    assert Firm.objects.get(bin=firm_a.bin) == firm_a  # the registered firm keeps its BIN
    assert Firm.objects.filter(claimed_bin=firm_a.bin, bin=None, verification="pending").count() == 1


def test_the_sign_up_page_asks_for_no_login_name_so_none_can_be_found_taken(db):
    page = Page(english_client().get(reverse("accounts:signup")))
    assert page.root.find("input", name="username") is None

    sign_up_as(english_client(), bin=BIN_C, email="same@claim.test")
    sign_up_as(english_client(), bin=BIN_C, email="same@claim.test")

    usernames = sorted(User.objects.filter(email="same@claim.test").values_list("username", flat=True))
    assert len(usernames) == 2 and len(set(usernames)) == 2


def test_a_claimed_bin_blocks_no_one_until_a_regulator_verifies_it(regulator_client):
    sign_up_as(english_client(), bin=BIN_C, email="squatter@claim.test")
    sign_up_as(english_client(), bin=BIN_C, email="real@gamma.test")
    squatter, real = Firm.objects.filter(claimed_bin=BIN_C).order_by("created_at")

    page = Page(regulator_client.get(reverse("admin:registry_firm_change", args=[real.pk])))
    assert "No registered firm holds this BIN." in page.text
    assert f"Also claimed by the sign-up {squatter}" in page.text

    verify(regulator_client, real)
    real.refresh_from_db()
    assert (real.bin, real.verification) == (BIN_C, "verified")

    response = verify(regulator_client, squatter)
    squatter.refresh_from_db()
    assert (squatter.bin, squatter.verification) == (None, "pending")
    assert (
        f"BIN {BIN_C} belongs to the registered firm {real}: invite this person from that firm's page if they "
        "act for it, and delete this sign-up."
    ) in Page(response).admin_messages()[0]


def test_the_public_register_knows_nothing_of_a_pending_claim(db):
    sign_up_as(english_client(), bin=BIN_C, email="one@claim.test")

    response = english_client().get(reverse("public:check"), {"q": BIN_C})

    assert "Claimant LLP" not in response.content.decode()


def test_a_regulator_cannot_verify_a_sign_up_by_editing_its_page(regulator_client):
    sign_up_as(english_client(), bin=BIN_C, email="one@claim.test")
    claim = Firm.objects.get(claimed_bin=BIN_C)
    url = reverse("admin:registry_firm_change", args=[claim.pk])

    page = Page(regulator_client.get(url))
    assert page.root.find("select", name="verification") is None
    assert page.root.find("input", name="claimed_bin") is None

    response = regulator_client.post(
        url,
        {
            "name": claim.name,
            "region": claim.region,
            "origin": claim.origin,
            "verification": "verified",
            "claimed_bin": "291417776310",
            "bin": BIN_C,
            **{
                f"{prefix}-{key}": value
                for prefix in ("ownerships", "members")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    assert response.status_code == 302  # saved: the other fields were taken, these two ignored
    claim.refresh_from_db()
    assert (claim.verification, claim.claimed_bin, claim.bin) == ("pending", BIN_C, None)


def test_a_login_name_stem_whose_four_digit_names_are_taken_gets_a_longer_one(db, monkeypatch):
    from registry.services import firms

    User.objects.create_user("info-1234")
    monkeypatch.setattr(firms.secrets, "randbelow", lambda _n: 234)  # every four-digit draw is info-1234

    assert re.fullmatch(r"info-[0-9a-f]{6}", firms.firm_login_name("info@gamma.kz"))


def test_a_pending_firm_cannot_save_a_facility_even_past_the_portal(db):
    from registry.errors import RegistryError
    from registry.services.facilities import facility_save

    sign_up_as(english_client(), bin=BIN_C, email="one@claim.test")
    claim = Firm.objects.get(claimed_bin=BIN_C)

    with pytest.raises(RegistryError, match="waiting for verification"):
        facility_save(
            firm=claim,
            name="Hall",
            region="almaty",
            address="",
            latitude=None,
            longitude=None,
            capacity_mw=Decimal("1"),
            devices=None,
            meter_ids=[],
        )
    assert not Facility.objects.filter(firm=claim).exists()
