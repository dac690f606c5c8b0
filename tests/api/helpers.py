"""How each user reads the API, and the read endpoints the permission tests cross with every role."""

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

FIRM_ENDPOINTS = ["firms", "facilities", "licences", "declarations"]
STAFF_ENDPOINTS = ["flags", "inspections", "enforcement-actions"]
ENDPOINTS = FIRM_ENDPOINTS + STAFF_ENDPOINTS


def token_client(user: User | None) -> APIClient:
    """A client sending the user's API token (anonymous without a user)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def api_client(user: User | None) -> APIClient:
    """How each user reads the API: staff with their session (past the second factor), others with a token."""
    if user is not None and user.is_staff:
        client = APIClient()
        client.force_login(user)
        return client
    return token_client(user)
