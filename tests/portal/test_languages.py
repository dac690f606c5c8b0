"""Every page a person uses works in Russian, Kazakh and English (settings.LANGUAGES), whoever asked first."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from .page import Page


@pytest.mark.parametrize(
    ("name", "title"),
    [
        pytest.param("profile", "Firm profile"),
        pytest.param("licence-apply", "Apply for a licence"),
        pytest.param("declaration-file", "File a monthly declaration"),
        pytest.param("facility-add", "Facility"),
    ],
    ids=["profile", "licence-apply", "declaration-file", "facility-add"],
)
def test_a_portal_pages_title_is_in_each_visitors_language(alice, name, title):
    titles = {}

    for language in ("ru", "kk", "en"):
        browser = Client(headers={"accept-language": language})
        browser.force_login(alice)
        titles[language] = Page(browser.get(reverse(f"portal:{name}"))).root.find("h1").text

    expected = {}
    for language in titles:
        with translation.override(language):
            expected[language] = translation.gettext(title)
    assert expected["ru"] != title
    assert titles == expected


def test_the_sign_up_title_is_in_each_visitors_language(db):
    titles = {
        language: Page(Client(headers={"accept-language": language}).get(reverse("accounts:signup")))
        .root.find("h1")
        .text
        for language in ("ru", "kk", "en")
    }

    expected = {}
    for language in titles:
        with translation.override(language):
            expected[language] = translation.gettext("Register your firm")
    assert titles == expected
