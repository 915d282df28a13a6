from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auroramart.accounts.models import Notification
from auroramart.accounts.services import delete_customer_account
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import Product, ProductReview, ProductVariant
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.orders import services
from auroramart.orders.models import Order, ReturnRequest
from auroramart.orders.services import OrderActionError, ShippingAddress, place_order
from auroramart.payments.models import Payment, TestGatewayCharge

from .factories import CustomerFactory, ProductFactory, StaffFactory, variant

pytestmark = pytest.mark.django_db
ADDRESS = ShippingAddress("Mei Tan", "+65 9123 4567", "1 Orchard Road", "", "238801")


@pytest.fixture
def customer(client):
    user = CustomerFactory(email="mei@example.test")
    client.force_login(user)
    return user


@pytest.fixture
def lamp():
    return ProductFactory(name="Lamp", price=Decimal("40.00"), stock_quantity=10)


def place_cart(user, key="k1"):
    """The customer's cart placed with the test card, to ADDRESS, by standard delivery."""
    return place_order(
        user=user,
        cart=DbCart(user),
        idempotency_key=key,
        address=ADDRESS,
        shipping_method="standard",
        payment_method="pm_card_visa",
    )


def buy(user, product, quantity=2, key="k1"):
    DbCart(user).set_item(variant(product).pk, quantity, product.price)
    return place_cart(user, key).order


def test_order_list_detail_and_invoice_are_scoped_to_the_owner(client, customer, lamp):
    order = buy(customer, lamp)
    other = buy(CustomerFactory(), lamp, key="k2")
    listing = client.get("/orders/").content.decode()
    assert order.number in listing and other.number not in listing
    detail = client.get(order.get_absolute_url())
    assert detail.status_code == 200 and "Lamp" in detail.content.decode()
    invoice = client.get(f"/orders/{order.number}/invoice/").content.decode()
    assert "Tax invoice" in invoice and "S$80.00" in invoice and "Includes GST" in invoice
    for url in (other.get_absolute_url(), f"/orders/{other.number}/invoice/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/orders/{other.number}/cancel/").status_code == 404
    assert Order.objects.get(pk=other.pk).status == "paid"


def test_cancel_before_shipping_restores_stock_and_refunds(client, customer, lamp):
    order = buy(customer, lamp)
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 8
    response = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "is cancelled; your payment is refunded" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled" and order.refunded_total == order.total
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 10
    assert Payment.objects.get(order=order).status == "refunded"
    assert TestGatewayCharge.objects.get().refunded == order.total
    assert ledger_mismatches() == []
    assert Notification.objects.filter(user=customer, title__contains="cancelled").exists()
    # a second cancel is refused
    again = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "can no longer be cancelled" in again.content.decode()


def test_shipped_orders_cannot_be_cancelled(client, customer, lamp):
    order = buy(customer, lamp)
    services.change_status(order=order, to_status="shipped", actor=StaffFactory())
    response = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "can no longer be cancelled" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_the_workflow_refuses_invalid_changes_and_records_every_change(customer, lamp):
    order = buy(customer, lamp)
    staff = StaffFactory()
    with pytest.raises(OrderActionError, match="cannot become delivered"):
        services.change_status(order=order, to_status="delivered", actor=staff)
    services.change_status(order=order, to_status="processing", actor=staff)
    services.change_status(order=order, to_status="shipped", actor=staff, note="DHL 123")
    services.change_status(order=order, to_status="delivered", actor=staff)
    changes = list(order.status_changes.values_list("from_status", "to_status", "actor_id"))
    assert changes == [
        ("", "pending_payment", None),
        ("pending_payment", "paid", None),
        ("paid", "processing", staff.pk),
        ("processing", "shipped", staff.pk),
        ("shipped", "delivered", staff.pk),
    ]
    assert Notification.objects.filter(user=customer, title__contains="shipped").exists()
    assert services.allowed_transitions(Order.objects.get(pk=order.pk)) == ["return_requested"]


def test_return_within_30_days_then_received_and_refunded(client, customer, lamp):
    order = buy(customer, lamp)
    for status in ("shipped", "delivered"):
        services.change_status(order=order, to_status=status)
    response = client.post(
        f"/orders/{order.number}/return/", {"reason": "damaged", "details": "Cracked"}, follow=True
    )
    assert "Your return request is sent" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "return_requested" and order.returns.get().reason == "damaged"
    with pytest.raises(OrderActionError, match="Approve the return"):
        services.receive_return(order=order)
    services.decide_return(order=order, approve=True)
    services.receive_return(order=order)
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 10  # restocked through the ledger
    order.refresh_from_db()
    # Everything came back: the credit note covers the goods and the delivery, refunded at once.
    assert order.status == "refunded" and order.refunded_total == order.total == order.credited_total
    assert order.credit_notes.get().refunded_at is not None
    assert ledger_mismatches() == []


def test_rejected_return_goes_back_to_delivered(customer, lamp):
    order = buy(customer, lamp)
    for status in ("shipped", "delivered"):
        services.change_status(order=order, to_status=status)
    services.request_return(order=order, user=customer, reason="changed_mind")
    services.decide_return(order=Order.objects.get(pk=order.pk), approve=False, note="Opened hygiene item")
    order.refresh_from_db()
    assert order.status == "delivered" and order.returns.get().status == ReturnRequest.Status.REJECTED


