from registry.models import Firm

from .base import Dataset, ExportColumn


class FirmsExport(Dataset):
    name = "firms"
    columns = [
        ExportColumn("bin", "bin"),
        ExportColumn("name", "name"),
        ExportColumn("region", "region"),
        ExportColumn("address", "address"),
        ExportColumn("email", "email"),
        ExportColumn("origin", "origin"),
        ExportColumn("created_at", "created_at"),
    ]
    date_field = "created_at"
    region_field = "region"
    status_field = "origin"
    status_choices = Firm.Origin.values
    order_by = ("bin",)

    def base_queryset(self):
        return Firm.objects.all()
