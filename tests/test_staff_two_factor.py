"""Two-factor sign-in for staff: required for Superadmin and Admin, optional for the other
roles, with single-use recovery codes; the API's token endpoint asks for the code too."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from auroramart.staff.models import AuditLog, LoginAttempt
from auroramart.staff.services import create_staff, setup_roles

from .two_factor import current_code, enrol

pytestmark = pytest.mark.django_db
PASSWORD = "staff-password-123"


@pytest.fixture
def staff(settings):
    settings.STAFF_TWO_FACTOR_ROLES = ["Superadmin", "Admin"]
    setup_roles()
    return {
        role: create_staff(email=f"{role.lower()}@staff.test", password=PASSWORD, role=role)
        for role in ("Superadmin", "Admin", "Sales")
    }


def password_step(client, email):
    return client.post("/admin-panel/login/", {"username": email, "password": PASSWORD})


def test_an_admin_without_an_app_sets_it_up_before_the_first_session(client, staff):
    step = password_step(client, "admin@staff.test")
    assert step["Location"] == "/admin-panel/login/verify/"
    assert SESSION_KEY not in client.session  # the password alone signs nobody in
    assert client.get("/admin-panel/")["Location"].startswith("/admin-panel/login/")
    page = client.get("/admin-panel/login/verify/").content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn here: no network
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=staff["Admin"], confirmed=False)
    assert secret.replace(" ", "") in device.config_url
    assert client.post("/admin-panel/login/verify/", {"code": "000000"}).status_code == 400
    done = client.post("/admin-panel/login/verify/", {"code": current_code(device)})
    assert done["Location"] == "/admin-panel/two-factor/"
    codes_page = client.get("/admin-panel/two-factor/").content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page)
    assert len(codes) == 10
    assert 'data-testid="recovery-codes"' not in client.get("/admin-panel/two-factor/").content.decode()
    assert client.get("/admin-panel/").status_code == 200
    assert AuditLog.objects.filter(action="two_factor_enrol", object_id=str(staff["Admin"].pk)).exists()


def test_the_code_or_a_recovery_code_once_completes_the_sign_in(staff):
    device = enrol(staff["Superadmin"])
    from auroramart.staff.two_factor import new_recovery_codes

    recovery = new_recovery_codes(staff["Superadmin"])
    first = Client()
    password_step(first, "superadmin@staff.test")
    assert (
        first.post("/admin-panel/login/verify/", {"code": current_code(device)})["Location"]
        == "/admin-panel/"
    )
    assert first.get("/admin-panel/").status_code == 200
    lost_phone = Client()
    password_step(lost_phone, "superadmin@staff.test")
    assert lost_phone.post("/admin-panel/login/verify/", {"code": recovery[0]})["Location"] == "/admin-panel/"
    again = Client()
    password_step(again, "superadmin@staff.test")
    assert again.post("/admin-panel/login/verify/", {"code": recovery[0]}).status_code == 400  # used up
    assert SESSION_KEY not in again.session


def test_wrong_codes_are_throttled_like_passwords(client, staff, settings):
    enrol(staff["Admin"])
    password_step(client, "admin@staff.test")
    free = settings.SIGNIN_THROTTLE["account_address"][0]
    for _ in range(free):
        assert client.post("/admin-panel/login/verify/", {"code": "123456"}).status_code == 400
    assert client.post("/admin-panel/login/verify/", {"code": "123456"}).status_code == 429
    assert (
        LoginAttempt.objects.filter(email="admin@staff.test", success=False, throttled=False).count() == free
    )


def test_other_roles_sign_in_with_a_password_and_may_turn_it_on(client, staff):
    assert password_step(client, "sales@staff.test")["Location"] == "/admin-panel/"
    page = client.get("/admin-panel/two-factor/").content.decode()
    assert "is <strong>off</strong>" in page
    device = TOTPDevice.objects.get(user=staff["Sales"], confirmed=False)
    client.post("/admin-panel/two-factor/", {"action": "enrol", "code": current_code(device)})
    assert TOTPDevice.objects.get(user=staff["Sales"]).confirmed
    # From now on Sales signs in with a code too.
    other = Client()
    assert password_step(other, "sales@staff.test")["Location"] == "/admin-panel/login/verify/"


def test_the_api_asks_staff_for_the_code_too(client, staff):
    def token(**extra):
        return client.post(
            "/api/v1/auth/token",
            {"email": "admin@staff.test", "password": PASSWORD, **extra},
            content_type="application/json",
        )

    assert token().json()["code"] == "two_factor_setup_required"
    device = enrol(staff["Admin"])
    missing = token()
    assert missing.status_code == 401 and missing.json()["code"] == "two_factor_required"
    assert token(otp="000000").status_code == 401
    assert token(otp=current_code(device)).status_code == 201
