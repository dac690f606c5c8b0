"""What the regulator finds and does: flags, inspections, enforcement."""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import Region, audited, non_negative
from .facilities import Facility
from .firms import Firm
from .grid import GridConnection
from .licences import Licence


class FlagRule(models.TextChoices):
    UNLICENSED_MINING = "UNLICENSED_MINING", _("Unlicensed mining load")
    NO_VALID_LICENCE = "NO_VALID_LICENCE", _("Facility without a licence in force")
    OVER_CAPACITY = "OVER_CAPACITY", _("Load above licensed capacity")
    UNDER_DECLARED = "UNDER_DECLARED", _("Energy under-declared")
    MISSING_DECLARATION = "MISSING_DECLARATION", _("Monthly declaration missing")
    RELATED_PARTY = "RELATED_PARTY", _("Owner linked to a sanctioned operation")
    # How farms hide (docs/rules.md, "Detection: how farms hide").
    HOUSEHOLD_MINING = "HOUSEHOLD_MINING", _("Mining load on a household meter")
    SPLIT_LOAD = "SPLIT_LOAD", _("Mining load split over several meters")
    CURTAILED_LOAD = "CURTAILED_LOAD", _("Flat load behind a daily curtailment")
    PATCHY_LOAD = "PATCHY_LOAD", _("Flat load on a meter with missing hours")
    BASE_LOAD = "BASE_LOAD", _("Flat mining base under a business's load")
    LOAD_STEP = "LOAD_STEP", _("New flat load, many times the meter's baseline")
    ENERGY_BALANCE = "ENERGY_BALANCE", _("Unmetered flat load under a transformer")


class FlagSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UNDER_INSPECTION = "under_inspection", _("Under inspection")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class FlagSubjectType(models.TextChoices):
    CONNECTION = "connection", _("Grid connection")
    FACILITY = "facility", _("Facility")
    LICENCE = "licence", _("Licence")
    FIRM = "firm", _("Firm")


@pghistory.track(
    pghistory.InsertEvent(),
    # Decisions are audited; detection's daily refresh of evidence and window is recorded by its run instead.
    pghistory.UpdateEvent(
        condition=pghistory.AnyChange("status", "severity", "assigned_to", "decision_reason", "decided_at")
    ),
    pghistory.DeleteEvent(),
)
class Flag(models.Model):
    """A detection finding about one subject, awaiting a regulator's decision."""

    Rule = FlagRule
    Severity = FlagSeverity
    Status = FlagStatus
    SubjectType = FlagSubjectType

    # Rules whose open flag makes a site suspected illegal, and whose confirmation makes it illegal
    # (docs/rules.md, "Legal status").
    UNLICENSED_RULES = (
        Rule.UNLICENSED_MINING,
        Rule.NO_VALID_LICENCE,
        Rule.HOUSEHOLD_MINING,
        Rule.SPLIT_LOAD,
        Rule.CURTAILED_LOAD,
        Rule.PATCHY_LOAD,
        Rule.BASE_LOAD,
        Rule.LOAD_STEP,
        Rule.ENERGY_BALANCE,
    )
    # A flag still awaiting a decision.
    OPEN_STATUSES = (Status.OPEN, Status.UNDER_INSPECTION)

    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    subject_type = models.CharField(_("subject type"), max_length=16, choices=SubjectType.choices)
    subject_ref = models.CharField(_("subject"), max_length=64)
    connection = models.ForeignKey(
        GridConnection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags",
        verbose_name=_("grid connection"),
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="flags", verbose_name=_("facility")
    )
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, null=True, blank=True, related_name="flags", verbose_name=_("licence")
    )
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, null=True, blank=True, related_name="flags", verbose_name=_("firm")
    )
    month = models.DateField(_("month"), null=True, blank=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    evidence = models.JSONField(_("evidence"), default=dict)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_flags",
        verbose_name=_("assigned to"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-created_at"]
        constraints = [
            # Detection is idempotent: one live flag per rule, subject and month.
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_ref", "month"],
                condition=~models.Q(status="dismissed"),
                nulls_distinct=False,
                name="flag_one_live_per_subject",
            ),
            models.CheckConstraint(condition=models.Q(rule__in=FlagRule.values), name="flag_rule_known"),
            models.CheckConstraint(condition=models.Q(severity__in=FlagSeverity.values), name="flag_severity_known"),
            models.CheckConstraint(condition=models.Q(status__in=FlagStatus.values), name="flag_status_known"),
            models.CheckConstraint(condition=models.Q(window_start__lt=models.F("window_end")), name="flag_window"),
        ]
        indexes = [models.Index(fields=["status", "severity", "-created_at"], name="flag_queue_idx")]

    def __str__(self):
        return f"{self.rule} {self.subject_ref}"


class FlagMeterRole(models.TextChoices):
    SUBJECT = "subject", _("Subject")
    MEMBER = "member", _("Member of the group")
    CHILD = "child", _("Downstream meter")


class FlagMeter(models.Model):
    """A meter whose readings made a flag: its subject, a member of a group, or a child under a transformer.

    Subjects and members of an open unlicensed-type flag are suspected illegal; a transformer's children are
    evidence only (docs/rules.md, "Legal status").
    """

    Role = FlagMeterRole
    SUSPECT_ROLES = (Role.SUBJECT, Role.MEMBER)

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="meters", verbose_name=_("flag"))
    connection = models.ForeignKey(
        GridConnection, on_delete=models.PROTECT, related_name="flag_meters", verbose_name=_("grid connection")
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)

    class Meta:
        verbose_name = _("flagged meter")
        verbose_name_plural = _("flagged meters")
        constraints = [
            models.UniqueConstraint(fields=["flag", "connection"], name="flag_meter_once"),
            models.CheckConstraint(condition=models.Q(role__in=FlagMeterRole.values), name="flag_meter_role_known"),
        ]
        indexes = [models.Index(fields=["connection", "role"], name="flag_meter_connection_idx")]

    def __str__(self):
        return f"{self.flag_id} {self.connection_id} {self.role}"


