"""One home per rule: a test changes the setting, and every page, the API and placement agree."""

from decimal import Decimal

import pytest

from auroramart.cart.storage import DbCart
from auroramart.loyalty.services import adjust, open_account
from auroramart.shipping.models import ShippingMethod
from auroramart.tax.models import TaxRate

from .factories import AddressFactory, CustomerFactory, ProductFactory, variant
from .placing import place

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def shopper(client):
    user = CustomerFactory(email="rule@example.test")
    AddressFactory(user=user, is_default_shipping=True)
    open_account(user)
    adjust(user=user, points=900, actor=None, reason="test")  # 1,000 with the welcome bonus
    product = ProductFactory(name="Teapot", price=Decimal("40.00"), stock_quantity=10)
    DbCart(user).set_item(variant(product).pk, 1, product.price)
    client.force_login(user)
    token = client.post(
        "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    return user, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("per_dollar", [100, 50])
def test_points_per_dollar_is_read_by_every_page_the_api_and_placement(client, shopper, settings, per_dollar):
    settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR = per_dollar
    user, auth = shopper
    worth = Decimal(1000 // per_dollar)
    assert client.get("/api/v1/loyalty", **auth).json()["points_value"] == f"{worth}"
    assert f"{per_dollar} points are worth S$1" in client.get("/faq/").content.decode()
    client.post("/checkout/cart/loyalty/points/", {"points": 500}, HTTP_HX_REQUEST="true")
    off = Decimal(500 // per_dollar)
    cart = client.get("/checkout/cart/").content.decode()
    assert f"{per_dollar} points = S$1" in cart and f"500 loyalty points</dt><dd>−S${off:.2f}" in cart
    assert client.get("/api/v1/cart", **auth).json()["points_discount"] == f"{off:.2f}"
    order = place(user, "rule-1").order
    assert order.points_redeemed == 500 and order.points_discount == off


@pytest.mark.parametrize("rate,shown", [("0.09", "9"), ("0.08", "8")])
def test_the_gst_rate_is_read_by_the_cart_the_invoice_and_placement(client, shopper, rate, shown):
    """The home of a tax rate is its zone's row (tax/models.py), edited in the panel."""
    standard = TaxRate.objects.get(zone__name="Singapore", tax_class__code="standard")
    standard.rate = Decimal(rate)
    standard.save()
    user, auth = shopper
    assert f"Includes GST ({shown}%)" in client.get("/checkout/cart/").content.decode()
    order = place(user, "rule-1").order
    r = Decimal(rate)
    per_line = [
        (amount * r / (1 + r)).quantize(Decimal("0.01")) for amount in (Decimal("40.00"), Decimal("5.99"))
    ]
    assert order.gst_included == sum(per_line) == order.items.get().tax_amount + order.shipping_tax
    assert client.get("/api/v1/cart", **auth).json()["gst_included"] == "0.00"  # placed: the cart is empty
    assert f"GST ({shown}%)" in client.get(f"/orders/{order.number}/invoice/").content.decode()


def test_every_email_goes_through_the_outbox():
    """Only the outbox's sender talks to the mail backend: every other email is queued in its
    caller's transaction (core/outbox.py), so it survives a broker outage and goes once."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "auroramart"
    # A call, not a definition: the password-reset form overrides send_mail to queue instead.
    call = re.compile(r"(?<!def )\b(send_mail|EmailMessage|EmailMultiAlternatives)\(")
    senders = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if call.search(p.read_text()))
    assert senders == ["core/tasks.py"]


@pytest.mark.parametrize("threshold,fee", [("30.00", "0"), ("75.00", "5.99")])
def test_the_free_shipping_threshold_is_read_by_every_page_the_api_and_placement(
    client, shopper, settings, threshold, fee
):
    standard = ShippingMethod.objects.get(zone__name="Singapore", code="standard")
    standard.free_above = Decimal(threshold)
    standard.save()  # its one home: the zone's method, edited in the panel
    user, auth = shopper  # a S$40 teapot in the cart
    shown = f"over S${threshold}"
    for page in ("/shipping-returns/", "/checkout/checkout/"):
        assert shown in client.get(page).content.decode(), page
    cart = client.get("/checkout/cart/").content.decode()
    assert ("<dd>Free</dd>" in cart) == (fee == "0")
    assert Decimal(client.get("/api/v1/cart", **auth).json()["shipping_fee"]) == Decimal(fee)
    assert place(user, "rule-ship").order.shipping_fee == Decimal(fee)


@pytest.mark.parametrize("days", [30, 14])
def test_the_return_window_is_read_by_the_pages_and_the_workflow(client, settings, days):
    settings.RETURN_WINDOW_DAYS = days
    for page in ("/faq/", "/shipping-returns/"):
        assert f"within {days} days of delivery" in client.get(page).content.decode(), page
