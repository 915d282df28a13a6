"""What an outside attack found (issue: money path and security hardening), each defect and
the class it belongs to. The races of the same items run with real threads on PostgreSQL
in test_concurrency.py; sign-in throttling and two-factor sign-in have their own files."""

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from auroramart.accounts.models import CustomerProfile
from auroramart.api.models import IdempotentRequest
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import ProductImage
from auroramart.core.csv_export import safe_cell
from auroramart.orders import placement, services
from auroramart.orders.models import Order
from auroramart.orders.services import CartAlreadyPlaced, CheckoutError
from auroramart.payments.builtin import TestGateway
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.staff.models import AuditLog
from auroramart.staff.services import create_staff, setup_roles

from .factories import AddressFactory, CustomerFactory, ProductFactory, variant
from .placing import ADDRESS, place

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"
CARD = "pm_card_visa"  # the test provider's Visa, as an app gets it from the provider's SDK


@pytest.fixture
def customer():
    user = CustomerFactory(email="mei@example.test")
    AddressFactory(user=user, is_default_shipping=True, is_default_billing=True)
    return user


@pytest.fixture
def lamp():
    return ProductFactory(name="Lamp", price=Decimal("40.00"), stock_quantity=10)


def fill(user, product, quantity=1):
    cart = DbCart(user)
    cart.set_item(variant(product).pk, quantity, product.price)
    return cart


def api_token(client, email="mei@example.test"):
    response = client.post(
        "/api/v1/auth/token", {"email": email, "password": PASSWORD}, content_type="application/json"
    )
    return response.json()["token"]


