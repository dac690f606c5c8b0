"""Reading the register's CSV files (docs/rules.md, "Bulk formats"): headers, cell parsers, line-numbered errors."""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from registry.validators import validate_bin

MAX_ERRORS = 100
BOM = "\ufeff"
# A reading's kWh as a feed writes it (CSV, JSON, 80020): a plain decimal below one billion, at most 3 decimals.
KWH_TEXT = re.compile(r"[0-9]{1,9}(\.[0-9]{0,3})?|\.[0-9]{1,3}")
# Zero written with a minus sign ("-0", "-0.000"): a reading of zero, not a negative one.
NEGATIVE_ZERO = re.compile(r"-(0{1,9}(\.0{0,3})?|\.0{1,3})")
# What an error message cannot carry as it is: control characters (PostgreSQL's jsonb refuses \u0000, a
# terminal obeys escape sequences), the marks that reverse the order text is shown in, and lone surrogates
# (not UTF-8 at all).
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    reason: str

    def __post_init__(self):
        # An error quotes what a file holds, and is shown on a terminal and stored in jsonb: see UNPRINTABLE.
        for field in ("file", "column", "reason"):
            object.__setattr__(self, field, printable(str(getattr(self, field))))

    def __str__(self):
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


def printable(text: str) -> str:
    """The text with every character UNPRINTABLE names written as a \\uXXXX escape."""
    return UNPRINTABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


class CellError(ValueError):
    """A cell that cannot be read; the message says why."""


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None


# Cell parsers: each takes the stripped text of a non-empty cell.


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(_("longer than %(max)d characters") % {"max": max_length})
        return value

    return parse


def choice(values: Iterable[str]) -> Callable[[str], str]:
    allowed = list(values)

    def parse(value: str) -> str:
        if value not in allowed:
            raise CellError(
                _("“%(value)s” is not one of: %(allowed)s") % {"value": value, "allowed": ", ".join(allowed)}
            )
        return value

    return parse


def bin_number(value: str) -> str:
    try:
        validate_bin(value)
    except ValidationError as error:
        raise CellError(f"“{value}”: {error.messages[0]}") from None
    return value


def decimal(
    *, max_digits: int, places: int, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None
) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number (use a decimal point)") % {"value": value}) from None
        if not number.is_finite():
            raise CellError(_("“%(value)s” is not a number (use a decimal point)") % {"value": value})
        if minimum is not None and number < minimum:
            raise CellError(_("must not be below %(min)s") % {"min": minimum})
        if maximum is not None and number > maximum:
            raise CellError(_("must not be above %(max)s") % {"max": maximum})
        quantized = round(number, places)
        if quantized != number:
            raise CellError(_("at most %(places)d decimal places") % {"places": places})
        if abs(quantized) >= Decimal(10) ** (max_digits - places):
            raise CellError(_("too large"))
        return quantized

    return parse


def integer(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise CellError(_("“%(value)s” is not a whole number of zero or more") % {"value": value})
    return int(value)


def date(value: str) -> dt.date:
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CellError(_("“%(value)s” is not a date YYYY-MM-DD") % {"value": value}) from None


def month(value: str) -> dt.date:
    try:
        if len(value) != 7:
            raise ValueError
        return dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise CellError(_("“%(value)s” is not a month YYYY-MM") % {"value": value}) from None


def parse_instant(value: str) -> dt.datetime | None:
    """An ISO 8601 date and time with its offset (or Z), in UTC; None for anything else, a local time included."""
    try:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return None
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves year 1 or 9999 out of range
        return None


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise CellError(_("“%(value)s” is not true or false") % {"value": value})
    return lowered == "true"


def email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not an email address") % {"value": value}) from None
    return value


def ref_list(value: str) -> list[str]:
    items = [item.strip() for item in value.split(";")]
    if any(not item for item in items):
        raise CellError(_("an empty item in the ;-separated list"))
    return list(dict.fromkeys(items))


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]


def decoded_lines(stream: io.BufferedIOBase) -> Iterator[str]:
    """Decode a byte stream line by line, so a decoding error belongs to the line that holds it."""
    for number, raw in enumerate(stream):
        line = raw.decode("utf-8")
        yield line.removeprefix(BOM) if number == 0 else line


class CsvSource:
    """One CSV file (bytes, UTF-8, optional BOM), read against its column spec, collecting every error."""

    def __init__(self, name: str, stream: io.BufferedIOBase, columns: list[Column], errors: list[RowError]):
        self.name = name
        self.stream = stream
        self.columns = {column.name: column for column in columns}
        self.errors = errors

    def error(self, line: int, column: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(self.name, line, column, reason))

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def rows(self) -> Iterator[ParsedRow]:
        """Yield each valid row; record an error for each bad one."""
        reader = csv.reader(decoded_lines(self.stream))
        try:
            header = next(reader, None)
            if header is None:
                self.error(1, "", _("the file is empty (a header row is required)"))
                return
            header = [name.strip() for name in header]
            if not self._header_ok(header):
                return
            for cells in reader:
                if self.full:
                    return
                line = reader.line_num
                if not cells or cells == [""]:
                    continue
                if len(cells) != len(header):
                    self.error(
                        line,
                        "",
                        _("%(found)d fields, the header has %(expected)d")
                        % {"found": len(cells), "expected": len(header)},
                    )
                    continue
                parsed = self._parse(line, dict(zip(header, cells, strict=True)))
                if parsed is not None:
                    yield ParsedRow(line, parsed)
        except UnicodeDecodeError:
            self.error(reader.line_num + 1, "", _("the file is not valid UTF-8"))
        except csv.Error as error:
            self.error(reader.line_num, "", _("malformed CSV: %(error)s") % {"error": error})

    def _header_ok(self, header: list[str]) -> bool:
        ok = True
        for name in header:
            if name not in self.columns:
                self.error(1, name, _("unknown column"))
                ok = False
        if len(set(header)) != len(header):
            self.error(1, "", _("a column appears twice in the header"))
            ok = False
        for column in self.columns.values():
            if column.required and column.name not in header:
                self.error(1, column.name, _("required column is missing"))
                ok = False
        return ok

    def _parse(self, line: int, cells: dict[str, str]) -> dict[str, Any] | None:
        values = {}
        ok = True
        for column in self.columns.values():
            raw = (cells.get(column.name) or "").strip()
            if not raw:
                if column.required:
                    self.error(line, column.name, _("a value is required"))
                    ok = False
                values[column.name] = column.default
                continue
            try:
                values[column.name] = column.parse(raw)
            except CellError as error:
                self.error(line, column.name, str(error))
                ok = False
        return values if ok else None


def kwh_problem(text: str) -> str:
    """Say what is wrong with a kWh value that is not a plain decimal number (KWH_TEXT): CSV, JSON and 80020."""
    if text.startswith("-") and KWH_TEXT.fullmatch(text[1:]):
        return _("a reading cannot be negative")
    try:
        Decimal(text)
    except InvalidOperation:
        return _("“%(value)s” is not a number (use a decimal point)") % {"value": text}
    return _("“%(value)s”: write a plain number below one billion with at most 3 decimal places") % {"value": text}
