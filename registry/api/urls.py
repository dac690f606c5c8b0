from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import views
from .readings import ReadingsView

app_name = "api"

router = SimpleRouter()
router.register("firms", views.FirmViewSet, basename="firm")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("connections", views.GridConnectionViewSet, basename="connection")
router.register("licences", views.LicenceViewSet, basename="licence")
router.register("declarations", views.DeclarationViewSet, basename="declaration")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register("enforcement-actions", views.EnforcementActionViewSet, basename="enforcementaction")

urlpatterns = [
    path("readings/", ReadingsView.as_view(), name="readings"),
    path("public/", include("registry.public.api_urls")),
    *router.urls,
    # Any other address under /api/v1/ ending in a slash answers a JSON 404, not the site's HTML page.
    re_path(r"^.+/$", views.not_found),
]
