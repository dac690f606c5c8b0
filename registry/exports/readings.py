from registry.models import MeterReading

from .base import Dataset, ExportColumn, ExportFilters, sql_instant_on_the_hour, sql_text


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

    def copy_query(self, filters: ExportFilters) -> tuple[str, list]:
        """The rows as PostgreSQL writes them: millions of readings stream from COPY, not through Python."""
        query = self.queryset(filters).values_list("connection__meter_id", "period_start", "kwh").query
        inner, params = query.sql_with_params()
        return (
            # The ORM's own SQL for the filtered rows, wrapped; its values stay bound parameters.
            f"SELECT {sql_text('x.meter_id')}, {sql_instant_on_the_hour('x.period_start')}, x.kwh"  # nosec B608
            f" FROM ({inner}) AS x(meter_id, period_start, kwh)",
            list(params),
        )
