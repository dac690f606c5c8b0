"""The second-factor service works on plain values: a user, a device id, a code. The view keeps the session."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.services.staff import second_factor_verify, totp_device_enrolling


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step):06d}"


def test_a_new_set_up_gets_its_own_secret_and_the_same_id_brings_it_back(regulator):
    device = totp_device_enrolling(user=regulator, device_id=None)

    again = totp_device_enrolling(user=regulator, device_id=device.pk)

    assert again.pk == device.pk and again.key == device.key
    assert not again.confirmed


def test_another_users_set_up_is_never_handed_out(regulator, inspector):
    theirs = totp_device_enrolling(user=inspector, device_id=None)

    mine = totp_device_enrolling(user=regulator, device_id=theirs.pk)

    assert mine.pk != theirs.pk and mine.user == regulator


def test_the_first_good_code_confirms_the_set_up_and_drops_the_others(regulator):
    abandoned = totp_device_enrolling(user=regulator, device_id=None)
    device = totp_device_enrolling(user=regulator, device_id=None)
    typed = code(device)

    assert second_factor_verify(device=device, token=f"{typed[:3]} {typed[3:]}")

    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not TOTPDevice.objects.filter(pk=abandoned.pk).exists()


def test_a_wrong_code_confirms_nothing(regulator):
    device = totp_device_enrolling(user=regulator, device_id=None)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    assert not second_factor_verify(device=device, token=wrong)

    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
