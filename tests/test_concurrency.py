"""Races with real threads against PostgreSQL: no oversell, no double charge,
no double spend of a limited coupon. (SQLite serialises every write, so these
run on PostgreSQL only, as in CI.)"""

import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from auroramart.cart.storage import DbCart
from auroramart.catalog.models import Product, ProductVariant
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.orders.models import Order
from auroramart.orders.services import CheckoutError, ShippingAddress, place_order
from auroramart.payments.builtin import TestGateway
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.promotions.models import Coupon

from .factories import AddressFactory, CustomerFactory, ProductFactory, make_variants, variant
from .races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ADDRESS = ShippingAddress("Buyer", "+65 9123 4567", "1 Orchard Road", "", "238801")
CARD = "pm_card_visa"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writes")


@pytest.fixture(params=["one variant", "variant of three"])
def sellable(request):
    """What the races sell: a product's only variant, or the M of a product in S, M and L
    (whose siblings must not move)."""

    def make(name, price, stock):
        if request.param == "one variant":
            return variant(ProductFactory(name=name, price=price, stock_quantity=stock))
        product = ProductFactory(name=name, price=price, stock_quantity=0)
        variants = make_variants(product, {"Size": ["S", "M", "L"]}, stock=stock)
        return next(v for v in variants if v.name == "Size M")

    return make


def siblings_untouched(item, stock):
    others = ProductVariant.objects.filter(product_id=item.product_id).exclude(pk=item.pk)
    return all(v.stock_quantity == stock for v in others)


def stock_of(item) -> int:
    return ProductVariant.objects.get(pk=item.pk).stock_quantity


def buyer(product, quantity=1, key=None, user=None):
    """`product` is a product (its only variant is bought) or a variant."""
    user = user or CustomerFactory()
    cart = DbCart(user)
    item = product if isinstance(product, ProductVariant) else variant(product)
    cart.set_item(item.pk, quantity, item.price)
    return lambda: place_order(
        user=user,
        cart=DbCart(user),
        idempotency_key=key or f"k-{user.pk}",
        address=ADDRESS,
        shipping_method="standard",
        payment_method=CARD,
    )


def test_stock_of_one_and_twenty_buyers_sells_exactly_one(sellable):
    product = sellable("Last One", Decimal("50.00"), 1)
    results = race([buyer(product) for _ in range(20)])
    placed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, CheckoutError)]
    assert len(placed) == 1
    assert len(refused) == 19, [
        r for r in results if isinstance(r, Exception) and not isinstance(r, CheckoutError)
    ]
    assert all("out of stock" in str(r) for r in refused)
    assert stock_of(product) == 0 and siblings_untouched(product, 1)
    assert (
        Product.objects.get(pk=product.product_id).stock_quantity
        == ProductVariant.objects.filter(product_id=product.product_id).aggregate(n=Sum("stock_quantity"))[
            "n"
        ]
    )
    assert Order.objects.filter(status="paid").count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert ledger_mismatches() == []


def test_stock_k_and_n_buyers_sell_exactly_k_units(sellable):
    product = sellable("Few Left", Decimal("10.00"), 7)
    results = race([buyer(product, quantity=1 + i % 2) for i in range(16)])  # asks for 24 units in all
    placed = [r for r in results if not isinstance(r, Exception)]
    sold = sum(p.order.items.get().quantity for p in placed)
    assert all(isinstance(r, CheckoutError) for r in results if isinstance(r, Exception))
    assert sold == 7 - stock_of(product)
    assert stock_of(product) >= 0 and siblings_untouched(product, 7)
    assert sold >= 6  # at most one unit is left when the next buyer wanted two
    assert Product.objects.get(pk=product.product_id).sold_count == sold
    assert ledger_mismatches() == []


def test_the_same_key_ten_times_at_once_is_one_order_and_one_charge(sellable):
    product = sellable("Popular", Decimal("30.00"), 100)
    user = CustomerFactory()
    DbCart(user).set_item(product.pk, 2, product.price)

    def submit():
        return place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key="same-key",
            address=ADDRESS,
            shipping_method="standard",
            payment_method=CARD,
            wait_for_twin=30,  # as the checkout page does: a double click shows the one order
        )

    results = race([submit for _ in range(10)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.order.pk for r in results}) == 1
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert Payment.objects.filter(status="succeeded").count() == 1 and Payment.objects.count() == 1
    assert stock_of(product) == 98 and siblings_untouched(product, 100)


