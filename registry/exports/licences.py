from django.contrib.postgres.aggregates import ArrayAgg

from registry.models import Licence

from .base import Dataset, ExportColumn, joined


class LicencesExport(Dataset):
    name = "licences"
    columns = [
        ExportColumn("number", "number"),
        ExportColumn("firm_bin", "firm__bin"),
        ExportColumn("firm_name", "firm__name"),
        ExportColumn("facility_refs", "facility_refs", joined),
        ExportColumn("capacity_mw", "capacity_mw"),
        ExportColumn("valid_from", "valid_from"),
        ExportColumn("valid_until", "valid_until"),
        ExportColumn("status", "status"),
        ExportColumn("subtype", "subtype"),
    ]
    date_field = "valid_from"
    region_field = "firm__region"
    status_field = "status"
    status_choices = Licence.Status.values
    order_by = ("number", "pk")

    def base_queryset(self):
        return Licence.objects.annotate(facility_refs=ArrayAgg("facilities__ref", default=[]))
