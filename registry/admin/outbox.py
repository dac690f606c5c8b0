"""The task outbox in the admin: which tasks are still waiting for the broker, and which went out."""

from django.contrib import admin
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry.models import TaskOutbox

from .base import ReadOnlyAdmin


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", pgettext_lazy("outbox", "Waiting")), ("sent", pgettext_lazy("outbox", "Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(TaskOutbox)
class TaskOutboxAdmin(ReadOnlyAdmin):
    """Background tasks the site handed to the workers; a pending row waits for the broker to come back."""

    list_display = ["id", "created_at", "task", "state", "waited", "attempts", "last_error_short"]
    list_filter = [OutboxStateFilter, "task"]
    search_fields = ["=task"]
    date_hierarchy = "created_at"

    @admin.display(description=_("state"), boolean=True, ordering="sent_at")
    def state(self, row):
        return row.sent_at is not None

    @admin.display(description=_("waited"))
    def waited(self, row):
        """How long the task waited to be sent (for a pending one: so far)."""
        return timesince(row.created_at, row.sent_at or timezone.now(), depth=1)

    @admin.display(description=_("last error"))
    def last_error_short(self, row):
        return row.last_error[:120]
