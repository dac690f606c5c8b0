"""The grid in the admin: connections with their legal status, grid-operator accounts, reading imports, corrections."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import GridConnection, GridOperatorAccount, MeterReading, ReadingCorrection, ReadingImport
from registry.selectors import legal_status

from .base import LegalStatusMixin, ReadOnlyAdmin, RegistryAdmin, legal_status_filter
from .links import record_links


@admin.register(GridConnection)
class GridConnectionAdmin(LegalStatusMixin, RegistryAdmin):
    export_dataset = "connections"
    legal_status_conditions = legal_status.connection_conditions
    list_display = ["meter_id", "consumer_name", "legal_status", "region", "tariff", "operator", "contracted_mw"]
    list_filter = [legal_status_filter(legal_status.connection_conditions), "tariff", "region"]
    search_fields = ["=meter_id", "consumer_name", "=consumer_bin"]
    readonly_fields = ["legal_status", "record", "latest_reading"]

    @admin.display(description=_("record"))
    def record(self, obj):
        return record_links(connection=obj)

    @admin.display(description=_("latest reading"))
    def latest_reading(self, obj):
        # MeterReading has a composite key and no admin of its own: show the newest hour here.
        reading = MeterReading.objects.filter(connection=obj).order_by("-period_start").first()
        if reading is None:
            return _("none")
        return _("%(hour)s UTC — %(kwh)s kWh") % {"hour": f"{reading.period_start:%Y-%m-%d %H:%M}", "kwh": reading.kwh}


@admin.register(GridOperatorAccount)
class GridOperatorAccountAdmin(RegistryAdmin):
    list_display = ["operator", "user"]
    search_fields = ["operator", "user__username"]
    raw_id_fields = ["user"]


@admin.register(ReadingImport)
class ReadingImportAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "source", "status", "rows", "inserted", "unchanged", "corrected"]
    list_filter = ["status"]
    search_fields = ["source"]
    date_hierarchy = "started_at"


@admin.register(ReadingCorrection)
class ReadingCorrectionAdmin(ReadOnlyAdmin):
    list_display = ["connection", "period_start", "old_kwh", "new_kwh", "reading_import"]
    search_fields = ["=connection__meter_id"]
    list_select_related = ["connection", "reading_import"]