def checkout(client, token, key, body=None):
    return client.post(
        "/api/v1/checkout",
        body if body is not None else {"payment_method": CARD},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def payments_are_where_they_are_owed() -> bool:
    try:
        call_command("check_payments", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        return False
    return True


# --- 1. no charge is ever kept without a live order --------------------------------------------


def test_a_customer_cannot_cancel_while_the_card_is_being_charged(client, customer, lamp):
    fill(customer, lamp)
    order, _ = placement._reserve(customer, DbCart(customer), "in-flight", ADDRESS, "standard", None)
    token = api_token(client)
    refused = client.post(f"/api/v1/orders/{order.number}/cancel", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 409 and "still being processed" in refused.json()["message"]
    client.force_login(customer)
    page = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "still being processed" in page.content.decode()
    assert Order.objects.get(pk=order.pk).status == "pending_payment"


def test_a_charge_that_lands_after_staff_cancelled_the_order_is_refunded_at_once(customer, lamp):
    """The interleaving the attack found, forced: the order is cancelled between reserve and confirm."""
    fill(customer, lamp, 2)
    real_charge = TestGateway.charge

    def charge_while_staff_cancels(self, **kwargs):
        pending = Order.objects.get(number=kwargs["idempotency_key"])
        services.cancel_order(order=pending, reason="Cancelled by staff")
        return real_charge(self, **kwargs)

    with (
        mock.patch.object(TestGateway, "charge", charge_while_staff_cancels),
        pytest.raises(CheckoutError, match="refunded in full"),
    ):
        place(customer, "k1")
    order = Order.objects.get()
    payment = Payment.objects.get(order_number=order.number)
    charge = TestGatewayCharge.objects.get(idempotency_key=order.number)
    assert order.status == "cancelled" and lamp.__class__.objects.get(pk=lamp.pk).stock_quantity == 10
    assert payment.status == "refunded" and payment.refunded_amount == charge.amount == charge.refunded
    assert "Refunded at once" in payment.message
    assert payments_are_where_they_are_owed()


def test_resolve_pending_orders_finds_every_payment_that_is_not_final(customer, lamp):
    """A pending order released by the job while its charge was still going through: the job's
    next run finds the payment, sees the gateway has the charge, and refunds it."""
    fill(customer, lamp)
    order, _ = placement._reserve(customer, DbCart(customer), "crash", ADDRESS, "standard", None)
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=1))
    TestGatewayCharge.objects.create(
        reference="ch_late", idempotency_key=order.number, amount=order.total, brand="Visa", last4="4242"
    )
    placement._undo(order, Payment.Status.FAILED, "Abandoned")  # as a confused earlier run would
    assert not payments_are_where_they_are_owed()  # the check exits non-zero
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert services.resolve_pending_orders()["refunded"] == 1
    assert TestGatewayCharge.objects.get().refunded == order.total
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert payments_are_where_they_are_owed()
    assert services.resolve_pending_orders()["refunded"] == 0  # safe to run twice


def test_a_payment_left_pending_after_its_order_was_cancelled_is_settled(customer, lamp):
    fill(customer, lamp)
    order, _ = placement._reserve(customer, DbCart(customer), "crash", ADDRESS, "standard", None)
    TestGatewayCharge.objects.create(
        reference="ch_crash", idempotency_key=order.number, amount=order.total, brand="Visa", last4="4242"
    )
    Order.objects.filter(pk=order.pk).update(status="cancelled")  # as a crash mid-cancel would leave it
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert not payments_are_where_they_are_owed()
    assert services.resolve_pending_orders()["refunded"] == 1
    assert payments_are_where_they_are_owed()


def test_a_refund_that_failed_is_retried_by_the_job(customer, lamp):
    fill(customer, lamp)
    order = place(customer, "k1").order
    with mock.patch.object(TestGateway, "refund", return_value=False):
        services.cancel_order(order=order, actor=None, reason="Out of stock")
    assert not payments_are_where_they_are_owed()
    assert "retried automatically" in Payment.objects.get().message
    assert services.resolve_pending_orders()["refunds_retried"] == 1
    assert Order.objects.get().refunded_total == order.total
    assert payments_are_where_they_are_owed()


def test_staff_can_retry_a_failed_refund_from_the_order_page(client, customer, lamp):
    fill(customer, lamp)
    order = place(customer, "k1").order
    with mock.patch.object(TestGateway, "refund", return_value=False):
        services.cancel_order(order=order, actor=None, reason="Out of stock")
    setup_roles()
    client.force_login(create_staff(email="service@staff.test", password=PASSWORD, role="Service"))
    page = client.get(f"/admin-panel/orders/{order.number}/").content.decode()
    assert "Retry the refund now" in page and "retried automatically" in page
    with mock.patch.object(TestGateway, "refund", return_value=False):
        refused = client.post(f"/admin-panel/orders/{order.number}/refund/", follow=True)
    assert "did not go through" in refused.content.decode()
    done = client.post(f"/admin-panel/orders/{order.number}/refund/", follow=True)
    assert f"Refunded S${order.total}" in done.content.decode()
    assert Order.objects.get().refunded_total == order.total
    assert AuditLog.objects.filter(action="retry_refund", object_id=str(order.pk)).count() == 1
    assert "Retry the refund now" not in client.get(f"/admin-panel/orders/{order.number}/").content.decode()
    assert payments_are_where_they_are_owed()


def test_check_payments_fails_on_a_cancelled_order_that_kept_its_money(customer, lamp):
    fill(customer, lamp)
    order = place(customer, "k1").order
    Order.objects.filter(pk=order.pk).update(status="cancelled")  # as the old demo data had it
    with pytest.raises(CommandError, match="1 payment"):
        call_command("check_payments", stdout=io.StringIO(), stderr=io.StringIO())


# --- 2. one cart, one placement -----------------------------------------------------------------


def test_a_cart_is_consumed_by_its_first_placement(client, customer, lamp):
    fill(customer, lamp)
    first = place(customer, "tap-1").order
    with pytest.raises(CartAlreadyPlaced, match=first.number) as again:
        place(customer, "tap-2")  # a double tap that made a new key
    assert again.value.order_number == first.number
    token = api_token(client)
    answer = checkout(client, token, "api-key-1")
    assert answer.status_code == 409 and answer.json()["code"] == "cart_already_placed"
    assert answer.json()["fields"] == {"order": [first.number]}
    client.force_login(customer)
    form = client.get("/checkout/checkout/")
    assert form.status_code == 302  # an empty cart goes back to the cart page
    assert Order.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    # A new purchase after that is a new cart, not a consumed one.
    fill(customer, lamp)
    assert place(customer, "tap-3").order.number != first.number


def test_a_cart_being_placed_is_refused_to_a_second_key(customer, lamp):
    fill(customer, lamp)
    pending, _ = placement._reserve(customer, DbCart(customer), "first", ADDRESS, "standard", None)
    with pytest.raises(CartAlreadyPlaced, match="already being placed"):
        place(customer, "second")
    placement._undo(pending, Payment.Status.DECLINED, "Declined")  # the first one failed: cart free again
    assert place(customer, "third").order.status == "paid"


# --- 3. idempotency keys are kept whole ----------------------------------------------------------


def test_long_keys_that_differ_at_the_end_are_two_orders(client, customer, lamp):
    long_a, long_b = "k" * 250 + "AAAAA", "k" * 250 + "BBBBB"
    fill(customer, lamp)
    first = place(customer, long_a).order
    fill(customer, lamp)
    second = place(customer, long_b).order
    assert first.pk != second.pk
    assert place(customer, long_a).order.pk == first.pk  # and each still replays
    token = api_token(client)
    fill(customer, lamp)
    one = checkout(client, token, "x" * 250 + "11111")
    fill(customer, lamp)
    two = checkout(client, token, "x" * 250 + "22222")
    assert one.status_code == two.status_code == 201 and one.json()["number"] != two.json()["number"]
    too_long = checkout(client, token, "x" * 256)
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid"


# --- 4. Stripe's idempotency semantics ---------------------------------------------------------------


def test_a_twin_still_in_flight_gets_409_and_an_abandoned_one_is_taken_over(client, customer, lamp, settings):
    token = api_token(client)
    fill(customer, lamp)
    body = {"payment_method": CARD}
    from auroramart.api.idempotency import body_hash
    from auroramart.api.schemas import CheckoutIn

    IdempotentRequest.objects.create(
        user=customer, key="twin-key", request_hash=body_hash(CheckoutIn(**body).dict())
    )
    busy = checkout(client, token, "twin-key", body)
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_progress"
    assert Order.objects.count() == 0
    IdempotentRequest.objects.update(
        started_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS + 1)
    )
    taken = checkout(client, token, "twin-key", body)
    assert taken.status_code == 201
    replay = checkout(client, token, "twin-key", body)
    assert replay.json() == taken.json() and replay["Idempotent-Replayed"] == "true"