def test_a_coupon_with_one_use_left_is_used_once():
    product = ProductFactory(name="Deal", price=Decimal("40.00"), stock_quantity=100)
    Coupon.objects.create(
        code="LAST", kind="fixed", value=Decimal("5"), usage_limit=1, per_customer_limit=None
    )
    callables = []
    for _ in range(8):
        user = CustomerFactory()
        cart = DbCart(user)
        cart.set_item(variant(product).pk, 1, product.price)
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
    DbCart(user).set_item(variant(product).pk, 1, product.price)
    DbCart(user).set_discount({"kind": "points", "points": 500, "reward_id": None})

    def spend(key):
        return lambda: place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key=key,
            address=ADDRESS,
            shipping_method="standard",
            payment_method=CARD,
        )

    results = race([spend("a"), spend("b"), spend("c"), spend("d")])
    placed = [r for r in results if not isinstance(r, Exception)]
    assert len({p.order.pk for p in placed}) == len(placed)
    spent = sum(p.order.points_redeemed for p in placed)
    assert spent == 500  # one order got the points; the others paid without them or were refused
    account = LoyaltyAccount.objects.get(user=user)
    assert account.balance >= 0
    assert account.balance == sum(account.transactions.values_list("points", flat=True))


def test_points_moved_at_once_from_ten_threads_all_land_on_the_balance_and_the_ledger():
    """The account is locked by `core.rows.locked` (SELECT … FOR UPDATE in one constant
    statement, #23): ten adjustments at once each see the balance the one before left."""
    from auroramart.loyalty import services as loyalty
    from auroramart.loyalty.models import LoyaltyAccount

    user = CustomerFactory()
    loyalty.open_account(user)
    start = LoyaltyAccount.objects.get(user=user).balance
    results = race(
        [lambda n=n: loyalty.adjust(user=user, points=10 + n, actor=None, reason="race") for n in range(10)]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    account = LoyaltyAccount.objects.get(user=user)
    assert account.balance == start + sum(10 + n for n in range(10))
    assert account.balance == sum(account.transactions.values_list("points", flat=True))
    afters = sorted(account.transactions.filter(reason="race").values_list("balance_after", flat=True))
    assert len(set(afters)) == 10 and afters[-1] == account.balance  # each saw the one before


# --- the attacks of the hardening issue, through the API as an attacker sends them ----------------

API_CARD = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"


def api_customer(product, quantity=1):
    user = CustomerFactory()
    AddressFactory(user=user, is_default_shipping=True)
    item = product if isinstance(product, ProductVariant) else variant(product)
    DbCart(user).set_item(item.pk, quantity, item.price)
    response = Client().post(
        "/api/v1/auth/token",
        {"email": user.email, "password": "correct-horse-battery"},
        content_type="application/json",
    )
    return user, {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def api_checkout(auth, key, card=API_CARD):
    return lambda: Client().post(
        "/api/v1/checkout",
        {"payment_method": card},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **auth,
    )


def money_is_where_it_is_owed():
    from auroramart.orders.selectors import payment_mismatches

    return payment_mismatches()


@pytest.fixture
def slow_gateway():
    """A card processor that takes a moment, as a real one does: the window the attacks use."""
    real = TestGateway.charge

    def charge(self, **kwargs):
        time.sleep(0.3)
        return real(self, **kwargs)

    with mock.patch.object(TestGateway, "charge", charge):
        yield


def cancel_race(product, key):
    """One try of item 1: the placing request, two twins replaying its key and two cancellers
    hammering every order number the customer has, until the placing request answers."""
    user, auth = api_customer(product)
    done = threading.Event()
    place = api_checkout(auth, key)

    def placer():  # retries "still in progress" as a client would, until it has the outcome
        try:
            while (code := place().status_code) in (409, 429):
                time.sleep(0.1)
            return code
        finally:
            done.set()

    def replayer():  # a few replays while the first request runs (20 a minute is the API's limit)
        codes = []
        while not done.is_set() and len(codes) < 6:
            codes.append(place().status_code)
            time.sleep(0.05)
        return codes

    def canceller():
        codes = []
        while not done.is_set():
            for order in Order.objects.filter(user=user):
                codes.append(Client().post(f"/api/v1/orders/{order.number}/cancel", **auth).status_code)
        return codes

    return race([placer, replayer, replayer, canceller, canceller])


def test_cancelling_while_the_card_is_charged_never_keeps_the_money(slow_gateway):
    """Item 1. Before the fix 2 of 40 tries kept a charge for a cancelled order."""
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=1000)
    for attempt in range(6):
        results = cancel_race(product, f"race-key-{attempt}")
        assert not [r for r in results if isinstance(r, Exception)], results
        assert results[0] == 201
        assert set(results[1] + results[2]) <= {201, 409, 429}  # replay, "in progress", rate limit
    assert money_is_where_it_is_owed() == []
    # One order and one charge per try; a customer may cancel once it is paid, and is refunded.
    assert Order.objects.count() == 6 and TestGatewayCharge.objects.count() == 6
    for charge in TestGatewayCharge.objects.all():
        order = Order.objects.get(number=charge.idempotency_key)
        assert order.status in ("paid", "cancelled")
        assert charge.refunded == (charge.amount if order.status == "cancelled" else 0)


def staff_cancel_race(product, key):
    from auroramart.orders.services import cancel_order

    user, auth = api_customer(product)
    done = threading.Event()

    def placer():
        try:
            return api_checkout(auth, key)().status_code
        finally:
            done.set()

    def staff():
        while not done.is_set():
            pending = Order.objects.filter(user=user, status="pending_payment").first()
            if pending is not None:
                return cancel_order(order=pending, reason="Cancelled by staff").status
        return None

    return race([placer, staff])


def test_staff_cancelling_while_the_card_is_charged_refunds_at_once(slow_gateway):
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=1000)
    for attempt in range(4):
        results = staff_cancel_race(product, f"staff-race-{attempt}")
        assert not [r for r in results if isinstance(r, Exception)], results
    assert money_is_where_it_is_owed() == []
    for charge in TestGatewayCharge.objects.all():
        order = Order.objects.get(number=charge.idempotency_key)
        assert charge.refunded == (charge.amount if order.status == "cancelled" else 0)


