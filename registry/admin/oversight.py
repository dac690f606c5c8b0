"""The regulator's review queue: flags with their evidence and chart, the decisions on them, inspections and
enforcement actions.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, When
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.errors import RegistryError
from registry.models import EnforcementAction, Facility, Flag, GridConnection, Inspection
from registry.selectors.loads import subject_hourly_load
from registry.services import enforcement, flags
from registry.validators import validate_bin

from .base import DecisionForm, RegistryAdmin, decision_action
from .links import record_links

# How each evidence number reads, with its unit.
EVIDENCE_LABELS = {
    "avg_mw": (_("average load"), "{:,.3f} MW"),
    "peak_mw": (_("peak load"), "{:,.3f} MW"),
    "coverage": (_("hours with readings"), "{:.1%}"),
    "load_factor": (_("load factor (average / peak)"), "{:.3f}"),
    "energy_mwh": (_("energy in the window"), "{:,.1f} MWh"),
    "hours_with_readings": (_("hours with a reading"), "{:,}"),
    "window_hours": (_("hours in the window"), "{:,}"),
    "capacity_mw": (_("licensed capacity"), "{:,.3f} MW"),
    "peak_to_capacity": (_("peak / licensed capacity"), "{:.2f} ×"),
    "declared_mwh": (_("declared energy"), "{:,.3f} MWh"),
    "metered_mwh": (_("metered energy"), "{:,.3f} MWh"),
    "declared_to_metered": (_("declared / metered"), "{:.1%}"),
    "month": (_("month"), "{}"),
    "deadline": (_("filing deadline"), "{}"),
    "tariff": (_("tariff"), "{}"),
}
SEVERITY_RANK = Case(
    When(severity="high", then=0), When(severity="medium", then=1), default=2, output_field=IntegerField()
)
STATUS_RANK = Case(
    When(status="open", then=0), When(status="under_inspection", then=1), default=2, output_field=IntegerField()
)


def _inspectors():
    return get_user_model().objects.filter(groups__name="inspectors", is_active=True).order_by("username")


class AssignForm(forms.Form):
    # A lazy queryset: each form's field copy (ModelChoiceField.__deepcopy__) re-evaluates it.
    inspector = forms.ModelChoiceField(label=_("Inspector"), queryset=_inspectors())


class ScheduleForm(forms.Form):
    date = forms.DateField(label=_("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.ModelMultipleChoiceField(label=_("Inspectors"), queryset=_inspectors())


class ConfirmForm(DecisionForm):
    operator_bin = forms.CharField(
        label=_("Operator BIN"),
        required=False,
        max_length=12,
        validators=[validate_bin],
        help_text=_(
            "Needed when the connection's consumer BIN is missing: the operator is registered as unregistered."
        ),
    )
    operator_name = forms.CharField(label=_("Operator name"), required=False, max_length=255)


@admin.register(Flag)
class FlagAdmin(RegistryAdmin):
    """The review queue: open flags first, by severity, newest first."""

    export_dataset = "flags"
    list_display = [
        "rule",
        "subject_ref",
        "severity_badge",
        "status",
        "month",
        "key_figure",
        "assigned_to",
        "created_at",
    ]
    list_filter = ["status", "severity", "rule", "subject_type"]
    search_fields = ["=subject_ref"]
    list_select_related = ["assigned_to"]
    readonly_fields = [
        "rule",
        "severity",
        "status",
        "subject_type",
        "subject_ref",
        "site",
        "month",
        "window_start",
        "window_end",
        "evidence_table",
        "load_chart",
        "assigned_to",
        "decision_reason",
        "decided_at",
        "record",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/registry/flag/change_form.html"
    actions = ["assign", "schedule_inspection", "confirm", "dismiss"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status_rank=STATUS_RANK, severity_rank=SEVERITY_RANK)

    def get_ordering(self, request):
        return [STATUS_RANK.asc(), SEVERITY_RANK.asc(), "-created_at", "-id"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("severity"), ordering="severity_rank")
    def severity_badge(self, flag):
        return format_html('<span class="severity-{}">{}</span>', flag.severity, flag.get_severity_display())

    @admin.display(description=_("key figure"))
    def key_figure(self, flag):
        evidence = flag.evidence or {}
        for key in ("avg_mw", "peak_to_capacity", "declared_to_metered", "deadline"):
            if evidence.get(key) is not None:
                label, fmt = EVIDENCE_LABELS[key]
                return f"{label}: {fmt.format(evidence[key])}"
        return "—"

    @admin.display(description=_("evidence"))
    def evidence_table(self, flag):
        rows = []
        for key, value in (flag.evidence or {}).items():
            if key == "shared_owners":
                for owner in value:
                    rows.append(
                        (
                            _("shared beneficial owner"),
                            f"{owner['full_name']} ({owner['person_id']}) — {owner['firm_name']} {owner['firm_bin']}: "
                            f"{owner['action']} {owner['date']}",
                        )
                    )
                continue
            label, fmt = EVIDENCE_LABELS.get(key, (key, "{}"))
            rows.append((label, fmt.format(value) if value is not None else "—"))
        return format_html(
            '<table class="evidence">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("hourly load over the window"))
    def load_chart(self, flag):
        points = subject_hourly_load(flag=flag)
        if not points:
            return _("No readings for this subject in the window.")
        peak = max(mw for _hour, mw in points)
        return format_html(
            '<canvas class="load-chart" height="90" data-points="{}" aria-label="{}"></canvas><noscript>{}</noscript>',
            ";".join(f"{hour.isoformat()}|{mw:.4f}" for hour, mw in points),
            _("Hourly load, MW"),
            _("%(n)d hours, peak %(peak).3f MW") % {"n": len(points), "peak": peak},
        )

    @admin.display(description=_("site"))
    def site(self, flag):
        target = flag.connection or flag.facility or flag.licence or flag.firm
        return str(target) if target else "—"

    @admin.display(description=_("record"))
    def record(self, flag):
        return record_links(flag=flag)

    @decision_action(description=_("Assign to an inspector"), form_class=AssignForm)
    def assign(request, flag, data):
        flags.flag_assign(flag=flag, inspector=data["inspector"])

    @decision_action(description=_("Schedule an inspection"), form_class=ScheduleForm)
    def schedule_inspection(request, flag, data):
        flags.flag_schedule_inspection(flag=flag, date=data["date"], inspectors=data["inspectors"])

    @decision_action(description=_("Confirm as illegal operation"), form_class=ConfirmForm)
    def confirm(request, flag, data):
        flags.flag_confirm(
            flag=flag, reason=data["reason"], operator_bin=data["operator_bin"], operator_name=data["operator_name"]
        )

    @decision_action(description=_("Dismiss"), form_class=DecisionForm)
    def dismiss(request, flag, data):
        flags.flag_dismiss(flag=flag, reason=data["reason"])


class InspectionForm(forms.ModelForm):
    operator_bin = forms.CharField(
        label=_("Operator BIN"),
        required=False,
        max_length=12,
        validators=[validate_bin],
        help_text=_(
            "For an illegal operation at a connection whose operator is not in the registry: "
            "the operator is registered as an unregistered firm."
        ),
    )
    operator_name = forms.CharField(label=_("Operator name"), required=False, max_length=255)

    class Meta:
        model = Inspection
        fields = [
            "flag",
            "facility",
            "connection",
            "firm",
            "date",
            "inspectors",
            "findings",
            "devices_found",
            "outcome",
            "operator_bin",
            "operator_name",
        ]

    def clean(self):
        data = super().clean()
        if not data.get("facility") and not data.get("connection"):
            raise forms.ValidationError(_("Choose the facility or the grid connection that was visited."))
        needs_operator = data.get("outcome") == Inspection.Outcome.ILLEGAL_OPERATION and not data.get("firm")
        if needs_operator and not data.get("facility") and data.get("connection"):
            try:
                enforcement.operator_bin_for(connection=data["connection"], operator_bin=data.get("operator_bin", ""))
            except RegistryError as error:
                self.add_error("operator_bin", str(error))
        return data


@admin.register(Inspection)
class InspectionAdmin(RegistryAdmin):
    export_dataset = "inspections"
    form = InspectionForm
    list_display = ["date", "facility", "connection", "firm", "outcome", "devices_found"]
    list_filter = ["outcome"]
    search_fields = ["=facility__ref", "=connection__meter_id", "=firm__bin", "firm__name"]
    autocomplete_fields = ["facility", "connection", "firm"]
    raw_id_fields = ["flag"]
    filter_horizontal = ["inspectors"]
    list_select_related = ["facility", "connection", "firm"]
    date_hierarchy = "date"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", clock.today())
        return initial

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "inspectors":
            kwargs["queryset"] = _inspectors()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        enforcement.inspection_recorded(
            inspection=form.instance,
            operator_bin=form.cleaned_data.get("operator_bin", ""),
            operator_name=form.cleaned_data.get("operator_name", ""),
        )


@admin.register(EnforcementAction)
class EnforcementActionAdmin(RegistryAdmin):
    export_dataset = "enforcement"
    list_display = ["date", "action", "firm", "region", "devices", "value_usd", "case_number", "fine_kzt"]
    list_filter = ["action", "region"]
    search_fields = ["=firm__bin", "firm__name", "=case_number"]
    autocomplete_fields = ["firm", "facility", "connection", "licence"]
    raw_id_fields = ["inspection"]
    list_select_related = ["firm"]
    date_hierarchy = "date"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", clock.today())
        site = initial.get("facility") or initial.get("connection")
        if site and "region" not in initial:
            model = Facility if initial.get("facility") else GridConnection
            initial["region"] = model.objects.filter(pk=site).values_list("region", flat=True).first()
        return initial
