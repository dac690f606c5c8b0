"""The name a licence document is kept and downloaded under: the firm's own, made safe (services/documents.py)."""

import pytest

from registry.services.documents import document_name


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Business plan.pdf", "Business plan.pdf"),
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  two \t spaces\r\nand a line .pdf ", "two spaces and a line .pdf"),
        ("e\u0301tude.pdf", "\u00e9tude.pdf"),
        ("\U0001d518" * 120 + ".pdf", "\U0001d518" * 120 + ".pdf"),
        ("я" * 300 + ".pdf", "я" * 251 + ".pdf"),
        ("x" * 300, "x" * 255),
        ("x" * 300 + "." + "y" * 40, "x" * 255),
        ("", "document.pdf"),
        ("\x00\x01", "document.pdf"),
        (" . ", "document.pdf"),
    ],
    ids=[
        "plain",
        "posix-folders",
        "windows-folders",
        "nul",
        "direction-override",
        "white-space",
        "decomposed",
        "four-byte-characters",
        "too-long",
        "too-long-without-extension",
        "too-long-with-a-long-extension",
        "empty",
        "only-controls",
        "only-dots",
    ],
)
def test_a_name_is_kept_safe(given, kept):
    assert document_name(given) == kept
