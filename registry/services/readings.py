"""Loading the grid feed: hourly meter readings in bulk (docs/rules.md, "Bulk formats").

Rows are checked in Python as they stream by (exact line numbers, clear
reasons), written with COPY into a temporary staging table, then merged into
`MeterReading` by set-based SQL: new hours are inserted, an identical reading
is a no-op, and a different value for a stored hour replaces it and is
recorded as a correction. All or nothing: any bad row and nothing is saved.
Memory stays flat however many rows arrive (only the meter directory is held).
"""

import codecs
import contextlib
import csv
import datetime as dt
import gzip
import io
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

import ijson
import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import clock
from registry.errors import ImportRejected
from registry.models import GridConnection, ReadingImport
from registry.services.csvfiles import (
    KWH_TEXT,
    MAX_ERRORS,
    NEGATIVE_ZERO,
    RowError,
    decoded_lines,
    kwh_problem,
    parse_instant,
    printable,
)
from registry.services.partitions import readings_months, readings_partitions_ensure
from registry.services.xml80020 import StatusCount, is_xml, readings_80020

COLUMNS = ("meter_id", "period_start", "kwh")
COPY_BLOCK_BYTES = 1 << 20
# The hours a reading may start: from EARLIEST_HOUR to AHEAD past the registry's clock (a meter's clock may run
# a little fast; year 1 or 9999 is a broken one, and no month of readings before 2000 exists).
EARLIEST_HOUR = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
AHEAD = dt.timedelta(days=1)
# A JSON body is a list of objects of plain values: a list or object as a value is an error on its item, and
# the body is not read past anything nested deeper.
JSON_DEPTH = 3
JSON_READ_BYTES = 1 << 16
JSON_VALUES = frozenset(("string", "number", "boolean", "null"))
# No value of a reading holds a run of more digits. A longer JSON number must not reach ijson's C parser:
# past 4300 digits Python refuses the integer, and that refusal corrupts the parser's memory (a worker's
# segmentation fault in the fuzz run of tests/api/test_readings_fuzz.py).
JSON_DIGITS = 100

# The steps an import reports to its `progress` callback, each with a number of rows: READ, the rows read and
# checked so far (once per COPY block, never per row); READ_AGAIN, the same when the feed repeats a new hour and
# every row is read a second time, to be staged; MERGE, the merge of that many staged rows begins.
READ, READ_AGAIN, MERGE = "read", "read again", "merge"
# While an import already rejected is only looked through for more errors, report its rows this often.
PROGRESS_ROWS = 1 << 14
Progress = Callable[[str, int], None]


# One reading as it arrived: its source, its line (or item number), and its three text values.
RawReading = tuple[str, int, str, str, str]
# Instants PostgreSQL reads exactly as Python does, passed through as written; any other ISO form is rewritten.
PLAIN_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