class InspectionOutcome(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    VIOLATIONS = "violations", _("Violations")
    ILLEGAL_OPERATION = "illegal_operation", _("Illegal operation")


@audited
class Inspection(models.Model):
    """A visit to a facility or a grid connection, and what it found."""

    Outcome = InspectionOutcome

    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("facility"),
    )
    connection = models.ForeignKey(
        GridConnection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("grid connection"),
    )
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, null=True, blank=True, related_name="inspections", verbose_name=_("operator")
    )
    flag = models.ForeignKey(
        Flag, on_delete=models.SET_NULL, null=True, blank=True, related_name="inspections", verbose_name=_("flag")
    )
    date = models.DateField(_("date"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="inspections", verbose_name=_("inspectors")
    )
    findings = models.TextField(_("findings"), blank=True)
    devices_found = models.PositiveIntegerField(_("devices found"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(facility__isnull=False) | models.Q(connection__isnull=False),
                name="inspection_has_site",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[*InspectionOutcome.values, ""]), name="inspection_outcome_known"
            ),
        ]

    def __str__(self):
        site = self.facility.ref if self.facility_id else self.connection.meter_id
        return f"{site} {self.date}"


class EnforcementActionAction(models.TextChoices):
    VOLUNTARY_CLOSURE = "voluntary_closure", _("Closed voluntarily")
    OPERATION_CANCELLED = "operation_cancelled", _("Operation cancelled")
    EQUIPMENT_CONFISCATED = "equipment_confiscated", _("Equipment confiscated")
    CRIMINAL_CASE = "criminal_case", _("Criminal case opened")
    FINE = "fine", _("Fine")
    LICENCE_SUSPENDED = "licence_suspended", _("Licence suspended")
    LICENCE_REVOKED = "licence_revoked", _("Licence revoked")


@audited
class EnforcementAction(models.Model):
    """A measure taken against an operator."""

    Action = EnforcementActionAction

    # Actions that stop an operation (the campaign's "operations stopped").
    STOPPING = (Action.VOLUNTARY_CLOSURE, Action.OPERATION_CANCELLED)

    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, related_name="enforcement_actions", verbose_name=_("operator")
    )
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enforcement_actions",
        verbose_name=_("facility"),
    )
    connection = models.ForeignKey(
        GridConnection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enforcement_actions",
        verbose_name=_("grid connection"),
    )
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enforcement_actions",
        verbose_name=_("inspection"),
    )
    licence = models.ForeignKey(
        Licence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enforcement_actions",
        verbose_name=_("licence"),
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    date = models.DateField(_("date"))
    devices = models.PositiveIntegerField(_("devices"), null=True, blank=True)
    value_usd = models.DecimalField(_("estimated value, USD"), max_digits=14, decimal_places=2, null=True, blank=True)
    case_number = models.CharField(_("criminal case number"), max_length=64, blank=True)
    fine_kzt = models.DecimalField(_("fine, KZT"), max_digits=14, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("enforcement action")
        verbose_name_plural = _("enforcement actions")
        ordering = ["-date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=EnforcementActionAction.values), name="enforcement_action_known"
            ),
            models.CheckConstraint(condition=non_negative("value_usd", nullable=True), name="enforcement_value_gte_0"),
            models.CheckConstraint(condition=non_negative("fine_kzt", nullable=True), name="enforcement_fine_gte_0"),
            models.CheckConstraint(
                condition=~models.Q(action="criminal_case") | ~models.Q(case_number=""),
                name="enforcement_criminal_case_has_number",
            ),
            models.CheckConstraint(
                condition=~models.Q(action="equipment_confiscated") | models.Q(devices__isnull=False),
                name="enforcement_confiscation_has_devices",
            ),
            models.CheckConstraint(
                condition=~models.Q(action="fine") | models.Q(fine_kzt__isnull=False),
                name="enforcement_fine_has_amount",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} — {self.firm.name}"