def test_one_cart_checked_out_four_times_at_once_with_four_keys_is_one_order():
    """Item 2: before the fix, 4 concurrent API checkouts gave 4 orders and 4 charges."""
    product = ProductFactory(price=Decimal("30.00"), stock_quantity=100)
    _, auth = api_customer(product, 2)
    results = race([api_checkout(auth, f"cart-key-{n}") for n in range(4)])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409]
    number = next(r.json()["number"] for r in results if r.status_code == 201)
    for r in results:
        if r.status_code == 409:
            assert r.json()["code"] == "cart_already_placed" and r.json()["fields"] == {"order": [number]}
    assert Order.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 98


def test_one_key_ten_times_at_once_with_a_declined_card(slow_gateway, sellable):
    """Item 4: before the fix, 9 of 10 answered 201 "pending_payment" for an order then deleted."""
    product = sellable("Declined", Decimal("30.00"), 100)
    _, auth = api_customer(product)
    results = race([api_checkout(auth, "declined-key", DECLINED) for _ in range(10)])
    codes = [r.status_code for r in results]
    assert 201 not in codes and codes.count(402) >= 1 and set(codes) <= {402, 409}
    for r in results:
        assert r.json()["code"] in ("payment_failed", "idempotency_in_progress")
    later = api_checkout(auth, "declined-key", DECLINED)()
    assert later.status_code == 402 and later["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 0 and TestGatewayCharge.objects.count() == 0
    assert stock_of(product) == 100 and siblings_untouched(product, 100)


def _delivered_order(price=Decimal("50.00"), quantity=3, customer=None):
    from auroramart.orders.services import change_status

    product = ProductFactory(name="Returned", price=price, stock_quantity=10)
    order = buyer(product, quantity=quantity, user=customer)().order
    for status in ("shipped", "delivered"):
        change_status(order=order, to_status=status)
    return Order.objects.get(pk=order.pk)


def test_two_goodwill_refunds_at_once_never_refund_more_than_was_paid():
    from auroramart.orders.services import OrderActionError, goodwill_refund
    from auroramart.staff.services import create_staff, setup_roles

    setup_roles()
    staff = create_staff(email="svc@staff.test", password="x-long-password-1", role="Service")
    order = _delivered_order()  # 150.00, free delivery
    amount = order.total * 2 / 3  # each alone fits; both together would not
    results = race(
        [lambda: goodwill_refund(order=order, amount=amount, reason="late", actor=staff) for _ in range(2)]
    )
    refused = [r for r in results if isinstance(r, OrderActionError)]
    assert len(refused) == 1 and "At most" in str(refused[0]), results
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    charge = TestGatewayCharge.objects.get(reference=payment.gateway_reference)
    assert (
        order.refunded_total == order.credited_total == payment.refunded_amount == charge.refunded == amount
    )


def test_a_return_received_while_a_goodwill_refund_runs_stays_within_what_was_paid():
    from auroramart.orders.services import (
        OrderActionError,
        decide_return,
        goodwill_refund,
        receive_return,
        request_return,
    )
    from auroramart.staff.services import create_staff, setup_roles

    setup_roles()
    staff = create_staff(email="svc@staff.test", password="x-long-password-1", role="Service")
    order = _delivered_order()
    request_return(order=order, user=order.user, reason="damaged")  # every unit: 150.00
    decide_return(order=order, approve=True, actor=staff)
    results = race(
        [
            lambda: receive_return(order=order, actor=staff),
            lambda: goodwill_refund(order=order, amount=Decimal("20.00"), reason="sorry", actor=staff),
        ]
    )
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, OrderActionError)], (
        results
    )
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    charge = TestGatewayCharge.objects.get(reference=payment.gateway_reference)
    assert order.credited_total <= order.total and order.refunded_total <= order.total
    assert payment.refunded_amount == charge.refunded == order.refunded_total <= payment.amount


