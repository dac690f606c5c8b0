from django.contrib import admin

from registry.models import PowerDeclaration

from .base import RegistryAdmin


@admin.register(PowerDeclaration)
class PowerDeclarationAdmin(RegistryAdmin):
    list_display = ["facility", "month", "consumed_mwh", "peak_mw", "devices", "power_source", "is_current", "filed_at"]
    list_filter = ["is_current", "power_source", "facility__region"]
    search_fields = ["=facility__ref", "=facility__firm__bin", "facility__firm__name"]
    autocomplete_fields = ["facility"]
    raw_id_fields = ["supersedes", "filed_by"]
    list_select_related = ["facility"]
    date_hierarchy = "month"
    readonly_fields = ["filed_at", "is_current", "supersedes"]
