from django.urls import include, path

from .readings import ReadingsView

app_name = "api"

urlpatterns = [
    path("readings/", ReadingsView.as_view(), name="readings"),
    path("public/", include("registry.public.api_urls")),
]