def test_guests_racing_for_the_last_unit_buy_it_once(sellable):
    from .placing import guest_cart, place_as_guest

    item = sellable("Last One", Decimal("50.00"), 1)
    carts = [guest_cart((item, 1)) for _ in range(12)]
    results = race(
        [lambda c=c, i=i: place_as_guest(c, f"g-{i}", f"g{i}@example.test") for i, c in enumerate(carts)]
    )
    placed = [r for r in results if not isinstance(r, Exception)]
    assert len(placed) == 1 and all(isinstance(r, CheckoutError) for r in results if isinstance(r, Exception))
    assert stock_of(item) == 0 and siblings_untouched(item, 1)
    assert TestGatewayCharge.objects.count() == 1 and ledger_mismatches() == []


def test_one_guest_cart_sent_from_two_tabs_with_two_keys_is_placed_once():
    from .placing import guest_cart, place_as_guest

    product = ProductFactory(name="Popular", price=Decimal("30.00"), stock_quantity=100)
    cart = guest_cart((variant(product), 2))
    from django.contrib.sessions.backends.db import SessionStore

    from auroramart.cart.storage import SessionCart

    # Each tab has its own copy of the session, as two requests would.
    tabs = [SessionCart(SessionStore(session_key=cart.session.session_key)) for _ in range(2)]
    results = race([lambda t=t, i=i: place_as_guest(t, f"tab-{i}") for i, t in enumerate(tabs)])
    assert Order.objects.count() == 1, results
    assert TestGatewayCharge.objects.count() == 1
    assert sum(isinstance(r, CheckoutError) for r in results) == 1


def _returned_order(customer):
    """A delivered order whose every unit came back but whose shipping was kept: returned, with
    its shipping left to refund."""
    from auroramart.orders.services import decide_return, receive_return, request_return

    order = _delivered_order(Decimal("20.00"), 2, customer=customer)  # under free delivery
    request_return(order=order, user=customer, reason="damaged")
    decide_return(order=order, approve=True)
    order = receive_return(order=order, refund_shipping=False)
    assert order.status == "returned"
    return order


