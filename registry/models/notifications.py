"""The record of emails sent, so each reminder or receipt goes out once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderLog(models.Model):
    """A reminder already sent, so each is sent once however often the task runs."""

    kind = models.CharField(_("kind"), max_length=32)
    key = models.CharField(_("about"), max_length=128)
    recipients = models.JSONField(_("recipients"), default=list)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="reminder_once")]

    def __str__(self):
        return f"{self.kind} {self.key}"
