"""Portal test helpers: English-speaking clients for the cast, licence documents in a temporary folder."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from registry.models import (
    Facility,
    FacilityConnection,
    Licence,
    LicenceCoverage,
    LicenceDocument,
    Ownership,
    Person,
    PowerDeclaration,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PASSWORD = "Steppe-wind-1987"


def english_client(user=None) -> Client:
    """A browser that asks for English pages (the site defaults to Russian), logged in as `user`."""
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def pdf(name: str = "application.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def last_month() -> dt.date:
    """The latest month a declaration may be filed for (the current one has not ended)."""
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def everything() -> dict:
    """Every row a portal request could touch, to show that a refused one changed nothing."""
    models = [
        Person,
        Ownership,
        Facility,
        FacilityConnection,
        Licence,
        LicenceCoverage,
        LicenceDocument,
        PowerDeclaration,
    ]
    return {model.__name__: [model_to_dict(row) for row in model.objects.order_by("pk")] for model in models}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash the cast's passwords cheaply: the real hasher costs most of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
