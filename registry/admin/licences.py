"""Licences in the admin: every status change is an action that calls the lifecycle service."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from registry import clock
from registry.models import Licence, LicenceCoverage, LicenceDocument
from registry.services import licences

from .base import DecisionForm, RegistryAdmin, decision_action
from .facilities import CoverageForm, CoverageInline


class GrantForm(forms.Form):
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The licence is valid for three years from this day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = clock.today()


def _suspension_terms():
    return [(m, ngettext("%(n)d month", "%(n)d months", m) % {"n": m}) for m in range(1, 7)]


class SuspendForm(DecisionForm):
    months = forms.TypedChoiceField(
        label=_("Suspend for"),
        coerce=int,
        choices=_suspension_terms,
        help_text=_("The licence is reinstated automatically when the term ends."),
    )


class SurrenderForm(forms.Form):
    reason = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentInline(admin.TabularInline):
    model = LicenceDocument
    extra = 0
    fields = ["download", "size_bytes", "uploaded_at", "uploaded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("document"))
    def download(self, document):
        return format_html(
            '<a href="{}">{}</a>', reverse("portal:document", args=[document.pk]), document.original_name
        )


@admin.register(Licence)
class LicenceAdmin(RegistryAdmin):
    """Licence decisions are actions that call the lifecycle services; the status is never edited by hand."""

    export_dataset = "licences"
    # At a laptop's 1366 px every column shows: the subtype as its numeral, the dates as one period.
    list_display = ["__str__", "firm", "status_badge", "subtype_numeral", "capacity_mw", "validity"]
    list_filter = ["status", "subtype", "firm__region"]
    search_fields = ["=number", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    list_select_related = ["firm"]
    inlines = [CoverageInline, DocumentInline]
    readonly_fields = [
        "number",
        "status",
        "valid_from",
        "valid_until",
        "suspended_until",
        "status_reason",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "valid_until"
    actions = ["start_review", "grant", "reject", "suspend", "reinstate", "revoke", "surrender"]

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, licence):
        return format_html(
            '<span class="licence-badge licence-{}">{}</span>', licence.status, licence.get_status_display()
        )

    @admin.display(description=_("subtype"), ordering="subtype")
    def subtype_numeral(self, licence):
        return format_html('<span title="{}">{}</span>', licence.get_subtype_display(), licence.subtype)

    @admin.display(description=_("Valid"), ordering="valid_until")
    def validity(self, licence):
        if licence.valid_from is None:
            return "—"
        period = format_html(
            '<span class="nowrap">{} – {}</span>',
            date_format(licence.valid_from, "SHORT_DATE_FORMAT"),
            date_format(licence.valid_until, "SHORT_DATE_FORMAT"),
        )
        if licence.status == Licence.Status.SUSPENDED and licence.suspended_until:
            until = date_format(licence.suspended_until, "SHORT_DATE_FORMAT")
            return format_html("{}<br>{}", period, _("suspended until %(date)s") % {"date": until})
        return period

    @decision_action(description=_("Start review"))
    def start_review(request, licence, data):
        licences.licence_start_review(licence=licence)

    @decision_action(description=_("Grant"), form_class=GrantForm)
    def grant(request, licence, data):
        licences.licence_grant(licence=licence, valid_from=data["valid_from"])

    @decision_action(description=_("Reject"), form_class=DecisionForm)
    def reject(request, licence, data):
        licences.licence_reject(licence=licence, reason=data["reason"])

    @decision_action(description=_("Suspend"), form_class=SuspendForm)
    def suspend(request, licence, data):
        licences.licence_suspend(licence=licence, months=data["months"], reason=data["reason"])

    @decision_action(description=_("Reinstate"))
    def reinstate(request, licence, data):
        licences.licence_reinstate(licence=licence)

    @decision_action(description=_("Revoke"), form_class=DecisionForm)
    def revoke(request, licence, data):
        licences.licence_revoke(licence=licence, reason=data["reason"])

    @decision_action(description=_("Surrender"), form_class=SurrenderForm)
    def surrender(request, licence, data):
        licences.licence_surrender(licence=licence, reason=data["reason"])


@admin.register(LicenceCoverage)
class LicenceCoverageAdmin(RegistryAdmin):
    form = CoverageForm
    list_display = ["licence", "facility", "period", "holds"]
    list_filter = ["holds"]
    search_fields = ["=licence__number", "=facility__ref"]
    autocomplete_fields = ["licence", "facility"]
    readonly_fields = ["period", "holds"]
    list_select_related = ["licence", "facility"]
