"""Two sessions file the same facility-month at once: one declaration is stored, the other user is told why.

Each request runs in its own thread with its own database connection, as under gunicorn. A hook holds a
request just before the service reads (and locks) the month's current declaration, which is where the
outcome is decided, so each interleaving is produced on purpose rather than by luck.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from registry.models import Facility, PowerDeclaration
from registry.services import declarations
from tests.clients import english_client
from tests.factories import FirmUserFactory, PowerDeclarationFactory
from tests.portal.helpers import last_month

pytestmark = pytest.mark.django_db(transaction=True)

FILED_MEANWHILE = "was filed from another session a moment ago, so yours was not saved"
ALREADY_DECLARED = "is already declared for FAC-A1"


@pytest.fixture
def sessions(alice, firm_a):
    """Alice's browser and that of carol, a second user of firm A."""
    carol = FirmUserFactory(username="carol", email="carol@alpha.test", firm=firm_a)
    return [english_client(alice), english_client(carol)]


@pytest.fixture
def before_the_decision(monkeypatch):
    """Call the given function in each request just before it reads and locks the month's current declaration."""
    hooks = []
    read = declarations._current_locked

    def held(facility, month):
        for hook in hooks:
            hook()
        return read(facility, month)

    monkeypatch.setattr(declarations, "_current_locked", held)
    return hooks.append


def _in_threads(*posts):
    """Run the posts in threads, each on its own database connection; return their responses in order."""
    responses = [None] * len(posts)

    def run(i, post):
        try:
            responses[i] = post()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return responses


def _values(consumed_mwh: str) -> dict:
    return {"consumed_mwh": consumed_mwh, "peak_mw": "4", "devices": "1000", "power_source": "grid_exchange"}


def _filing(consumed_mwh: str) -> dict:
    facility = Facility.objects.get(ref="FAC-A1")
    return {"facility": facility.pk, "month": f"{last_month():%Y-%m}", **_values(consumed_mwh)}


def test_two_first_filings_at_the_same_instant_store_one_and_tell_the_other(sessions, before_the_decision):
    both_checked = threading.Barrier(2, timeout=10)
    before_the_decision(both_checked.wait)
    url = reverse("portal:declaration-file")

    responses = _in_threads(
        lambda: sessions[0].post(url, _filing("900")), lambda: sessions[1].post(url, _filing("950"))
    )

    assert sorted(response.status_code for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status_code == 200)
    assert FILED_MEANWHILE in refused.content.decode()
    assert PowerDeclaration.objects.filter(month=last_month()).count() == 1


def test_a_filing_that_lands_while_another_waits_to_write_is_not_overwritten_by_it(sessions, before_the_decision):
    alice_filed = threading.Event()
    carol_waits = threading.Event()
    url = reverse("portal:declaration-file")

    def carol_waits_for_alice():
        if threading.current_thread().name == "carol":
            carol_waits.set()
            alice_filed.wait(10)

    before_the_decision(carol_waits_for_alice)

    def alice():
        carol_waits.wait(10)
        try:
            return sessions[0].post(url, _filing("900"))
        finally:
            alice_filed.set()

    def carol():
        threading.current_thread().name = "carol"
        return sessions[1].post(url, _filing("950"))

    alice_response, carol_response = _in_threads(alice, carol)

    assert alice_response.status_code == 302
    assert carol_response.status_code == 200
    assert ALREADY_DECLARED in carol_response.content.decode()
    (stored,) = PowerDeclaration.objects.filter(month=last_month())
    assert stored.consumed_mwh == 900


def test_two_corrections_of_the_same_declaration_at_once_store_one(sessions, before_the_decision):
    facility = Facility.objects.get(ref="FAC-A1")
    current = PowerDeclarationFactory(facility=facility, month=last_month(), consumed_mwh=800)
    both_checked = threading.Barrier(2, timeout=10)
    before_the_decision(both_checked.wait)
    url = reverse("portal:declaration-correct", args=[current.pk])

    responses = _in_threads(
        lambda: sessions[0].post(url, _values("900")), lambda: sessions[1].post(url, _values("950"))
    )

    assert sorted(response.status_code for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status_code == 200)
    assert FILED_MEANWHILE in refused.content.decode()
    rows = PowerDeclaration.objects.filter(facility=facility, month=last_month())
    assert rows.count() == 2
    assert rows.get(is_current=True).supersedes == current
