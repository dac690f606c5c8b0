from django.db.models.functions import Coalesce

from registry.models import Flag

from .base import Dataset, ExportColumn, month_text


class FlagsExport(Dataset):
    name = "flags"
    columns = [
        ExportColumn("rule", "rule"),
        ExportColumn("severity", "severity"),
        ExportColumn("status", "status"),
        ExportColumn("subject_type", "subject_type"),
        ExportColumn("subject_ref", "subject_ref"),
        ExportColumn("month", "month", month_text),
        ExportColumn("window_start", "window_start"),
        ExportColumn("window_end", "window_end"),
        ExportColumn("evidence", "evidence"),
        ExportColumn("created_at", "created_at"),
        ExportColumn("updated_at", "updated_at"),
        ExportColumn("decision_reason", "decision_reason"),
    ]
    date_field = "created_at"
    region_field = "subject_region"
    status_field = "status"
    status_choices = Flag.Status.values
    order_by = ("created_at", "pk")

    def base_queryset(self):
        return Flag.objects.annotate(
            subject_region=Coalesce("connection__region", "facility__region", "licence__firm__region", "firm__region")
        )
