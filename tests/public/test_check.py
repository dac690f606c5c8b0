"""/register/check/: "is this operator licensed?" by BIN or licence number.

The answer: licensed, not licensed, or on the warning list.
"""

import pytest

from registry.selectors.public import Verdict, operator_check
from tests.clients import english_client
from tests.factories import EnforcementActionFactory, new_bin
from tests.portal.page import Page

pytestmark = pytest.mark.django_db


def check(query: str):
    response = english_client().get("/register/check/", {"q": query})
    assert response.status_code == 200
    return Page(response).root


def verdict(page) -> tuple[str, str]:
    section = page.find("section", cls="verdict")
    assert section is not None, "no answer on the page"
    return (section.attrs["class"].split()[1], section.text)


def test_a_licensed_operator_is_licensed_with_its_licences(world):
    kind, text = verdict(check(world.firms["altyn"].bin))

    assert kind == "licensed"
    assert "Licensed" in text and "Altyn Hash LLP" in text and "holds 2 digital-mining licences in force" in text
    assert world.licences["altyn-1"].number in text and world.licences["altyn-2"].number in text
    assert "illegal" not in text


def test_a_licence_number_in_any_case_answers_for_its_holder(world):
    kind, text = verdict(check(world.licences["zhuldyz"].number.lower()))

    assert kind == "licensed"
    assert "ТОО «Жулдыз Майнинг»" in text and world.licences["zhuldyz"].number in text


def test_an_unknown_bin_is_not_licensed_and_unlicensed_mining_is_illegal(world):
    bin_ = new_bin()

    kind, text = verdict(check(bin_))

    assert kind == "not_licensed"
    assert f"No licence in force is registered for BIN {bin_}" in text
    assert "Digital mining without a licence in force is illegal" in text


@pytest.mark.parametrize("key", ["suspended", "revoked", "expired", "lapsed", "future"])
def test_a_licence_not_in_force_is_not_licensed_and_says_why(world, key):
    states = {
        "suspended": "Suspended",
        "revoked": "Revoked",
        "expired": "Expired",
        "lapsed": "Expired",
        "future": "Not yet in force",
    }

    for query in (world.licences[key].number, world.firms[key].bin):
        kind, text = verdict(check(query))
        assert kind == "not_licensed"
        assert world.firms[key].name in text and world.licences[key].number in text
        assert states[key] in text
        assert "Digital mining without a licence in force is illegal" in text


@pytest.mark.parametrize("key", ["applied", "review", "others"])
def test_a_firm_the_public_knows_nothing_of_is_not_named(world, key):
    kind, text = verdict(check(world.firms[key].bin))

    assert kind == "not_licensed"
    assert world.firms[key].name not in text
    assert f"No licence in force is registered for BIN {world.firms[key].bin}" in text


def test_an_unknown_licence_number_is_not_licensed(world):
    kind, text = verdict(check("KZ-DM-2099-123456"))

    assert kind == "not_licensed"
    assert "No licence numbered KZ-DM-2099-123456 is in the register" in text


@pytest.mark.parametrize(
    "key, actions",
    [
        ("closed", ["Closed voluntarily"]),
        ("raided", ["Operation cancelled", "Equipment confiscated", "Criminal case opened"]),
        ("inspected", ["Illegal operation found by an inspection"]),
        ("flagged", ["Mining without a licence confirmed"]),
    ],
)
def test_an_operator_on_the_warning_list_is_answered_so(world, key, actions):
    kind, text = verdict(check(world.firms[key].bin))

    assert kind == "warning"
    assert "On the warning list" in text and world.firms[key].name in text
    assert "; ".join(actions) in text
    assert "Digital mining without a licence in force is illegal" in text


def test_a_licensed_operator_on_the_warning_list_is_licensed_and_warned_about(world):
    EnforcementActionFactory(action="operation_cancelled", firm=world.firms["altyn"], region="ulytau", date=world.today)

    answer = operator_check(today=world.today, query=world.firms["altyn"].bin)
    kind, text = verdict(check(world.firms["altyn"].bin))

    assert answer.verdict == Verdict.LICENSED and answer.warning is not None
    assert kind == "licensed"
    assert "This operator is also on the warning list" in text and "Operation cancelled" in text


@pytest.mark.parametrize(
    "query, error",
    [
        ("123456789012", "The BIN/IIN check digit is wrong."),
        ("12345", "A BIN has exactly 12 digits."),
        ("x" * 40, "Enter a BIN (12 digits) or a licence number (at most 32 characters)."),
        ("x" * 300, "Ensure this value has at most 64 characters (it has 300)."),
        ("KZ\x00DM", "Null characters are not allowed."),
    ],
)
def test_a_malformed_query_is_explained_next_to_the_field(world, query, error):
    page = check(query)

    assert page.find("section", cls="verdict") is None
    assert error in page.find("p", cls="error").text


def test_the_empty_page_asks_without_answering(world):
    page = check("")

    assert page.find("section", cls="verdict") is None and page.find("p", cls="error") is None
    assert page.find("input", name="q") is not None


def test_a_check_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        check(world.firms["altyn"].bin)
