"""The rule that keeps formulas out of CSV cells (registry/exports/formulas.py), in Python and in SQL."""

import unicodedata

import pytest
from django.db import connection

from registry.exports.formulas import FORMULA_STARTS, SKIPPED, safe_text, sql_safe_text

ZWSP = "\u200b"


def test_a_nul_first_gets_an_apostrophe_too():
    """ASVS 1.2.10 names NUL; PostgreSQL stores none, but a dataset could compute one."""
    assert safe_text("\x00abc") == "'\x00abc"


TRICKY = [
    "x;=1+1;y",
    "'=1",
    '"=1',
    "\uff1d1",
    ZWSP + "=1",
    "\ufeff@x",
    "\U000e0020=x",
    "\u00a0+1",
    "=;=",
    "a;;@x",
    "a\r\n=1",
    "a\r=1",
    "a\n =1",
    "q\r\r=",
    "\t",
    "\r",
    ";",
    "",
    " x",
    "ok",
    "-5",
    "Счётчик ₌1",
    '"Kazakh" =',
]


@pytest.mark.parametrize("text", TRICKY, ids=[repr(text) for text in TRICKY])
def test_the_rule_in_sql_agrees_with_the_rule_in_python(db, text):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql_safe_text('v')} FROM (SELECT %s::text AS v) AS t", [text])
        (written,) = cursor.fetchone()

    assert written == (safe_text(text) or None)


def test_the_character_lists_cover_what_unicode_says():
    everything = [chr(code) for code in range(0x110000)]
    folds_to_a_formula = {c for c in everything if unicodedata.normalize("NFKC", c) in ("=", "+", "-", "@")}
    skipped = {
        c
        for c in everything
        if c not in "\r\n"
        and (c.isspace() or unicodedata.category(c) in ("Cc", "Cf") or unicodedata.normalize("NFKC", c) in ("'", '"'))
    }

    assert folds_to_a_formula == set(FORMULA_STARTS)
    assert skipped == {chr(code) for low, high in SKIPPED for code in range(low, high + 1)}