class _Errors:
    def __init__(self):
        self.items: list[RowError] = []

    def add(self, source: str, line: int, column: str, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(RowError(source, line, column, reason))

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS


def csv_readings(name: str, stream: io.BufferedIOBase, errors: "_Errors") -> Iterator[RawReading]:
    """Read a readings CSV (UTF-8, optional BOM, header row, columns in any order)."""
    reader = csv.reader(decoded_lines(stream))
    try:
        header = next(reader, None)
        if header is None:
            errors.add(name, 1, "", _("the file is empty (a header row is required)"))
            return
        header = [cell.strip() for cell in header]
        unknown = [cell for cell in header if cell not in COLUMNS]
        missing = [column for column in COLUMNS if column not in header]
        for cell in unknown:
            errors.add(name, 1, cell, _("unknown column"))
        for column in missing:
            errors.add(name, 1, column, _("required column is missing"))
        if unknown or missing or len(set(header)) != len(header):
            if not unknown and not missing:
                errors.add(name, 1, "", _("a column appears twice in the header"))
            return
        i_meter, i_period, i_kwh = (header.index(column) for column in COLUMNS)
        width = len(header)
        for cells in reader:
            if len(cells) != width:
                if not cells or cells == [""]:
                    continue
                errors.add(
                    name,
                    reader.line_num,
                    "",
                    _("%(found)d fields, the header has %(expected)d") % {"found": len(cells), "expected": width},
                )
                if errors.full:
                    return
                continue
            yield name, reader.line_num, cells[i_meter], cells[i_period], cells[i_kwh]
    except UnicodeDecodeError:
        errors.add(name, reader.line_num + 1, "", _("the file is not valid UTF-8"))
    except csv.Error as error:
        errors.add(name, reader.line_num, "", _("malformed CSV: %(error)s") % {"error": error})


def json_readings(name: str, stream: BinaryIO, errors: "_Errors") -> Iterator[RawReading]:
    """Read readings given as a JSON list of {meter_id, period_start, kwh} objects (items numbered from 1).

    The body streams through an incremental parser (ijson), so memory does not grow with it. An error in
    the JSON itself names the item the parser had reached (0 before the list). UTF-8, a BOM accepted.
    """
    if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        stream.seek(0)
    not_object = _("each reading must be an object with meter_id, period_start and kwh")
    number = 0  # the item being read (or the last one read)
    depth = 0  # 1 in the list, 2 in an item, 3 in a value that is a list or an object
    item: dict[str, str | None] | None = None  # the object being read, column → text
    column = ""
    bad = False  # the item being read has an error
    try:
        pieces = _DigitRuns(stream)
        for event, value in ijson.basic_parse(pieces, use_float=False, buf_size=JSON_READ_BYTES):
            if event == "map_key":
                if depth == 2 and item is not None:
                    column = value
                    if value not in COLUMNS:
                        errors.add(name, number, value, _("unknown field"))
                        bad = True
            elif event in JSON_VALUES:
                if depth == 2:
                    if item is not None and column in COLUMNS:
                        item[column] = value if type(value) is str else _json_text(value)
                elif depth == 1:
                    number += 1
                    errors.add(name, number, "", not_object)
                    if errors.full:
                        return
                elif depth == 0:
                    errors.add(name, 0, "", _("expected a JSON list of readings"))
                    return
            elif event == "start_map" or event == "start_array":
                depth += 1
                if depth == 2:
                    number += 1
                    if event == "start_map":
                        item, column, bad = {}, "", False
                    else:
                        item = None
                        errors.add(name, number, "", not_object)
                elif depth == 1:
                    if event == "start_map":
                        errors.add(name, 0, "", _("expected a JSON list of readings"))
                        return
                elif depth > JSON_DEPTH:
                    errors.add(
                        name,
                        number,
                        "",
                        _("nested too deep: a reading is an object of plain values in one list (not read further)"),
                    )
                    return
                elif item is not None and column in COLUMNS:
                    errors.add(name, number, column, _("a list or an object where a value is expected"))
                    item[column] = "…"  # not absent: the item has its error
                    bad = True
            else:  # end_map, end_array
                depth -= 1
                if depth == 1 and item is not None:
                    absent = [required for required in COLUMNS if item.get(required) in (None, "")]
                    for required in absent:
                        errors.add(name, number, required, _("a value is required"))
                    if not bad and not absent:
                        yield name, number, item["meter_id"], item["period_start"], item["kwh"]
                    elif errors.full:
                        return
                    item = None
    except ijson.JSONError as error:
        errors.add(name, _json_item(number, depth), "", _("malformed JSON: %(error)s") % {"error": _yajl(error)})
    except _TooManyDigits:  # found as the body is read, ahead of the item being parsed: no item to name
        errors.add(
            name,
            0,
            "",
            _("a run of more than %(digits)d digits: no value of a reading is that long (not read further)")
            % {"digits": JSON_DIGITS},
        )
    except ArithmeticError:  # an exponent beyond the decimal context's, 1e99999999999999999999
        errors.add(name, _json_item(number, depth), "", _("malformed JSON: a number too large to read"))
    except UnicodeDecodeError:  # the parser lets a lone surrogate through ("\udfff", or its bytes)
        errors.add(name, _json_item(number, depth), "", _("malformed JSON: a string that is not valid UTF-8"))


class _TooManyDigits(Exception):
    pass


# Every digit as b"0", every other byte as b" ": a run of digits is then a run of b"0".
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))


