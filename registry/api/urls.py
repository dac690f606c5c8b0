from django.urls import path

from .readings import ReadingsView

app_name = "api"

urlpatterns = [
    path("readings/", ReadingsView.as_view(), name="readings"),
]
