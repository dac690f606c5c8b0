"""What every registry admin shares: role-aware base classes, legal-status column and filter, decision actions.

A decision action (`decision_action`) is a plain function `(request, obj, data)` that calls one service;
the base class handles the optional form, the per-row errors and the messages.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.errors import RegistryError
from registry.exports import CONTENT_TYPES, CSV, XLSX, ExportFilters
from registry.selectors import legal_status
from registry.selectors.audit import object_history
from registry.services.exports import export_prepare, export_start

from . import links


class EstimatedCountPaginator(Paginator):
    """On an unfiltered list of a big table, the planner's row estimate instead of COUNT(*)."""

    ESTIMATE_FROM = 20_000

    @cached_property
    def count(self):
        query = self.object_list.query
        if not query.where and not query.distinct:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.ESTIMATE_FROM:
                return row[0]
        return super().count


class RegistryAdmin(admin.ModelAdmin):
    """Admin defaults for the registry: the History page shows the database audit trail.

    A model with an export dataset gets "Export selected as CSV" (and as XLSX) for those who may export.
    """

    export_dataset: str | None = None

    object_history_template = "admin/registry/object_history.html"
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    class Media:
        css = {"all": ["registry/admin.css"]}

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.export_dataset and self.has_export_permission(request):
            actions["export_csv"] = (export_csv, "export_csv", export_csv.short_description)
            actions["export_xlsx"] = (export_xlsx, "export_xlsx", export_xlsx.short_description)
        return actions

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("registry.export_datasets")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The page is drawn after the view returns; its record links know the viewer until it is drawn.
        token = links.viewer.set(request.user)
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            response.add_post_render_callback(lambda _response: links.viewer.reset(token))
        else:
            links.viewer.reset(token)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse):
            obj = response.context_data.get("object")
            if obj is not None:
                response.context_data["history"] = object_history(obj=obj)
                response.context_data["title"] = _("Change history: %s") % obj
        return response


class ReadOnlyAdmin(RegistryAdmin):
    """For records written only by the system."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def legal_status_badge(status: str):
    label = legal_status.LegalStatus(status).label if status else _("—")
    return format_html('<span class="legal-badge legal-{}">{}</span>', status or "none", label)


class LegalStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("legal status")
    parameter_name = "legal_status"

    def lookups(self, request, model_admin):
        return [(str(status), status.label) for status in legal_status.PRECEDENCE] + [("none", _("No status"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value != "none" and value not in legal_status.PRECEDENCE:
            return queryset.none()
        return legal_status.with_status(queryset, self.conditions(), "" if value == "none" else value)

    @staticmethod
    def conditions() -> legal_status.Conditions:
        raise NotImplementedError


def legal_status_filter(conditions: Callable[[], legal_status.Conditions]) -> type[LegalStatusFilter]:
    return type("LegalStatusFilter", (LegalStatusFilter,), {"conditions": staticmethod(conditions)})


class LegalStatusMixin:
    """A legal-status column (a coloured badge) and filter, computed in the query."""

    legal_status_conditions: Callable[[], legal_status.Conditions]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return legal_status.annotate(queryset, type(self).legal_status_conditions())

    @admin.display(description=gettext_lazy("legal status"), ordering="legal_status")
    def legal_status(self, obj):
        return legal_status_badge(getattr(obj, "legal_status", ""))


class DecisionForm(forms.Form):
    """A decision that needs a reason."""

    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=True)


# One decision on one object: (request, obj, data), data being the form's cleaned_data ({} without a form).
Decide = Callable[[Any, Any, dict[str, Any]], object]


def decision_action(*, description, form_class: type[forms.Form] | None = None, permission: str = "change"):
    """Turn `decide(request, obj, data)` into an admin action that makes that decision for each selected object.

    With a form_class the action first asks for the form and passes its
    cleaned_data as `data`. `decide` calls one service and may raise
    RegistryError, which is reported per object; nothing else is changed.
    The action is named after the decorated function:

        @decision_action(description=_("Dismiss"), form_class=DecisionForm)
        def dismiss(request, flag, data):
            flags.flag_dismiss(flag=flag, reason=data["reason"])
    """

    def decorator(decide: Decide):
        return _decision_action(
            decide=decide, name=decide.__name__, description=description, form_class=form_class, permission=permission
        )

    return decorator


def _decision_action(*, decide: Decide, name: str, description, form_class, permission: str):
    def action(modeladmin, request, queryset):
        form = None
        if form_class is not None:
            form = form_class(request.POST if "apply" in request.POST else None)
            if "apply" not in request.POST or not form.is_valid():
                return TemplateResponse(
                    request,
                    "admin/registry/decision.html",
                    {
                        **modeladmin.admin_site.each_context(request),
                        "title": description,
                        "form": form,
                        "objects": queryset,
                        "action": name,
                        "opts": modeladmin.model._meta,
                        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    },
                )
        done, refused = [], []
        for obj in queryset:
            try:
                decide(request, obj, form.cleaned_data if form else {})
                done.append(str(obj))
            except RegistryError as error:
                refused.append(f"{obj}: {error}")
        if done:
            modeladmin.message_user(
                request,
                _("%(action)s: %(objects)s") % {"action": description, "objects": ", ".join(done)},
                messages.SUCCESS,
            )
        for line in refused:
            modeladmin.message_user(request, _("Refused — %(reason)s") % {"reason": line}, messages.ERROR)
        return None

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


@admin.action(description=gettext_lazy("Export selected as CSV"))
def export_csv(modeladmin, request, queryset):
    """Stream the chosen rows (or every row of the filtered list) through the dataset's CSV writer."""
    return _export_selected(modeladmin, request, queryset, CSV)


@admin.action(description=gettext_lazy("Export selected as XLSX"))
def export_xlsx(modeladmin, request, queryset):
    """The same rows as an XLSX: typed cells, for Excel in any language."""
    return _export_selected(modeladmin, request, queryset, XLSX)


def _export_selected(modeladmin, request, queryset, file_format: str):
    filters = ExportFilters(ids=tuple(queryset.values_list("pk", flat=True)))
    try:
        dataset = export_prepare(dataset_name=modeladmin.export_dataset, filters=filters, file_format=file_format)
    except RegistryError as error:  # more rows than an XLSX sheet holds
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    response = StreamingHttpResponse(
        export_start(
            dataset=dataset,
            filters=filters,
            actor=request.user.get_username(),
            user=request.user,
            file_format=file_format,
        ),
        content_type=CONTENT_TYPES[file_format],
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}-selected-{stamp}.{file_format}"'
    return response
