"""Every request of a signed-in staff user passes here.

Expired sessions end; unverified ones go to the second factor.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Session keys: when the staff user logged in, and when their session was last refreshed.
LOGIN_AT = "staff_login_at"
SEEN_AT = "staff_seen_at"
# The idle clock is written back at most this often, not on every request.
REFRESH_SECONDS = 60


def staff_session_start(request) -> None:
    """Called at login: the staff session's cookie and server copy expire after the idle time."""
    now = int(time.time())
    request.session[LOGIN_AT] = request.session[SEEN_AT] = now
    request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)


def _expired(session, now: int) -> bool:
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return True
    return now - seen_at > settings.STAFF_SESSION_IDLE_SECONDS or now - login_at > settings.STAFF_SESSION_MAX_SECONDS


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (user.is_staff or user.is_superuser):
            now = int(time.time())
            if _expired(request.session, now):
                logout(request)
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if now - request.session[SEEN_AT] >= REFRESH_SECONDS:
                request.session[SEEN_AT] = now
                request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
            if not user.is_verified() and not _open_without_second_factor(request.path_info):
                return redirect(f"{reverse('staff:second_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _open_without_second_factor(path: str) -> bool:
    """The second-factor page itself, logging out, switching language and static files."""
    allowed = (
        reverse("staff:second_factor"),
        reverse("accounts:logout"),
        reverse("admin:logout"),
        reverse("set_language"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )
    return path.startswith(allowed)
