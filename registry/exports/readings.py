from registry.models import MeterReading

from .base import Dataset, ExportColumn


class ReadingsExport(Dataset):
    name = "readings"
    columns = [
        ExportColumn("meter_id", "connection__meter_id"),
        ExportColumn("period_start", "period_start"),
        ExportColumn("kwh", "kwh"),
    ]
    date_field = "period_start"
    region_field = "connection__region"
    meter_field = "connection__meter_id"
    order_by = ("connection_id", "period_start")

    def base_queryset(self):
        return MeterReading.objects.all()
