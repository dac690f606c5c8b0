"""Staff second factor: enrolling an authenticator app (TOTP) and checking its codes.

Plain values in and out: the view keeps the session (which device this session
is enrolling, and the verified login), these functions keep the devices.
"""

import datetime as dt
from base64 import b32encode

import segno
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    """The authenticator the staff user has set up, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


# A set-up left unfinished this long is deleted: its secret was shown, and should not stay usable.
ENROLMENT_SECONDS = 15 * 60


def totp_device_enrolling(*, user: User, device_id: int | None) -> TOTPDevice:
    """The authenticator a session is setting up: `device_id`'s, or a new one; the caller remembers its id.

    Each session keeps its own secret across reloads for a while: another
    session (someone else with the password) gets another secret, and an
    abandoned set-up expires, so a secret once shown cannot be confirmed later.
    """
    TOTPDevice.objects.filter(
        user=user, confirmed=False, created_at__lt=timezone.now() - dt.timedelta(seconds=ENROLMENT_SECONDS)
    ).delete()
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first() if device_id else None
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code for the authenticator app to scan."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def totp_secret_for_typing(*, device: TOTPDevice) -> str:
    """The secret in base32 groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def second_factor_verify(*, device: TOTPDevice, token: str) -> bool:
    """Check a code; the first good one confirms an enrolling device. The caller then verifies the session."""
    if not device.verify_token(token.replace(" ", "")):
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other half-finished enrolment is now pointless.
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def second_factor_wait_seconds(*, device: TOTPDevice) -> int:
    """Seconds before another code may be tried after repeated wrong ones (0: go ahead)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return 0
    locked_until = data.get("locked_until")
    if locked_until is None:
        return 0
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
