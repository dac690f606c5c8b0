from django.contrib import admin

from registry.models import EnforcementAction, Flag, Inspection

from .base import RegistryAdmin


@admin.register(Flag)
class FlagAdmin(RegistryAdmin):
    list_display = ["rule", "subject_ref", "severity", "status", "month", "window_end", "created_at"]
    list_filter = ["status", "severity", "rule", "subject_type"]
    search_fields = ["=subject_ref"]
    raw_id_fields = ["connection", "facility", "licence", "firm", "assigned_to"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Inspection)
class InspectionAdmin(RegistryAdmin):
    list_display = ["date", "facility", "connection", "firm", "outcome", "devices_found"]
    list_filter = ["outcome"]
    search_fields = ["=facility__ref", "=connection__meter_id", "=firm__bin", "firm__name"]
    autocomplete_fields = ["facility", "connection", "firm"]
    raw_id_fields = ["flag"]
    filter_horizontal = ["inspectors"]
    list_select_related = ["facility", "connection", "firm"]
    date_hierarchy = "date"


@admin.register(EnforcementAction)
class EnforcementActionAdmin(RegistryAdmin):
    list_display = ["date", "action", "firm", "region", "devices", "value_usd", "case_number", "fine_kzt"]
    list_filter = ["action", "region"]
    search_fields = ["=firm__bin", "firm__name", "=case_number"]
    autocomplete_fields = ["firm", "facility", "connection", "licence"]
    raw_id_fields = ["inspection"]
    list_select_related = ["firm"]
    date_hierarchy = "date"
