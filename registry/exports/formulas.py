"""Text cells that no spreadsheet runs as a formula: the rule in Python and in SQL (docs/rules.md, "Exports").

A spreadsheet runs a cell as a formula when it begins with `=`, `+`, `-` or `@` (OWASP adds tab and carriage
return, ASVS 5.0 requirement 1.2.10 the NUL character), and some look past what comes before that character:
spaces, invisible characters (a zero-width space, a byte-order mark), quotes, or a full-width `＝`. Such a cell
is written with a leading `'`, as OWASP advises.

A CSV is read with `,` as the separator, or `;` where that is the list separator (Russian and Kazakh Windows
among them). A reader that splits on `;` starts a cell after every `;`, and a new row after every line break,
even inside a quoted cell: it takes a quote in the middle of its cell as text, so quoting cannot protect what
follows. So each piece of a text cell is checked: the cell's start, and what follows each `;` and each line
break. `x;=1+1;y` is written `x;'=1+1;y` (and quoted, which keeps it one cell for a reader that honours quotes
after either separator).

The readings export writes its meter ids in SQL, so the rule is written twice, here, from the same character
lists; tests/exports/test_formula_rule.py checks that PostgreSQL and Python agree.
"""

import re

# What a spreadsheet may skip before the character it looks at: control characters but line breaks, spaces,
# invisible format characters (Unicode category Cf: soft hyphen, zero-width space and joiners, direction marks,
# the byte-order mark, …) and quotes (with their full-width forms). Ranges of code points, inclusive.
SKIPPED = (
    (0x00, 0x09),
    (0x0B, 0x0C),
    (0x0E, 0x20),
    (0x22, 0x22),
    (0x27, 0x27),
    (0x7F, 0xA0),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFF02, 0xFF02),
    (0xFF07, 0xFF07),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
# The first character of a formula, and every character that Unicode compatibility (NFKC) folds into one of
# them: full-width ＝＋－＠, small ﹦﹢﹣﹫, super- and subscript ⁼⁺₌₊, Hebrew alternative plus.
FORMULA_STARTS = "=+-@\u207a\u207c\u208a\u208c\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20"
# Characters that start a formula-like cell by themselves, whatever follows: tab, carriage return, NUL.
RISKY_FIRST = "\t\r\x00"


def _escape(code: int) -> str:
    """A character in a bracket expression both Python's re and PostgreSQL's regular expressions read."""
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _bracket(ranges) -> str:
    return "".join(_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in ranges)


def _pattern(*, skipped, risky: str) -> str:
    # A piece starts at the start, after `;` or \n, or after a \r that no \n follows; it is risky when it begins
    # with a RISKY_FIRST character, or when its first character that is not SKIPPED is a formula's.
    first = "".join(_escape(ord(c)) for c in risky)
    starts = "".join(_escape(ord(c)) for c in FORMULA_STARTS)
    return rf"(^|[;\n]|\r(?!\n))(?=[{first}]|[{_bracket(skipped)}]*[{starts}])"


_PIECE = re.compile(_pattern(skipped=SKIPPED, risky=RISKY_FIRST))
# PostgreSQL's text holds no NUL, and its patterns cannot name one.
SQL_PATTERN = _pattern(skipped=((0x01, SKIPPED[0][1]), *SKIPPED[1:]), risky=RISKY_FIRST.replace("\x00", ""))


def safe_text(value: str) -> str:
    """Prefix with `'` each piece of a text cell that a spreadsheet could run as a formula."""
    return _PIECE.sub(r"\1'", value)


def sql_suspect(expression: str) -> str:
    """SQL that is true of a text `safe_text()` may change, and of an empty one; false of every other.

    Cheap enough to run once per reading: a text needs the pattern only when its first character is not an
    ASCII digit, letter or harmless punctuation (`0` to `~`, but `=` and `@`), or when it holds a `;` or a line
    break (strpos() costs less than a regular expression).
    """
    return (
        f"(ascii({expression}) NOT BETWEEN 48 AND 126 OR ascii({expression}) IN (61, 64)"
        f" OR strpos({expression}, ';') > 0 OR strpos({expression}, chr(10)) > 0 OR strpos({expression}, chr(13)) > 0)"
    )


def sql_safe_text(expression: str) -> str:
    """SQL that writes a text cell as `safe_text()` does, and an empty one as no value (COPY writes nothing then).

    The expression appears several times, so it must be a column (or carry no parameters).
    """
    replaced = rf"regexp_replace({expression}, '{SQL_PATTERN}', E'\\1''', 'g')"
    return f"NULLIF(CASE WHEN {sql_suspect(expression)} THEN {replaced} ELSE {expression} END, '')"
