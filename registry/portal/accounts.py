"""/accounts/: login, logout, password reset and change, firm sign-up, and accepting an invitation."""

from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from . import views
from .forms import InvitationAwarePasswordResetForm

app_name = "accounts"

set_password = auth.PasswordResetConfirmView.as_view(
    template_name="portal/set_password.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
    extra_context={"title": _("Set your password")},
)

urlpatterns = [
    path("login/", auth.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth.LogoutView.as_view(next_page=reverse_lazy("accounts:login")), name="logout"),
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path(
        "password/change/",
        auth.PasswordChangeView.as_view(
            template_name="portal/form.html",
            success_url=reverse_lazy("portal:dashboard"),
            extra_context={"title": _("Change your password")},
        ),
        name="password_change",
    ),
    path(
        "password/reset/",
        auth.PasswordResetView.as_view(
            template_name="portal/form.html",
            form_class=InvitationAwarePasswordResetForm,
            email_template_name="portal/email/password_reset.txt",
            subject_template_name="portal/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
            extra_context={"title": _("Reset your password")},
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth.PasswordResetDoneView.as_view(
            template_name="portal/message.html", extra_context={"title": _("Check your email")}
        ),
        name="password_reset_done",
    ),
    # A reset link and an invitation both end on the same "set your password" page.
    path("reset/<uidb64>/<token>/", set_password, name="password_reset_confirm"),
    path("invite/<uidb64>/<token>/", set_password, name="invite"),
    path(
        "reset/done/",
        auth.PasswordResetCompleteView.as_view(
            template_name="portal/message.html", extra_context={"title": _("Your password is set")}
        ),
        name="password_reset_complete",
    ),
]
