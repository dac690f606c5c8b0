"""The one streaming CSV writer every export goes through (docs/rules.md, "Exports").

UTF-8 with a BOM so spreadsheets read Cyrillic, one header row, ISO dates,
and text cells that a spreadsheet would run as a formula neutralised with a
leading apostrophe (formulas.py). A cell holding `,` or `;` is quoted, so that
it stays one cell whichever of the two separators a spreadsheet splits on.
Rows stream from a server-side cursor, so memory does not grow with the number
of rows. The XLSX beside each CSV is written by xlsx.py from the same rows.
"""

import csv
import datetime as dt
import io
import json
import re
import select
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors
from psycopg import pq

from registry.errors import RegistryError
from registry.models import Region

from .formulas import safe_text, sql_safe_text, sql_suspect

BOM = "\ufeff"
FLUSH_BYTES = 64 * 1024
CHUNK_ROWS = 5000
# A cell is quoted when it holds the separator of either kind of spreadsheet, a quote or a line break.
QUOTED = re.compile(r'[,;"\r\n]')


class ExportError(RegistryError):
    pass


class Month(dt.date):
    """A month, as its first day: YYYY-MM in a CSV, a date shown as yyyy-mm in an XLSX."""


def cell(value: Any) -> str:
    """Render one value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Month):
        return value.strftime("%Y-%m")
    if isinstance(value, (dt.date, int, Decimal, float)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, (dict, list)):
        # In JSON a `;` is only ever inside a string, where \u003b is the same character: the cell keeps no `;`
        # for a spreadsheet to split it at, and reads back as the same JSON.
        return safe_text(json_text(value).replace(";", "\\u003b"))
    return safe_text(str(value))


def json_text(value: dict | list) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def csv_line(cells: list[str]) -> str:
    """One CSV line: the cells joined by commas, each quoted (its quotes doubled) when QUOTED finds in it, CRLF."""
    return ",".join('"' + text.replace('"', '""') + '"' if QUOTED.search(text) else text for text in cells) + "\r\n"


def as_month(value: dt.date | None) -> Month | None:
    return None if value is None else Month(value.year, value.month, 1)


def joined(values: list[str] | None) -> str:
    return ";".join(sorted(v for v in values or [] if v))


@dataclass(frozen=True)
class ExportFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: str | None = None
    status: str | None = None
    meter: str | None = None
    ids: tuple[int, ...] | None = None  # rows chosen in an admin changelist

    def as_dict(self) -> dict[str, str]:
        values = {key: str(value) for key, value in asdict(self).items() if value is not None and key != "ids"}
        if self.ids is not None:
            values["selected"] = str(len(self.ids))
        return values


@dataclass(frozen=True)
class ExportColumn:
    header: str
    path: str
    format: Callable[[Any], Any] | None = None


class Dataset:
    """One exportable dataset: its columns and which fields the filters apply to."""

    name: str
    columns: list[ExportColumn]
    date_field: str | None = None
    region_field: str | None = None
    status_field: str | None = None
    status_choices: list[str] | None = None
    meter_field: str | None = None
    order_by: tuple[str, ...] = ("pk",)

    def base_queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def queryset(self, filters: ExportFilters) -> models.QuerySet:
        qs = self.base_queryset()
        if filters.date_from or filters.date_to:
            qs = qs.filter(**self._date_lookups(filters))
        if filters.region:
            if filters.region not in Region.values:
                raise ExportError(
                    _("“%(region)s” is not a region code: use one of %(codes)s")
                    % {"region": filters.region, "codes": ", ".join(Region.values)}
                )
            qs = qs.filter(**{self._field("region", self.region_field): filters.region})
        if filters.status:
            field = self._field("status", self.status_field)
            if self.status_choices is not None and filters.status not in self.status_choices:
                raise ExportError(
                    _("“%(status)s” is not a status of %(dataset)s: use one of %(choices)s")
                    % {"status": filters.status, "dataset": self.name, "choices": ", ".join(self.status_choices)}
                )
            qs = qs.filter(**{field: filters.status})
        if filters.meter:
            qs = qs.filter(**{self._field("meter", self.meter_field): filters.meter})
        if filters.ids is not None:
            qs = qs.filter(pk__in=filters.ids)
        return qs.order_by(*self.order_by)

    def _field(self, what: str, field: str | None) -> str:
        if field is None:
            raise ExportError(
                _("the %(dataset)s export has no %(filter)s filter") % {"dataset": self.name, "filter": what}
            )
        return field

    def _date_lookups(self, filters: ExportFilters) -> dict[str, Any]:
        field = self._field(_("date"), self.date_field)
        is_instant = isinstance(_final_field(self.base_queryset().model, field), models.DateTimeField)
        lookups: dict[str, Any] = {}
        if filters.date_from:
            start = filters.date_from
            lookups[f"{field}__gte"] = _day_start(start) if is_instant else start
        if filters.date_to:
            if is_instant:
                lookups[f"{field}__lt"] = _day_start(filters.date_to + dt.timedelta(days=1))
            else:
                lookups[f"{field}__lte"] = filters.date_to
        return lookups

    def rows(self, filters: ExportFilters) -> Iterator[list[Any]]:
        paths = [column.path for column in self.columns]
        formats = [column.format for column in self.columns]
        for values in self.queryset(filters).values_list(*paths).iterator(chunk_size=CHUNK_ROWS):
            yield [fmt(value) if fmt else value for fmt, value in zip(formats, values, strict=True)]


def _final_field(model: type[models.Model], path: str) -> models.Field:
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def _day_start(day: dt.date) -> dt.datetime:
    """Dates in filters are UTC days, like every period in the registry."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def csv_stream(
    dataset: Dataset, filters: ExportFilters, *, on_done: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """Yield the export as UTF-8 CSV blocks; call on_done with the row count at the end.

    The header row goes out with the first rows, never before the query has run: an export whose query
    fails has yielded nothing yet, so the caller can still answer with an error instead of a file.
    A dataset that can write its rows in SQL (`copy_query`) streams them from PostgreSQL's COPY; the
    cells come out exactly as `cell()` would write them.
    """
    if getattr(dataset, "copy_query", None) is not None:
        yield from _copy_stream(dataset, filters, on_done)
        return
    buffer = io.StringIO()
    buffer.write(BOM)
    buffer.write(csv_line([column.header for column in dataset.columns]))
    count = 0
    for row in dataset.rows(filters):
        buffer.write(csv_line([cell(value) for value in row]))
        count += 1
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
    if on_done is not None:
        on_done(count)


