"""Two-factor sign-in for staff: a TOTP authenticator app (RFC 6238), with single-use
recovery codes, through django-otp. Required for the roles in STAFF_TWO_FACTOR_ROLES
(Superadmin and Admin outside the demo), optional for the others.

Sign-in is two steps: the password (throttled by signin.py), then a code from the app or a
recovery code. A staff member of a role that needs it and has no app yet sets one up in
the second step, before the first session starts, and is shown ten recovery codes once.
"""

import segno
from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from auroramart.core.client import Actor

from .services import record_audit

APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
RECOVERY_CODES = 10


def required_for(user) -> bool:
    return bool(
        user.is_staff
        and settings.STAFF_TWO_FACTOR_ROLES
        and user.groups.filter(name__in=settings.STAFF_TWO_FACTOR_ROLES).exists()
    )


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def enabled_for(user) -> bool:
    return app_device(user) is not None


def needs_second_step(user) -> bool:
    return enabled_for(user) or required_for(user)


def enrolment_device(user) -> TOTPDevice:
    """The not yet confirmed app device being set up (one per staff member at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
    return device


def qr_code(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG data URI (no network, allowed by the CSP's img-src data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_for_typing(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _code(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isalnum()).lower()[:16]


@transaction.atomic
def confirm_enrolment(user, code: str, *, actor: Actor | None = None) -> list[str] | None:
    """Confirm the app with a code it shows; returns fresh recovery codes, or None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(_code(code)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one app at a time
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_audit(actor, "two_factor_enrol", user, changes={"two_factor": [False, True]})
    return new_recovery_codes(user)


def verify(user, code: str):
    """The device that accepts the code (the app, or a recovery code, used once), or None."""
    code = _code(code)
    if not code:
        return None
    app = app_device(user)
    if app is not None and code.isdigit() and app.verify_token(code):
        return app
    for device in StaticDevice.objects.devices_for_user(user, confirmed=True):
        if device.verify_token(code):  # removes the used recovery code
            return device
    return None


@transaction.atomic
def new_recovery_codes(user, *, actor: Actor | None = None) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    record_audit(actor, "two_factor_recovery_codes", user)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def disable(user, *, actor: Actor | None = None) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record_audit(actor, "two_factor_disable", user, changes={"two_factor": [True, False]})
