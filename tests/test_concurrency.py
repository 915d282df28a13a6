"""Races with real threads against PostgreSQL: no oversell, no double charge,
no double spend of a limited coupon. (SQLite serialises every write, so these
run on PostgreSQL only, as in CI.)"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from auroramart.cart.storage import DbCart
from auroramart.catalog.models import Product
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.orders.models import Order
from auroramart.orders.services import CheckoutError, ShippingAddress, place_order
from auroramart.payments.gateway import Card
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.promotions.models import Coupon

from .factories import CustomerFactory, ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ADDRESS = ShippingAddress("Buyer", "+65 9123 4567", "1 Orchard Road", "", "238801")
CARD = Card("4242424242424242", 12, 2039, "123")


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writes")


def race(callables):
    """Start every callable at the same moment on its own thread; collect results or exceptions."""
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def buyer(product, quantity=1, key=None, user=None):
    user = user or CustomerFactory()
    cart = DbCart(user)
    cart.set_item(product.pk, quantity, product.price)
    return lambda: place_order(
        user=user,
        cart=DbCart(user),
        idempotency_key=key or f"k-{user.pk}",
        address=ADDRESS,
        shipping_method="standard",
        card=CARD,
    )


def test_stock_of_one_and_twenty_buyers_sells_exactly_one():
    product = ProductFactory(name="Last One", price=Decimal("50.00"), stock_quantity=1)
    results = race([buyer(product) for _ in range(20)])
    placed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, CheckoutError)]
    assert len(placed) == 1
    assert len(refused) == 19, [
        r for r in results if isinstance(r, Exception) and not isinstance(r, CheckoutError)
    ]
    assert all("out of stock" in str(r) for r in refused)
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert Order.objects.filter(status="paid").count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert ledger_mismatches() == []


def test_stock_k_and_n_buyers_sell_exactly_k_units():
    product = ProductFactory(name="Few Left", price=Decimal("10.00"), stock_quantity=7)
    results = race([buyer(product, quantity=1 + i % 2) for i in range(16)])  # asks for 24 units in all
    placed = [r for r in results if not isinstance(r, Exception)]
    sold = sum(p.order.items.get().quantity for p in placed)
    assert all(isinstance(r, CheckoutError) for r in results if isinstance(r, Exception))
    assert sold == 7 - Product.objects.get(pk=product.pk).stock_quantity
    assert Product.objects.get(pk=product.pk).stock_quantity >= 0
    assert sold >= 6  # at most one unit is left when the next buyer wanted two
    assert Product.objects.get(pk=product.pk).sold_count == sold
    assert ledger_mismatches() == []


def test_the_same_key_ten_times_at_once_is_one_order_and_one_charge():
    product = ProductFactory(name="Popular", price=Decimal("30.00"), stock_quantity=100)
    user = CustomerFactory()
    DbCart(user).set_item(product.pk, 2, product.price)

    def submit():
        return place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key="same-key",
            address=ADDRESS,
            shipping_method="standard",
            card=CARD,
        )

    results = race([submit for _ in range(10)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.order.pk for r in results}) == 1
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert Payment.objects.filter(status="succeeded").count() == 1 and Payment.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 98


def test_a_coupon_with_one_use_left_is_used_once():
    product = ProductFactory(name="Deal", price=Decimal("40.00"), stock_quantity=100)
    Coupon.objects.create(
        code="LAST", kind="fixed", value=Decimal("5"), usage_limit=1, per_customer_limit=None
    )
    callables = []
    for _ in range(8):
        user = CustomerFactory()
        cart = DbCart(user)
        cart.set_item(product.pk, 1, product.price)
        cart.set_coupon_codes(["LAST"])
        callables.append(buyer(product, user=user))
    results = race(callables)
    placed = [r for r in results if not isinstance(r, Exception)]
    assert len(placed) == 1
    assert all("used up" in str(r) for r in results if isinstance(r, Exception))
    assert Coupon.objects.get(code="LAST").times_used == 1


def test_two_orders_racing_for_the_same_points_cannot_both_spend_them():
    from auroramart.loyalty import services as loyalty
    from auroramart.loyalty.models import LoyaltyAccount

    product = ProductFactory(name="Gift", price=Decimal("20.00"), stock_quantity=100)
    user = CustomerFactory()
    loyalty.open_account(user)  # 100 welcome points
    loyalty.adjust(user=user, points=400, actor=None, reason="test")  # 500 in all
    DbCart(user).set_item(product.pk, 1, product.price)
    DbCart(user).set_discount({"kind": "points", "points": 500, "reward_id": None})

    def spend(key):
        return lambda: place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key=key,
            address=ADDRESS,
            shipping_method="standard",
            card=CARD,
        )

    results = race([spend("a"), spend("b"), spend("c"), spend("d")])
    placed = [r for r in results if not isinstance(r, Exception)]
    assert len({p.order.pk for p in placed}) == len(placed)
    spent = sum(p.order.points_redeemed for p in placed)
    assert spent == 500  # one order got the points; the others paid without them or were refused
    account = LoyaltyAccount.objects.get(user=user)
    assert account.balance >= 0
    assert account.balance == sum(account.transactions.values_list("points", flat=True))
