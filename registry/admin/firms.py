"""Firms, their owners and directors, and their portal users in the admin: verify a firm, invite a user."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import Firm, FirmMembership, Ownership, Person
from registry.selectors import legal_status
from registry.services import firms as firm_services

from .base import LegalStatusMixin, RegistryAdmin, decision_action, legal_status_filter
from .links import record_links


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["person", "role", "share_percent"]


class FirmMembershipInline(admin.TabularInline):
    model = FirmMembership
    extra = 0
    raw_id_fields = ["user"]
    verbose_name_plural = _("portal users")


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email of the firm's employee"), help_text=_("They receive a one-time link to set their password.")
    )


@admin.register(Firm)
class FirmAdmin(LegalStatusMixin, RegistryAdmin):
    export_dataset = "firms"
    legal_status_conditions = legal_status.firm_conditions
    list_display = ["name", "bin", "legal_status", "region", "origin", "created_at"]
    list_filter = [legal_status_filter(legal_status.firm_conditions), "verification", "origin", "region"]
    search_fields = ["=bin", "name"]
    inlines = [OwnershipInline, FirmMembershipInline]
    readonly_fields = ["legal_status", "record", "created_at", "updated_at"]
    actions = ["verify", "invite_user"]

    @decision_action(description=_("Verify (the firm may file in the portal)"))
    def verify(request, firm, data):
        firm_services.firm_verify(firm=firm)

    @decision_action(description=_("Invite a portal user"), form_class=InviteForm)
    def invite_user(request, firm, data):
        firm_services.firm_user_invite(firm=firm, email=data["email"], base_url=request.build_absolute_uri("/"))

    @admin.display(description=_("record"))
    def record(self, obj):
        return record_links(firm=obj)


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    list_display = ["full_name", "person_id", "iin", "is_pep"]
    list_filter = ["is_pep"]
    search_fields = ["full_name", "=person_id", "=iin"]


@admin.register(Ownership)
class OwnershipAdmin(RegistryAdmin):
    list_display = ["person", "firm", "role", "share_percent"]
    list_filter = ["role", "person__is_pep"]
    search_fields = ["person__full_name", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm", "person"]
    list_select_related = ["firm", "person"]


@admin.register(FirmMembership)
class FirmMembershipAdmin(RegistryAdmin):
    list_display = ["user", "firm"]
    search_fields = ["user__username", "user__email", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "firm"]
