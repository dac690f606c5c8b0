"""Web clients as the site's visitors hold them."""

from django.contrib.auth.models import User
from django.test import Client


def english_client(user: User | None = None, **defaults) -> Client:
    """A browser that asks for English pages (the site defaults to Russian), logged in as `user` if one is given."""
    client = Client(headers={"accept-language": "en"}, **defaults)
    if user is not None:
        client.force_login(user)
    return client