def test_a_request_refused_before_doing_anything_does_not_bind_its_key(client, customer, lamp):
    token = api_token(client)
    empty = checkout(client, token, "fix-and-retry")
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
    fill(customer, lamp)
    bad = checkout(client, token, "fix-and-retry", {"payment_method": CARD, "address_id": 987654})
    assert bad.status_code == 400
    assert checkout(client, token, "fix-and-retry").status_code == 201  # the corrected retry works


def test_keys_expire_after_24_hours(client, customer, lamp):
    token = api_token(client)
    fill(customer, lamp)
    assert checkout(client, token, "old-key-1").status_code == 201
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    fill(customer, lamp, 2)
    fresh = checkout(client, token, "old-key-1", {"payment_method": CARD, "shipping_method": "express"})
    assert fresh.status_code == 201 and Order.objects.count() == 2
    assert call_command("run_job", "purge-idempotency-keys", stdout=io.StringIO()) is None


# --- 5. CSV formula injection, in every CSV the shop writes -------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.test","Click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd", "-2+3", "\t=1"]


def panel_exports():
    """Every admin-panel URL named *export*: a new export is covered by default."""
    panel = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "admin_panel")
    return sorted(p.name for p in panel.url_patterns if "export" in p.name)


def test_every_export_is_listed_here():
    assert panel_exports() == [
        "analytics_export",
        "audit_export",
        "customers_export",
        "orders_export",
        "product_export",
    ]


@pytest.mark.parametrize("export", panel_exports())
@pytest.mark.parametrize("payload", FORMULAS)
def test_no_csv_cell_can_start_a_formula(client, export, payload):
    setup_roles()
    staff = create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin")
    CustomerFactory(email="x@example.test", first_name=payload, last_name=payload)
    ProductFactory(name=payload, sku="SKU-EVIL", stock_quantity=0, reorder_level=5)
    AuditLog.objects.create(actor=staff, actor_email=staff.email, action="edit", object_repr=payload)
    buyer = CustomerFactory(email="buyer@example.test")
    AddressFactory(user=buyer, full_name=payload, is_default_shipping=True)
    fill(buyer, ProductFactory(price=Decimal("10.00"), stock_quantity=5))
    order = place(buyer, "csv-order")
    Order.objects.filter(pk=order.order.pk).update(ship_name=payload)
    client.force_login(staff)
    url = {
        "analytics_export": "/admin-panel/analytics/export/low-stock.csv",
        "audit_export": "/admin-panel/audit/export/",
        "customers_export": "/admin-panel/customers/export/",
        "orders_export": "/admin-panel/orders/export/",
        "product_export": "/admin-panel/products/export/",
    }[export]
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [cell for row in csv.reader(io.StringIO(body.decode())) for cell in row]
    assert "'" + payload in cells  # the text is there, as text
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or re.match(r"^-\D", c)]


