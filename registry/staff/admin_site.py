from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class RegistryAdminSite(AdminSite):
    """Django's admin, open only to staff whose session passed the second factor."""

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()


class RegistryAdminConfig(AdminConfig):
    default_site = "registry.staff.admin_site.RegistryAdminSite"
