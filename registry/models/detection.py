"""Detection settings a regulator can change, and the record of every run."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import audited


def _ratio(verbose_name, default: str, help_text=""):
    return models.DecimalField(
        verbose_name, max_digits=6, decimal_places=3, default=Decimal(default), help_text=help_text
    )


@audited
class DetectionSettings(models.Model):
    """The detection thresholds of docs/rules.md, "Detection" (one row); a change applies from the next run."""

    window_days = models.PositiveSmallIntegerField(_("window, days"), default=30)
    unlicensed_min_coverage = _ratio(_("unlicensed mining: minimum coverage"), "0.80")
    unlicensed_min_avg_mw = _ratio(_("unlicensed mining: minimum average load, MW"), "0.10")
    unlicensed_min_load_factor = _ratio(_("unlicensed mining: minimum load factor"), "0.85")
    unlicensed_high_avg_mw = _ratio(_("unlicensed mining: average load for high severity, MW"), "1.00")
    no_licence_min_coverage = _ratio(_("no valid licence: minimum coverage"), "0.20")
    no_licence_min_avg_mw = _ratio(_("no valid licence: minimum average load, MW"), "0.05")
    over_capacity_ratio = _ratio(_("over capacity: peak above capacity ×"), "1.10")
    over_capacity_high_ratio = _ratio(_("over capacity: high severity above capacity ×"), "1.50")
    under_declared_ratio = _ratio(_("under-declared: declared below metered ×"), "0.90")
    related_party_years = models.PositiveSmallIntegerField(_("related party: look back, years"), default=3)
    # How farms hide (docs/rules.md, "Detection: how farms hide").
    signature_min_days = models.PositiveSmallIntegerField(
        _("mining signature: minimum days with 6 running hours"), default=5
    )
    signature_max_floor_change = _ratio(
        _("mining signature: largest day-to-day change of the floor"),
        "0.020",
        help_text=_(
            "On three days out of four the daily floor moves by at most this share of its median from the day "
            "before; 0.020 = 2%."
        ),
    )
    signature_min_floor_share = _ratio(_("mining signature: smallest share of the running load in the floor"), "0.600")
    household_min_floor_mw = _ratio(_("household mining: minimum steady floor, MW"), "0.005")
    household_max_floor_change = _ratio(
        _("household mining: largest day-to-day change of the floor"),
        "0.050",
        help_text=_("A home's own base wanders on top of a small farm; 0.050 = 5%."),
    )
    household_min_floor_share = _ratio(
        _("household mining: smallest share of the running load in the floor"),
        "0.850",
        help_text=_("Mining machines are nearly all of such a home's load; a home's own use is a few hundred watts."),
    )
    split_member_min_avg_mw = _ratio(_("split load: a member's minimum average, MW"), "0.010")
    curtailment_max_hours = models.PositiveSmallIntegerField(
        _("curtailed load: longest daily curtailment, hours"), default=6
    )
    patchy_min_hours = models.PositiveSmallIntegerField(_("patchy meter: fewest hours with readings"), default=168)
    base_min_floor_mw = _ratio(_("mining base under a business: minimum steady floor, MW"), "0.100")
    step_recent_days = models.PositiveSmallIntegerField(_("load step: recent days"), default=3)
    step_gap_days = models.PositiveSmallIntegerField(_("load step: baseline ends this many days ago"), default=14)
    step_baseline_days = models.PositiveSmallIntegerField(
        _("load step: baseline starts this many days ago"), default=60
    )
    step_min_ratio = _ratio(_("load step: recent floor at least baseline ×"), "3.000")
    step_min_added_mw = _ratio(
        _("load step: minimum added load, MW"),
        "0.050",
        help_text=_("On a household meter the household mining floor applies instead."),
    )
    balance_loss_share = _ratio(
        _("energy balance: normal losses, share of the transformer's energy"),
        "0.080",
        help_text=_("Technical losses and unmetered street lighting are a few per cent; 0.080 = 8%."),
    )
    balance_min_mw = _ratio(_("energy balance: minimum unmetered load, MW"), "0.050")
    balance_min_hours = models.PositiveSmallIntegerField(_("energy balance: fewest balanced hours"), default=168)
    dismissal_silence_days = models.PositiveSmallIntegerField(_("a dismissal silences for, days"), default=180)
    dismissal_regrowth_ratio = _ratio(
        _("a dismissed subject returns when its average load grows by more than"),
        "0.50",
        help_text=_("0.50 = more than 50% above the dismissed evidence."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("detection settings")
        verbose_name_plural = _("detection settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="detection_settings_single_row")]

    def __str__(self):
        return str(_("Detection settings"))

    @classmethod
    def current(cls) -> "DetectionSettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings


class DetectionRun(models.Model):
    """One run of every rule: when, over which window, and how many flags it added or refreshed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    as_of = models.DateTimeField(_("as of"))
    window_days = models.PositiveSmallIntegerField(_("window, days"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(_("started by"), max_length=64, default="schedule")
    counts = models.JSONField(_("flags new / updated per rule"), default=dict, blank=True)
    thresholds = models.JSONField(_("thresholds used"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), null=True, blank=True)

    class Meta:
        verbose_name = _("detection run")
        verbose_name_plural = _("detection runs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d %H:%M} ({self.get_status_display()})"
