"""A firm's owners are what it filed: never another firm's filing, nor the registry's person, shown by IIN.

The person stays one across firms (linked by IIN) for the regulator, who sees every filing and where they differ.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.models import Ownership, Person
from registry.services.firms import owner_save
from tests.factories import BIN_C, OwnershipFactory, PersonFactory

from .page import Page

IIN = BIN_C


@pytest.fixture
def bolat(firm_b):
    """Firm B's beneficial owner, a politically exposed person, filed with an IIN."""
    return owner_save(
        firm=firm_b, full_name="Bolat Bekov", iin=IIN, role="beneficial_owner", share_percent=Decimal("60"), is_pep=True
    )


def _claim(client, **changes):
    data = {"full_name": "Someone Else", "iin": IIN, "role": "beneficial_owner", "share_percent": "10", **changes}
    return client.post(reverse("portal:owner-add"), data)


def test_an_owner_claimed_by_another_firms_iin_is_listed_as_the_firm_filed_it(alice_client, firm_a, bolat):
    _claim(alice_client)

    page = Page(alice_client.get(reverse("portal:owners")))
    assert page.rows() == ["Someone Else Beneficial owner 10.00 no Edit"]
    assert "Bolat" not in page.text


def test_the_edit_form_of_a_claimed_owner_shows_the_firms_own_filing(alice_client, firm_a, bolat):
    _claim(alice_client)
    mine = Ownership.objects.get(firm=firm_a)

    page = Page(alice_client.get(reverse("portal:owner-edit", args=[mine.pk])))

    assert page.value("full_name") == "Someone Else"
    assert page.value("is_pep") == []
    assert "Bolat" not in page.text


def test_a_claim_leaves_the_other_firms_filing_and_page_as_they_were(alice_client, bob_client, firm_a, bolat):
    _claim(alice_client, is_pep="on")

    assert Page(bob_client.get(reverse("portal:owners"))).rows() == ["Bolat Bekov Beneficial owner 60.00 yes Edit"]
    bolat.refresh_from_db()
    assert (bolat.filed_full_name, bolat.filed_is_pep) == ("Bolat Bekov", True)


def test_both_firms_list_the_one_person_of_that_iin_for_the_regulator(alice_client, firm_a, bolat):
    _claim(alice_client)

    person = Person.objects.get(iin=IIN)
    assert set(person.ownerships.values_list("firm__bin", "filed_full_name")) == {
        (bolat.firm.bin, "Bolat Bekov"),
        (firm_a.bin, "Someone Else"),
    }
    assert (person.full_name, person.is_pep) == ("Bolat Bekov", True)


def test_a_firms_filing_never_rewrites_the_registrys_person(bob_client, bolat):
    bob_client.post(
        reverse("portal:owner-edit", args=[bolat.pk]),
        {"full_name": "Bolat Bekovich", "iin": IIN, "role": "beneficial_owner", "share_percent": "60"},
    )

    person = Person.objects.get(iin=IIN)
    bolat.refresh_from_db()
    assert (bolat.filed_full_name, bolat.filed_is_pep) == ("Bolat Bekovich", False)
    assert (person.full_name, person.is_pep) == ("Bolat Bekov", True)
    assert Page(bob_client.get(reverse("portal:owners"))).rows() == ["Bolat Bekovich Beneficial owner 60.00 no Edit"]


def test_a_new_iin_makes_a_person_from_the_filing(alice_client, firm_a):
    _claim(alice_client, full_name="Aigerim Sadykova", is_pep="on")

    person = Person.objects.get(iin=IIN)
    assert (person.person_id, person.full_name, person.is_pep) == (f"IIN-{IIN}", "Aigerim Sadykova", True)


def test_changing_the_iin_links_the_filing_to_the_person_with_that_iin(alice_client, firm_a, bolat):
    mine = owner_save(firm=firm_a, full_name="Someone Else", iin="", role="director", share_percent=None, is_pep=False)

    alice_client.post(
        reverse("portal:owner-edit", args=[mine.pk]), {"full_name": "Someone Else", "iin": IIN, "role": "director"}
    )

    mine.refresh_from_db()
    assert mine.person == bolat.person
    assert mine.filed_full_name == "Someone Else"


def test_a_person_in_two_roles_of_one_firm_carries_one_filed_name(alice_client, firm_a):
    _claim(alice_client, full_name="Aigerim Sadykova")
    _claim(alice_client, full_name="Aigerim Sadykova", role="director", share_percent="")
    director = Ownership.objects.get(firm=firm_a, role="director")

    alice_client.post(
        reverse("portal:owner-edit", args=[director.pk]),
        {"full_name": "Aigerim N. Sadykova", "iin": IIN, "role": "director", "is_pep": "on"},
    )

    assert set(Ownership.objects.filter(firm=firm_a).values_list("role", "filed_full_name", "filed_is_pep")) == {
        ("beneficial_owner", "Aigerim N. Sadykova", True),
        ("director", "Aigerim N. Sadykova", True),
    }


def test_an_ownership_the_regulator_records_files_the_person_as_the_registry_has_them(firm_a):
    person = PersonFactory(full_name="Yerlan Ospanov", is_pep=True)

    ownership = OwnershipFactory(firm=firm_a, person=person)

    assert (ownership.filed_full_name, ownership.filed_is_pep) == ("Yerlan Ospanov", True)


# The regulator's view


def test_the_regulator_sees_each_firms_filing_on_the_persons_page(regulator_client, alice_client, firm_a, bolat):
    _claim(alice_client)

    page = Page(regulator_client.get(reverse("admin:registry_person_change", args=[bolat.person.pk])))

    rows = page.rows()
    assert any("Beta Hash TOO" in row and "Bolat Bekov" in row for row in rows)
    assert any("Alpha Mining LLP" in row and "Someone Else" in row for row in rows)


def test_the_regulator_finds_persons_whom_firms_filed_differently(regulator_client, alice_client, firm_a, bolat):
    agreed = owner_save(
        firm=firm_a, full_name="Dana Aliyeva", iin="", role="director", share_percent=None, is_pep=False
    )
    _claim(alice_client)

    response = regulator_client.get(reverse("admin:registry_person_changelist") + "?filings=differ")

    rows = Page(response).rows()
    assert len(rows) == 1
    assert "Bolat Bekov" in rows[0] and "Firms filed this person differently" in rows[0] and "2" in rows[0]
    assert agreed.person.full_name not in " ".join(rows)


def test_the_regulator_finds_a_filing_that_differs_from_the_person(regulator_client, bob_client, bolat):
    bob_client.post(
        reverse("portal:owner-edit", args=[bolat.pk]),
        {"full_name": "Bolat Bekov", "iin": IIN, "role": "beneficial_owner", "share_percent": "60"},
    )

    response = regulator_client.get(reverse("admin:registry_person_changelist") + "?filings=record")

    (row,) = Page(response).rows()
    assert "Bolat Bekov" in row and "A filing differs from the person" in row


def test_filings_that_differ_only_in_case_and_spaces_agree(regulator_client, alice_client, firm_a, bolat):
    _claim(alice_client, full_name="  BOLAT BEKOV ", is_pep="on")

    response = regulator_client.get(reverse("admin:registry_person_changelist") + "?filings=differ")

    assert Page(response).rows() == []