def _numbering_case(name):
    """What each transaction that takes a document number needs: the order it works on for a
    customer, the action, the function it calls inside its transaction before its end (where the
    slow customer's is held), and the number it gave."""
    from auroramart.orders import placement, returns, workflow
    from auroramart.orders.models import CreditNote
    from auroramart.orders.services import (
        decide_return,
        goodwill_refund,
        receive_return,
        refund_order,
        request_return,
    )

    def credit_note_of(order):
        return CreditNote.objects.filter(order=order).latest("pk").document_number

    def return_approved(customer):
        order = _delivered_order(customer=customer)
        request_return(order=order, user=customer, reason="damaged")
        decide_return(order=order, approve=True)
        return order

    product = (
        ProductFactory(name="Popular", price=Decimal("10.00"), stock_quantity=10) if name == "paid" else None
    )
    return {
        "paid": (
            lambda customer: buyer(product, user=customer),
            lambda prepared: prepared().order,
            (placement, "notify_customer"),
            lambda order: Order.objects.get(pk=order.pk).invoice_number,
        ),
        "goodwill refund": (
            lambda customer: _delivered_order(customer=customer),
            lambda order: (
                goodwill_refund(order=order, amount=Decimal("5.00"), reason="late", actor=None) and order
            ),
            (returns, "notify_customer"),
            credit_note_of,
        ),
        "return received": (
            return_approved,
            lambda order: receive_return(order=order),
            (returns, "tell_customer"),
            credit_note_of,
        ),
        "order refunded": (
            _returned_order,
            lambda order: refund_order(order=order),
            (workflow, "tell_customer"),
            credit_note_of,
        ),
    }[name]


@pytest.mark.parametrize("transaction", ["paid", "goodwill refund", "return received", "order refunded"])
def test_a_document_number_does_not_hold_up_another_customers_transaction(transaction):
    """A year's invoice or credit-note sequence is one row every such transaction takes, locked
    until its commit (which keeps the numbers gapless). It is taken last: one customer's
    confirmation or refund still at work (crediting points, restocking, writing notifications)
    holds nothing another customer's needs, so theirs completes meanwhile and takes the next
    number (#23: taken first, every checkout queued behind the whole of another's confirmation).
    """
    from auroramart.loyalty.services import base_tier
    from auroramart.orders.models import DocumentSequence

    base_tier()  # a shop's tiers exist before its customers pay (a first order would make them)
    prepare, act, (module, name), number_of = _numbering_case(transaction)
    slow_customer, fast_customer = CustomerFactory(), CustomerFactory()
    slow, fast = prepare(slow_customer), prepare(fast_customer)
    kind = "invoice" if transaction == "paid" else "credit_note"
    before = DocumentSequence.objects.filter(kind=kind).values_list("last", flat=True).first() or 0
    inside, release = threading.Event(), threading.Event()
    called = getattr(module, name)

    def then_wait(order, **kwargs):
        called(order, **kwargs)
        if order.user_id == slow_customer.pk:  # inside the slow one's transaction
            inside.set()
            release.wait(30)

    outcome: dict[str, object] = {}

    def run(who, subject):
        try:
            outcome[who] = act(subject)
        except Exception as exc:  # asserted on below
            outcome[who] = exc
            inside.set()
        finally:
            connections.close_all()

    with mock.patch.object(module, name, then_wait):
        slow_thread = threading.Thread(target=run, args=("slow", slow))
        fast_thread = threading.Thread(target=run, args=("fast", fast))
        slow_thread.start()
        try:
            assert inside.wait(30)
            fast_thread.start()
            fast_thread.join(timeout=10)
            finished_meanwhile = not fast_thread.is_alive()
        finally:
            release.set()
            slow_thread.join(timeout=30)
            if fast_thread.ident:
                fast_thread.join(timeout=30)
    assert not [o for o in outcome.values() if isinstance(o, Exception)], outcome
    assert finished_meanwhile, "the other customer's transaction waited for the first one's"
    prefix, year = ("INV" if kind == "invoice" else "CN"), timezone.localdate().year
    assert (number_of(outcome["fast"]), number_of(outcome["slow"])) == (
        f"{prefix}-{year}-{before + 1:06d}",
        f"{prefix}-{year}-{before + 2:06d}",
    )


