from registry.models import PowerDeclaration

from .base import Dataset, ExportColumn, as_month


class DeclarationsExport(Dataset):
    """Every filing, corrections included: `is_current` marks the one in force."""

    name = "declarations"
    columns = [
        ExportColumn("facility_ref", "facility__ref"),
        ExportColumn("firm_bin", "facility__firm__bin"),
        ExportColumn("month", "month", as_month),
        ExportColumn("consumed_mwh", "consumed_mwh"),
        ExportColumn("peak_mw", "peak_mw"),
        ExportColumn("devices", "devices"),
        ExportColumn("power_source", "power_source"),
        ExportColumn("is_current", "is_current"),
        ExportColumn("filed_at", "filed_at"),
    ]
    date_field = "month"
    region_field = "facility__region"
    order_by = ("facility__ref", "month", "filed_at", "pk")

    def base_queryset(self):
        return PowerDeclaration.objects.all()
