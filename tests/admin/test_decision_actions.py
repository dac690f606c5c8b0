"""Each admin module's decisions, taken from the changelist's action bar: the form when one is needed, the result."""

import re

from django.core import mail
from django.urls import reverse

from registry.models import Firm, FirmMembership, Flag, PowerDeclaration
from tests.factories import FirmFactory, FlagFactory, PowerDeclarationFactory

FIRMS = reverse("admin:registry_firm_changelist")
FLAGS = reverse("admin:registry_flag_changelist")
DECLARATIONS = reverse("admin:registry_powerdeclaration_changelist")
LICENCES = reverse("admin:registry_licence_changelist")


def act(client, url: str, action: str, objects, **data):
    """Post an admin action on the objects, as the changelist's action bar (or its form) does."""
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects], **data}, follow=True)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_the_action_bar_lists_each_decision_by_its_description(rita, firm_a):
    response = rita.get(LICENCES)

    options = dict(re.findall(r'<option value="(\w+)">([^<]+)</option>', response.content.decode()))
    assert {name: options.get(name) for name in ("start_review", "grant", "suspend", "surrender")} == {
        "start_review": "Start review",
        "grant": "Grant",
        "suspend": "Suspend",
        "surrender": "Surrender",
    }


def test_a_regulator_verifies_a_pending_firm_without_a_form(rita):
    firm = FirmFactory(name="Gamma Compute LLP", verification=Firm.Verification.PENDING)

    response = act(rita, FIRMS, "verify", [firm])

    assert Firm.objects.get(pk=firm.pk).verification == Firm.Verification.VERIFIED
    assert messages_of(response) == [("success", f"Verify (the firm may file in the portal): {firm}")]


def test_an_invitation_links_to_the_site_the_regulator_is_on(rita, firm_b):
    asked = act(rita, FIRMS, "invite_user", [firm_b], index="0")
    assert 'name="email"' in asked.content.decode()

    response = act(rita, FIRMS, "invite_user", [firm_b], apply="1", email="Dana@Beta.test")

    assert FirmMembership.objects.get(firm=firm_b, user__email="dana@beta.test")
    (sent,) = mail.outbox
    assert sent.to == ["dana@beta.test"]
    assert re.search(r"http://testserver/accounts/invite/\S+/\S+/", sent.body)
    assert messages_of(response) == [("success", f"Invite a portal user: {firm_b}")]


def test_a_regulator_returns_a_declaration_with_the_question_typed_in_the_form(rita, firm_a):
    declaration = PowerDeclarationFactory(facility=firm_a.facilities.get(ref="FAC-A1"))

    response = act(
        rita, DECLARATIONS, "return_with_question", [declaration], apply="1", question="Why did the load double?"
    )

    returned = PowerDeclaration.objects.get(pk=declaration.pk)
    assert (returned.review, returned.question) == (PowerDeclaration.Review.RETURNED, "Why did the load double?")
    assert messages_of(response) == [("success", f"Return to the firm with a question: {declaration}")]


def test_a_regulator_assigns_a_flag_to_the_inspector_chosen_in_the_form(rita, firm_b, inspector):
    flag = FlagFactory(rule="NO_VALID_LICENCE", facility=firm_b.facilities.get(), firm=firm_b)

    response = act(rita, FLAGS, "assign", [flag], apply="1", inspector=str(inspector.pk))

    assert Flag.objects.get(pk=flag.pk).assigned_to == inspector
    assert messages_of(response) == [("success", f"Assign to an inspector: {flag}")]