def test_numbers_stay_numbers_and_one_module_writes_csv():
    assert (
        safe_cell(-5) == -5 and safe_cell(Decimal("-1.50")) == Decimal("-1.50") and safe_cell("-2") == "'-2"
    )
    writers = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "auroramart").rglob("*.py")
        if "csv.writer(" in p.read_text() and p.name != "csv_export.py"
    ]
    assert writers == []


# --- 6. one way to read the client's address ------------------------------------------------------


def test_only_core_client_reads_the_client_address():
    readers = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "auroramart").rglob("*.py")
        if ("REMOTE_ADDR" in p.read_text() or "FORWARDED_FOR" in p.read_text()) and p.name != "client.py"
    ]
    assert readers == []


def test_a_forged_forwarded_for_reaches_neither_the_audit_log_nor_the_api_rate_limit(
    client, customer, settings
):
    setup_roles()
    staff = create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin")
    client.force_login(staff)
    client.get("/admin-panel/customers/export/", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert AuditLog.objects.get(action="export").ip == "127.0.0.1"
    codes = [
        client.post(
            "/api/v1/auth/token",
            {"email": f"nobody{n}@example.test", "password": "x"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
        ).status_code
        for n in range(12)
    ]
    assert codes[-1] == 429  # ten a minute per client address, whatever the header says


# --- 8. NUL and other invalid text are refused at the edge, for every input ------------------------


def every_url() -> list[str]:
    """One concrete URL for every route of the shop, the panel and the API."""
    sample = {
        "int": "1",
        "slug": "x",
        "str": "x",
        "path": "x",
        "uuid": "00000000-0000-0000-0000-000000000000",
    }
    urls = []

    def walk(patterns, prefix):
        for p in patterns:
            route = str(p.pattern)
            route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: sample.get(m.group(1) or "str", "x"), route)
            route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and "(?P" not in route:
                urls.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(urls))


def test_the_url_walk_covers_shop_panel_and_api():
    urls = every_url()
    assert len(urls) > 100
    assert {"/orders/x/", "/admin-panel/customers/export/", "/api/v1/me", "/login/"} <= set(urls)


@pytest.mark.parametrize("url", every_url())
def test_nul_in_any_query_string_or_form_is_a_400_never_a_500(url, customer):
    setup_roles()
    staff = create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin")
    for user in (customer, staff):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        got = client.get(url, {"q": "tea\x00", "page": "1"})
        assert got.status_code == 400, (url, got.status_code)
        posted = client.post(url, {"username": "a\x00@b.test", "code": "X\x00", "q": "\x00"})
        assert posted.status_code in (400, 403), (url, posted.status_code)  # 403: CSRF for some