def test_returns_close_after_30_days(client, customer, lamp):
    order = buy(customer, lamp)
    for status in ("shipped", "delivered"):
        services.change_status(order=order, to_status=status)
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=31))
    response = client.post(f"/orders/{order.number}/return/", {"reason": "damaged"}, follow=True)
    assert "within 30 days of delivery" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_verified_purchase_badge_once_bought(client, customer, lamp):
    buy(customer, lamp)
    client.post(f"{lamp.get_absolute_url()}review/", {"rating": "5", "title": "Bright", "body": "Good lamp."})
    assert ProductReview.objects.get().is_verified_purchase
    assert "Verified purchase" in client.get(lamp.get_absolute_url()).content.decode()


def test_account_deletion_keeps_anonymised_orders(customer, lamp):
    order = buy(customer, lamp)
    delete_customer_account(user=customer)
    order.refresh_from_db()
    assert order.total == Decimal("80.00") and order.items.count() == 1  # the books keep the figures
    assert (order.ship_name, order.ship_phone, order.ship_line1, order.ship_postal_code) == (
        "Former customer",
        "",
        "(erased)",
        "000000",
    )
    assert order.user.email.endswith("@deleted.invalid")


def test_order_history_on_the_profile_menu(client, customer, lamp):
    buy(customer, lamp)
    body = client.get("/profile/").content.decode()
    assert 'href="/orders/"' in body


def test_wishlist_move_to_cart_and_back_in_stock_notice(client, customer, django_capture_on_commit_callbacks):
    from auroramart.accounts.models import WishlistItem
    from auroramart.cart.models import CartItem
    from auroramart.inventory.services import adjust_stock

    lamp = ProductFactory(name="Desk Lamp", stock_quantity=0)
    WishlistItem.objects.create(user=customer, product=lamp)
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=variant(lamp), quantity=5, reason="Delivery from supplier")
    assert Notification.objects.filter(user=customer, title="Desk Lamp is back in stock").exists()
    response = client.post(f"/wishlist/move/{lamp.pk}/", follow=True)
    assert "Desk Lamp moved to your cart." in response.content.decode()
    assert CartItem.objects.filter(cart__user=customer, variant__product=lamp).exists()
    assert not WishlistItem.objects.filter(user=customer).exists()


def test_check_stock_fails_when_stock_and_ledger_differ(lamp):
    from django.core.management import CommandError, call_command

    call_command("check_stock")
    # Changed behind the ledger's back: the variant differs from its ledger, the product from it.
    ProductVariant.objects.filter(product=lamp).update(stock_quantity=3)
    with pytest.raises(CommandError, match=r"2 variant\(s\) or product\(s\) differ"):
        call_command("check_stock")


def test_order_page_shows_the_points_the_order_earned(client, customer, lamp):
    from auroramart.loyalty.models import LoyaltyTransaction
    from auroramart.loyalty.services import open_account

    open_account(customer)
    order = buy(customer, lamp)
    earned = LoyaltyTransaction.objects.get(order=order, kind="earn").points
    html = client.get(order.get_absolute_url()).content.decode()
    assert 'id="order-points"' in html and f"Earned <strong>{earned}</strong> points" in html
    assert client.get("/favicon.ico").status_code == 301


def _shown_counts(client, face: str, staff) -> dict[str, int]:
    """Each order's number of lines as `face` shows it."""
    import csv
    import io
    import re

    from auroramart.api.models import ApiToken

    if face == "the shopper's orders page":
        page = client.get("/orders/").content.decode()
        return {n: int(c) for n, c in re.findall(r">(AM[\w-]+)</a></td><td>[^<]*</td><td>(\d+)</td>", page)}
    if face == "the shopper's API":
        token = ApiToken.issue(Order.objects.exclude(user=None).first().user, "test")[1]
        items = client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").json()["items"]
        return {o["number"]: o["items"] for o in items}
    if face == "the staff's API":
        token = ApiToken.issue(staff, "test")[1]
        items = client.get("/api/v1/staff/orders", HTTP_AUTHORIZATION=f"Bearer {token}").json()["items"]
        return {o["number"]: o["items"] for o in items}
    client.force_login(staff)
    if face == "the staff's orders page":
        page = client.get("/admin-panel/orders/").context["page"]
        return {o.number: o.item_count for o in page.object_list}
    export = b"".join(client.get("/admin-panel/orders/export/").streaming_content).decode()
    table = list(csv.reader(io.StringIO(export)))
    at = table[0].index("items") if "items" in table[0] else 5
    return {row[0]: int(row[at]) for row in table[1:]}


@pytest.mark.parametrize(
    "face",
    [
        "the shopper's orders page",
        "the shopper's API",
        "the staff's orders page",
        "the staff's CSV",
        "the staff's API",
    ],
)
def test_every_list_of_orders_counts_each_orders_lines_without_counting_every_order(client, face):
    """#23: every list of orders shows each one's number of lines, counted for the orders on the
    page; how many orders there are is counted without reading a single line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auroramart.staff.services import create_staff, setup_roles

    setup_roles()
    staff = create_staff(email="service@staff.test", password=None, role="Service")
    shopper = CustomerFactory()
    client.force_login(shopper)
    products = ProductFactory.create_batch(3, price=Decimal("5.00"), stock_quantity=10)
    for product in products:
        DbCart(shopper).set_item(variant(product).pk, 1, product.price)
    three = place_cart(shopper, "three").order
    one = buy(shopper, products[0], quantity=2, key="one")
    with CaptureQueriesContext(connection) as ctx:
        shown = _shown_counts(client, face, staff)
    assert {three.number: 3, one.number: 1}.items() <= shown.items()
    counts = [
        q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"] and '"orders_order"' in q["sql"]
    ]
    assert all("orders_orderitem" not in sql for sql in counts)
