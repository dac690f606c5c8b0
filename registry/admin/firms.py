"""Firms, their owners and directors, and their portal users in the admin: verify a firm, invite a user."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from registry.models import Firm, FirmMembership, Ownership, Person
from registry.selectors import legal_status
from registry.selectors import owners as owner_selectors
from registry.services import firms as firm_services

from .base import LegalStatusMixin, RegistryAdmin, decision_action, legal_status_filter
from .links import record_links


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["person", "role", "share_percent", "filed_full_name", "filed_is_pep"]
    # What the firm filed is its word, not the regulator's: the regulator corrects the person instead.
    readonly_fields = ["filed_full_name", "filed_is_pep"]


class FilingInline(admin.TabularInline):
    """On a person's page: every firm that lists them, with what that firm filed."""

    model = Ownership
    extra = 0
    can_delete = False
    fields = ["firm", "role", "share_percent", "filed_full_name", "filed_is_pep"]
    readonly_fields = fields
    verbose_name = _("filing")
    verbose_name_plural = _("what firms filed about this person")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("firm", "person")  # each row names its firm

    def has_add_permission(self, request, obj=None):
        return False


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
    list_display = ["name", "bin_or_claim", "legal_status", "region", "origin", "created_at"]
    list_filter = [legal_status_filter(legal_status.firm_conditions), "verification", "origin", "region"]
    search_fields = ["=bin", "=claimed_bin", "name"]
    inlines = [OwnershipInline, FirmMembershipInline]
    readonly_fields = ["legal_status", "sign_up_check", "record", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A firm's verification and its BIN change only through the Verify action, which checks the claimed BIN.
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        return [
            *fields,
            "claimed_bin",
            "verification",
            *(["bin"] if obj.verification == Firm.Verification.PENDING else []),
        ]

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

    @admin.display(description=_("BIN"), ordering="bin")
    def bin_or_claim(self, firm):
        if firm.bin:
            return firm.bin
        return format_html('{} <span class="quiet">({})</span>', firm.claimed_bin, _("not verified"))

    @admin.display(description=_("sign-up check"))
    def sign_up_check(self, firm):
        """Before verifying a signed-up firm: does a registered firm hold its BIN, do other sign-ups claim it?"""
        if firm.pk is None or firm.verification != Firm.Verification.PENDING:
            return "—"
        claims = firm_services.firm_sign_up_claims(firm=firm)
        lines = []
        if claims["registered"] is not None:
            holder = claims["registered"]
            lines.append(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("This BIN belongs to the registered firm"),
                    reverse("admin:registry_firm_change", args=[holder.pk]),
                    holder,
                )
            )
        else:
            lines.append(_("No registered firm holds this BIN."))
        for other in claims["other_claims"]:
            lines.append(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Also claimed by the sign-up"),
                    reverse("admin:registry_firm_change", args=[other.pk]),
                    other,
                )
            )
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))


class FilingsFilter(admin.SimpleListFilter):
    title = _("filings")
    parameter_name = "filings"

    def lookups(self, request, model_admin):
        return [
            ("differ", _("Firms filed this person differently")),
            ("record", _("A filing differs from the person")),
            ("shared", _("Listed by several firms")),
        ]

    def queryset(self, request, queryset):
        conditions = {
            "differ": owner_selectors.filings_differ(),
            "record": Q(differs_from_record=True),
            "shared": Q(listing_firms__gt=1),
        }
        return queryset.filter(conditions[self.value()]) if self.value() in conditions else queryset


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    list_display = ["full_name", "person_id", "iin", "is_pep", "firms", "filings"]
    list_filter = ["is_pep", FilingsFilter]
    search_fields = ["full_name", "=person_id", "=iin"]
    inlines = [FilingInline]

    def get_queryset(self, request):
        return owner_selectors.persons_with_filings(super().get_queryset(request))

    @admin.display(description=_("firms"), ordering="listing_firms")
    def firms(self, person):
        return person.listing_firms

    @admin.display(description=_("filings"))
    def filings(self, person):
        if person.filing_variants > 1:
            return _("Firms filed this person differently")
        if person.differs_from_record:
            return _("A filing differs from the person")
        return "—"


@admin.register(Ownership)
class OwnershipAdmin(RegistryAdmin):
    list_display = ["person", "firm", "role", "share_percent", "filed_full_name", "filed_is_pep"]
    list_filter = ["role", "person__is_pep", "filed_is_pep"]
    search_fields = ["person__full_name", "filed_full_name", "=person__iin", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm", "person"]
    list_select_related = ["firm", "person"]
    readonly_fields = ["filed_full_name", "filed_is_pep"]


@admin.register(FirmMembership)
class FirmMembershipAdmin(RegistryAdmin):
    list_display = ["user", "firm"]
    search_fields = ["user__username", "user__email", "=firm__bin", "firm__name"]
    autocomplete_fields = ["firm"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "firm"]