class _DigitRuns:
    """A binary stream, read in pieces, that raises _TooManyDigits at a run of more than JSON_DIGITS digits."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.run = 0  # the digits at the end of what was read so far
        self.too_many = b"0" * (JSON_DIGITS + 1)

    def read(self, size: int = -1) -> bytes:
        piece = self.stream.read(size)
        zeros = piece.translate(_DIGITS_AS_ZEROS)
        leading = len(zeros) - len(zeros.lstrip(b"0"))
        if self.run + leading > JSON_DIGITS or self.too_many in zeros:
            raise _TooManyDigits
        trailing = len(zeros) - len(zeros.rstrip(b"0"))
        self.run = self.run + trailing if trailing == len(zeros) else trailing
        return piece


def _json_text(value) -> str | None:
    """A JSON value as the text a CSV cell would hold (null: None)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal) and value.is_finite() and -6 <= value.as_tuple().exponent and value.adjusted() < 12:
        return f"{value:f}"  # 1.25E+2 → 125; never long, with the exponent bounded
    return None if value is None else str(value)


def _json_item(number: int, depth: int) -> int:
    """The item a JSON error belongs to: the one being read, the next between two, 0 outside the list."""
    if depth >= 2:
        return number
    return number + 1 if depth == 1 else 0


def _yajl(error: Exception) -> str:
    """The first line of the parser's message (the rest repeats a piece of the body)."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message).strip().split("\n", 1)[0]


def readings_hours(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first and the last hour a reading may start, as of `now`."""
    return EARLIEST_HOUR, now + AHEAD


def _hour_problem(text: str, earliest: dt.datetime, latest: dt.datetime) -> str:
    return _(
        "“%(value)s” is out of range: readings are accepted from %(earliest)s to a day ahead of now (%(latest)s)"
    ) % {"value": text, "earliest": f"{earliest:%Y-%m-%d %H:%M} UTC", "latest": f"{latest:%Y-%m-%d %H:%M} UTC"}


class _MeterDirectory:
    """meter_id → connection id, the grid operator of each meter, and each connection's latest stored hour."""

    def __init__(self, operator: str | None):
        self.operator = operator
        self.ids: dict[str, int] = {}
        self.operators: dict[str, str] = {}
        for meter_id, pk, owner in GridConnection.objects.values_list("meter_id", "id", "operator").iterator():
            self.ids[meter_id] = pk
            if operator is not None:
                self.operators[meter_id] = owner
        with connection.cursor() as cursor:
            # One primary-key probe per connection (a loose index scan), not a scan of the readings.
            cursor.execute(
                "SELECT c.id, (SELECT r.period_start FROM registry_meterreading r WHERE r.connection_id = c.id"
                " ORDER BY r.period_start DESC LIMIT 1) FROM registry_gridconnection c"
            )
            self.latest: dict[int, dt.datetime | None] = dict(cursor.fetchall())
        # (year, month) of the UTC months that have a partition: only their hours can be copied straight in.
        self.months = {(month.year, month.month) for month in readings_months()}


def _checked(
    readings: Iterable[RawReading], meters: _MeterDirectory, errors: _Errors, progress: Callable[[int], None] | None
) -> Iterator[tuple[bool, str]]:
    """Yield (can_be_copied_in, COPY text line) for each valid row; record an error for every bad one.

    A row can be copied straight in when its hour is after its connection's stored hours and its month
    has a partition; any other goes through the merge (which makes the partitions it needs).

    This loop runs once per reading (tens of millions): keep it lean. Its caller reports the progress of the
    rows it yields; once there is an error, nothing is yielded, and `progress` hears of the rows still read.
    """
    ids = meters.ids
    latest = meters.latest
    months = meters.months
    operators = meters.operators
    operator = meters.operator
    kwh_ok = KWH_TEXT.fullmatch
    plain = PLAIN_INSTANT.fullmatch
    first_hour, last_hour = readings_hours(clock.now())
    sequence = 0
    skipped = 0
    for source, line, meter, period, kwh in readings:
        meter = meter.strip()
        connection_id = ids.get(meter)
        if connection_id is None:
            problem = (
                "meter_id",
                _("unknown meter “%(meter)s”") % {"meter": meter} if meter else _("a value is required"),
            )
        elif operator is not None and operators[meter] != operator:
            problem = ("meter_id", _("meter “%(meter)s” belongs to another grid operator") % {"meter": meter})
        else:
            period = period.strip()
            kwh = kwh.strip()
            instant = parse_instant(period)
            if not period or not kwh:
                problem = ("period_start" if not period else "kwh", _("a value is required"))
            elif instant is None:
                problem = (
                    "period_start",
                    _("“%(value)s” is not an ISO 8601 instant with an offset or Z") % {"value": period},
                )
            elif instant.minute or instant.second or instant.microsecond:
                problem = ("period_start", _("“%(value)s” is not on the hour (UTC)") % {"value": period})
            elif not first_hour <= instant <= last_hour:
                problem = ("period_start", _hour_problem(period, first_hour, last_hour))
            elif not kwh_ok(kwh) and not NEGATIVE_ZERO.fullmatch(kwh):
                problem = ("kwh", kwh_problem(kwh))
            else:
                if errors.items:
                    # Nothing will be saved: only keep looking for errors.
                    skipped += 1
                    if progress is not None and not skipped % PROGRESS_ROWS:
                        progress(sequence + skipped)
                    continue
                sequence += 1
                stored = latest.get(connection_id)
                text = period if plain(period) else instant.isoformat()
                offset = instant.utcoffset()
                utc = instant - offset if offset else instant
                yield (
                    (stored is None or instant > stored) and (utc.year, utc.month) in months,
                    f"{sequence}\t{connection_id}\t{text}\t{kwh}\n",
                )
                continue
        errors.add(source, line, *problem)
        if errors.full:
            return


