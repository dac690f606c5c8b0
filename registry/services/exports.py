"""Running an export: check the request, then stream the dataset's CSV (or XLSX) and record it in the export log."""

import logging
from collections.abc import Iterator

import pghistory
from django.db import connection
from django.utils.translation import gettext as _

from registry.exports import (
    CSV,
    DATASETS,
    FORMATS,
    XLSX,
    Dataset,
    ExportError,
    ExportFilters,
    csv_stream,
    xlsx_check,
    xlsx_stream,
)
from registry.models import ExportLog
from registry.models.audit import EXPORT_FAILED

logger = logging.getLogger(__name__)


def export_prepare(*, dataset_name: str, filters: ExportFilters, file_format: str = CSV) -> Dataset:
    """Return the dataset, or raise ExportError naming what is wrong with the request.

    An XLSX holds at most a sheet's rows: more is refused here, before anything is written or logged.
    """
    if file_format not in FORMATS:
        raise ExportError(
            _("unknown format “%(format)s”: use one of %(formats)s")
            % {"format": file_format, "formats": ", ".join(FORMATS)}
        )
    try:
        dataset = DATASETS[dataset_name]
    except KeyError:
        raise ExportError(
            _("unknown dataset “%(name)s”: use one of %(names)s") % {"name": dataset_name, "names": ", ".join(DATASETS)}
        ) from None
    dataset.queryset(filters)  # raises on a filter the dataset does not have or a bad value
    if file_format == XLSX:
        xlsx_check(dataset, filters)
    return dataset


def export_start(
    *, dataset: Dataset, filters: ExportFilters, actor: str, user=None, file_format: str = CSV
) -> Iterator[bytes]:
    """Log the export, run its query and return its CSV (or XLSX) stream; the row count is logged when it ends.

    The query runs before this returns, so a failure before the first row is raised here, while the
    caller can still answer with an error rather than a file (an XLSX is written whole before its first
    block: any failure of it is raised here). A failure after that is raised by the stream. Either way the
    log entry keeps no row count and gets an `export.failed` event. The log's filters name an XLSX's format.
    """
    logged = filters.as_dict() if file_format == CSV else {**filters.as_dict(), "format": file_format}
    entry = ExportLog.objects.create(user=user, actor=actor, dataset=dataset.name, filters=logged)

    def finished(row_count: int) -> None:
        ExportLog.objects.filter(pk=entry.pk).update(row_count=row_count)

    stream = csv_stream if file_format == CSV else xlsx_stream
    blocks = _failures_recorded(entry, stream(dataset, filters, on_done=finished))
    first = next(blocks, None)
    return _resumed(first, blocks)


def _failures_recorded(entry: ExportLog, blocks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from blocks
    except GeneratorExit:
        # The reader went away (a download cancelled or cut off): it does not have the whole export.
        _record_failure(entry, "the reader stopped before the end")
        raise
    except BaseException as error:
        logger.exception("export %s of %s failed", entry.pk, entry.dataset)
        _record_failure(entry, " ".join(f"{type(error).__name__}: {error}".split()))
        raise


def _record_failure(entry: ExportLog, reason: str) -> None:
    """Record in the audit trail that the export stopped before its last row, and why."""
    try:
        if not connection.in_atomic_block and not connection.is_usable():
            connection.close()  # the failure took the connection with it: record on a new one
        with pghistory.context(export_failed=reason):
            pghistory.create_event(entry, label=EXPORT_FAILED)
    except Exception:  # the export's own error is the one to raise
        logger.exception("export %s of %s: its failure could not be recorded", entry.pk, entry.dataset)


def _resumed(first: bytes | None, blocks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        if first is not None:
            yield first
        yield from blocks
    finally:
        blocks.close()  # closed before its second block, too: the export is recorded as broken off
