from django.contrib import admin
from django.urls import include, path

from registry.admin.dashboard import dashboard_view

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/dashboard/", dashboard_view, name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("registry.api.urls")),
]
