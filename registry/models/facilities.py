"""Mining facilities that firms register, and the grid connections (meters) that feed them."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import Region, audited, non_negative
from .firms import Firm
from .grid import GridConnection

# More mining devices than any one site holds (a million ASICs draw some 3 GW): a larger number is a typo.
DEVICES_MAX = 1_000_000
validate_devices = MaxValueValidator(DEVICES_MAX, _("At most %(limit_value)s devices: check the number."))


@audited
class Facility(models.Model):
    """A mining site a firm registered, with the grid connections that feed it."""

    ref = models.CharField(_("reference"), max_length=64, unique=True)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("firm"))
    name = models.CharField(_("name"), max_length=255)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    connections = models.ManyToManyField(
        GridConnection, through="FacilityConnection", related_name="facilities", verbose_name=_("grid connections")
    )
    capacity_mw = models.DecimalField(_("installed capacity, MW"), max_digits=10, decimal_places=3)
    devices = models.PositiveIntegerField(_("devices"), null=True, blank=True, validators=[validate_devices])
    unverified_meter_ids = ArrayField(
        models.CharField(max_length=64),
        default=list,
        blank=True,
        verbose_name=_("meter ids to verify"),
        help_text=_("Meter ids the firm gave that no grid connection in the registry has yet."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(condition=non_negative("capacity_mw"), name="facility_capacity_gte_0"),
            models.CheckConstraint(condition=models.Q(region__in=Region.values), name="facility_region_known"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="facility_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="facility_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.ref} — {self.name}"


@audited
class FacilityConnection(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, verbose_name=_("facility"))
    connection = models.ForeignKey(GridConnection, on_delete=models.PROTECT, verbose_name=_("grid connection"))

    class Meta:
        verbose_name = _("facility connection")
        verbose_name_plural = _("facility connections")
        constraints = [
            models.UniqueConstraint(fields=["facility", "connection"], name="facility_connection_unique"),
        ]

    def __str__(self):
        return f"{self.facility.ref} ← {self.connection.meter_id}"


class FacilityNumbering(models.Model):
    """The last facility number a firm was given (F-<BIN>-<n>), so that no reference is ever given twice.

    Not audited: it is bookkeeping behind `facility_ref_next`, which keeps the firm's row locked while a facility
    is added, so that facilities added at once are numbered one after the other.
    """

    firm = models.OneToOneField(
        Firm, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("firm")
    )
    last_number = models.PositiveIntegerField(_("last facility number"), default=0)

    class Meta:
        verbose_name = _("facility numbering")
        verbose_name_plural = _("facility numbering")

    def __str__(self):
        return f"{self.firm_id}: {self.last_number}"
