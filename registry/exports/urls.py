"""/exports/: auditors and regulators download the datasets."""

from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:dataset>.csv", views.download, name="download"),
]
