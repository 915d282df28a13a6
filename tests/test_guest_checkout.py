"""Buying without an account: the guest's checkout, the signed link and the order-status page,
an account made afterwards (orders attached, points granted once), and per-email coupon limits."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone

from auroramart.core.models import OutboxEmail
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.loyalty import services as loyalty
from auroramart.loyalty.models import LoyaltyAccount, LoyaltyTransaction
from auroramart.orders import guests
from auroramart.orders.models import Order
from auroramart.orders.services import CheckoutError
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.promotions.models import Coupon, CouponRedemption

from .factories import CustomerFactory, ProductFactory, variant
from .placing import guest_cart, place, place_as_guest

pytestmark = pytest.mark.django_db
D = Decimal
CHECKOUT = {
    "email": "Lee@Example.test",
    "address": "new",
    "full_name": "Lee Guest",
    "phone": "+65 9123 4567",
    "line1": "9 Bukit Timah Road",
    "postal_code": "229899",
    "shipping_method": "standard",
    "card": "new",
    "payment_method": "pm_card_visa",
}


@pytest.fixture
def lamp():
    return ProductFactory(name="Lamp", price=D("45.50"), stock_quantity=10)


def checkout_as_guest(client, lamp, key="guest-key-1", **changes):
    client.post("/checkout/cart/add/", {"product_id": lamp.pk, "quantity": 2})
    page = client.get("/checkout/checkout/").content.decode()
    assert 'name="email"' in page and "Checking out as a guest" in page
    return client.post("/checkout/checkout/", {**CHECKOUT, "idempotency_key": key, **changes})


def test_a_guest_buys_then_makes_an_account_and_earns_the_points_once(client, lamp):
    response = checkout_as_guest(client, lamp)
    order = Order.objects.get()
    assert (order.user, order.email, order.status) == (None, "lee@example.test", "paid")
    assert response.status_code == 302 and response["Location"].startswith("/orders/guest/")
    assert variant(lamp).stock_quantity == 8 and ledger_mismatches() == []
    payment = Payment.objects.get(order=order)
    assert payment.status == "succeeded" and TestGatewayCharge.objects.get().amount == order.total
    email = OutboxEmail.objects.get(to="lee@example.test")
    assert order.number in email.body
    emailed_link = re.search(r"/orders/guest/[^\s]+/", email.body).group(0)
    assert not LoyaltyTransaction.objects.exists()  # no account, no points yet

    page = client.get(response["Location"])
    assert page.status_code == 200 and order.number in page.content.decode()
    assert "Create my account" in page.content.decode()
    weak = client.post(response["Location"], {"password": "short"})
    assert weak.status_code == 400 and not Order.objects.get().user_id
    client.post(response["Location"], {"password": "a-long-new-password-9"})
    order.refresh_from_db()
    user = order.user
    assert (
        user is not None and user.email == "lee@example.test" and user.check_password("a-long-new-password-9")
    )
    assert Payment.objects.get(order=order).user == user
    earned = LoyaltyTransaction.objects.filter(order=order, kind="earn")
    assert earned.count() == 1 and earned.get().points == 91  # 2 × 45.50
    assert LoyaltyAccount.objects.get(user=user).balance == 100 + 91  # the sign-up bonus too
    # Signed in now, the order is in their account; the guest link sends there.
    assert client.get(f"/orders/{order.number}/").status_code == 200
    assert client.get(emailed_link)["Location"] == f"/orders/{order.number}/"
    # Granting again (a second claim, a retried event) changes nothing.
    loyalty.earn_for_claimed_orders(user=user, orders=[order])
    assert earned.count() == 1


def test_earlier_guest_orders_join_the_account_once_the_email_is_shown_to_be_theirs(client, lamp):
    item = variant(lamp)
    old = place_as_guest(guest_cart((item, 1)), "old", "lee@example.test").order
    Order.objects.filter(pk=old.pk).update(placed_at=timezone.now() - timedelta(days=40))
    recent = place_as_guest(guest_cart((item, 1)), "recent", "LEE@example.test").order
    other = place_as_guest(guest_cart((item, 1)), "other", "someone@example.test").order
    latest = place_as_guest(guest_cart((item, 1)), "latest", "lee@example.test").order

    # The page checkout led to does not prove the email: only that order joins.
    client.post(guests.guest_link(latest, emailed=False), {"password": "a-long-new-password-9"})
    user = Order.objects.get(pk=latest.pk).user
    assert user is not None
    assert list(Order.objects.filter(user=user).values_list("pk", flat=True)) == [latest.pk]
    verify = OutboxEmail.objects.filter(to="lee@example.test", subject__startswith="Confirm your email").get()
    claim = re.search(r"/orders/claim/[^\s]+/", verify.body).group(0)

    client.logout()
    assert client.get(claim)["Location"].startswith("/login/")
    assert set(Order.objects.filter(user=user).values_list("pk", flat=True)) == {old.pk, recent.pk, latest.pk}
    assert Order.objects.get(pk=other.pk).user is None
    # Points for the orders of the last 30 days, not for the 40-day-old one.
    assert set(LoyaltyTransaction.objects.filter(kind="earn").values_list("order_id", flat=True)) == {
        recent.pk,
        latest.pk,
    }
    client.get(claim)  # opened twice: nothing more
    assert LoyaltyTransaction.objects.filter(kind="earn").count() == 2
    assert client.get(claim[:-3] + "xx/").status_code == 404


def test_the_emailed_link_proves_the_email_and_brings_every_guest_order(client, lamp):
    item = variant(lamp)
    first = place_as_guest(guest_cart((item, 1)), "a", "lee@example.test").order
    second = place_as_guest(guest_cart((item, 1)), "b", "lee@example.test").order
    client.post(guests.guest_link(second, emailed=True), {"password": "a-long-new-password-9"})
    user = Order.objects.get(pk=second.pk).user
    assert Order.objects.get(pk=first.pk).user == user
    assert LoyaltyTransaction.objects.filter(kind="earn", order__in=[first, second]).count() == 2


def test_an_existing_account_is_asked_to_sign_in_not_made_again(client, lamp):
    CustomerFactory(email="lee@example.test")
    order = place_as_guest(guest_cart((variant(lamp), 1)), "a", "lee@example.test").order
    link = guests.guest_link(order, emailed=True)
    assert "You have an account" in client.get(link).content.decode()
    answer = client.post(link, {"password": "a-long-new-password-9"})
    assert answer.status_code == 400 and "You have an account" in answer.content.decode()
    assert Order.objects.get(pk=order.pk).user is None


def test_a_forged_or_changed_link_finds_nothing(client, lamp):
    order = place_as_guest(guest_cart((variant(lamp), 1)), "a").order
    link = guests.guest_link(order)
    token = link.split("/")[-2]
    assert client.get(link[:-4] + "abc/").status_code == 404
    forged = signing.dumps({"n": order.number, "e": 1}, salt="another-salt", compress=True)
    assert client.get(f"/orders/guest/{forged}/").status_code == 404
    assert client.get(f"/orders/guest/{token}/").status_code == 200
    # Without the link, the customer pages do not show a guest's order.
    client.force_login(CustomerFactory())
    assert client.get(f"/orders/{order.number}/").status_code == 404


def test_order_status_answers_alike_for_a_wrong_number_and_a_wrong_email(client, lamp, settings):
    order = place_as_guest(guest_cart((variant(lamp), 1)), "a", "lee@example.test").order
    wrong_number = client.post("/order-status/", {"number": "AM000000-000000", "email": "lee@example.test"})
    wrong_email = client.post("/order-status/", {"number": order.number, "email": "else@example.test"})
    assert wrong_number.status_code == wrong_email.status_code == 404
    message = "We could not find an order with that number and email."
    assert message in wrong_number.content.decode() and message in wrong_email.content.decode()
    found = client.post("/order-status/", {"number": order.number.lower(), "email": "LEE@example.test"})
    assert (
        found.status_code == 302 and guests.order_from_link(found["Location"].split("/")[-2]).order == order
    )
    # A customer's order found this way asks them to sign in.
    customer = CustomerFactory(email="mei@example.test")
    DbCartItem = variant(lamp)
    from auroramart.cart.storage import DbCart

    DbCart(customer).set_item(DbCartItem.pk, 1, lamp.price)
    theirs = place(customer, "c").order
    answer = client.post("/order-status/", {"number": theirs.number, "email": "mei@example.test"})
    assert answer["Location"].startswith("/login/")
    # Guessing is limited per address.
    settings.ORDER_LOOKUP_LIMIT = 5
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.post("/order-status/", {"number": f"AM000000-00000{i}", "email": "x@example.test"}).status_code
        for i in range(7)
    ]
    assert codes == [404] * 5 + [429] * 2
    assert (
        client.post("/order-status/", {"number": order.number, "email": "lee@example.test"}).status_code
        == 429
    )


def test_a_guest_double_submit_is_one_order_and_one_charge(client, lamp):
    first = checkout_as_guest(client, lamp, key="same-key")
    again = client.post("/checkout/checkout/", {**CHECKOUT, "idempotency_key": "same-key"})
    assert Order.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    assert first.status_code == 302
    assert again.status_code in (302, 400)  # replayed, or told the cart is empty


def test_a_guest_cannot_place_the_same_cart_twice_with_two_keys(lamp):
    cart = guest_cart((variant(lamp), 1))
    place_as_guest(cart, "one")
    with pytest.raises(CheckoutError):
        place_as_guest(cart, "two")
    assert Order.objects.count() == 1


def test_a_stale_copy_of_a_placed_guest_cart_is_refused_and_shopping_again_is_free(lamp):
    from django.contrib.sessions.backends.db import SessionStore

    from auroramart.cart.storage import SessionCart
    from auroramart.orders.services import CartAlreadyPlaced

    item = variant(lamp)
    cart = guest_cart((item, 1))
    stale = SessionCart(SessionStore(session_key=cart.session.session_key))  # another tab's copy
    place_as_guest(cart, "one")
    cart.session.save()
    with pytest.raises(CartAlreadyPlaced, match="already placed"):
        place_as_guest(stale, "two")
    fresh = SessionCart(SessionStore(session_key=cart.session.session_key))
    assert fresh.count() == 0
    fresh.set_item(item.pk, 1, item.price)
    assert place_as_guest(fresh, "three").order.status == "paid"
    assert Order.objects.count() == 2 and variant(lamp).stock_quantity == 8


def test_a_guest_needs_a_real_email(lamp):
    with pytest.raises(CheckoutError, match="email"):
        place_as_guest(guest_cart((variant(lamp), 1)), "k", "not-an-email")
    assert not Order.objects.exists() and variant(lamp).stock_quantity == 10


def test_a_once_per_customer_coupon_is_once_per_email_for_guests(lamp):
    Coupon.objects.create(code="ONCE", kind="fixed", value=D("5"), per_customer_limit=1)
    item = variant(lamp)

    def with_coupon(email, key):
        cart = guest_cart((item, 1))
        cart.set_coupon_codes(["ONCE"])
        return place_as_guest(cart, key, email)

    assert with_coupon("lee@example.test", "a").order.discount_total == D("5.00")
    with pytest.raises(CheckoutError, match="already used the coupon ONCE"):
        with_coupon("LEE@example.test", "b")
    assert with_coupon("kim@example.test", "c").order.discount_total == D("5.00")
    # The same person signed in with that email cannot use it again either.
    from auroramart.cart.storage import DbCart

    customer = CustomerFactory(email="lee@example.test")
    DbCart(customer).set_item(item.pk, 1, item.price)
    DbCart(customer).set_coupon_codes(["ONCE"])
    with pytest.raises(CheckoutError, match="already used"):
        place(customer, "d")
    assert CouponRedemption.objects.filter(email__iexact="lee@example.test").count() == 1
