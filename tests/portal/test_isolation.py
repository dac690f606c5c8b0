"""A firm user sees only their firm (docs/rules.md, "Who sees what"); another firm's object answers 404, unchanged."""

from decimal import Decimal

import pytest
from django.urls import URLPattern, reverse

from registry.models import Facility
from registry.portal import urls as portal_urls
from registry.services.declarations import declaration_file, declaration_return
from registry.services.firms import owner_save
from registry.services.licences import licence_apply
from tests.clients import english_client
from tests.factories import UserFactory
from tests.portal.helpers import everything, last_month, pdf

from .page import Page


def _world(firm, user, *, owner: str, facility_ref: str, document: str, question: str) -> dict:
    """One of each object a firm has in the portal, the declaration returned with a question."""
    facility = Facility.objects.get(ref=facility_ref)
    ownership = owner_save(firm=firm, full_name=owner, iin="", role="director", share_percent=None, is_pep=False)
    licence = licence_apply(
        firm=firm, facilities=[facility], capacity_mw=Decimal("3"), subtype="II", documents=[pdf(document)], user=user
    )
    declaration, _ = declaration_file(facility=facility, month=last_month(), consumed_mwh=Decimal("700"))
    declaration_return(declaration=declaration, question=question)
    return {
        "ownership": ownership,
        "facility": facility,
        "licence": licence,
        "document": licence.documents.get(),
        "declaration": declaration,
    }


@pytest.fixture
def alices(alice, documents):
    return _world(
        alice.firm_membership.firm,
        alice,
        owner="Aliya Alpha",
        facility_ref="FAC-A1",
        document="alpha-plan.pdf",
        question="Alpha, why so low?",
    )


@pytest.fixture
def bobs(bob, documents):
    return _world(
        bob.firm_membership.firm,
        bob,
        owner="Bolat Bekov",
        facility_ref="FAC-B1",
        document="beta-plan.pdf",
        question="Beta, why so low?",
    )


# Every portal URL that takes an id: the object it names, how it is used, and what a POST sends.
FACILITY_POST = {"name": "Taken over", "region": "almaty", "address": "", "capacity_mw": "99", "meter_ids": "PV-0001"}
CROSSINGS = [
    ("owner-edit", "ownership", "get", None),
    ("owner-edit", "ownership", "post", {"full_name": "Taken over", "role": "director", "share_percent": "100"}),
    ("facility-edit", "facility", "get", None),
    ("facility-edit", "facility", "post", FACILITY_POST),
    ("licence", "licence", "get", None),
    ("document", "document", "get", None),
    ("declaration", "declaration", "get", None),
    ("declaration-correct", "declaration", "get", None),
    ("declaration-correct", "declaration", "post", {"consumed_mwh": "1", "power_source": "grid_exchange"}),
    ("declaration-answer", "declaration", "post", {"answer": "Taken over"}),
]
CROSSING_IDS = [f"{method}-{name}" for name, _, method, _ in CROSSINGS]


def test_every_portal_url_that_takes_an_id_is_crossed():
    with_id = {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern) and "<int:pk>" in str(p.pattern)}

    assert with_id == {name for name, *_ in CROSSINGS}


@pytest.mark.parametrize(("name", "kind", "method", "data"), CROSSINGS, ids=CROSSING_IDS)
def test_another_firms_object_answers_404_and_stays_unchanged(alice_client, alices, bobs, name, kind, method, data):
    before = everything()

    response = getattr(alice_client, method)(reverse(f"portal:{name}", args=[bobs[kind].pk]), data)

    assert response.status_code == 404
    assert everything() == before


@pytest.mark.parametrize(("name", "kind", "method", "data"), CROSSINGS, ids=CROSSING_IDS)
def test_the_same_request_works_for_the_firms_own_object(bob_client, bobs, name, kind, method, data):
    response = getattr(bob_client, method)(reverse(f"portal:{name}", args=[bobs[kind].pk]), data)

    assert response.status_code == (200 if method == "get" else 302)


LISTS = {
    "dashboard": "KZ-DM-2024-000001",
    "owners": "Aliya Alpha",
    "facilities": "FAC-A1",
    "licences": "KZ-DM-2024-000001",
    "declarations": "FAC-A1",
    "declaration-file": "FAC-A1",
    "licence-apply": "FAC-A1",
}


@pytest.mark.parametrize(("name", "own"), LISTS.items(), ids=LISTS.keys())
def test_pages_never_show_another_firms_rows(alice_client, alices, bobs, firm_b, name, own):
    response = alice_client.get(reverse(f"portal:{name}"))

    text = Page(response).text
    assert own in text
    for theirs in ("FAC-B1", "Bolat Bekov", "Beta", firm_b.bin, "beta-plan.pdf"):
        assert theirs not in text


def test_the_licence_page_lists_only_the_firms_own_documents(alice_client, alices, bobs):
    response = alice_client.get(reverse("portal:licence", args=[alices["licence"].pk]))

    page = Page(response)
    assert reverse("portal:document", args=[alices["document"].pk]) in page.links()
    assert reverse("portal:document", args=[bobs["document"].pk]) not in page.links()


# Who may use the portal at all

FIRM_PAGES = [(p.name, "<int:pk>" in str(p.pattern)) for p in portal_urls.urlpatterns if p.name != "document"]


def _url(name: str, takes_id: bool, world: dict) -> str:
    kind = {url_name: kind for url_name, kind, *_ in CROSSINGS}.get(name)
    return reverse(f"portal:{name}", args=[world[kind].pk] if takes_id else [])


@pytest.mark.parametrize(("name", "takes_id"), FIRM_PAGES, ids=[name for name, _ in FIRM_PAGES])
def test_staff_are_sent_from_the_portal_to_the_admin(regulator_client, alices, name, takes_id):
    response = regulator_client.get(_url(name, takes_id, alices))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize(("name", "takes_id"), FIRM_PAGES, ids=[name for name, _ in FIRM_PAGES])
def test_an_anonymous_visitor_is_sent_to_log_in(client, alices, name, takes_id):
    url = _url(name, takes_id, alices)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(("name", "takes_id"), FIRM_PAGES, ids=[name for name, _ in FIRM_PAGES])
def test_a_user_of_no_firm_is_forbidden(alices, name, takes_id):
    nobody = english_client(UserFactory(username="nina"))

    response = nobody.get(_url(name, takes_id, alices))

    assert response.status_code == 403


def test_an_owner_entered_with_a_known_iin_leaves_another_firms_owner_as_it_was(alice_client, bob_client, firm_b):
    owner_save(
        firm=firm_b,
        full_name="Bolat Bekov",
        iin="500080636080",
        role="beneficial_owner",
        share_percent=Decimal("60"),
        is_pep=True,
    )

    alice_client.post(
        reverse("portal:owner-add"),
        {"full_name": "Someone Else", "iin": "500080636080", "role": "beneficial_owner", "share_percent": "10"},
    )

    assert Page(bob_client.get(reverse("portal:owners"))).rows() == ["Bolat Bekov Beneficial owner 60.00 yes Edit"]
