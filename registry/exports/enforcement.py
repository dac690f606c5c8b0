from registry.models import EnforcementAction

from .base import Dataset, ExportColumn


class EnforcementExport(Dataset):
    name = "enforcement"
    columns = [
        ExportColumn("action", "action"),
        ExportColumn("operator_bin", "firm__bin"),
        ExportColumn("operator_name", "firm__name"),
        ExportColumn("region", "region"),
        ExportColumn("date", "date"),
        ExportColumn("devices", "devices"),
        ExportColumn("value_usd", "value_usd"),
        ExportColumn("case_number", "case_number"),
        ExportColumn("fine_kzt", "fine_kzt"),
        ExportColumn("facility_ref", "facility__ref"),
        ExportColumn("meter_id", "connection__meter_id"),
        ExportColumn("notes", "notes"),
    ]
    date_field = "date"
    region_field = "region"
    status_field = "action"
    status_choices = EnforcementAction.Action.values
    order_by = ("date", "pk")

    def base_queryset(self):
        return EnforcementAction.objects.all()
