"""Firms (by BIN), the persons who own or direct them, and the portal users who act for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.validators import validate_bin

from .common import Region, audited, twelve_digits


@audited
class Firm(models.Model):
    """A legal entity that mines, applies to mine, or was found mining."""

    class Origin(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        UNREGISTERED = "unregistered", _("Identified through enforcement")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        PENDING = "pending", _("Pending verification")

    # Empty only while a firm that signed up waits for verification: its BIN is then `claimed_bin`, which
    # blocks no one (another sign-up, or the registered firm itself) until a regulator has checked it.
    bin = models.CharField(_("BIN"), max_length=12, unique=True, null=True, blank=True, validators=[validate_bin])
    claimed_bin = models.CharField(
        _("BIN given at sign-up"),
        max_length=12,
        blank=True,
        validators=[validate_bin],
        help_text=_("Checked by a regulator before it becomes the firm's BIN."),
    )
    name = models.CharField(_("name"), max_length=255)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    address = models.CharField(_("address"), max_length=500, blank=True)
    email = models.EmailField(_("email"), blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.REGISTERED)
    # A firm that signed up in the portal files nothing until a regulator verifies it.
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, default=Verification.VERIFIED
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=twelve_digits("bin"), name="firm_bin_12_digits"),
            models.CheckConstraint(
                condition=models.Q(bin__isnull=False) | models.Q(verification="pending"),
                name="firm_bin_unless_pending",
            ),
            models.CheckConstraint(condition=models.Q(region__in=Region.values), name="firm_region_known"),
        ]

    def __str__(self):
        if self.bin:
            return f"{self.name} ({self.bin})"
        return _("%(name)s (BIN %(bin)s, not verified)") % {"name": self.name, "bin": self.claimed_bin}


@audited
class Person(models.Model):
    """A beneficial owner or director, identified by the registry's own person_id."""

    person_id = models.CharField(_("person id"), max_length=64, unique=True)
    full_name = models.CharField(_("full name"), max_length=255)
    iin = models.CharField(_("IIN"), max_length=12, blank=True, validators=[validate_bin])
    is_pep = models.BooleanField(_("politically exposed person"), default=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=twelve_digits("iin") | models.Q(iin=""), name="person_iin_12_digits_or_blank"
            ),
        ]

    def __str__(self):
        return self.full_name


@audited
class Ownership(models.Model):
    """A person's role in a firm, with the name and PEP marker that firm filed for them.

    The person is the registry's, linked by IIN so that a regulator sees one person across firms; the filing
    is the firm's own. A firm is shown only its filing, never the person (whom another firm may list too).
    """

    class Role(models.TextChoices):
        BENEFICIAL_OWNER = "beneficial_owner", _("Beneficial owner")
        DIRECTOR = "director", _("Director")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("firm"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.BENEFICIAL_OWNER)
    share_percent = models.DecimalField(_("share, %"), max_digits=5, decimal_places=2, null=True, blank=True)
    filed_full_name = models.CharField(_("full name as the firm filed it"), max_length=255, blank=True)
    filed_is_pep = models.BooleanField(_("PEP as the firm filed it"), default=False)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["firm", "person", "role"], name="ownership_unique_role"),
            models.CheckConstraint(
                condition=models.Q(share_percent__isnull=True) | models.Q(share_percent__gte=0, share_percent__lte=100),
                name="ownership_share_0_100",
            ),
            models.CheckConstraint(condition=~models.Q(filed_full_name=""), name="ownership_filed_name_not_blank"),
        ]

    def __str__(self):
        return f"{self.person} — {self.firm} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        if not self.filed_full_name:
            # Recorded by the regulator (admin, import, demo) rather than filed by the firm: the firm's
            # filing is the person as the registry has them.
            self.filed_full_name, self.filed_is_pep = self.person.full_name, self.person.is_pep
        super().save(*args, **kwargs)


class FirmMembership(models.Model):
    """Links a portal user to the one firm they act for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="firm_membership", verbose_name=_("user")
    )
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="members", verbose_name=_("firm"))

    class Meta:
        verbose_name = _("firm user")
        verbose_name_plural = _("firm users")

    def __str__(self):
        return f"{self.user} @ {self.firm}"
