"""Licences: number, holder, facilities covered, capacity, validity dates and lifecycle status.

The rule "a licence in force" lives here in its three forms (docs/rules.md, "A licence in force"); the lifecycle's
transitions are services (registry/services/licences.py).
"""

import datetime as dt
import uuid

import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry import clock

from .common import audited, non_negative
from .facilities import Facility
from .firms import Firm

# Licences in these statuses hold their facilities: no other licence may cover
# the same facility over overlapping dates. A suspended licence still holds
# them, since it returns to active when the suspension ends.
HOLDING_STATUSES = ("active", "suspended")


class LicenceStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    SURRENDERED = "surrendered", _("Surrendered")
    REJECTED = "rejected", _("Rejected")


class LicenceSubtype(models.TextChoices):
    OWN_DATA_CENTRE = "I", _("I — own mining data centre")
    HOSTED = "II", _("II — hosted in another's data centre")


@audited
class Licence(models.Model):
    """A digital-mining licence, from application to its end."""

    Status = LicenceStatus
    Subtype = LicenceSubtype

    PENDING_STATUSES = (Status.APPLIED, Status.UNDER_REVIEW)
    # An application has no dates until it is granted; every other status has both.
    UNDATED_STATUSES = (Status.APPLIED, Status.UNDER_REVIEW, Status.REJECTED)

    number = models.CharField(_("licence number"), max_length=32, unique=True, null=True, blank=True)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="licences", verbose_name=_("firm"))
    facilities = models.ManyToManyField(
        Facility, through="LicenceCoverage", related_name="licences", verbose_name=_("facilities")
    )
    capacity_mw = models.DecimalField(_("licensed capacity, MW"), max_digits=10, decimal_places=3)
    subtype = models.CharField(_("subtype"), max_length=2, choices=Subtype.choices, default=Subtype.OWN_DATA_CENTRE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    status_reason = models.TextField(_("reason for the last decision"), blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-valid_from", "number"]
        constraints = [
            models.CheckConstraint(condition=non_negative("capacity_mw"), name="licence_capacity_gte_0"),
            models.CheckConstraint(condition=models.Q(status__in=LicenceStatus.values), name="licence_status_known"),
            models.CheckConstraint(condition=models.Q(subtype__in=LicenceSubtype.values), name="licence_subtype_known"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_until")),
                name="licence_valid_from_lte_until",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["applied", "under_review", "rejected"])
                | models.Q(valid_from__isnull=False, valid_until__isnull=False, number__isnull=False),
                name="licence_granted_has_number_and_dates",
            ),
        ]
        triggers = [
            # Keep the coverage rows' copy of status and dates in step, so the
            # exclusion constraint on them sees every change of the licence.
            pgtrigger.Trigger(
                name="licence_refresh_coverage",
                level=pgtrigger.Row,
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("status", "valid_from", "valid_until"),
                func=(
                    "UPDATE registry_licencecoverage SET licence_id = licence_id WHERE licence_id = NEW.id;"
                    " RETURN NULL;"
                ),
            ),
        ]

    def __str__(self):
        return self.number or _("application #%(id)s") % {"id": self.pk}

    def is_in_force(self, on_date: dt.date) -> bool:
        """Tell whether the licence is in force on a registry-zone date (docs/rules.md, "A licence in force")."""
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from is not None
            and self.valid_from <= on_date <= self.valid_until
        )


# "A licence in force on a day" in its three forms: Licence.is_in_force above, a Q for the ORM, and a fragment
# for raw SQL. They are the one rule (docs/rules.md); tests/models/test_licence_in_force.py checks they agree.


def licence_in_force(on_date: dt.date, prefix: str = "") -> models.Q:
    """A licence in force on `on_date`; `prefix` reaches the licence through a relation ("licence__")."""
    return models.Q(
        **{
            f"{prefix}status": LicenceStatus.ACTIVE,
            f"{prefix}valid_from__lte": on_date,
            f"{prefix}valid_until__gte": on_date,
        }
    )


def licence_in_force_sql(alias: str = "l", day: str = "%(day)s") -> str:
    """The same rule as an SQL condition on the licence table aliased `alias`, the day bound as `day`."""
    return f"({alias}.status = 'active' AND {alias}.valid_from <= {day} AND {alias}.valid_until >= {day})"


@audited
class LicenceCoverage(models.Model):
    """A facility covered by a licence.

    `period` and `holds` mirror the licence (set by triggers, never by code)
    so that PostgreSQL itself refuses two live licences over one facility.
    """

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="coverage", verbose_name=_("licence"))
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="coverage", verbose_name=_("facility")
    )
    period = DateRangeField(_("period"), null=True, editable=False)
    holds = models.BooleanField(_("holds the facility"), default=False, editable=False)

    class Meta:
        verbose_name = _("licence coverage")
        verbose_name_plural = _("licence coverage")
        constraints = [
            models.UniqueConstraint(fields=["licence", "facility"], name="licence_coverage_unique"),
            ExclusionConstraint(
                name="licence_coverage_no_overlap",
                expressions=[("facility", RangeOperators.EQUAL), ("period", RangeOperators.OVERLAPS)],
                condition=models.Q(holds=True),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="coverage_copy_licence",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                # A trigger body built from this module's constant tuple of statuses, at migration time.
                func=f"""
                    SELECT daterange(l.valid_from, l.valid_until, '[]'),
                           (l.status IN {HOLDING_STATUSES!r} AND l.valid_from IS NOT NULL AND l.valid_until IS NOT NULL)
                      INTO NEW.period, NEW.holds
                      FROM registry_licence l WHERE l.id = NEW.licence_id;
                    RETURN NEW;
                """,  # nosec B608
            ),
        ]

    def __str__(self):
        return f"{self.licence} → {self.facility.ref}"


def _document_storage():
    from django.core.files.storage import storages

    return storages["documents"]


def _document_path(document, filename: str) -> str:
    """Where a document's file is stored: a random name under the month it came in.

    The name the firm gave is kept in `original_name` (any length, any script) and given back on download;
    it never reaches the file system, whose names are limited to 255 bytes.
    """
    return f"licences/{clock.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


@audited
class LicenceDocument(models.Model):
    """A supporting document of a licence application: a PDF kept outside the web root."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="documents", verbose_name=_("licence"))
    file = models.FileField(_("file"), storage=_document_storage, upload_to=_document_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.PositiveIntegerField(_("size, bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("uploaded by")
    )

    class Meta:
        verbose_name = _("licence document")
        verbose_name_plural = _("licence documents")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
