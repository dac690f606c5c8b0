"""Detection in the admin: the thresholds a regulator sets, and the record of every run (start one here too)."""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import DetectionRun, DetectionSettings
from registry.services.detection import detection_run_create
from registry.services.outbox import task_enqueue
from registry.tasks import run_detection

from .base import ReadOnlyAdmin, RegistryAdmin


@admin.register(DetectionSettings)
class DetectionSettingsAdmin(RegistryAdmin):
    """One row of thresholds; the list page opens it directly."""

    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = DetectionSettings.current()
        return redirect(reverse("admin:registry_detectionsettings_change", args=[settings.pk]))


@admin.register(DetectionRun)
class DetectionRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "as_of", "window_days", "status", "trigger", "duration_ms", "flags_summary"]
    list_filter = ["status", "trigger"]
    change_list_template = "admin/registry/detectionrun/change_list.html"

    @admin.display(description=gettext_lazy("flags new / updated"))
    def flags_summary(self, run):
        return ", ".join(
            f"{rule}: {counts.get('new', 0)}/{counts.get('updated', 0)}" for rule, counts in sorted(run.counts.items())
        )

    def get_urls(self):
        run_now = self.admin_site.admin_view(require_POST(self.run_now_view))
        return [path("run-now/", run_now, name="registry_detectionrun_run_now"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run_now": self.can_run_now(request)}
        return super().changelist_view(request, extra_context)

    def can_run_now(self, request) -> bool:
        return request.user.has_perm("registry.add_detectionrun")

    def run_now_view(self, request):
        if not self.can_run_now(request):
            messages.error(request, _("You may not start detection runs."))
        else:
            with transaction.atomic():  # the run and its task are saved together, whether or not the broker answers
                run = detection_run_create(trigger=f"admin:{request.user.get_username()}")
                task_enqueue(run_detection, run.pk)
            messages.success(
                request, _("Detection run #%(id)d queued (as of %(as_of)s).") % {"id": run.pk, "as_of": run.as_of}
            )
        return HttpResponseRedirect(reverse("admin:registry_detectionrun_changelist"))