def sql_instant_on_the_hour(expression: str) -> str:
    """SQL for a UTC instant with no fraction of a second, as `cell()` writes it (…T10:00:00Z).

    The timestamp's own text with a T and a Z costs about half of to_char(); it needs DateStyle ISO, which
    `_copy_stream` sets for its transaction.
    """
    return f"replace(({expression} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"


class SqlText(models.Func):
    """A text column written as `cell()` writes it, as an ORM expression (a COPY dataset's query is the ORM's own).

    `sql_safe_text()` costs a few checks per row, which a readings export would pay millions of times for meter
    ids that never need them. So the column's table (`model`'s) is searched first, once per statement (an
    InitPlan, in the statement's own snapshot), for a value that may need them; when there is none, the
    column's text is written as it is.
    """

    output_field = models.TextField()

    def __init__(self, expression, *, model: type[models.Model], column: str):
        super().__init__(expression)
        self.model, self.column = model, column

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if params:
            raise ValueError("sql_safe_text() writes its expression several times: give it a column")
        quote = connection.ops.quote_name
        table, column = quote(self.model._meta.db_table), quote(self.model._meta.get_field(self.column).column)
        # Only quoted identifiers from the model's metadata and this module's fixed SQL are formatted in.
        any_suspect = f"EXISTS (SELECT FROM {table} WHERE {sql_suspect(f'{table}.{column}')})"  # nosec B608
        return f"CASE WHEN {any_suspect} THEN {sql_safe_text(sql)} ELSE {sql} END", params


