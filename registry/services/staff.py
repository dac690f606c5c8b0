"""Staff second factor: enrolling an authenticator app (TOTP) and checking its codes."""

from base64 import b32encode

import segno
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    """The authenticator the staff user has set up, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def totp_device_enrolling(user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret until it is confirmed, so a reload keeps the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code for the authenticator app to scan."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def totp_secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32 groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def second_factor_verify(request, device: TOTPDevice, token: str) -> bool:
    """Check a code; the first good one confirms an enrolling device. The session is then verified."""
    if not device.verify_token(token.replace(" ", "")):
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other half-finished enrolment is now pointless.
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    return True


def second_factor_wait_seconds(device: TOTPDevice) -> int:
    """Seconds before another code may be tried after repeated wrong ones (0: go ahead)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return 0
    locked_until = data.get("locked_until")
    if locked_until is None:
        return 0
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
