from django.contrib.postgres.aggregates import StringAgg

from registry.models import Inspection

from .base import Dataset, ExportColumn


class InspectionsExport(Dataset):
    name = "inspections"
    columns = [
        ExportColumn("date", "date"),
        ExportColumn("facility_ref", "facility__ref"),
        ExportColumn("meter_id", "connection__meter_id"),
        ExportColumn("operator_bin", "firm__bin"),
        ExportColumn("operator_name", "firm__name"),
        ExportColumn("outcome", "outcome"),
        ExportColumn("devices_found", "devices_found"),
        ExportColumn("findings", "findings"),
        ExportColumn("inspectors", "inspector_names"),
    ]
    date_field = "date"
    status_field = "outcome"
    status_choices = Inspection.Outcome.values
    order_by = ("date", "pk")

    def base_queryset(self):
        return Inspection.objects.annotate(
            inspector_names=StringAgg(
                "inspectors__username", delimiter=";", order_by="inspectors__username", default=""
            )
        )
