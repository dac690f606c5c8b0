"""The regulator's review queue: flags with their evidence and chart, the decisions on them, inspections and
enforcement actions.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, When
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import floatformat
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.errors import RegistryError
from registry.models import DetectionSettings, EnforcementAction, Facility, Flag, GridConnection, Inspection
from registry.selectors.loads import flag_chart, flag_meters
from registry.services import enforcement, flags
from registry.services.csvfiles import parse_instant
from registry.validators import validate_bin

from .base import DecisionForm, RegistryAdmin, decision_action
from .links import record_links


def _mw(value) -> str:
    return gettext("%(mw)s MW") % {"mw": floatformat(value, "3g")}


def _mwh(decimals: int):
    return lambda value: gettext("%(mwh)s MWh") % {"mwh": floatformat(value, f"{decimals}g")}


def _decimals(places: int):
    return lambda value: str(floatformat(value, f"{places}g"))


def _times(places: int):
    return lambda value: f"{floatformat(value, f'{places}g')} ×"


def _percent(value) -> str:
    return f"{floatformat(float(value) * 100, 1)}%"


def _count(value) -> str:
    return str(floatformat(value, "0g"))


def _local_time(value) -> str:
    instant = parse_instant(value) if isinstance(value, str) else None
    return f"{instant.astimezone(clock.registry_zone()):%Y-%m-%d %H:%M}" if instant else str(value)


def _listed(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_mw(mw) if isinstance(mw, int | float) else mw}" for key, mw in value.items())
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)


# How each evidence figure reads, with its unit.
EVIDENCE_LABELS = {
    "avg_mw": (_("average load"), _mw),
    "peak_mw": (_("peak load"), _mw),
    "coverage": (_("hours with readings"), _percent),
    "load_factor": (_("load factor (average / peak)"), _decimals(3)),
    "energy_mwh": (_("energy in the window"), _mwh(1)),
    "hours_with_readings": (_("hours with a reading"), _count),
    "window_hours": (_("hours in the window"), _count),
    "capacity_mw": (_("licensed capacity"), _mw),
    "peak_to_capacity": (_("peak / licensed capacity"), _times(2)),
    "declared_mwh": (_("declared energy"), _mwh(3)),
    "metered_mwh": (_("metered energy"), _mwh(3)),
    "declared_to_metered": (_("declared / metered"), _percent),
    "month": (_("month"), str),
    "deadline": (_("filing deadline"), str),
    "tariff": (_("tariff"), str),
    # The mining signature and the ways farms hide.
    "level_mw": (_("steady level"), _mw),
    "floor_mw": (_("daily floor (lowest steady hour, median of the days)"), _mw),
    "floor_change": (_("day-to-day change of the floor (3 days in 4 within)"), _percent),
    "floor_share": (_("daily floor / running load"), _percent),
    "signature_days": (_("days judged for the signature"), _count),
    "running_hours": (_("running hours"), _count),
    "running_avg_mw": (_("average load while running"), _mw),
    "curtailment_hours": (_("hours of the day curtailed"), _listed),
    "group": (_("group (address or consumer)"), str),
    "meters": (_("meters in the group"), _count),
    "tariffs": (_("tariffs"), _listed),
    "member_avg_mw": (_("average load of each meter"), _listed),
    "baseline_start": (_("baseline from"), _local_time),
    "baseline_end": (_("baseline until"), _local_time),
    "baseline_mw": (_("baseline load"), _mw),
    "recent_start": (_("recent days from"), _local_time),
    "recent_floor_mw": (_("recent floor"), _mw),
    "step_ratio": (_("recent floor / baseline"), _times(1)),
    "children": (_("downstream meters"), _count),
    "parent_avg_mw": (_("transformer's average load"), _mw),
    "children_avg_mw": (_("downstream meters' average load"), _mw),
    "loss_share": (_("normal losses allowed"), _percent),
    "unmetered_mw": (_("unmetered load"), _mw),
    "residual_avg_mw": (_("transformer less downstream meters, average"), _mw),
    "recent_avg_mw": (_("recent average load"), _mw),
    "balanced_hours": (_("hours balanced"), _count),
}
# The evidence table reads in the order above (the database keeps JSON keys in its own order).
EVIDENCE_ORDER = {key: position for position, key in enumerate(EVIDENCE_LABELS)}
# The figure the flag list shows for each flag: the first of these its evidence has.
KEY_FIGURES = ("unmetered_mw", "step_ratio", "avg_mw", "peak_to_capacity", "declared_to_metered", "deadline")
# The decisions a regulator takes from a flag's page, in the order of its buttons: (admin action, button).
PAGE_DECISIONS = [
    ("assign", _("Assign")),
    ("schedule_inspection", _("Schedule an inspection")),
    ("confirm", _("Confirm")),
    ("dismiss", _("Dismiss")),
    ("dismiss_compliant", _("Inspected: compliant — dismiss")),
]
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


class CompliantForm(DecisionForm):
    """A dismissal after a visit found the site compliant: the reason says so, the help says how long it holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limits = DetectionSettings.current()
        reason = self.fields["reason"]
        reason.initial = gettext("Inspected: compliant.")
        reason.help_text = gettext(
            "Detection stays quiet about this subject for %(days)d days, unless its average load grows by more "
            "than %(growth)s."
        ) % {"days": limits.dismissal_silence_days, "growth": f"{limits.dismissal_regrowth_ratio:.0%}"}


