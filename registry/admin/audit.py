"""The export log in the admin: read-only, who exported what and whether it completed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import ExportLog

from .base import ReadOnlyAdmin


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "actor", "dataset", "filters", "row_count", "failed"]
    list_filter = ["dataset"]
    search_fields = ["actor"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        return super().get_queryset(request).with_failed()

    @admin.display(description=_("Failed"), boolean=True, ordering="failed")
    def failed(self, entry):
        """Stopped before its last row (the reason is in its history); no row count and not failed: still running."""
        return entry.failed