class _Blocks:
    """Gather COPY text lines into large blocks."""

    def __init__(self):
        self.lines: list[str] = []
        self.size = 0
        self.count = 0

    def add(self, line: str) -> bytes | None:
        self.lines.append(line)
        self.size += len(line)
        self.count += 1
        if self.size < COPY_BLOCK_BYTES:
            return None
        return self.take()

    def take(self) -> bytes:
        block = "".join(self.lines).encode()
        self.lines.clear()
        self.size = 0
        return block


@dataclass(frozen=True)
class ReadingSource:
    """Something readings come from: a name for messages and a way to (re)open it."""

    name: str
    # "csv" (open() gives a binary stream), "json" or "80020" (open() gives a seekable binary stream)
    kind: str
    open: Callable[[], Any]
    zone: zoneinfo.ZoneInfo | None = None  # 80020: the zone of the sender's local times
    status: StatusCount | None = None  # 80020: how many values the metering system flagged, once read


def file_source(path: str) -> ReadingSource:
    """A readings CSV file, plain or gzip-compressed (as the readings archive writes them)."""
    return ReadingSource(path, "csv", lambda: _opened(path))


def _opened(path: str):
    stream = open(path, "rb")
    if stream.peek(2)[:2] == b"\x1f\x8b":
        stream.close()
        return gzip.open(path, "rb")
    return stream


def bytes_source(name: str, body: bytes) -> ReadingSource:
    return ReadingSource(name, "csv", lambda: io.BytesIO(body))


def json_source(name: str, body: bytes) -> ReadingSource:
    """A JSON body as a source (a list of objects); malformed JSON is reported like a bad row, at its item."""
    return ReadingSource(name, "json", lambda: io.BytesIO(body))


def xml80020_source(name: str, open: Callable[[], Any], *, zone: zoneinfo.ZoneInfo) -> ReadingSource:
    """An 80020 XML message as a source; `open` gives a seekable binary stream, `zone` is the sender's."""
    return ReadingSource(name, "80020", open, zone=zone, status=StatusCount())


def path_source(
    path: str, *, zone: zoneinfo.ZoneInfo, kind: str | None = None, name: str | None = None
) -> ReadingSource:
    """A file as a source: 80020 XML when `kind` says so or when it begins like XML, CSV otherwise."""
    if kind is None:
        with open(path, "rb") as head:
            kind = "80020" if is_xml(head.read(64)) else "csv"
    if kind == "80020":
        return xml80020_source(name or path, lambda: open(path, "rb"), zone=zone)
    return ReadingSource(name or path, "csv", lambda: _opened(path))


