"""The grid in the admin: connections (legal status, topology), grid-operator accounts, reading imports, corrections."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from registry.clock import registry_zone_name
from registry.models import (
    GridConnection,
    GridOperatorAccount,
    MeterReading,
    ReadingArchive,
    ReadingCorrection,
    ReadingImport,
)
from registry.selectors import legal_status
from registry.services.topology import connection_parent_problem
from registry.validators import time_zone_names

from .base import LegalStatusMixin, ReadOnlyAdmin, RegistryAdmin, legal_status_filter
from .links import record_links

CHILDREN_SHOWN = 50  # on a connection's page; the rest through the list of its children


class GridConnectionForm(forms.ModelForm):
    """Refuse, as an error on the upstream meter, a parent that is the meter itself or would close a cycle."""

    class Meta:
        model = GridConnection
        fields = [
            "meter_id",
            "operator",
            "consumer_name",
            "consumer_bin",
            "region",
            "address",
            "tariff",
            "contracted_mw",
            "parent",
        ]

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if parent is not None:
            problem = connection_parent_problem(
                connection_id=self.instance.pk,
                meter_id=data.get("meter_id") or self.instance.meter_id,
                parent_id=parent.pk,
            )
            if problem is not None:
                self.add_error("parent", problem)
        return data


class TopologyFilter(admin.SimpleListFilter):
    title = _("grid topology")
    parameter_name = "topology"

    def lookups(self, request, model_admin):
        return [
            ("feeds", _("Feeds other meters (transformer, feeder head)")),
            ("fed", _("Has an upstream meter")),
            ("top", _("No upstream meter")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "feeds":
            return queryset.filter(pk__in=GridConnection.objects.filter(parent__isnull=False).values("parent_id"))
        if value == "fed":
            return queryset.filter(parent__isnull=False)
        if value == "top":
            return queryset.filter(parent__isnull=True)
        return queryset


@admin.register(GridConnection)
class GridConnectionAdmin(LegalStatusMixin, RegistryAdmin):
    export_dataset = "connections"
    form = GridConnectionForm
    legal_status_conditions = legal_status.connection_conditions
    list_display = ["meter_id", "consumer_name", "legal_status", "region", "tariff", "operator", "contracted_mw"]
    list_filter = [legal_status_filter(legal_status.connection_conditions), TopologyFilter, "tariff", "region"]
    search_fields = ["=meter_id", "consumer_name", "=consumer_bin"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["legal_status", "record", "fed_by", "feeds", "latest_reading"]

    def get_exclude(self, request, obj=None):
        # Those who may not change it read the upstream meter in "fed by", with its link.
        return None if self.has_change_permission(request, obj) else ["parent"]

    @admin.display(description=_("fed by"))
    def fed_by(self, obj):
        if obj.parent_id is None:
            return _("none")
        parent = obj.parent
        return format_html(
            '<a href="{}">{}</a>{}',
            reverse("admin:registry_gridconnection_change", args=[parent.pk]),
            parent.meter_id,
            f" — {parent.consumer_name}" if parent.consumer_name else "",
        )

    @admin.display(description=_("feeds"))
    def feeds(self, obj):
        if obj.pk is None:
            return _("none")
        children = list(
            obj.children.order_by("meter_id").values_list("pk", "meter_id", "consumer_name")[:CHILDREN_SHOWN]
        )
        if not children:
            return _("none")
        count = len(children) if len(children) < CHILDREN_SHOWN else obj.children.count()
        every = reverse("admin:registry_gridconnection_changelist") + f"?parent__id__exact={obj.pk}"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a>{}</li>',
            (
                (reverse("admin:registry_gridconnection_change", args=[pk]), meter_id, f" — {name}" if name else "")
                for pk, meter_id, name in children
            ),
        )
        return format_html(
            '<a href="{}">{}</a><ul class="fed-meters">{}</ul>',
            every,
            ngettext("%(count)d meter", "%(count)d meters", count) % {"count": count},
            items,
        )

    @admin.display(description=_("record"))
    def record(self, obj):
        return record_links(connection=obj)

    @admin.display(description=_("latest reading"))
    def latest_reading(self, obj):
        # MeterReading has a composite key and no admin of its own: show the newest hour here.
        reading = MeterReading.objects.filter(connection=obj).order_by("-period_start").first()
        if reading is None:
            return _("none")
        return _("%(hour)s UTC — %(kwh)s kWh") % {"hour": f"{reading.period_start:%Y-%m-%d %H:%M}", "kwh": reading.kwh}


class GridOperatorAccountForm(forms.ModelForm):
    """The time zone picked from the zones this machine knows (the model validates it too)."""

    time_zone = forms.ChoiceField(
        label=capfirst(GridOperatorAccount._meta.get_field("time_zone").verbose_name),
        choices=lambda: [(name, name) for name in sorted(time_zone_names())],
        initial=registry_zone_name,  # a new account starts in the registry's zone, not the list's first
        help_text=GridOperatorAccount._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = GridOperatorAccount
        fields = ["user", "operator", "time_zone"]


@admin.register(GridOperatorAccount)
class GridOperatorAccountAdmin(RegistryAdmin):
    form = GridOperatorAccountForm
    list_display = ["operator", "user", "time_zone"]
    search_fields = ["operator", "user__username"]
    raw_id_fields = ["user"]


@admin.register(ReadingArchive)
class ReadingArchiveAdmin(ReadOnlyAdmin):
    """Months of readings written to their archives and dropped (docs/rules.md, "Readings by month")."""

    list_display = ["month", "rows", "bytes", "created_at", "path"]  # the SHA-256 on its own page: 64 characters
    date_hierarchy = "created_at"


@admin.register(ReadingImport)
class ReadingImportAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "source", "status", "rows", "inserted", "unchanged", "corrected", "flagged_values"]
    list_filter = ["status"]
    search_fields = ["source"]
    date_hierarchy = "started_at"


@admin.register(ReadingCorrection)
class ReadingCorrectionAdmin(ReadOnlyAdmin):
    list_display = ["connection", "period_start", "old_kwh", "new_kwh", "reading_import"]
    search_fields = ["=connection__meter_id"]
    list_select_related = ["connection", "reading_import"]
