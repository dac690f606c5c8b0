"""The admin tests' regulator at the keyboard."""

import pytest


@pytest.fixture
def rita(client, regulator):
    """The regulator's browser, in English."""
    client.force_login(regulator)
    client.cookies["django_language"] = "en"
    return client
