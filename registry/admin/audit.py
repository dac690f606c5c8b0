"""The export log in the admin: read-only, who exported what and whether it completed."""

from django.contrib import admin

from registry.models import ExportLog

from .base import ReadOnlyAdmin


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "actor", "dataset", "filters", "row_count"]
    list_filter = ["dataset"]
    search_fields = ["actor"]
    date_hierarchy = "started_at"
