from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from registry import health
from registry.admin import exports
from registry.admin.dashboard import dashboard_view


def favicon(request):
    """The icon's static URL is looked up per request: with hashed static files it exists only after collectstatic."""
    return HttpResponsePermanentRedirect(static("registry/favicon.svg"))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Browsers ask for /favicon.ico on every page of every part of the site.
    path("favicon.ico", favicon, name="favicon"),
    path("", RedirectView.as_view(pattern_name="portal:dashboard"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/dashboard/", dashboard_view, name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/2fa/", include("registry.staff.urls")),
    path("accounts/", include("registry.portal.accounts")),
    path("portal/", include("registry.portal.urls")),
    path("api/v1/", include("registry.api.urls")),
    path("api/", include("registry.api.schema_urls")),
    path("register/", include("registry.public.urls")),
    path("exports/", include((exports.urlpatterns, "exports"))),
]
