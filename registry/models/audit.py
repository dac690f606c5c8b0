"""The export log: who downloaded which dataset with which filters, and whether it completed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import audited


@audited
class ExportLog(models.Model):
    """Who downloaded which dataset, with which filters, and how many rows.

    Tracked like every other audited model, so each export also appears in
    the audit trail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user")
    )
    actor = models.CharField(_("actor"), max_length=150, help_text=_("User name, or the command line's OS user."))
    dataset = models.CharField(_("dataset"), max_length=32)
    filters = models.JSONField(_("filters"), default=dict)
    row_count = models.PositiveBigIntegerField(_("rows"), null=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-started_at"]
        permissions = [("export_datasets", _("Can download the CSV exports"))]

    def __str__(self):
        return _("%(dataset)s by %(actor)s") % {"dataset": self.dataset, "actor": self.actor}
