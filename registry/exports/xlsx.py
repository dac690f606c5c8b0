"""The XLSX beside each CSV: the same columns and rows in cells that carry their type (docs/rules.md, "Exports").

A CSV opened with a double click in Excel set to Russian or Kazakh splits its lines at `;`, the list separator
there, so a comma-separated file lands in one column. An XLSX needs no separator: numbers are numbers, dates
and instants are dates (instants in UTC, shown so), text is text. Text is written as a string cell, which no
spreadsheet evaluates, with Excel's quote prefix, the `'` a person types before a formula, so that a cell
edited and entered again stays text: nothing in the file is or becomes a formula. A text keeps its own
characters, without the apostrophe that the CSV adds (a CSV has no types to say "text").

XlsxWriter writes it with constant_memory: each row goes to a temporary file as it is written, inline strings
and all, so memory does not grow with the rows. A ZIP is only whole at its end, so the workbook is written
out before its first byte is sent; a failure, or more rows than a sheet holds, is then an error page rather
than a broken file.
"""

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .base import FLUSH_BYTES, Dataset, ExportError, ExportFilters, Month, json_text

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A sheet holds 1,048,576 rows, the header one of them.
MAX_ROWS = 1_048_575
# A cell holds 32,767 characters.
MAX_TEXT = 32_767
INSTANT_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
# Widths (in characters) that show a whole value of each kind: Excel shows ### for a number or date it cannot.
TEXT_WIDTH, NUMBER_WIDTH, INSTANT_WIDTH, DATE_WIDTH = 12, 14, 24, 12


def too_many_rows(dataset: Dataset) -> ExportError:
    return ExportError(
        _(
            "the %(dataset)s export has more than %(limit)s rows, more than a spreadsheet sheet holds:"
            " narrow it with the filters, or download the CSV"
        )
        % {"dataset": dataset.name, "limit": number_format(MAX_ROWS, force_grouping=True)}
    )


def xlsx_check(dataset: Dataset, filters: ExportFilters) -> None:
    """Raise ExportError when the rows would not fit in a sheet: counted up to the limit, not further."""
    if dataset.queryset(filters).order_by()[: MAX_ROWS + 1].count() > MAX_ROWS:
        raise too_many_rows(dataset)


