"""Licence documents a firm uploads: the name it gave, kept safely, and files that never outlive a failed change."""

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from django.core.files.uploadedfile import UploadedFile

from registry.models import LicenceDocument

NAME_MAX = LicenceDocument._meta.get_field("original_name").max_length
DEFAULT_NAME = "document.pdf"


def document_name(name: str) -> str:
    """The name a document is shown and downloaded under: the firm's file name, made safe to keep and send.

    Normalised to NFC; folders, control and formatting characters (NUL, direction overrides) dropped; white
    space, line breaks among it, collapsed to single spaces; cut to the column's length in characters,
    keeping the extension.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(" " if c.isspace() else c for c in name)
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        extension = f".{extension}" if dot and stem and len(extension) < 16 else ""
        name = name[: NAME_MAX - len(extension)].rstrip() + extension
    return name if name.strip(". ") else DEFAULT_NAME


class DocumentFiles:
    """The document files written during one change, removed again if the change fails.

    Use around the transaction (`with DocumentFiles() as files, transaction.atomic():`), so that a failure
    anywhere, the commit included, leaves no file behind that no row names.
    """

    def __init__(self):
        self.written: list[str] = []

    def __enter__(self) -> "DocumentFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            storage = LicenceDocument._meta.get_field("file").storage
            for name in self.written:
                storage.delete(name)

    def add(self, *, licence, upload: UploadedFile, user=None) -> LicenceDocument:
        """Store an uploaded PDF under a name of the registry's own, then its row."""
        document = LicenceDocument(
            licence=licence, original_name=document_name(upload.name), size_bytes=upload.size, uploaded_by=user
        )
        document.file.save(DEFAULT_NAME, upload, save=False)
        self.written.append(document.file.name)
        document.save()
        return document
