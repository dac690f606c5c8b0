from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import staff_session_start


@receiver(user_logged_in, dispatch_uid="staff_session_start")
def start_staff_session(sender, request, user, **kwargs):
    if (user.is_staff or user.is_superuser) and request is not None and hasattr(request, "session"):
        staff_session_start(request)
