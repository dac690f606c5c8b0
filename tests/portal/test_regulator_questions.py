"""A regulator returns a declaration with a question; the firm sees it, answers once, and the admin shows the answer."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry.models import Facility, PowerDeclaration
from registry.services.declarations import declaration_file
from tests.portal.helpers import last_month

from .page import Page

QUESTION = "Your meter shows 1,480 MWh for the month; why is 1,000 MWh declared?"
ANSWER = "Two containers ran on our own gas generator; the invoices are attached to the licence file."


@pytest.fixture
def declaration(firm_a) -> PowerDeclaration:
    declaration, _ = declaration_file(
        facility=Facility.objects.get(ref="FAC-A1"), month=last_month(), consumed_mwh=Decimal("1000")
    )
    return declaration


def return_with_question(regulator_client, declaration, question=QUESTION):
    return regulator_client.post(
        reverse("admin:registry_powerdeclaration_changelist"),
        {
            "action": "return_with_question",
            ACTION_CHECKBOX_NAME: [declaration.pk],
            "apply": "1",
            "question": question,
        },
        follow=True,
    )


@pytest.fixture
def returned(regulator_client, declaration) -> PowerDeclaration:
    response = return_with_question(regulator_client, declaration)
    assert response.status_code == 200
    return PowerDeclaration.objects.get(pk=declaration.pk)


def test_the_regulators_action_returns_the_declaration_with_the_question(regulator_client, declaration):
    response = return_with_question(regulator_client, declaration)

    declaration.refresh_from_db()
    assert (declaration.review, declaration.question) == ("returned", QUESTION)
    assert any("Return to the firm with a question" in m for m in Page(response).admin_messages())


def test_the_firms_dashboard_lists_the_question(alice_client, returned):
    response = alice_client.get(reverse("portal:dashboard"))

    page = Page(response)
    section = page.section("Questions from the regulator")
    assert f"FAC-A1 {last_month():%Y-%m}: {QUESTION}" in section
    assert reverse("portal:declaration", args=[returned.pk]) in page.links()


def test_the_declaration_page_shows_the_question_and_an_answer_form(alice_client, returned):
    response = alice_client.get(reverse("portal:declaration", args=[returned.pk]))

    page = Page(response)
    assert QUESTION in page.text
    assert page.has_field("answer")


def test_the_firms_answer_shows_in_the_admin_as_answered(alice_client, regulator_client, returned):
    answered = alice_client.post(
        reverse("portal:declaration-answer", args=[returned.pk]), {"answer": ANSWER}, follow=True
    )

    assert Page(answered).messages() == ["Your answer is sent to the regulator."]
    change = Page(regulator_client.get(reverse("admin:registry_powerdeclaration_change", args=[returned.pk])))
    assert change.readonly("review") == "Answered"
    assert change.readonly("question") == QUESTION
    assert change.readonly("answer") == ANSWER
    changelist = reverse("admin:registry_powerdeclaration_changelist")
    listing = Page(regulator_client.get(changelist, {"review__exact": "answered"}))
    assert any("FAC-A1" in row and "Answered" in row for row in listing.rows())


def test_answering_twice_is_refused_with_a_message(alice_client, returned):
    alice_client.post(reverse("portal:declaration-answer", args=[returned.pk]), {"answer": ANSWER}, follow=True)

    second = alice_client.post(
        reverse("portal:declaration-answer", args=[returned.pk]), {"answer": "Another answer"}, follow=True
    )

    assert Page(second).messages() == ["This declaration has no open question."]
    returned.refresh_from_db()
    assert (returned.review, returned.answer) == ("answered", ANSWER)


def test_an_empty_answer_is_refused_and_the_question_stays_open(alice_client, returned):
    response = alice_client.post(
        reverse("portal:declaration-answer", args=[returned.pk]), {"answer": "  "}, follow=True
    )

    assert Page(response).messages() == ["Write your answer."]
    returned.refresh_from_db()
    assert returned.review == "returned"


def test_a_declaration_with_no_question_cannot_be_answered(alice_client, declaration):
    response = alice_client.post(
        reverse("portal:declaration-answer", args=[declaration.pk]), {"answer": ANSWER}, follow=True
    )

    assert Page(response).messages() == ["This declaration has no open question."]
    declaration.refresh_from_db()
    assert (declaration.review, declaration.answer) == ("filed", "")


def test_a_correction_filed_in_reply_closes_the_question_on_the_dashboard(alice_client, returned):
    alice_client.post(
        reverse("portal:declaration-correct", args=[returned.pk]),
        {"consumed_mwh": "1480", "power_source": "grid_exchange"},
    )

    response = alice_client.get(reverse("portal:dashboard"))

    assert Page(response).section("Questions from the regulator") == "Questions from the regulator None open."
