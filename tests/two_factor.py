"""Test helpers for staff two-factor sign-in: the code an authenticator app would show."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from auroramart.accounts.models import User

PANEL_PASSWORD = "correct-horse-battery"


def current_code(device: TOTPDevice) -> str:
    """The app's code now; if this time step was already used (replay protection), the next
    step's, which the device still accepts within its tolerance of one step."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        totp.drift += device.last_t + 1 - totp.t()
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> TOTPDevice:
    """Give a staff member a confirmed authenticator app, as if they had set it up."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_for(email: str) -> str:
    device = TOTPDevice.objects.filter(user__email__iexact=email).order_by("-confirmed", "-id").first()
    return current_code(device)


def sign_in_staff(client, email: str, password: str = PANEL_PASSWORD):
    """Both steps of the panel's sign-in; sets up the app first when the role needs it."""
    response = client.post("/admin-panel/login/", {"username": email, "password": password})
    if response.status_code == 302 and response["Location"] == "/admin-panel/login/verify/":
        client.get("/admin-panel/login/verify/")  # creates the device being set up, if any
        response = client.post("/admin-panel/login/verify/", {"code": code_for(email)})
    return response
