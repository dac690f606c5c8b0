from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from registry.selectors.audit import object_history


class RegistryAdmin(admin.ModelAdmin):
    """Admin defaults for the registry: the History page shows the database audit trail."""

    object_history_template = "admin/registry/object_history.html"
    list_per_page = 50
    show_full_result_count = False

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
