"""Two-step sign-in: a staff user sets up an authenticator app and confirms it with a code."""

import base64

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.log import record_action


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """Return the user's authenticator waiting for its first code, creating it if needed."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    return device


def confirm_device(user, device: TOTPDevice, *, token: str) -> bool:
    """Confirm the user's authenticator with a first code; record it. Return whether it held."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_action(user, action="enrol_second_factor", target=device)
    return True


def secret_text(device: TOTPDevice) -> str:
    """Return the device's key as an authenticator app asks for it when typed: base32, in fours."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
