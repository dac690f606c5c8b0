from django.contrib import admin

from registry.models import Licence, LicenceCoverage

from .base import RegistryAdmin
from .facilities import CoverageInline


@admin.register(Licence)
class LicenceAdmin(RegistryAdmin):
    list_display = ["__str__", "firm", "status", "subtype", "capacity_mw", "valid_from", "valid_until"]
    list_filter = ["status", "subtype", "firm__region"]
    search_fields = ["=number", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    list_select_related = ["firm"]
    inlines = [CoverageInline]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "valid_until"


@admin.register(LicenceCoverage)
class LicenceCoverageAdmin(RegistryAdmin):
    list_display = ["licence", "facility", "period", "holds"]
    list_filter = ["holds"]
    search_fields = ["=licence__number", "=facility__ref"]
    autocomplete_fields = ["licence", "facility"]
    readonly_fields = ["period", "holds"]
    list_select_related = ["licence", "facility"]
