from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("owners/", views.OwnerListView.as_view(), name="owners"),
    path("owners/add/", views.OwnerFormView.as_view(), name="owner-add"),
    path("owners/<int:pk>/", views.OwnerFormView.as_view(), name="owner-edit"),
    path("facilities/", views.FacilityListView.as_view(), name="facilities"),
    path("facilities/add/", views.FacilityFormView.as_view(), name="facility-add"),
    path("facilities/<int:pk>/", views.FacilityFormView.as_view(), name="facility-edit"),
    path("licences/", views.LicenceListView.as_view(), name="licences"),
    path("licences/apply/", views.LicenceApplyView.as_view(), name="licence-apply"),
    path("licences/<int:pk>/", views.LicenceDetailView.as_view(), name="licence"),
    path("documents/<int:pk>/", views.DocumentDownloadView.as_view(), name="document"),
    path("declarations/", views.DeclarationListView.as_view(), name="declarations"),
    path("declarations/file/", views.DeclarationFileView.as_view(), name="declaration-file"),
    path("declarations/<int:pk>/", views.DeclarationDetailView.as_view(), name="declaration"),
    path("declarations/<int:pk>/correct/", views.DeclarationCorrectView.as_view(), name="declaration-correct"),
    path("declarations/<int:pk>/answer/", views.DeclarationAnswerView.as_view(), name="declaration-answer"),
]
