"""/register/: the public register of licensed miners, the operator check and the warning list."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.register, name="licensed"),
    path("licensed.csv", views.licensed_csv, name="licensed-csv"),
    path("check/", views.operator_check, name="check"),
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings.csv", views.warnings_csv, name="warnings-csv"),
    path("language/", views.language, name="language"),
]
