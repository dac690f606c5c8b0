"""The grid: connections as the grid companies know them, their hourly readings (UTC), imports and corrections."""

import datetime as dt

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.clock import registry_zone_name
from registry.validators import validate_bin, validate_time_zone

from .common import Region, audited, non_negative, twelve_digits


class OnTheHour(models.Func):
    """True when a timestamptz lies exactly on a UTC hour (independent of the session time zone)."""

    template = "(MOD(EXTRACT(EPOCH FROM %(expressions)s), 3600) = 0)"
    output_field = models.BooleanField()


class Tariff(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    INDUSTRIAL = "industrial", _("Industrial")
    AGRICULTURAL = "agricultural", _("Agricultural")


@audited
class GridConnection(models.Model):
    """A metered connection point as a grid company knows it."""

    Tariff = Tariff

    meter_id = models.CharField(_("meter id"), max_length=64, unique=True)
    operator = models.CharField(_("grid operator"), max_length=255)
    consumer_name = models.CharField(_("consumer name"), max_length=255, blank=True)
    consumer_bin = models.CharField(_("consumer BIN/IIN"), max_length=12, blank=True, validators=[validate_bin])
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    address = models.CharField(_("address"), max_length=500, blank=True)
    tariff = models.CharField(_("tariff"), max_length=16, choices=Tariff.choices)
    contracted_mw = models.DecimalField(_("contracted MW"), max_digits=10, decimal_places=3, null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("upstream meter"),
        help_text=_(
            "The meter upstream of this one (a distribution transformer or feeder head), itself a grid connection."
        ),
    )

    class Meta:
        verbose_name = _("grid connection")
        verbose_name_plural = _("grid connections")
        ordering = ["meter_id"]
        constraints = [
            models.CheckConstraint(
                condition=twelve_digits("consumer_bin") | models.Q(consumer_bin=""),
                name="connection_consumer_bin_12_digits_or_blank",
            ),
            models.CheckConstraint(condition=models.Q(region__in=Region.values), name="connection_region_known"),
            models.CheckConstraint(condition=models.Q(tariff__in=Tariff.values), name="connection_tariff_known"),
            models.CheckConstraint(condition=non_negative("contracted_mw", nullable=True), name="connection_mw_gte_0"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("pk")), name="connection_not_its_own_parent"),
        ]

    def __str__(self):
        return self.meter_id


def _reading_months(readings) -> list:
    return [reading.period_start.astimezone(dt.UTC).date() for reading in readings]


class MeterReadingQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """The partitions of the readings' months are made first (registry.services.partitions)."""
        from registry.services.partitions import readings_partitions_ensure

        objs = list(objs)
        readings_partitions_ensure(_reading_months(objs))
        return super().bulk_create(objs, *args, **kwargs)


class MeterReading(models.Model):
    """One hour of energy on one connection: the grid feed, hundreds of millions of rows.

    Partitioned by UTC month (migration 0016, registry.services.partitions): saving a reading through
    the ORM makes its month's partition first; bulk SQL calls readings_partitions_ensure itself.
    The composite primary key (connection, hour) serves both uniqueness and every per-connection
    read; it INCLUDEs kwh (migration 0015), so those reads never visit the heap, which lies in the
    order readings arrive. No audit triggers here; corrections are recorded by the ingestion
    service (ReadingCorrection).
    """

    pk = models.CompositePrimaryKey("connection", "period_start")
    # No foreign key in the database: a per-row check would cost as much as the load itself, and the
    # ingestion resolves every meter id to its connection in the same transaction. Deleting a
    # connection that has readings is refused by Django (PROTECT).
    connection = models.ForeignKey(
        GridConnection,
        on_delete=models.PROTECT,
        related_name="readings",
        db_index=False,
        db_constraint=False,
        verbose_name=_("connection"),
    )
    period_start = models.DateTimeField(_("hour starting (UTC)"))
    kwh = models.DecimalField(_("energy, kWh"), max_digits=12, decimal_places=3)

    objects = MeterReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        constraints = [
            models.CheckConstraint(condition=non_negative("kwh"), name="reading_kwh_gte_0"),
            models.CheckConstraint(condition=OnTheHour("period_start"), name="reading_on_the_hour"),
        ]

    def __str__(self):
        return f"{self.connection_id} {self.period_start:%Y-%m-%dT%H:%MZ}"

    def save(self, *args, **kwargs):
        from registry.services.partitions import readings_partitions_ensure

        readings_partitions_ensure(_reading_months([self]))
        super().save(*args, **kwargs)


