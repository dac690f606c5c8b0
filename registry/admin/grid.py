from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import GridConnection, MeterReading

from .base import RegistryAdmin


@admin.register(GridConnection)
class GridConnectionAdmin(RegistryAdmin):
    list_display = ["meter_id", "consumer_name", "region", "tariff", "operator", "contracted_mw"]
    list_filter = ["tariff", "region"]
    search_fields = ["=meter_id", "consumer_name", "=consumer_bin"]
    readonly_fields = ["latest_reading"]

    @admin.display(description=_("latest reading"))
    def latest_reading(self, obj):
        # MeterReading has a composite key and no admin of its own: show the newest hour here.
        reading = MeterReading.objects.filter(connection=obj).order_by("-period_start").first()
        if reading is None:
            return _("none")
        return f"{reading.period_start:%Y-%m-%d %H:%M} UTC — {reading.kwh} kWh"
