import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from .factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def customer():
    return CustomerFactory(email="mei@example.test")


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password, **extra})


def test_sign_in_rotates_the_session_key_and_sign_out_ends_it(client, customer):
    client.get("/login/")
    client.session.save()
    client.cookies["sessionid"] = client.session.session_key
    before = client.cookies["sessionid"].value
    response = sign_in(client, "MEI@example.test")  # the email is not case-sensitive
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert int(client.session[SESSION_KEY]) == customer.pk
    assert not Session.objects.filter(session_key=before).exists()

    assert client.get("/logout/").status_code == 405  # sign-out is POST only
    client.post("/logout/")
    assert not Session.objects.filter(session_key=after).exists()
    assert client.get("/profile/").status_code == 302


def test_wrong_password_is_a_clear_message(client, customer):
    response = sign_in(client, "mei@example.test", "wrong-password")
    assert response.status_code == 200
    assert "email address or password is not right" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_staff_cannot_sign_in_as_a_customer(client):
    StaffFactory(email="ops@auroramart.test")
    response = sign_in(client, "ops@auroramart.test")
    assert "This is a staff account" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_lockout_after_repeated_failures_and_release_after_cool_off(client, customer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "mei@example.test", "nope-nope-nope").status_code == 200
    locked = sign_in(client, "mei@example.test", "nope-nope-nope")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # Even the right password is refused while locked.
    assert sign_in(client, "mei@example.test").status_code == 429
    assert SESSION_KEY not in client.session
    # Another account is not affected.
    CustomerFactory(email="kai@example.test")
    assert sign_in(Client(), "kai@example.test").status_code == 302
    # The attempts are recorded for the admin panel.
    assert AccessAttempt.objects.filter(username="mei@example.test").exists()
    assert AccessFailureLog.objects.filter(username="mei@example.test").count() >= settings.AXES_FAILURE_LIMIT
    # After the cool-off the account works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert sign_in(client, "mei@example.test").status_code == 302
    assert AccessLog.objects.filter(username="mei@example.test").exists()


def test_password_reset_by_email(client, customer, mailoutbox):
    response = client.post("/password-reset/", {"email": "mei@example.test"}, follow=True)
    assert "an email with a link" in response.content.decode()
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new = "mangrove-sunrise-ferry-77"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert "Your password is changed" in done.content.decode()
    customer.refresh_from_db()
    assert customer.check_password(new)
    # the link works once
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_password_reset_for_unknown_address_reveals_nothing(client, mailoutbox):
    response = client.post("/password-reset/", {"email": "nobody@example.test"}, follow=True)
    assert "If an account exists" in response.content.decode()
    assert mailoutbox == []


def test_password_change(client, customer):
    client.force_login(customer)
    new = "tanjong-pagar-evening-9"
    bad = client.post(
        "/profile/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new}
    )
    assert "Your old password was entered incorrectly" in bad.content.decode()
    response = client.post(
        "/profile/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Your password is changed" in response.content.decode()
    customer.refresh_from_db()
    assert customer.check_password(new)
    assert client.get("/profile/").status_code == 200  # still signed in after the change


FORMS = [
    ("/register/", {}),
    ("/login/", {"username": "mei@example.test", "password": PASSWORD}),
    ("/logout/", {}),
    ("/password-reset/", {"email": "mei@example.test"}),
    ("/contact/", {"name": "a", "email": "a@example.test", "subject": "s", "message": "m"}),
    ("/profile/", {}),
    ("/profile/picture/", {}),
    ("/profile/password/", {}),
    ("/profile/addresses/new/", {}),
    ("/profile/delete/", {}),
    ("/notifications/read/", {}),
    ("/checkout/cart/add/", {"product_id": "1", "quantity": "1"}),
    ("/checkout/cart/update/1/", {"quantity": "2"}),
    ("/checkout/cart/remove/1/", {}),
    ("/checkout/cart/coupon/", {"code": "X"}),
    ("/checkout/cart/coupon/remove/", {"code": "X"}),
    ("/checkout/cart/loyalty/points/", {"points": "100"}),
    ("/checkout/cart/loyalty/reward/1/", {}),
    ("/checkout/cart/loyalty/remove/", {}),
    ("/checkout/checkout/", {}),
    ("/wishlist/add/1/", {}),
    ("/wishlist/remove/1/", {}),
    ("/wishlist/move/1/", {}),
    ("/search/history/clear/", {}),
    ("REVIEW", {"rating": "5", "title": "t", "body": "b"}),
    ("/admin-panel/login/", {"username": "ops@auroramart.test", "password": PASSWORD}),
]


@pytest.mark.parametrize("url,data", FORMS)
def test_csrf_is_enforced_on_every_form(customer, url, data):
    from .factories import ProductFactory

    client = Client(enforce_csrf_checks=True)
    if url == "REVIEW":
        url = f"{ProductFactory().get_absolute_url()}review/"
    if url not in ("/register/", "/login/", "/password-reset/", "/contact/", "/admin-panel/login/"):
        client.force_login(customer)
    response = client.post(url, data)
    assert response.status_code == 403, url
