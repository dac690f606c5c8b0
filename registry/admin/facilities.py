"""Facilities in the admin: their meters (and meters still to verify), licences covering them, legal status."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import Facility, FacilityConnection, LicenceCoverage
from registry.selectors import legal_status
from registry.services.licences import coverage_conflict

from .base import LegalStatusMixin, RegistryAdmin, legal_status_filter
from .links import record_links


class FacilityConnectionInline(admin.TabularInline):
    model = FacilityConnection
    extra = 0
    autocomplete_fields = ["connection"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility", "connection")


class CoverageForm(forms.ModelForm):
    """Refuse, as a form error, a facility another live licence already holds (the database would refuse it too)."""

    class Meta:
        model = LicenceCoverage
        fields = ["licence", "facility"]

    def clean(self):
        data = super().clean()
        facility = data.get("facility")
        licence = data.get("licence") or (self.instance.licence if self.instance.licence_id else None)
        if licence is not None and facility is not None:
            other = coverage_conflict(licence=licence, facility=facility)
            if other is not None:
                raise forms.ValidationError(
                    _("%(facility)s is already held by licence %(other)s over overlapping dates.")
                    % {"facility": facility.ref, "other": other}
                )
        return data


class CoverageInline(admin.TabularInline):
    model = LicenceCoverage
    form = CoverageForm
    extra = 0
    autocomplete_fields = ["licence", "facility"]
    readonly_fields = ["period", "holds"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("licence", "facility")


class MetersToVerifyFilter(admin.SimpleListFilter):
    title = _("meters to verify")
    parameter_name = "meters_to_verify"

    def lookups(self, request, model_admin):
        return [("yes", _("Some meters to verify"))]

    def queryset(self, request, queryset):
        return queryset.exclude(unverified_meter_ids=[]) if self.value() == "yes" else queryset


@admin.register(Facility)
class FacilityAdmin(LegalStatusMixin, RegistryAdmin):
    export_dataset = "facilities"
    legal_status_conditions = legal_status.facility_conditions
    list_display = ["ref", "name", "legal_status", "firm", "region", "capacity_mw", "devices"]
    list_filter = [legal_status_filter(legal_status.facility_conditions), MetersToVerifyFilter, "region"]
    search_fields = ["=ref", "name", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    list_select_related = ["firm"]
    inlines = [FacilityConnectionInline, CoverageInline]
    readonly_fields = ["legal_status", "record", "created_at", "updated_at"]

    @admin.display(description=_("record"))
    def record(self, obj):
        return record_links(facility=obj)


@admin.register(FacilityConnection)
class FacilityConnectionAdmin(RegistryAdmin):
    list_display = ["facility", "connection"]
    search_fields = ["=facility__ref", "=connection__meter_id"]
    autocomplete_fields = ["facility", "connection"]
    list_select_related = ["facility", "connection"]