class GridOperatorAccount(models.Model):
    """A grid company's system account: its API token may push readings for that company's meters only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_operator", verbose_name=_("user")
    )
    operator = models.CharField(
        _("grid operator"), max_length=255, help_text=_("As written in the grid connections' operator field.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=registry_zone_name,
        validators=[validate_time_zone],
        help_text=_("The zone of the local times in the operator's 80020 files, as an IANA name (Asia/Almaty)."),
    )

    class Meta:
        verbose_name = _("grid operator account")
        verbose_name_plural = _("grid operator accounts")

    def __str__(self):
        return f"{self.operator} ({self.user})"


@audited
class ReadingImport(models.Model):
    """One load of grid-feed readings: where it came from and what it changed."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        REJECTED = "rejected", _("Rejected")

    source = models.CharField(_("source"), max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    rows = models.PositiveBigIntegerField(_("rows read"), default=0)
    inserted = models.PositiveBigIntegerField(_("inserted"), default=0)
    unchanged = models.PositiveBigIntegerField(_("unchanged"), default=0)
    corrected = models.PositiveBigIntegerField(_("corrected"), default=0)
    flagged_values = models.PositiveBigIntegerField(
        _("flagged values"),
        default=0,
        help_text=_("80020 values the metering system marked with a non-zero status (loaded all the same)."),
    )
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))

    class Meta:
        verbose_name = _("readings import")
        verbose_name_plural = _("readings imports")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.source} @ {self.started_at:%Y-%m-%d %H:%M}"


@audited
class ReadingArchive(models.Model):
    """A month of readings written to a compressed archive and then dropped from the database."""

    month = models.DateField(_("month"), unique=True, help_text=_("The UTC month, as its first day."))
    path = models.CharField(_("archive file"), max_length=500)
    rows = models.PositiveBigIntegerField(_("readings"))
    bytes = models.PositiveBigIntegerField(_("bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("archived"), auto_now_add=True)

    class Meta:
        verbose_name = _("readings archive")
        verbose_name_plural = _("readings archives")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


class ReadingCorrection(models.Model):
    """A stored reading replaced by a different value for the same meter and hour: an append-only record.

    Its own audit record (which import changed which hour from what to what); who and when are its
    import's (user, source, times, and the import's audit events with their context). The database
    refuses to change or delete a correction (statement-level triggers, which do nothing unless rows
    are touched) and runs nothing per row when they are written: a grid company resending a month
    sends 100k corrections in one load, and the per-row audit trigger (each call a subtransaction that
    scanned the transaction's pending foreign-key checks) made a load's time grow with the square of its
    corrections (issue 15). No foreign keys in the database, as for the readings (a check per row): the
    merge takes the connection and the import from its own transaction (registry.services.readings),
    and Django refuses to delete either while a correction names it.
    """

    # Indexed by correction_import_idx, a BRIN index (a few pages, next to nothing to keep up): the table grows
    # in the order of its imports. A b-tree cost a sixth of writing a correction.
    reading_import = models.ForeignKey(
        ReadingImport,
        on_delete=models.PROTECT,
        related_name="corrections",
        db_index=False,
        db_constraint=False,
        verbose_name=_("import"),
    )
    # Indexed by correction_reading_idx, which begins with it.
    connection = models.ForeignKey(
        GridConnection,
        on_delete=models.PROTECT,
        related_name="reading_corrections",
        db_index=False,
        db_constraint=False,
        verbose_name=_("connection"),
    )
    period_start = models.DateTimeField(_("hour starting (UTC)"))
    old_kwh = models.DecimalField(_("old kWh"), max_digits=12, decimal_places=3)
    new_kwh = models.DecimalField(_("new kWh"), max_digits=12, decimal_places=3)

    class Meta:
        verbose_name = _("reading correction")
        verbose_name_plural = _("reading corrections")
        indexes = [
            models.Index(fields=["connection", "period_start"], name="correction_reading_idx"),
            BrinIndex(fields=["reading_import"], name="correction_import_idx", autosummarize=True),
        ]
        triggers = [
            pgtrigger.Protect(
                name="correction_append_only_update", operation=pgtrigger.Update, level=pgtrigger.Statement
            ),
            pgtrigger.Protect(
                name="correction_append_only_delete", operation=pgtrigger.Delete, level=pgtrigger.Statement
            ),
        ]

    def __str__(self):
        return f"{self.connection_id} {self.period_start:%Y-%m-%d %H:00}: {self.old_kwh} → {self.new_kwh}"
