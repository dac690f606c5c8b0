"""The export log: who downloaded which dataset with which filters, and whether it completed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import audited

# The audit event of an export that stopped before its last row (its context says why).
EXPORT_FAILED = "export.failed"


class ExportLogQuerySet(models.QuerySet):
    def with_failed(self):
        """Annotate `failed`: the export has an `export.failed` event (it stopped before its last row)."""
        events = ExportLog.pgh_event_model.objects.filter(pgh_obj=models.OuterRef("pk"), pgh_label=EXPORT_FAILED)
        return self.annotate(failed=models.Exists(events))


@audited(events=(EXPORT_FAILED,))
class ExportLog(models.Model):
    """Who downloaded which dataset, with which filters, and how many rows.

    Tracked like every other audited model, so each export also appears in
    the audit trail. `row_count` is written after the last row; an export
    that fails or is broken off part-way keeps no row count and gets an
    `export.failed` event saying why (services.exports).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user")
    )
    actor = models.CharField(_("actor"), max_length=150, help_text=_("User name, or the command line's OS user."))
    dataset = models.CharField(_("dataset"), max_length=32)
    filters = models.JSONField(_("filters"), default=dict)
    row_count = models.PositiveBigIntegerField(_("rows"), null=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)

    objects = ExportLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-started_at"]
        permissions = [("export_datasets", _("Can download the CSV exports"))]

    def __str__(self):
        return _("%(dataset)s by %(actor)s") % {"dataset": self.dataset, "actor": self.actor}
