"""Running an export: check the request, then stream the dataset's CSV and record it in the export log."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from registry.exports import DATASETS, Dataset, ExportError, ExportFilters, csv_stream
from registry.models import ExportLog


def export_prepare(*, dataset_name: str, filters: ExportFilters) -> Dataset:
    """Return the dataset, or raise ExportError naming what is wrong with the request."""
    try:
        dataset = DATASETS[dataset_name]
    except KeyError:
        raise ExportError(
            _("unknown dataset “%(name)s”: use one of %(names)s") % {"name": dataset_name, "names": ", ".join(DATASETS)}
        ) from None
    dataset.queryset(filters)  # raises on a filter the dataset does not have or a bad value
    return dataset


def export_start(*, dataset: Dataset, filters: ExportFilters, actor: str, user=None) -> Iterator[bytes]:
    """Log the export and return its CSV stream; the row count is logged when the stream ends."""
    entry = ExportLog.objects.create(user=user, actor=actor, dataset=dataset.name, filters=filters.as_dict())

    def finished(row_count: int) -> None:
        ExportLog.objects.filter(pk=entry.pk).update(row_count=row_count)

    return csv_stream(dataset, filters, on_done=finished)
