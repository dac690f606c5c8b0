"""Who reads what under /api/v1/: every role against every read endpoint, list and detail.

Staff read everything their group may view; a firm user reads only their own
firm's firm, facilities, licences and declarations (another firm's row is
404) and gets 403 on flags, inspections and enforcement; a grid operator's
token gets 403 on all of it; no credentials is 401.
"""

import pytest

from registry.models import FirmMembership
from tests.api.helpers import ENDPOINTS, FIRM_ENDPOINTS, STAFF_ENDPOINTS, api_client, token_client
from tests.factories import StaffFactory, UserFactory


def url(endpoint: str, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint}/" + (f"{pk}/" if pk is not None else "")


def listed_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401_on_list_and_detail(world, endpoint):
    api = api_client(None)

    responses = [api.get(url(endpoint)), api.get(url(endpoint, world.a.of(endpoint).pk))]

    assert [r.status_code for r in responses] == [401, 401]
    assert responses[0]["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_grid_operator_token_gets_403_on_list_and_detail(world, grid_operator, endpoint):
    api = api_client(grid_operator)

    responses = [api.get(url(endpoint)), api.get(url(endpoint, world.a.of(endpoint).pk))]

    assert [r.status_code for r in responses] == [403, 403]
    assert "readings" in responses[0].json()["detail"]


@pytest.mark.parametrize("staff", ["regulator", "inspector", "auditor"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_read_every_firms_rows(request, world, endpoint, staff):
    api = api_client(request.getfixturevalue(staff))
    mine, theirs = world.a.of(endpoint), world.b.of(endpoint)

    listing = api.get(url(endpoint))
    details = [api.get(url(endpoint, mine.pk)), api.get(url(endpoint, theirs.pk))]

    assert listing.status_code == 200
    assert {mine.pk, theirs.pk} <= listed_ids(listing)
    assert [d.status_code for d in details] == [200, 200]
    assert [d.json()["id"] for d in details] == [mine.pk, theirs.pk]


@pytest.mark.parametrize("user, own, other", [("alice", "a", "b"), ("bob", "b", "a")])
@pytest.mark.parametrize("endpoint", FIRM_ENDPOINTS)
def test_a_firm_user_reads_only_their_own_firms_rows(request, world, endpoint, user, own, other):
    api = api_client(request.getfixturevalue(user))
    mine, theirs = getattr(world, own).of(endpoint), getattr(world, other).of(endpoint)

    listing = api.get(url(endpoint))
    own_detail = api.get(url(endpoint, mine.pk))
    other_detail = api.get(url(endpoint, theirs.pk))

    assert listing.status_code == 200
    assert listed_ids(listing) == {mine.pk}
    assert own_detail.status_code == 200 and own_detail.json()["id"] == mine.pk
    assert other_detail.status_code == 404


@pytest.mark.parametrize("user", ["alice", "bob"])
@pytest.mark.parametrize("endpoint", STAFF_ENDPOINTS)
def test_a_firm_user_gets_403_on_flags_inspections_and_enforcement_even_about_their_own_firm(
    request, world, endpoint, user
):
    api = api_client(request.getfixturevalue(user))
    own = world.a if user == "alice" else world.b

    responses = [api.get(url(endpoint)), api.get(url(endpoint, own.of(endpoint).pk))]

    assert [r.status_code for r in responses] == [403, 403]


@pytest.mark.parametrize("endpoint", FIRM_ENDPOINTS)
def test_a_firm_users_session_is_scoped_like_their_token(client, world, alice, endpoint):
    client.force_login(alice)

    listing = client.get(url(endpoint))
    other_detail = client.get(url(endpoint, world.b.of(endpoint).pk))

    assert listed_ids(listing) == {world.a.of(endpoint).pk}
    assert other_detail.status_code == 404


def test_staff_without_a_group_read_nothing(world):
    api = api_client(StaffFactory(username="newhire"))

    assert [api.get(url(e)).status_code for e in ENDPOINTS] == [403] * len(ENDPOINTS)


def test_an_account_linked_to_no_firm_reads_nothing(world):
    api = api_client(UserFactory(username="drifter"))

    assert [api.get(url(e)).status_code for e in ENDPOINTS] == [403] * len(ENDPOINTS)


def test_a_staff_member_linked_to_a_firm_reads_as_staff(world, regulator):
    FirmMembership.objects.create(user=regulator, firm=world.a.firm)

    listing = api_client(regulator).get(url("facilities"))

    assert listed_ids(listing) == {world.a.facility.pk, world.b.facility.pk}


def test_legal_status_is_shown_to_staff_and_hidden_from_the_firm(world, regulator, bob):
    # Bob's facility has an open NO_VALID_LICENCE flag: staff see the suspicion, bob must not.
    path = url("facilities", world.b.facility.pk)

    for_staff = api_client(regulator).get(path).json()
    for_firm = api_client(bob).get(path).json()

    assert for_staff["legal_status"] == "suspected_illegal"
    assert for_firm["legal_status"] is None


def test_a_firm_user_cannot_filter_by_legal_status(world, bob):
    # The filter is ignored for firm users: otherwise bob could probe which status his sites have.
    suspected = api_client(bob).get(url("facilities"), {"legal_status": "illegal"})

    assert listed_ids(suspected) == {world.b.facility.pk}


def test_a_firm_user_cannot_reach_another_firms_rows_through_filters(world, alice):
    api = api_client(alice)

    by_bin = api.get(url("facilities"), {"firm_bin": world.b.firm.bin})
    by_firm = api.get(url("declarations"), {"facility": world.b.facility.pk})

    assert by_bin.json()["results"] == [] and by_firm.json()["results"] == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_reading_endpoints_refuse_writes(world, regulator, endpoint):
    api = api_client(regulator)

    responses = [api.post(url(endpoint), {}), api.delete(url(endpoint, world.a.of(endpoint).pk))]

    assert [r.status_code for r in responses] == [405, 405]


def test_an_unknown_api_address_answers_json_404(regulator):
    response = api_client(regulator).get("/api/v1/firms/1/extra/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_staff_accounts_token_is_refused_staff_read_with_their_session(world, regulator):
    refused = token_client(regulator).get(url("flags"))

    assert refused.status_code == 401
    assert refused.json() == {"detail": "Staff accounts cannot use API tokens: log in, with your second factor."}
    assert api_client(regulator).get(url("flags")).status_code == 200