def readings_import(
    *,
    sources: list[ReadingSource],
    label: str,
    user=None,
    operator: str | None = None,
    progress: Progress | None = None,
) -> ReadingImport:
    """Load readings from the sources, all or nothing; return the import's record with its counts.

    Raises ImportRejected (nothing saved, the rejection recorded) if any row is bad.
    `operator` restricts the load to that grid operator's meters. `progress`, if given, is called with a
    step (READ, READ_AGAIN, MERGE) and a number of rows as the load goes on.
    """
    started = timezone.now()
    try:
        with transaction.atomic():
            record = ReadingImport.objects.create(
                source=printable(label)[:500],
                user=user,
                status=ReadingImport.Status.SUCCEEDED,
                started_at=started,
                finished_at=started,
            )
            meters = _MeterDirectory(operator)
            try:
                with transaction.atomic():
                    rows, inserted, corrected = _load_appending(record.pk, sources, meters, progress)
            except (IntegrityError, psycopg.errors.UniqueViolation):
                # The feed repeats an hour among the new ones: take the general path for every row.
                rows, inserted, corrected = _load_staged(record.pk, sources, meters, progress)
            record.rows = rows
            record.inserted = inserted
            record.corrected = corrected
            record.unchanged = rows - inserted - corrected
            record.flagged_values = sum(source.status.flagged for source in sources if source.status is not None)
            record.finished_at = timezone.now()
            record.save(update_fields=["rows", "inserted", "corrected", "unchanged", "flagged_values", "finished_at"])
            return record
    except ImportRejected as rejected:
        ReadingImport.objects.create(
            source=printable(label)[:500],
            user=user,
            status=ReadingImport.Status.REJECTED,
            errors=[str(error) for error in rejected.errors],
            started_at=started,
            finished_at=timezone.now(),
        )
        raise


def _raw(sources: list[ReadingSource], errors: _Errors) -> Iterator[RawReading]:
    for source in sources:
        content = source.open()
        try:
            if source.kind == "json":
                yield from json_readings(source.name, content, errors)
            elif source.kind == "80020":
                yield from readings_80020(source.name, content, errors, zone=source.zone, status=source.status)
            else:
                yield from csv_readings(source.name, content, errors)
        finally:
            if hasattr(content, "close"):
                content.close()
        if errors.full:
            return


def _load_appending(
    import_id: int, sources: list[ReadingSource], meters: _MeterDirectory, progress: Progress | None = None
) -> tuple[int, int, int]:
    """The usual case, a feed of new hours: COPY them straight into the readings.

    Rows for hours a connection already has (late data, corrections), and rows
    of a month with no partition yet, are set aside in a spill file and merged
    afterwards.
    """
    errors = _Errors()
    direct, spilled = _Blocks(), _Blocks()
    read = _reporter(progress, READ)
    with tempfile.TemporaryFile() as spill, connection.cursor() as cursor:
        with cursor.copy("COPY registry_meterreading (connection_id, period_start, kwh) FROM STDIN") as copy:
            for is_new, line in _checked(_raw(sources, errors), meters, errors, read):
                if is_new:
                    block = direct.add(line.split("\t", 1)[1])
                    if block:
                        copy.write(block)
                        if read is not None:
                            read(direct.count + spilled.count)
                else:
                    block = spilled.add(line)
                    if block:
                        spill.write(block)
                        if read is not None:
                            read(direct.count + spilled.count)
            if errors.items:
                raise ImportRejected(errors.items)
            copy.write(direct.take())
            if read is not None:
                read(direct.count + spilled.count)
        spill.write(spilled.take())
        if not spilled.count:
            return direct.count, direct.count, 0
        if progress is not None:
            progress(MERGE, spilled.count)
        spill.seek(0)
        _create_stage(cursor)
        with cursor.copy("COPY reading_stage (seq, connection_id, period_start, kwh) FROM STDIN") as copy:
            while block := spill.read(COPY_BLOCK_BYTES):
                copy.write(block)
    inserted, corrected = _merge(import_id, spilled.count)
    return direct.count + spilled.count, direct.count + inserted, corrected


def _load_staged(
    import_id: int, sources: list[ReadingSource], meters: _MeterDirectory, progress: Progress | None = None
) -> tuple[int, int, int]:
    """The general case: stage every row, then merge."""
    errors = _Errors()
    staged = _Blocks()
    read = _reporter(progress, READ_AGAIN)
    with connection.cursor() as cursor:
        _create_stage(cursor)
        with cursor.copy("COPY reading_stage (seq, connection_id, period_start, kwh) FROM STDIN") as copy:
            for _is_new, line in _checked(_raw(sources, errors), meters, errors, read):
                block = staged.add(line)
                if block:
                    copy.write(block)
                    if read is not None:
                        read(staged.count)
            if errors.items:
                raise ImportRejected(errors.items)
            copy.write(staged.take())
            if read is not None:
                read(staged.count)
    if progress is not None:
        progress(MERGE, staged.count)
    inserted, corrected = _merge(import_id, staged.count)
    return staged.count, inserted, corrected


