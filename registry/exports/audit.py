from pghistory.models import Events

from .base import Dataset, ExportColumn


class AuditExport(Dataset):
    """Every recorded change of an audited row, and every export, oldest first."""

    name = "audit"
    columns = [
        ExportColumn("at", "pgh_created_at"),
        ExportColumn("model", "pgh_obj_model"),
        ExportColumn("object_id", "pgh_obj_id"),
        ExportColumn("action", "pgh_label"),
        ExportColumn("changes", "pgh_diff"),
        ExportColumn("values", "pgh_data"),
        ExportColumn("context", "pgh_context"),
    ]
    date_field = "pgh_created_at"
    order_by = ("pgh_created_at", "pgh_model", "pgh_id")

    def base_queryset(self):
        return Events.objects.all()