@admin.register(Flag)
class FlagAdmin(RegistryAdmin):
    """The review queue: open flags first, by severity, newest first."""

    export_dataset = "flags"
    # Short dates and month names, so that every column shows at a laptop's 1366 px in each language.
    list_display = [
        "rule",
        "subject_ref",
        "severity_badge",
        "status",
        "month_short",
        "key_figure",
        "assigned_to",
        "created",
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
        "meter_list",
        "month",
        "window_start",
        "window_end",
        "evidence_table",
        "assigned_to",
        "decision_reason",
        "decided_at",
        "record",
        "created_at",
        "updated_at",
    ]
    # The chart is drawn between the finding and its evidence (change_form.html).
    fieldsets = [
        (None, {"fields": ["rule", "severity", "status", "subject_type", "subject_ref", "site", "meter_list"]}),
        (
            _("Evidence"),
            {"fields": ["month", "window_start", "window_end", "evidence_table"]},
        ),
        (
            _("Decision"),
            {"fields": ["assigned_to", "decision_reason", "decided_at", "record", "created_at", "updated_at"]},
        ),
    ]
    change_form_template = "admin/registry/flag/change_form.html"
    actions = ["assign", "schedule_inspection", "confirm", "dismiss", "dismiss_compliant"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status_rank=STATUS_RANK, severity_rank=SEVERITY_RANK)

    def get_ordering(self, request):
        return [STATUS_RANK.asc(), SEVERITY_RANK.asc(), "-created_at", "-id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        """Nobody deletes a flag: the audit trail keeps every finding and its decision."""
        return False

    def get_urls(self):
        decide = path(
            "<path:object_id>/decide/<str:decision>/",
            self.admin_site.admin_view(self.decide_view),
            name="registry_flag_decide",
        )
        return [decide, *super().get_urls()]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # every field is read-only: a flag changes only by a decision
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                title=f"{obj.get_rule_display()} — {obj.subject_ref}",
                subtitle=None,  # the title already names the flag
                flag_chart=flag_chart(flag=obj),
                flag_decisions=self.page_decisions(request, obj),
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def page_decisions(self, request, flag) -> list[tuple[str, str]]:
        """The decisions this user may take on this flag now: (URL of its form, button)."""
        actions = self.get_actions(request)
        return [
            (reverse("admin:registry_flag_decide", args=[flag.pk, name]), label)
            for name, label in PAGE_DECISIONS
            if name in actions and flags.flag_decidable(flag=flag, decision=name)
        ]

    def decide_view(self, request, object_id, decision):
        """One decision on one flag, from its page: the decision's form, then back to the page with the result.

        Every decision offered here asks for a form first, so opening the URL (GET) decides nothing.
        """
        actions = self.get_actions(request)
        if decision not in dict(PAGE_DECISIONS) or decision not in actions:
            raise PermissionDenied
        flag = self.get_object(request, unquote(object_id))
        if flag is None:
            raise Http404
        page = reverse("admin:registry_flag_change", args=[flag.pk])
        action = actions[decision][0]
        response = action(self, request, self.get_queryset(request).filter(pk=flag.pk))
        if response is None:
            return HttpResponseRedirect(page)
        response.context_data["cancel_url"] = page
        return response

    @admin.display(description=_("severity"), ordering="severity_rank")
    def severity_badge(self, flag):
        return format_html('<span class="severity-{}">{}</span>', flag.severity, flag.get_severity_display())

    @admin.display(description=_("month"), ordering="month")
    def month_short(self, flag):
        return date_format(flag.month, "m.Y") if flag.month else "—"

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, flag):
        return format_html(
            '<span class="nowrap">{}</span>', date_format(localtime(flag.created_at), "SHORT_DATETIME_FORMAT")
        )

    @admin.display(description=_("key figure"))
    def key_figure(self, flag):
        evidence = flag.evidence or {}
        for key in KEY_FIGURES:
            if evidence.get(key) is not None:
                label, show = EVIDENCE_LABELS[key]
                return f"{label}: {show(evidence[key])}"
        return "—"

    @admin.display(description=_("evidence"))
    def evidence_table(self, flag):
        rows = []
        evidence = sorted(
            (flag.evidence or {}).items(), key=lambda item: EVIDENCE_ORDER.get(item[0], len(EVIDENCE_ORDER))
        )
        for key, value in evidence:
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
            label, show = EVIDENCE_LABELS.get(key, (key, _listed))
            rows.append((label, show(value) if value is not None else "—"))
        return format_html(
            '<table class="evidence">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("meters"))
    def meter_list(self, flag):
        rows = [
            (
                reverse("admin:registry_gridconnection_change", args=[meter.connection_id]),
                meter.connection.meter_id,
                meter.get_role_display(),
                meter.connection.consumer_name or "—",
                meter.connection.address or "—",
                meter.connection.get_tariff_display(),
            )
            for meter in flag_meters(flag=flag)
        ]
        if not rows:
            return "—"
        return format_html(
            '<table class="flag-meters"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            _("meter"),
            _("role"),
            _("consumer"),
            _("address"),
            _("tariff"),
            format_html_join(
                "",
                '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
                rows,
            ),
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

    @decision_action(description=_("Inspected: compliant — dismiss"), form_class=CompliantForm)
    def dismiss_compliant(request, flag, data):
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
