"""Request rates: anonymous clients and accounts are throttled separately, with a 429 and Retry-After."""

from tests.api.helpers import api_client


def _with_rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "public": None, **rates},
    }


def test_an_anonymous_client_over_its_rate_gets_429(settings, db):
    # DRF refuses a request without credentials (401) before it counts it, so the anonymous rate
    # bears on what anyone may fetch: the schema, the docs, the public register.
    _with_rates(settings, anon="2/min")
    api = api_client(None)

    codes = [api.get("/api/schema/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_an_account_over_its_rate_gets_429_with_retry_after(settings, world, regulator):
    _with_rates(settings, user="2/min")
    api = api_client(regulator)

    responses = [api.get("/api/v1/flags/") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert int(responses[-1]["Retry-After"]) > 0


def test_each_account_has_its_own_allowance(settings, world, alice, bob):
    _with_rates(settings, user="1/min")

    codes = [api_client(alice).get("/api/v1/firms/").status_code, api_client(bob).get("/api/v1/firms/").status_code]

    assert codes == [200, 200]


def test_the_default_rates_are_set():
    from django.conf import settings as django_settings

    # The conftest turns throttling off for tests; the project's own settings module still has the rates.
    import config.settings as project

    assert project.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "60/min",
        "user": "600/min",
        "public": "120/min",
    }
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "registry.api.throttling.AnonThrottle",
        "registry.api.throttling.UserThrottle",
    ]
