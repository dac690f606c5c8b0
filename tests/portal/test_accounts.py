"""Accounts: a regulator invites a firm user, who sets a password once and logs in; password reset; bad logins."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.urls import reverse

from tests.clients import english_client

from .page import Page

NEW_PASSWORD = "Gobi-desert-2024"


def link_in(mail) -> str:
    """The one-time link of an email, as a path on the test server."""
    return re.search(r"^http://testserver(/accounts/\S+/)$", mail.body, re.MULTILINE).group(1)


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Follow an emailed link and choose a password, as a browser does: the link redirects to the form."""
    opened = client.get(link, follow=True)
    return client.post(
        opened.redirect_chain[-1][0] if opened.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def log_in(client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, follow=True)


def invite(regulator_client, firm, email):
    return regulator_client.post(
        reverse("admin:registry_firm_changelist"),
        {"action": "invite_user", ACTION_CHECKBOX_NAME: [firm.pk], "apply": "1", "email": email},
        follow=True,
    )


@pytest.fixture
def invitation(regulator_client, firm_a, mailoutbox):
    """A regulator has invited carol to Alpha Mining; the email she received."""
    invite(regulator_client, firm_a, "Carol@Alpha.test")
    return mailoutbox[-1]


# Invitations


def test_a_regulator_invites_a_firm_user_by_email(regulator_client, firm_a, mailoutbox):
    response = invite(regulator_client, firm_a, "Carol@Alpha.test")

    carol = User.objects.get(email="carol@alpha.test")
    (mail,) = mailoutbox
    assert Page(response).admin_messages() == ["Invite a portal user: Alpha Mining LLP (291417776310)"]
    assert (mail.to, mail.subject) == (["carol@alpha.test"], "Your minereg account for Alpha Mining LLP")
    assert link_in(mail).startswith("/accounts/invite/")
    assert carol.firm_membership.firm == firm_a
    assert not carol.has_usable_password()


def test_inviting_an_email_already_in_use_is_refused(regulator_client, firm_a, alice, mailoutbox):
    response = invite(regulator_client, firm_a, "alice@alpha.test")

    assert Page(response).admin_messages() == [
        "Refused — Alpha Mining LLP (291417776310): A user with this email already exists."
    ]
    assert not mailoutbox
    assert User.objects.filter(email__iexact="alice@alpha.test").count() == 1


def test_the_invitation_link_lets_the_user_set_a_password(invitation):
    response = set_password(english_client(), link_in(invitation))

    assert response.redirect_chain[-1] == (reverse("accounts:password_reset_complete"), 302)
    assert Page(response).root.find("h1").text == "Your password is set"
    assert User.objects.get(email="carol@alpha.test").check_password(NEW_PASSWORD)


def test_the_invitation_link_works_once(invitation):
    set_password(english_client(), link_in(invitation))

    again = english_client().get(link_in(invitation), follow=True)
    set_password(english_client(), link_in(invitation), "Another-password-99")

    assert not Page(again).has_field("new_password1")
    assert Page(again).root.find("h1").text == "This link no longer works"
    assert User.objects.get(email="carol@alpha.test").check_password(NEW_PASSWORD)


def test_a_used_link_explains_itself_and_offers_no_empty_form(invitation):
    set_password(english_client(), link_in(invitation))

    again = Page(english_client().get(link_in(invitation), follow=True)).root.find("main")

    assert not again.find_all("button")
    assert "link" in again.text.lower()


def test_the_invited_user_logs_in_to_their_firms_dashboard(invitation):
    set_password(english_client(), link_in(invitation))
    browser = english_client()

    response = log_in(browser, "carol@alpha.test", NEW_PASSWORD)

    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert Page(response).root.find("h1").text == "Alpha Mining LLP"


def test_an_invited_user_who_lost_the_link_gets_a_new_one_by_password_reset(invitation, mailoutbox):
    english_client().post(reverse("accounts:password_reset"), {"email": "carol@alpha.test"})

    assert len(mailoutbox) == 2
    assert mailoutbox[-1].to == ["carol@alpha.test"]


# Password reset and login


def test_a_firm_user_resets_a_forgotten_password_by_email(alice, mailoutbox):
    browser = english_client()
    asked = browser.post(reverse("accounts:password_reset"), {"email": "alice@alpha.test"}, follow=True)
    (mail,) = mailoutbox

    response = set_password(browser, link_in(mail))

    assert asked.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert (mail.to, mail.subject) == (["alice@alpha.test"], "minereg password reset")
    assert link_in(mail).startswith("/accounts/reset/")
    assert response.redirect_chain[-1] == (reverse("accounts:password_reset_complete"), 302)
    assert log_in(english_client(), "alice", NEW_PASSWORD).redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert log_in(english_client(), "alice", "pass").redirect_chain == []


def test_a_reset_for_an_unknown_email_sends_nothing_and_looks_the_same(db, mailoutbox):
    response = english_client().post(reverse("accounts:password_reset"), {"email": "nobody@nowhere.test"}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert not mailoutbox


def test_a_wrong_password_shows_an_error_and_does_not_log_in(alice):
    browser = english_client()

    response = log_in(browser, "alice", "wrong")

    page = Page(response)
    assert response.status_code == 200
    assert page.root.find("div", cls="error-summary").text == "The user name and password do not match. Try again."
    assert page.value("username") == "alice"
    assert browser.get(reverse("portal:dashboard")).status_code == 302


def test_a_logged_in_firm_user_changes_their_password(alice):
    browser = english_client()
    assert log_in(browser, "alice", "pass").redirect_chain == [(reverse("portal:dashboard"), 302)]

    response = browser.post(
        reverse("accounts:password_change"),
        {"old_password": "pass", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert browser.get(reverse("portal:dashboard")).status_code == 200  # still logged in after the change
    assert log_in(english_client(), "alice", NEW_PASSWORD).redirect_chain == [(reverse("portal:dashboard"), 302)]
    assert log_in(english_client(), "alice", "pass").redirect_chain == []


def test_a_password_change_needs_the_old_password(alice):
    browser = english_client()
    log_in(browser, "alice", "pass")

    response = browser.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in Page(response).text
    assert log_in(english_client(), "alice", "pass").redirect_chain == [(reverse("portal:dashboard"), 302)]


def test_logging_out_ends_the_session(alice):
    browser = english_client()
    log_in(browser, "alice", "pass")
    assert browser.get(reverse("portal:dashboard")).status_code == 200

    response = browser.post(reverse("accounts:logout"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    dashboard = browser.get(reverse("portal:dashboard"))
    assert dashboard.status_code == 302 and dashboard["Location"].startswith(reverse("accounts:login"))
