"""No public answer, page, CSV or JSON, carries personal or internal data.

Not owners, persons, contacts, addresses or sites.
"""

import pytest

from registry.models import Facility
from tests.clients import english_client
from tests.public.helpers import body

pytestmark = pytest.mark.django_db


def every_public_answer(world) -> dict[str, str]:
    client = english_client()
    urls = [
        "/register/",
        "/register/warnings/",
        "/register/licensed.csv",
        "/register/warnings.csv",
        "/api/v1/public/licensed/",
        "/api/v1/public/warnings/",
        "/register/check/",
    ]
    for firm in world.firms.values():
        urls += [
            f"/register/check/?q={firm.bin}",
            f"/register/?q={firm.bin}",
            f"/register/warnings/?q={firm.bin}",
            f"/api/v1/public/licensed/?q={firm.bin}",
            f"/api/v1/public/warnings/?q={firm.bin}",
        ]
    for licence in world.licences.values():
        if licence.number:
            urls.append(f"/register/check/?q={licence.number}")
    answers = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        answers[url] = body(response)
    return answers


def test_no_answer_holds_owners_contacts_addresses_or_sites(world):
    private = world.private + [
        "Private reason for the decision",
        "Hidden Grid Co",
        "avg_mw",
        *Facility.objects.values_list("ref", flat=True),
        *Facility.objects.values_list("name", flat=True),
    ]
    assert len(private) > 80

    for url, text in every_public_answer(world).items():
        leaks = [value for value in private if value and value in text]
        assert leaks == [], f"{url} shows {leaks}"


def test_the_api_gives_only_the_public_fields(world):
    client = english_client()

    licence = client.get("/api/v1/public/licensed/").json()["results"][0]
    warning = client.get("/api/v1/public/warnings/").json()["results"][0]

    assert set(licence) == {
        "firm_name",
        "bin",
        "licence_number",
        "subtype",
        "regions",
        "capacity_mw",
        "valid_from",
        "valid_until",
    }
    assert set(warning) == {"operator_name", "bin", "regions", "date", "actions"}
