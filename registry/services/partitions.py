"""The readings by month: one PostgreSQL partition per UTC month, and the archive (docs/rules.md, "Readings by month").

`registry_meterreading` is partitioned by range on the hour; each month's
readings live in `registry_meterreading_pYYYYMM`. A partition is made before
any reading of its month is written: by the ingestion for every month it
meets, by the demo and fixtures for theirs, and by the monthly beat task for
the months ahead. Making one takes only a SHARE UPDATE EXCLUSIVE lock on the
readings (the table is made on its own, then attached), so readers and writers
of other months go on; makers are serialised by an advisory lock.
"""

import datetime as dt
import gzip
import hashlib
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from registry import clock
from registry.errors import RegistryError
from registry.models import DetectionSettings, Flag, ReadingArchive

PARENT = "registry_meterreading"
# Serialises the makers of partitions (a transaction-level advisory lock).
PARTITION_MAKER_LOCK = 74_611_002
_NAME = re.compile(rf"^{PARENT}_p(\d{{4}})(\d{{2}})$")


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def readings_months() -> list[dt.date]:
    """The months that have a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = []
    for name in names:
        match = _NAME.match(name)
        if match:
            months.append(dt.date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def months_between(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The UTC months that [start, end) touches."""
    if end <= start:
        return []
    month = clock.month_of(start.astimezone(dt.UTC).date())
    last = clock.month_of((end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date())
    months = []
    while month <= last:
        months.append(month)
        month = clock.next_month(month)
    return months


def readings_partitions_ensure(months: Iterable[dt.date]) -> list[dt.date]:
    """Make the partitions of these months that do not exist yet; return the months made.

    Runs in the caller's transaction (the partition appears with its commit). Each partition is made as a
    table of the readings' shape, then attached: the key and its index come from the readings' own.
    """
    wanted = sorted({clock.month_of(month) for month in months})
    if not wanted or set(wanted) <= set(readings_months()):
        return []
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_MAKER_LOCK])
        existing = set(readings_months())
        for month in wanted:
            if month in existing:
                continue
            name = partition_name(month)
            start, end = clock.month_bounds_utc(month)
            # Names and bounds are made here from dates, never from input.
            cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")  # nosec B608
            cursor.execute(
                f"ALTER TABLE {PARENT} ATTACH PARTITION {name}"  # nosec B608
                f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            made.append(month)
    return made


def readings_partitions_ahead(*, months: int = 2) -> list[dt.date]:
    """The beat's monthly step: the current UTC month and the `months` after it have partitions."""
    current = clock.month_of(clock.now().astimezone(dt.UTC).date())  # a UTC month, not a registry-zone day
    return readings_partitions_ensure(clock.add_months(current, step) for step in range(months + 1))


class _Digest(io.RawIOBase):
    """A file that counts and hashes the bytes written through it."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)


def readings_kept_since(*, on: dt.datetime | None = None) -> dt.datetime:
    """The earliest instant detection may still read: its window, or the load step's baseline if longer."""
    current = DetectionSettings.current()
    days = max(current.window_days, current.step_baseline_days)
    return (on or clock.now()) - dt.timedelta(days=days)


def readings_month_archivable(month: dt.date, *, on: dt.datetime | None = None) -> str | None:
    """Why a month's readings must stay in the database, or None when they may go to the archive."""
    start, end = clock.month_bounds_utc(month)
    if month not in readings_months():
        return _("%(month)s has no readings in the database.") % {"month": f"{month:%Y-%m}"}
    if end > readings_kept_since(on=on):
        return _("%(month)s is inside detection's window or the load step's baseline.") % {"month": f"{month:%Y-%m}"}
    if Flag.objects.filter(status__in=Flag.OPEN_STATUSES, window_start__lt=end, window_end__gt=start).exists():
        return _("%(month)s is inside the window of an open flag.") % {"month": f"{month:%Y-%m}"}
    return None


def readings_months_due_for_archive(*, on: dt.datetime | None = None) -> list[dt.date]:
    """Months past READINGS_RETENTION_MONTHS (counted back from the current UTC month) that may leave."""
    retention = settings.READINGS_RETENTION_MONTHS
    if not retention:
        return []
    current = clock.month_of((on or clock.now()).astimezone(dt.UTC).date())
    cutoff = clock.add_months(current, -retention)
    return [month for month in readings_months() if month < cutoff and readings_month_archivable(month, on=on) is None]


def readings_archive(month: dt.date, *, directory: Path | None = None) -> ReadingArchive:
    """Write a month's readings to `readings-YYYY-MM.csv.gz` (the readings CSV format), record it, drop the month.

    The file is written beside its final name and renamed into place only when whole; the month's partition
    is held against writes meanwhile, and is dropped in the same transaction that records the archive. An
    archive interrupted anywhere leaves the readings where they were.
    """
    month = clock.month_of(month)
    problem = readings_month_archivable(month)
    if problem:
        raise RegistryError(problem)
    directory = Path(directory or settings.READINGS_ARCHIVE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"readings-{month:%Y-%m}.csv.gz"
    partial = final.with_name(final.name + ".partial")
    name = partition_name(month)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {name} IN SHARE MODE")  # nosec B608: a name made from a date
        cursor.execute(f"SELECT count(*) FROM {name}")  # nosec B608
        held = cursor.fetchone()[0]
        with partial.open("wb") as raw:
            digest = _Digest(raw)
            with gzip.GzipFile(filename=final.stem, mode="wb", fileobj=digest, mtime=0) as packed:
                with cursor.copy(
                    # bandit B608: only the partition's name is formatted in
                    f"""COPY (SELECT c.meter_id,
                                     to_char(r.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                         AS period_start,
                                     r.kwh
                                FROM {name} r JOIN registry_gridconnection c ON c.id = r.connection_id
                               ORDER BY r.period_start, c.meter_id)
                        TO STDOUT WITH (FORMAT csv, HEADER true)"""  # nosec B608
                ) as copy:
                    for block in copy:
                        packed.write(block)
            raw.flush()
            os.fsync(raw.fileno())
        written = cursor.rowcount
        if written != held:
            partial.unlink(missing_ok=True)
            raise RegistryError(
                _("%(month)s: %(written)d readings written of %(held)d; nothing dropped.")
                % {"month": f"{month:%Y-%m}", "written": written, "held": held}
            )
        os.replace(partial, final)
        archive = ReadingArchive.objects.create(
            month=month, path=str(final), rows=written, bytes=digest.size, sha256=digest.sha256.hexdigest()
        )
        cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")  # nosec B608
        cursor.execute(f"DROP TABLE {name}")  # nosec B608
    return archive


def readings_monthly(*, on: dt.datetime | None = None) -> dict:
    """The monthly beat step: partitions for the months ahead, and months past retention to their archives."""
    made = readings_partitions_ahead()
    archived = [readings_archive(month) for month in readings_months_due_for_archive(on=on)]
    return {
        "partitions_made": [f"{month:%Y-%m}" for month in made],
        "archived": [{"month": f"{a.month:%Y-%m}", "rows": a.rows, "bytes": a.bytes} for a in archived],
    }
