from django.contrib.postgres.aggregates import ArrayAgg

from registry.models import Facility

from .base import Dataset, ExportColumn, joined


class FacilitiesExport(Dataset):
    name = "facilities"
    columns = [
        ExportColumn("ref", "ref"),
        ExportColumn("firm_bin", "firm__bin"),
        ExportColumn("name", "name"),
        ExportColumn("region", "region"),
        ExportColumn("address", "address"),
        ExportColumn("latitude", "latitude"),
        ExportColumn("longitude", "longitude"),
        ExportColumn("meter_ids", "meter_ids", joined),
        ExportColumn("capacity_mw", "capacity_mw"),
        ExportColumn("devices", "devices"),
    ]
    date_field = "created_at"
    region_field = "region"
    order_by = ("ref",)

    def base_queryset(self):
        return Facility.objects.annotate(meter_ids=ArrayAgg("connections__meter_id", default=[]))
