"""Tasks saved with the data that needs them and published once the broker answers (at least once)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskOutbox(models.Model):
    """A Celery task to send, saved in the transaction that caused it.

    A request never waits for, or fails because of, the broker: the row is
    published once the transaction commits, and again by the periodic flush
    for as long as the broker cannot be reached (registry/services/outbox.py).
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing task")
        verbose_name_plural = _("outgoing tasks")
        ordering = ["-id"]
        indexes = [
            # The flush reads only the pending rows, oldest first.
            models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self):
        return f"{self.task} #{self.pk}"