def xlsx_stream(
    dataset: Dataset, filters: ExportFilters, *, on_done: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """Yield the export as an XLSX file in blocks; call on_done with the row count after the last block.

    The whole workbook is written (to a temporary directory, removed however this ends) when the first block
    is asked for: an error is raised then, before any byte.
    """
    with (
        tempfile.TemporaryDirectory(prefix="minereg-xlsx-") as directory,
        tempfile.TemporaryFile(dir=directory) as file,
    ):
        count = _write(dataset, filters, file, directory)
        file.seek(0)
        while block := file.read(FLUSH_BYTES):
            yield block
    if on_done is not None:
        on_done(count)


def _write(dataset: Dataset, filters: ExportFilters, file, directory: str) -> int:
    workbook = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,
            "tmpdir": directory,
            # Only write_string(), write_number()… are called; these say it twice.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        count = _write_rows(workbook, dataset, filters)
    except BaseException:
        with contextlib.suppress(Exception):
            workbook.close()  # it removes its own temporary files
        raise
    workbook.close()
    return count


def _write_rows(workbook, dataset: Dataset, filters: ExportFilters) -> int:
    workbook.set_properties({"title": dataset.name, "created": timezone.now().replace(tzinfo=None)})
    sheet = workbook.add_worksheet(dataset.name)
    write = _CellWriter(workbook, sheet, [column.header for column in dataset.columns])
    header = workbook.add_format({"bold": True, "quote_prefix": True})
    for index, column in enumerate(dataset.columns):
        sheet.write_string(0, index, column.header, header)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(dataset.rows(filters), start=1):
        if count > MAX_ROWS:
            raise too_many_rows(dataset)
        for index, value in enumerate(row):
            if value is not None:
                write(count, index, value)
    sheet.autofilter(0, 0, max(count, 1), len(dataset.columns) - 1)
    for index, column in enumerate(dataset.columns):  # the widths go out with the workbook, after the rows
        sheet.set_column(index, index, max(len(column.header) + 3, write.widths.get(index, TEXT_WIDTH)))
    return count


class _CellWriter:
    """Write one value as a typed cell: the write_…() of XlsxWriter for its type, with its number format."""

    def __init__(self, workbook, sheet, headers: list[str]):
        self.workbook, self.sheet, self.headers = workbook, sheet, headers
        self.text = workbook.add_format({"quote_prefix": True})
        self.instant = workbook.add_format({"num_format": INSTANT_FORMAT})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.month = workbook.add_format({"num_format": MONTH_FORMAT})
        self.decimals: dict[int, Any] = {}
        self.widths: dict[int, int] = {}  # by column: what its dates and numbers need
        self.by_type: dict[type, Callable[[int, int, Any], Any]] = {
            str: self.write_text,
            Decimal: self.write_decimal,
            int: self.write_number,
            float: self.write_number,
            bool: self.write_boolean,
            dt.datetime: self.write_instant,
            dt.date: self.write_date,
            Month: self.write_month,
            dict: self.write_json,
            list: self.write_json,
        }

    def __call__(self, row: int, column: int, value: Any) -> None:
        writer = self.by_type.get(type(value))
        if writer is None:  # a subclass (a TextChoices member is a str) or another type (UUID…): as text
            writer = next((w for kind, w in self.by_type.items() if isinstance(value, kind)), self.write_other)
            self.by_type[type(value)] = writer
        writer(row, column, value)

    def write_other(self, row: int, column: int, value: Any) -> None:
        self.write_text(row, column, str(value))

    def write_text(self, row: int, column: int, value: str) -> None:
        if len(value) > MAX_TEXT:
            raise ExportError(
                _(
                    "row %(row)s, column %(column)s holds more than %(limit)s characters, more than a spreadsheet"
                    " cell holds: download the CSV"
                )
                % {"row": row, "column": self.headers[column], "limit": number_format(MAX_TEXT, force_grouping=True)}
            )
        self.sheet.write_string(row, column, str(value), self.text)

    def write_number(self, row: int, column: int, value: float) -> None:
        self.widths[column] = NUMBER_WIDTH
        self.sheet.write_number(row, column, value)

    def write_decimal(self, row: int, column: int, value: Decimal) -> None:
        """A decimal shows as many places as the database keeps (kWh to 0.001, US dollars to 0.01)."""
        places = max(0, -value.as_tuple().exponent) if value.is_finite() else 0
        if places not in self.decimals:
            self.decimals[places] = self.workbook.add_format({"num_format": "0." + "0" * places if places else "0"})
        self.widths[column] = NUMBER_WIDTH
        self.sheet.write_number(row, column, float(value), self.decimals[places])

    def write_boolean(self, row: int, column: int, value: bool) -> None:
        self.sheet.write_boolean(row, column, value)

    def write_instant(self, row: int, column: int, value: dt.datetime) -> None:
        """An instant in UTC: a spreadsheet's dates have no time zone, the format says which it is."""
        self.widths[column] = INSTANT_WIDTH
        self.sheet.write_datetime(row, column, value.astimezone(dt.UTC).replace(tzinfo=None), self.instant)

    def write_date(self, row: int, column: int, value: dt.date) -> None:
        self.widths[column] = DATE_WIDTH
        self.sheet.write_datetime(row, column, value, self.date)

    def write_month(self, row: int, column: int, value: Month) -> None:
        self.widths[column] = DATE_WIDTH
        self.sheet.write_datetime(row, column, dt.date(value.year, value.month, 1), self.month)

    def write_json(self, row: int, column: int, value: dict | list) -> None:
        self.write_text(row, column, json_text(value))
