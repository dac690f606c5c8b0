from django.contrib import admin

from registry.models import Facility, FacilityConnection, LicenceCoverage

from .base import RegistryAdmin


class FacilityConnectionInline(admin.TabularInline):
    model = FacilityConnection
    extra = 0
    autocomplete_fields = ["connection"]


class CoverageInline(admin.TabularInline):
    model = LicenceCoverage
    extra = 0
    autocomplete_fields = ["licence", "facility"]
    readonly_fields = ["period", "holds"]


@admin.register(Facility)
class FacilityAdmin(RegistryAdmin):
    list_display = ["ref", "name", "firm", "region", "capacity_mw", "devices"]
    list_filter = ["region"]
    search_fields = ["=ref", "name", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    list_select_related = ["firm"]
    inlines = [FacilityConnectionInline, CoverageInline]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(FacilityConnection)
class FacilityConnectionAdmin(RegistryAdmin):
    list_display = ["facility", "connection"]
    search_fields = ["=facility__ref", "=connection__meter_id"]
    autocomplete_fields = ["facility", "connection"]
    list_select_related = ["facility", "connection"]
