"""The browsable API (HTML, for staff and firm users signed in with a session) renders every endpoint."""

import pytest

from tests.api.helpers import ENDPOINTS


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_browse_every_endpoint_in_html(client, world, regulator, endpoint):
    client.force_login(regulator)

    listing = client.get(f"/api/v1/{endpoint}/", HTTP_ACCEPT="text/html")
    detail = client.get(f"/api/v1/{endpoint}/{world.a.of(endpoint).pk}/", HTTP_ACCEPT="text/html")

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert listing["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("params", [{"ordering": "bogus"}, {"cursor": "bogus"}, {"created_after": "bogus"}])
def test_a_bad_query_is_shown_as_a_400_page_in_html(client, world, regulator, params):
    client.force_login(regulator)

    response = client.get("/api/v1/flags/", params, HTTP_ACCEPT="text/html")

    assert response.status_code == 400
