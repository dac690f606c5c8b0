"""Portal test helpers: English-speaking clients for the cast, licence documents in a temporary folder."""

import pytest

from registry.models import LicenceDocument
from tests.clients import english_client


@pytest.fixture
def client():
    return english_client()


@pytest.fixture
def alice_client(alice):
    return english_client(alice)


@pytest.fixture
def bob_client(bob):
    return english_client(bob)


@pytest.fixture
def regulator_client(regulator):
    return english_client(regulator)


@pytest.fixture
def documents(settings, tmp_path, monkeypatch):
    """Keep licence documents in a temporary folder; return that folder.

    Assigning settings.STORAGES (not mutating it) sends setting_changed, on which
    Django empties the storages handler's cache (its `backends` and `_storages`)
    and does so again when the setting is restored. LicenceDocument.file resolved
    its callable storage once, when the model class was built, so the field is
    pointed at the new storage too.
    """
    from django.core.files.storage import storages

    folder = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    monkeypatch.setattr(LicenceDocument._meta.get_field("file"), "storage", storages["documents"])
    return folder
