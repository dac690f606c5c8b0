"""/accounts/2fa/: a staff user sets up an authenticator app once, then enters its code after every login."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from registry.services import staff as staff_service

from .forms import TokenForm

# The session key holding the authenticator this session is setting up.
ENROLLING = "otp_enrolling_device"


@never_cache
@sensitive_post_parameters("token")
@login_required
def second_factor(request):
    user = request.user
    if not user.is_staff:
        raise PermissionDenied
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if user.is_verified():
        return redirect(next_url)

    device = staff_service.totp_device_confirmed(user=user)
    enrolling = device is None
    if enrolling:
        device = staff_service.totp_device_enrolling(user=user, device_id=request.session.get(ENROLLING))
        if request.session.get(ENROLLING) != device.pk:
            request.session[ENROLLING] = device.pk

    form = TokenForm(request.POST or None)
    wait = staff_service.second_factor_wait_seconds(device=device)
    if request.method == "POST" and form.is_valid():
        if wait:
            form.add_error(
                "token", _("Too many wrong codes. Wait %(seconds)s seconds and try again.") % {"seconds": wait}
            )
        elif staff_service.second_factor_verify(device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            # The fully privileged session gets a new id: a cookie seen before the code was entered is worthless.
            request.session.cycle_key()
            request.session.pop(ENROLLING, None)
            return redirect(next_url)
        else:
            form.add_error(
                "token", _("That code is not right. Check that your phone's clock is correct and try the newest code.")
            )
    context = {
        **admin.site.each_context(request),
        "title": _("Set up two-step login") if enrolling else _("Two-step login"),
        "form": form,
        "next": next_url,
        "enrolling": enrolling,
    }
    if enrolling:
        context["qr_svg"] = staff_service.totp_qr_svg(device=device)
        context["secret"] = staff_service.totp_secret_for_typing(device=device)
    return render(request, "staff/second_factor.html", context, status=200 if not form.errors else 400)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a login from a locked username + address (portal and admin alike)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