class SqlInstantOnTheHour(models.Func):
    """`sql_instant_on_the_hour()` as an ORM expression."""

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return sql_instant_on_the_hour(sql), params


def _copy_stream(dataset, filters: ExportFilters, on_done) -> Iterator[bytes]:
    header = io.StringIO()
    header.write(BOM)
    csv.writer(header, lineterminator="\n").writerow([column.header for column in dataset.columns])
    sql, params = dataset.copy_query(filters)
    # COPY quotes a cell holding `,`, a quote or a line break, as csv_line() does, but not one holding `;`.
    quoted = dataset.copy_quoted_columns(filters)
    options = "FORMAT csv" + (f", FORCE_QUOTE ({', '.join(quoted)})" if quoted else "")
    # One transaction: SET LOCAL lasts as long as the COPY, and a failure rolls back only to where the
    # caller was (a savepoint inside its transaction), so the caller can still record it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle TO ISO")
        with connection.wrap_database_errors:
            # psycopg's own cursor: the copy() of Django's debug wrapper (DEBUG=1) takes no parameters. COPY has
            # no server-side parameters either, so psycopg binds them into the statement, as literals.
            rows = yield from _after(
                header.getvalue().encode("utf-8"),
                _copy_out(cursor.cursor, f"COPY ({sql}) TO STDOUT WITH ({options})", params),
            )
    if on_done is not None:
        on_done(rows)


def _after(header: bytes, blocks: Iterator[bytes]):
    """Yield the header with the first block (alone if there is none), then the other blocks; return theirs."""
    try:
        first = next(blocks)
    except StopIteration as end:
        yield header
        return end.value
    yield header + first
    return (yield from blocks)


def _copy_out(cursor, statement: str, params) -> Iterator[bytes]:
    """Yield what `COPY … TO STDOUT` sends, in blocks of about FLUSH_BYTES; return the number of rows.

    PostgreSQL sends one message per row, and taking them one by one through psycopg costs about as much
    as the server spends writing them. So the rows libpq has already received are taken from it directly
    (PQgetCopyData without waiting) and joined into blocks; only the waits for more go through psycopg,
    which releases the GIL, cancels the COPY on an interruption and reads how it ended.
    """
    pgconn = cursor.connection.pgconn
    get_copy_data = pgconn.get_copy_data
    block = bytearray()  # each row is copied in at once: thousands of rows held as objects would wake the GC
    with cursor.copy(statement, params) as copy:
        while True:
            nbytes, row = get_copy_data(1)
            if nbytes > 0:
                block += row
            elif nbytes == 0:  # libpq holds no more rows: pass a full block on, then psycopg waits for more
                if len(block) >= FLUSH_BYTES:
                    yield bytes(block)
                    block.clear()
                if not (row := copy.read()):  # the COPY is over
                    rows = cursor.rowcount
                    break
                block += row
            else:  # the server has ended (or failed) the COPY: read how
                rows = _copy_result(pgconn, encoding=cursor.connection.info.encoding)
                break
    if block:
        yield bytes(block)
    return rows


def _copy_result(pgconn, *, encoding: str) -> int:
    """Read the result that ends a COPY TO STDOUT: its row count, or the server's error, raised."""
    results = []
    while True:
        while pgconn.is_busy():
            select.select([pgconn.socket], [], [])
            pgconn.consume_input()
        if (result := pgconn.get_result()) is None:
            break
        results.append(result)
    if results[0].status != pq.ExecStatus.COMMAND_OK:
        raise pg_errors.error_from_result(results[0], encoding=encoding)
    return results[0].command_tuples
