from registry.models import GridConnection

from .base import Dataset, ExportColumn


class ConnectionsExport(Dataset):
    name = "connections"
    columns = [
        ExportColumn("meter_id", "meter_id"),
        ExportColumn("operator", "operator"),
        ExportColumn("consumer_name", "consumer_name"),
        ExportColumn("consumer_bin", "consumer_bin"),
        ExportColumn("region", "region"),
        ExportColumn("address", "address"),
        ExportColumn("tariff", "tariff"),
        ExportColumn("contracted_mw", "contracted_mw"),
        ExportColumn("parent_meter_id", "parent__meter_id"),
    ]
    region_field = "region"
    meter_field = "meter_id"
    order_by = ("meter_id",)

    def base_queryset(self):
        return GridConnection.objects.all()
