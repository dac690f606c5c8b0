"""What every public answer shares: cache headers, no cookies, no 500 on odd queries, the language switch."""

import pytest

from tests.clients import english_client
from tests.public.helpers import body

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/register/",
    "/register/?q=altyn&region=pavlodar",
    "/register/check/",
    "/register/check/?q=KZ-DM-2025-900001",
    "/register/warnings/",
    "/register/licensed.csv",
    "/register/warnings.csv",
    "/api/v1/public/licensed/",
    "/api/v1/public/warnings/",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_answers_may_be_cached_by_anyone_for_five_minutes(world, url):
    response = english_client().get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary
    assert not response.cookies, "a cached public answer must not set a cookie"


@pytest.mark.parametrize("url", ["/register/", "/register/check/", "/register/warnings/"])
def test_pages_carry_nothing_of_the_visitor(world, url, alice):
    client = english_client()
    client.force_login(alice)

    page = body(client.get(url))

    assert "csrfmiddlewaretoken" not in page and "alice" not in page


@pytest.mark.parametrize(
    "url", ["/register/", "/register/warnings/", "/register/check/", "/register/licensed.csv", "/register/warnings.csv"]
)
@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 300},
        {"q": "%' OR 1=1 --"},
        {"q": "a\x00b"},
        {"q": "\u202e\ufeff😀"},
        {"page": "abc"},
        {"page": "-5"},
        {"page": "1e9"},
        {"region": "../../etc"},
        {"q": ["a", "b"]},
    ],
)
def test_odd_queries_never_fail(world, url, params):
    response = english_client().get(url, params)

    assert response.status_code in (200, 400), response.status_code
    if url.endswith("/"):
        assert response.status_code == 200


def test_a_300_character_query_is_refused_with_a_reason(world):
    page = body(english_client().get("/register/", {"q": "x" * 300}))

    assert "Ensure this value has at most 255 characters (it has 300)." in page


def test_only_get_is_answered(world):
    assert english_client().post("/register/").status_code == 405


def test_the_language_switch_works_from_a_cached_page_without_a_csrf_token(world):
    client = english_client(enforce_csrf_checks=True)

    response = client.post("/register/language/", {"language": "ru", "next": "/register/warnings/"})

    assert response.status_code == 302 and response["Location"] == "/register/warnings/"
    page = body(client.get("/register/warnings/"))
    assert '<html lang="ru">' in page
    assert 'action="/register/language/"' in page


def test_the_language_switch_sends_nobody_elsewhere(world):
    response = english_client().post("/register/language/", {"language": "kk", "next": "https://evil.example/"})

    assert response["Location"] == "/"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pages_speak_the_visitors_language(world, language):
    page = body(english_client().get("/register/", HTTP_ACCEPT_LANGUAGE=language))

    assert f'<html lang="{language}">' in page
