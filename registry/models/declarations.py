"""Monthly power declarations: one current declaration per facility and month, corrections kept as history.

When a declaration is due is decided in registry/selectors/declarations.py (docs/rules.md, "Declarations due").
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import audited, non_negative
from .facilities import Facility, validate_devices


class PowerDeclarationPowerSource(models.TextChoices):
    GRID_EXCHANGE = "grid_exchange", _("Grid (energy exchange)")
    OWN_GENERATION = "own_generation", _("Own generation")
    OWN_RENEWABLE = "own_renewable", _("Own renewable generation")


@audited
class PowerDeclaration(models.Model):
    """A firm's monthly power filing for one facility.

    A correction is a new row that `supersedes` the one it corrects; the old
    row stays (is_current=False) so the history of every filing is kept.
    """

    PowerSource = PowerDeclarationPowerSource

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("facility")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month declared."))
    consumed_mwh = models.DecimalField(_("energy consumed, MWh"), max_digits=12, decimal_places=3)
    peak_mw = models.DecimalField(_("peak, MW"), max_digits=10, decimal_places=3, null=True, blank=True)
    devices = models.PositiveIntegerField(_("devices operating"), null=True, blank=True, validators=[validate_devices])
    power_source = models.CharField(
        _("power source"), max_length=16, choices=PowerSource.choices, default=PowerSource.GRID_EXCHANGE
    )
    is_current = models.BooleanField(_("current"), default=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )

    class Review(models.TextChoices):
        FILED = "filed", _("Filed")
        RETURNED = "returned", _("Returned with a question")
        ANSWERED = "answered", _("Answered")

    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.FILED)
    question = models.TextField(_("regulator's question"), blank=True)
    answer = models.TextField(_("firm's answer"), blank=True)
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("filed by")
    )

    class Meta:
        verbose_name = _("power declaration")
        verbose_name_plural = _("power declarations")
        ordering = ["-month", "facility__ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "month"],
                condition=models.Q(is_current=True),
                name="declaration_one_current_per_month",
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="declaration_month_first_day"),
            models.CheckConstraint(condition=non_negative("consumed_mwh"), name="declaration_mwh_gte_0"),
            models.CheckConstraint(condition=non_negative("peak_mw", nullable=True), name="declaration_peak_gte_0"),
            models.CheckConstraint(
                condition=models.Q(power_source__in=PowerDeclarationPowerSource.values), name="declaration_source_known"
            ),
        ]

    def __str__(self):
        return f"{self.facility.ref} {self.month:%Y-%m}"
