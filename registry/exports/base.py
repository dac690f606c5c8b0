"""The one streaming CSV writer every export goes through (docs/rules.md, "Exports").

UTF-8 with a BOM so spreadsheets read Cyrillic, one header row, ISO dates,
and text cells that a spreadsheet would run as a formula neutralised with a
leading apostrophe. Rows stream from a server-side cursor, so memory does not
grow with the number of rows.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.models import Region

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FLUSH_BYTES = 64 * 1024
CHUNK_ROWS = 5000


class ExportError(RegistryError):
    pass


def safe_text(value: str) -> str:
    """Prefix a text cell that a spreadsheet would treat as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def cell(value: Any) -> str:
    """Render one value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (dt.date, int, Decimal, float)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, (dict, list)):
        return safe_text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
    return safe_text(str(value))


def month_text(value: dt.date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m")


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

    A dataset that can write its rows in SQL (`copy_query`) streams them from
    PostgreSQL's COPY; the cells come out exactly as `cell()` would write them.
    """
    if getattr(dataset, "copy_query", None) is not None:
        yield from _copy_stream(dataset, filters, on_done)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([column.header for column in dataset.columns])
    count = 0
    for row in dataset.rows(filters):
        writer.writerow([cell(value) for value in row])
        count += 1
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
    if on_done is not None:
        on_done(count)


def sql_text(expression: str) -> str:
    """SQL that writes a text cell as `cell()` does: empty → no value, a formula prefix → a leading apostrophe."""
    return (
        f"NULLIF(CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r')"
        f" THEN '''' || {expression} ELSE {expression} END, '')"
    )


def sql_instant_on_the_hour(expression: str) -> str:
    """SQL for a UTC instant with no fraction of a second, as `cell()` writes it (…T10:00:00Z)."""
    return f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def _copy_stream(dataset, filters: ExportFilters, on_done) -> Iterator[bytes]:
    from django.db import connection

    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([column.header for column in dataset.columns])
    yield (BOM + header.getvalue()).encode("utf-8")
    sql, params = dataset.copy_query(filters)
    pending = bytearray()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                pending += block
                if len(pending) >= FLUSH_BYTES:
                    yield bytes(pending)
                    pending.clear()
        rows = cursor.rowcount
    if pending:
        yield bytes(pending)
    if on_done is not None:
        on_done(rows)