@pytest.mark.parametrize(
    "method,url,kwargs",
    [
        ("get", "/orders/%00/", {}),
        ("get", "/search/suggest/?q=%00", {}),
        ("get", "/api/v1/search/suggest?q=%00", {}),
        ("post", "/login/", {"data": {"username": "mei\x00@example.test", "password": "x"}}),
        ("post", "/admin-panel/login/", {"data": {"username": "a\x00", "password": "x"}}),
        ("post", "/cart/coupon/", {"data": {"code": "SAVE\x00"}}),
        (
            "patch",
            "/api/v1/me",
            {"data": json.dumps({"first_name": "Mei\u0000"}), "content_type": "application/json"},
        ),
        (
            "post",
            "/api/v1/auth/token",
            {"data": json.dumps({"email": "a\u0000", "password": "x"}), "content_type": "application/json"},
        ),
        (
            "post",
            "/api/v1/me/addresses",
            {"data": json.dumps({"line1": "\ud800"}), "content_type": "application/json"},
        ),
        ("get", "/admin-panel/customers/export/?q=%00", {}),
        ("get", "/", {"HTTP_COOKIE": 'sessionid="abc\\000def"'}),
        ("get", "/api/v1/products", {"HTTP_IDEMPOTENCY_KEY": "k\x00"}),
    ],
)
def test_the_inputs_the_attack_used_are_refused_with_a_message(method, url, kwargs, customer):
    setup_roles()
    client = Client(raise_request_exception=False)
    client.force_login(create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin"))
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 400
    text = response.content.decode()
    if url.startswith("/api/"):
        assert (
            response["Content-Type"] == "application/problem+json"
            and response.json()["code"] == "invalid_text"
        )
    else:
        assert "cannot be accepted" in text


# --- 9. one upload policy for every picture ----------------------------------------------------------


def png(size, mode="1"):
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


UPLOADS = {
    "avatar": ("/profile/picture/", "avatar"),
    "product picture": ("/admin-panel/products/{pk}/images/", "image"),
}


@pytest.mark.parametrize("endpoint", sorted(UPLOADS))
@pytest.mark.parametrize(
    "kind,message",
    [
        ("13,000 × 13,000 pixels in 30 KB", "which is too large"),
        ("svg", "not a picture we can read"),
        ("over 5 MB", "the limit is 5 MB"),
    ],
)
def test_every_picture_upload_follows_one_policy(client, customer, lamp, endpoint, kind, message):
    url, field = UPLOADS[endpoint]
    if endpoint == "avatar":
        client.force_login(customer)
    else:
        setup_roles()
        client.force_login(create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin"))
    data = {
        "13,000 × 13,000 pixels in 30 KB": lambda: png((13_000, 13_000)),
        "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "over 5 MB": lambda: b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 1),
    }[kind]()
    response = client.post(url.format(pk=lamp.pk), {field: SimpleUploadedFile("p.png", data)}, follow=True)
    assert message in response.content.decode()
    assert not CustomerProfile.objects.get(user=customer).avatar
    assert not ProductImage.objects.exists()


# --- 10. everything under /api/v1/ answers JSON; every integer is bounded ---------------------------


def test_api_errors_are_json_whoever_makes_them(client, customer):
    token = api_token(client)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    unknown = client.get("/api/v1/no/such/thing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    wrong_method = client.put("/api/v1/categories")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"
    array = client.patch("/api/v1/me", "[1, 2]", content_type="application/json", **auth)
    assert array.status_code == 400 and array.json()["code"] == "invalid_body"
    garbage = client.patch("/api/v1/me", "{nope", content_type="application/json", **auth)
    assert garbage.status_code == 400 and garbage.json()["code"] == "invalid_json"
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        outage = client.get("/api/v1/me", **auth)
    assert outage.status_code == 503 and outage.json()["code"] == "unavailable" and outage["Retry-After"]
    for _ in range(12):
        throttled = client.post(
            "/api/v1/auth/token",
            {"email": "mei@example.test", "password": "wrong"},
            content_type="application/json",
        )
    assert throttled.status_code == 429 and throttled.json()["code"] == "rate_limited"
    assert throttled["Retry-After"]


def is_problem(response, status: int, code: str, path: str) -> bool:
    """An RFC 9457 problem document with the shop's members, for this request."""
    body = response.json()
    assert response.status_code == status, (response.status_code, body)
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    assert body["type"] == f"/api/v1/problems/{code}" and body["code"] == code, body
    assert body["status"] == status and body["title"] and body["instance"] == path
    assert body["detail"] and body["message"] == body["detail"] and isinstance(body["fields"], dict)
    return True


def test_every_kind_of_api_error_is_a_problem_document(client, customer, lamp):
    """One request per way the API can fail, each as an attacker or a careless client sends it."""
    from django.test import Client

    from auroramart.staff.services import setup_roles

    token = api_token(client)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    json = "application/json"
    assert is_problem(client.get("/api/v1/products/nope"), 404, "not_found", "/api/v1/products/nope")
    assert is_problem(client.get("/api/v1/no/such/thing"), 404, "not_found", "/api/v1/no/such/thing")
    assert is_problem(client.put("/api/v1/categories"), 405, "method_not_allowed", "/api/v1/categories")
    invalid = client.get("/api/v1/products?page_size=1000")
    assert is_problem(invalid, 400, "invalid", "/api/v1/products") and invalid.json()["fields"]["page_size"]
    garbage = client.patch("/api/v1/me", "{nope", content_type=json, **auth)
    assert is_problem(garbage, 400, "invalid_json", "/api/v1/me")
    assert is_problem(client.get("/api/v1/me"), 401, "unauthenticated", "/api/v1/me")
    assert is_problem(
        client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer forged"), 401, "invalid_token", "/api/v1/me"
    )
    setup_roles()
    assert is_problem(
        client.get("/api/v1/staff/products", **auth), 403, "forbidden", "/api/v1/staff/products"
    )
    fill(customer, lamp)
    declined = checkout(client, token, "declined-1", {"payment_method": "pm_card_chargeDeclined"})
    assert is_problem(declined, 402, "payment_failed", "/api/v1/checkout")
    fill(customer, lamp)
    assert checkout(client, token, "same-key").status_code == 201
    fill(customer, lamp)
    conflict = checkout(client, token, "same-key", {"payment_method": "pm_card_mastercard"})
    assert conflict.status_code in (409, 422) and is_problem(
        conflict, conflict.status_code, conflict.json()["code"], "/api/v1/checkout"
    )
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        assert is_problem(client.get("/api/v1/me", **auth), 503, "unavailable", "/api/v1/me")
    with mock.patch("auroramart.api.catalog.selectors.category_menu", side_effect=RuntimeError("bug")):
        broken = Client(raise_request_exception=False).get("/api/v1/categories")
    assert (
        is_problem(broken, 500, "server_error", "/api/v1/categories") and "bug" not in broken.content.decode()
    )
    for _ in range(12):
        throttled = client.post(
            "/api/v1/auth/token", {"email": "mei@example.test", "password": "wrong"}, content_type=json
        )
    assert is_problem(throttled, 429, "rate_limited", "/api/v1/auth/token") and throttled["Retry-After"]


def test_the_schema_declares_every_error_as_a_problem_document():
    from auroramart.api.api import api

    schema = api.get_openapi_schema()
    problem = schema["components"]["schemas"]["ErrorOut"]
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(problem["properties"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)


def openapi_operations():
    from auroramart.api.api import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation, schema


def integer_paths():
    out = []
    for path, method, operation, _ in openapi_operations():
        ints = [
            p["name"]
            for p in operation.get("parameters", [])
            if p["in"] == "path" and p["schema"].get("type") == "integer"
        ]
        if ints:
            out.append((method, path, ints))
    return out


def integer_body_fields():
    out = []
    for path, method, operation, schema in openapi_operations():
        ref = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref")
        )
        if not ref:
            continue
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        for name, prop in component.get("properties", {}).items():
            types = [prop.get("type")] + [a.get("type") for a in prop.get("anyOf", [])]
            if "integer" in types:
                out.append((method, path, name))
    return out


def test_the_schema_walk_finds_the_integers():
    assert ("delete", "/api/v1/me/wishlist/{product_id}", ["product_id"]) in integer_paths()
    assert ("post", "/api/v1/cart/items", "product_id") in integer_body_fields()


@pytest.mark.parametrize("method,path,names", integer_paths())
def test_every_integer_in_a_path_is_bounded(client, customer, method, path, names):
    setup_roles()
    staff = create_staff(email="boss@staff.test", password=PASSWORD, role="Superadmin")
    for user in (customer, staff):
        token = api_token(client, user.email) if user is customer else staff_token(client, staff)
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(2**64))
        url = re.sub(r"\{\w+\}", "x", url)
        body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
        response = getattr(client, method)(url, **body, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code in (400, 403), (method, url, response.status_code)
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("method,path,field", integer_body_fields())
def test_every_integer_in_a_body_is_bounded(client, customer, method, path, field):
    token = api_token(client)
    url = re.sub(r"\{\w+\}", "1", path)
    response = getattr(client, method)(
        url,
        {field: 2**64},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="bounded-1",
    )
    assert response.status_code in (400, 403, 404), (method, url, field, response.status_code)
    assert response["Content-Type"] == "application/problem+json"


def staff_token(client, staff):
    from .two_factor import code_for, enrol

    enrol(staff)
    response = client.post(
        "/api/v1/auth/token",
        {"email": staff.email, "password": PASSWORD, "otp": code_for(staff.email)},
        content_type="application/json",
    )
    return response.json()["token"]


# --- 11. liveness and readiness say what the README says ---------------------------------------------


def test_the_readme_describes_healthz_as_liveness_only():
    readme = (ROOT / "README.md").read_text()
    mentions = [line for line in readme.splitlines() if "/healthz" in line]
    assert mentions
    for line in mentions:
        assert "503" not in line and "degraded" not in line, line
    assert re.search(r"/readyz`.{0,40}readiness", readme, re.S)
