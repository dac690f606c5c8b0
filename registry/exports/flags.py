from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from registry.models import Flag, FlagMeter
from registry.selectors.loads import METER_ORDER

from .base import Dataset, ExportColumn, as_month


class FlagsExport(Dataset):
    name = "flags"
    columns = [
        ExportColumn("rule", "rule"),
        ExportColumn("severity", "severity"),
        ExportColumn("status", "status"),
        ExportColumn("meter_ids", "meter_ids"),
        ExportColumn("subject_type", "subject_type"),
        ExportColumn("subject_ref", "subject_ref"),
        ExportColumn("month", "month", as_month),
        ExportColumn("window_start", "window_start"),
        ExportColumn("window_end", "window_end"),
        ExportColumn("evidence", "evidence"),
        ExportColumn("created_at", "created_at"),
        ExportColumn("updated_at", "updated_at"),
        ExportColumn("decision_reason", "decision_reason"),
    ]
    date_field = "created_at"
    region_field = "subject_region"
    status_field = "status"
    status_choices = Flag.Status.values
    order_by = ("created_at", "pk")

    def base_queryset(self):
        return Flag.objects.annotate(
            subject_region=Coalesce("connection__region", "facility__region", "licence__firm__region", "firm__region"),
            meter_ids=Subquery(_meter_ids()),
        )


def _meter_ids():
    """Every meter whose readings made the flag, `;`-joined: subject first, then members or children, by meter id."""
    return (
        FlagMeter.objects.filter(flag=OuterRef("pk"))
        .values("flag")
        .annotate(ids=StringAgg("connection__meter_id", delimiter=";", order_by=METER_ORDER))
        .values("ids")
    )