def _reporter(progress: Progress | None, step: str) -> Callable[[int], None] | None:
    """`progress` for one step: called with the rows read so far."""
    if progress is None:
        return None
    return lambda rows: progress(step, rows)


def _create_stage(cursor) -> None:
    # A fresh stage for every import, even several in one transaction.
    cursor.execute("DROP TABLE IF EXISTS reading_stage")
    cursor.execute(
        "CREATE TEMP TABLE reading_stage (seq bigint, connection_id bigint, period_start timestamptz,"
        " kwh numeric(12,3)) ON COMMIT DROP"
    )


# The merge's planner settings, for its own statements: the stage's hours are nearly all distinct, so caching
# index probes (memoize) only adds work, and the sorts of a resent month's corrections fit in memory.
MERGE_SETTINGS = {"work_mem": "64MB", "enable_memoize": "off"}


@contextlib.contextmanager
def _planner_settings(cursor, settings: dict[str, str]) -> Iterator[None]:
    """Use these settings for the statements inside, then give the transaction back its own.

    After an error there is nothing to give back: rolling back the transaction or its savepoint undoes them.
    """
    names = list(settings)
    cursor.execute("SELECT " + ", ".join("current_setting(%s)" for name in names), names)
    before = dict(zip(names, cursor.fetchone(), strict=True))
    _set_local(cursor, settings)
    yield
    _set_local(cursor, before)


def _set_local(cursor, settings: dict[str, str]) -> None:
    cursor.execute(
        "SELECT " + ", ".join("set_config(%s, %s, true)" for name in settings),
        [part for setting in settings.items() for part in setting],
    )


def _merge(import_id: int, staged: int) -> tuple[int, int]:
    """Insert the staged hours that are new; record and apply a correction where the feed changes a stored hour."""
    with connection.cursor() as cursor, _planner_settings(cursor, MERGE_SETTINGS):
        cursor.execute("SELECT DISTINCT date_trunc('month', period_start AT TIME ZONE 'UTC')::date FROM reading_stage")
        readings_partitions_ensure(month for (month,) in cursor.fetchall())
        # Only the hours not stored reach ON CONFLICT (which still covers one another load stores meanwhile): an
        # anti-join passes over 100k resent hours in a third of the time ON CONFLICT takes to meet each one. A
        # repeated new hour gets its first value here, its last below as a correction.
        cursor.execute(
            "INSERT INTO registry_meterreading (connection_id, period_start, kwh)"
            " SELECT DISTINCT ON (connection_id, period_start) connection_id, period_start, kwh FROM reading_stage s"
            " WHERE NOT EXISTS (SELECT FROM registry_meterreading m"
            "                    WHERE m.connection_id = s.connection_id AND m.period_start = s.period_start)"
            " ORDER BY connection_id, period_start, seq"
            " ON CONFLICT (connection_id, period_start) DO NOTHING"
        )
        inserted = cursor.rowcount
        if inserted == staged:
            return inserted, 0
        # Some hours were already stored (or repeated in the feed): the last value given wins. The changes are
        # set down once, then recorded and applied by a statement each, which costs less than one statement
        # carrying them from the INSERT to the UPDATE.
        cursor.execute("ANALYZE reading_stage")
        cursor.execute("DROP TABLE IF EXISTS reading_changes")
        cursor.execute(
            """
            CREATE TEMP TABLE reading_changes ON COMMIT DROP AS
            SELECT connection_id, period_start, old_kwh, new_kwh
              FROM (SELECT DISTINCT ON (s.connection_id, s.period_start)
                           s.connection_id, s.period_start, s.kwh AS new_kwh, m.kwh AS old_kwh
                      FROM reading_stage s
                      JOIN registry_meterreading m USING (connection_id, period_start)
                     ORDER BY s.connection_id, s.period_start, s.seq DESC) AS latest
             WHERE new_kwh <> old_kwh
            """
        )
        corrected = cursor.rowcount
        if corrected:
            cursor.execute(
                "INSERT INTO registry_readingcorrection (reading_import_id, connection_id, period_start, old_kwh,"
                " new_kwh) SELECT %s, connection_id, period_start, old_kwh, new_kwh FROM reading_changes",
                [import_id],
            )
            cursor.execute(
                "UPDATE registry_meterreading m SET kwh = c.new_kwh FROM reading_changes c"
                " WHERE m.connection_id = c.connection_id AND m.period_start = c.period_start"
            )
        return inserted, corrected
