"""/api/v1/public/: the public register as JSON."""

from django.urls import path

from . import api_views

app_name = "public_api"

urlpatterns = [
    path("licensed/", api_views.LicensedListView.as_view(), name="licensed"),
    path("warnings/", api_views.WarningListView.as_view(), name="warnings"),
]