def test_adding_a_product_to_the_cart_does_not_wait_for_another_customers_checkout_of_it(sellable):
    """A checkout holds the variants it takes stock from (and their products) until its stock
    is taken: another checkout of them waits, so none oversells. A shopper adding the same
    product to their cart meanwhile writes a cart line and a cart addition that only point at
    those rows, and must not wait for it (#23: locked FOR UPDATE, every add of the product a
    checkout held waited for that checkout's whole reservation)."""
    from auroramart.cart.services import add_item
    from auroramart.core.client import Shopper
    from auroramart.orders import placement

    hot = sellable("Hot", Decimal("10.00"), 5)
    slow_customer, other, browser = CustomerFactory(), CustomerFactory(), CustomerFactory()
    slow, competing = buyer(hot, user=slow_customer), buyer(hot, user=other)
    inside, release = threading.Event(), threading.Event()
    real_price_cart = placement.price_cart

    def then_wait(**kwargs):  # the slow checkout, its variants and products locked
        if kwargs["user"] == slow_customer:
            inside.set()
            release.wait(30)
        return real_price_cart(**kwargs)

    outcome: dict[str, object] = {}

    def run(who, act):
        try:
            outcome[who] = act()
        except Exception as exc:  # asserted on below
            outcome[who] = exc
        finally:
            connections.close_all()

    def add():
        return add_item(DbCart(browser), variant_id=hot.pk, shopper=Shopper(user_id=browser.pk))

    with mock.patch.object(placement, "price_cart", then_wait):
        threads = {
            "slow": threading.Thread(target=run, args=("slow", slow)),
            "add": threading.Thread(target=run, args=("add", add)),
            "competing": threading.Thread(target=run, args=("competing", competing)),
        }
        threads["slow"].start()
        try:
            assert inside.wait(30)
            threads["add"].start()
            threads["competing"].start()
            threads["add"].join(timeout=10)
            added_meanwhile = not threads["add"].is_alive()
            threads["competing"].join(timeout=1)
            competing_waited = threads["competing"].is_alive()
        finally:
            release.set()
            for thread in threads.values():
                if thread.ident:
                    thread.join(timeout=30)
    assert not [o for o in outcome.values() if isinstance(o, Exception)], outcome
    assert added_meanwhile, "adding the product to a cart waited for another customer's checkout"
    assert competing_waited, "a second checkout of the same variant did not wait for the first"
    assert DbCart(browser).items()[hot.pk][0] == 1
    assert ProductVariant.objects.get(pk=hot.pk).stock_quantity == 3  # each checkout took one
    assert not ledger_mismatches()


def test_invoices_paid_at_once_are_numbered_without_gaps_or_twins():
    """Eight orders confirmed at the same moment take eight consecutive invoice numbers: the
    year's sequence row is locked in each confirming transaction."""
    from auroramart.orders.models import DocumentSequence

    product = ProductFactory(name="Popular", price=Decimal("10.00"), stock_quantity=50)
    results = race([buyer(product) for _ in range(8)])
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(Order.objects.values_list("invoice_number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 9)]
    assert DocumentSequence.objects.get(kind="invoice", year=year).last == 8


def test_one_key_charged_by_many_requests_at_once_is_one_charge():
    """The test gateway's charge is one insert that takes the key or finds it taken (no
    transaction of its own): requests racing with one key all get the one charge."""
    gateway = TestGateway()

    def charge():
        return gateway.charge(
            amount=Decimal("12.50"), currency="SGD", payment_method=CARD, idempotency_key="race-one-key"
        )

    results = race([charge for _ in range(12)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.reference for r in results} == {
        TestGatewayCharge.objects.get(idempotency_key="race-one-key").reference
    }
    assert all(r.succeeded for r in results)
    assert TestGatewayCharge.objects.filter(idempotency_key="race-one-key").count() == 1
