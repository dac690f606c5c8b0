from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from registry import clock


class RegistryAdminSite(AdminSite):
    """Django's admin, open only to staff whose session passed the second factor.

    Its home page puts the regulator's queues first (open flags, applications to decide, inspections due),
    each shown to those who may view its records. The navigation sidebar is off: at a laptop's 1366 px it
    took a quarter of every list's width, and the home page and breadcrumbs lead everywhere it did.
    """

    enable_nav_sidebar = False

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()

    def index(self, request, extra_context=None):
        from registry.selectors import queues  # the site is made before the models are loaded

        user = request.user
        today = clock.today()
        context = {"today": today}
        if user.has_perm("registry.view_flag"):
            context["open_flags"] = queues.open_flags()
        if user.has_perm("registry.view_licence"):
            context["applications"] = queues.applications_to_decide()
        if user.has_perm("registry.view_inspection"):
            context["inspections"] = queues.inspections_due(today=today)
        return super().index(request, {**context, **(extra_context or {})})


class RegistryAdminConfig(AdminConfig):
    default_site = "registry.staff.admin_site.RegistryAdminSite"
