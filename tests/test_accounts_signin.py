import asyncio
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from auroramart.staff.models import LoginAttempt

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


def test_sign_in_is_throttled_with_growing_delays_per_account_and_address(client, customer, settings):
    free = settings.SIGNIN_THROTTLE["account_address"][0]
    for _ in range(free):
        assert sign_in(client, "mei@example.test", "nope-nope-nope").status_code == 200
    throttled = sign_in(client, "mei@example.test")  # even the right password waits
    assert throttled.status_code == 429 and throttled["Retry-After"] == "30"
    assert "wait 30 seconds" in throttled.content.decode()
    assert SESSION_KEY not in client.session
    # The throttled try checked no password and does not count; every try is recorded.
    assert LoginAttempt.objects.filter(email="mei@example.test", throttled=True).count() == 1
    # Not a lever against the owner: the same account from another address signs in at once,
    # and another account from this address is not affected either.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), "mei@example.test").status_code == 302
    CustomerFactory(email="kai@example.test")
    assert sign_in(Client(), "kai@example.test").status_code == 302
    # After the delay another failure doubles it.
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(seconds=31))
    assert sign_in(client, "mei@example.test", "still-wrong-pass").status_code == 200
    assert sign_in(client, "mei@example.test")["Retry-After"] == "60"
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert sign_in(client, "mei@example.test").status_code == 302


def test_one_address_spraying_many_accounts_is_throttled(client, settings):
    free = settings.SIGNIN_THROTTLE["address"][0]
    for n in range(free):
        assert sign_in(client, f"guess{n}@example.test", "nope-nope-nope").status_code == 200
    assert sign_in(client, "guess-next@example.test", "nope-nope-nope").status_code == 429


def test_strangers_everywhere_cannot_lock_the_owner_out(customer, settings):
    """Fifty wrong passwords from fifty addresses: the owner waits a minute at most."""
    for n in range(50):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "mei@example.test", "nope-nope-nope")
    owner = Client(REMOTE_ADDR="192.0.2.44")
    waiting = sign_in(owner, "mei@example.test")
    assert (
        waiting.status_code == 429 and int(waiting["Retry-After"]) <= settings.SIGNIN_THROTTLE["account"][2]
    )
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert sign_in(owner, "mei@example.test").status_code == 302


@pytest.mark.parametrize("area", ["shop", "panel", "api"])
def test_forged_forwarded_for_does_not_reset_the_throttle(client, customer, settings, area):
    """Every sign-in reads the client address one way (core/client.py): X-Forwarded-For counts
    only behind a configured number of trusted proxies (none by default)."""
    StaffFactory(email="ops@auroramart.test")
    free = settings.SIGNIN_THROTTLE["account_address"][0]

    def attempt(n, password):
        forged = {"HTTP_X_FORWARDED_FOR": f"10.0.{n}.{n}"}
        if area == "api":
            return client.post(
                "/api/v1/auth/token",
                {"email": "mei@example.test", "password": password},
                content_type="application/json",
                **forged,
            )
        url = "/admin-panel/login/" if area == "panel" else "/login/"
        email = "ops@auroramart.test" if area == "panel" else "mei@example.test"
        return client.post(url, {"username": email, "password": password}, **forged)

    for n in range(free):
        assert attempt(n, "nope-nope-nope").status_code != 429
    assert attempt(99, "nope-nope-nope").status_code == 429
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_old_sign_in_attempts_are_purged_by_the_nightly_job(client, customer, settings):
    from django.core.management import call_command

    sign_in(client, "mei@example.test", "wrong-password-1")
    sign_in(client, "mei@example.test")
    old = timezone.now() - timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS + 1)
    LoginAttempt.objects.filter(success=False).update(created_at=old)
    call_command("run_job", "purge-login-attempts", stdout=io.StringIO())
    assert list(LoginAttempt.objects.values_list("success", flat=True)) == [True]


def test_trusted_proxy_count_reads_the_client_from_forwarded_for(client, customer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/login/",
        {"username": "mei@example.test", "password": "wrong-password-1"},
        HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7",
    )
    assert LoginAttempt.objects.get().ip == "203.0.113.7"


def test_password_reset_by_email(client, customer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # it goes through the outbox
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


@pytest.mark.parametrize(
    "seconds,words",
    [(1, "1 second"), (30, "30 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")],
)
def test_every_lockout_page_says_the_wait_in_words(seconds, words):
    """#24: a lockout said "locked for 0:15:00"; the shop's and the panel's lockout pages and the
    Retry-After both come from seconds, said in words by one function."""
    from auroramart.staff.signin import describe_wait

    assert describe_wait(seconds) == words


def test_a_session_names_the_shops_backend_and_one_from_before_it_stays_signed_in(customer, monkeypatch):
    """#23: a session's user is read by the shop's backend (one constant statement). Sessions
    made before it name Django's ModelBackend and stay signed in; a wrong password is checked
    once, not once per backend; an account made inactive is signed out either way."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY

    from auroramart.accounts.backends import ACCOUNT_BACKEND

    assert settings.AUTHENTICATION_BACKENDS[0] == ACCOUNT_BACKEND
    client = Client()
    assert sign_in(client, customer.email).status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == ACCOUNT_BACKEND
    assert client.get("/account/").status_code == 200

    old = Client()  # a session as a sign-in before this backend wrote it
    session = old.session
    session[SESSION_KEY], session[HASH_SESSION_KEY] = str(customer.pk), customer.get_session_auth_hash()
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    old.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    assert old.get("/account/").status_code == 200

    checks = []
    check = type(customer).check_password
    monkeypatch.setattr(
        type(customer), "check_password", lambda user, raw: checks.append(raw) or check(user, raw)
    )
    wrong = sign_in(Client(), customer.email, "not-the-password")
    assert wrong.status_code == 200 and checks == ["not-the-password"]  # once, not once per backend

    customer.is_active = False
    customer.save()
    for signed_in in (client, old):
        assert signed_in.get("/account/").status_code == 302  # to the sign-in page


def test_a_request_carries_the_user_itself_with_their_second_factor_state(client):
    """#23: the user is resolved once per request (accounts/middleware.py), not reached through
    Django's and django-otp's two lazy proxies on every attribute; what django-otp adds to it
    (is_verified, the device) is still there."""
    from django.contrib.auth.models import AnonymousUser

    from auroramart.accounts.models import User

    shopper = CustomerFactory()
    client.force_login(shopper)
    request = client.get("/account/").wsgi_request
    assert type(request.user) is User and request.user.pk == shopper.pk
    assert request.user.is_verified() is False and request.user.otp_device is None
    assert asyncio.run(request.auser()) is request.user  # what async code asks for
    guest = Client().get("/").wsgi_request
    assert type(guest.user) is AnonymousUser and not guest.user.is_verified()
