"""What portal tests hand the portal and read back: a PDF, a password, the month to file, every row it could touch."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from registry import clock
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


def pdf(name: str = "application.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def last_month() -> dt.date:
    """The latest month a declaration may be filed for (the current one has not ended)."""
    return clock.previous_month(clock.today())


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
