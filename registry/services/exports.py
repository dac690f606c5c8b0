"""Running an export: the dataset's CSV stream, recorded in the export log."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from registry.exports import DATASETS, Dataset, ExportError, ExportFilters, csv_stream
from registry.models import ExportLog


def export_dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ExportError(
            _("unknown dataset “%(name)s”: use one of %(names)s") % {"name": name, "names": ", ".join(DATASETS)}
        ) from None


def export_start(*, dataset_name: str, filters: ExportFilters, actor: str, user=None) -> Iterator[bytes]:
    """Check the request, log it, and return the CSV stream; the row count is logged when it ends."""
    dataset = export_dataset(dataset_name)
    dataset.queryset(filters)  # refuse bad filters before anything is written
    entry = ExportLog.objects.create(user=user, actor=actor, dataset=dataset.name, filters=filters.as_dict())

    def finished(row_count: int) -> None:
        ExportLog.objects.filter(pk=entry.pk).update(row_count=row_count)

    return csv_stream(dataset, filters, on_done=finished)
