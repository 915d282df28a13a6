"""Partial returns, exchanges, credit notes and goodwill refunds (orders/returns.py), with the
refund of each unit worked out by hand from the split the invoice shows (orders/refunds.py)."""

from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from auroramart.cart.storage import DbCart
from auroramart.catalog.models import ProductVariant
from auroramart.core.money import split
from auroramart.inventory.models import StockMovement
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.loyalty import services as loyalty
from auroramart.loyalty.models import LoyaltyAccount, LoyaltyTransaction
from auroramart.orders import services as orders
from auroramart.orders.models import CreditNote, Order
from auroramart.orders.refunds import allocate
from auroramart.orders.selectors import returnable_lines
from auroramart.orders.services import OrderActionError
from auroramart.payments.builtin import TestGateway
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.promotions.models import Coupon
from auroramart.staff.models import AuditLog
from auroramart.staff.services import create_staff, setup_roles

from .factories import CustomerFactory, ProductFactory, StaffFactory, make_variants, variant
from .placing import place
from .test_variants import api_auth

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def customer(client):
    user = CustomerFactory(email="ria@example.test")
    loyalty.open_account(user)  # 100 points, as registration gives
    loyalty.adjust(user=user, points=400, actor=None, reason="test")
    client.force_login(user)
    return user


@pytest.fixture
def staff():
    return StaffFactory()


def balance(user) -> int:
    return LoyaltyAccount.objects.get(user=user).balance


def deliver(order, staff):
    for status in ("shipped", "delivered"):
        orders.change_status(order=order, to_status=status, actor=staff)
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def mugs_and_lamp(customer, staff):
    """3 mugs at 12.00 and a lamp at 25.50 (61.50), coupon TEN (−10.00), standard delivery
    (5.99: under the free threshold) and 300 points (−3.00): 54.49 paid.

    The invoice's split, by hand: the coupon's 1000 cents by 36.00 : 25.50 is 585.37 : 414.63,
    so 5.85 and 4.15 (the spare cent to the larger remainder); the points' 300 cents by what
    is left, 30.15 : 21.35 : 5.99 delivery, are 157.33 : 111.41 : 31.26, so 1.57, 1.12 and 0.31.
    Paid: mugs 28.58, lamp 20.23, delivery 5.68; 54.49 in all."""
    mug = ProductFactory(name="Mug", price=D("12.00"), stock_quantity=10)
    lamp = ProductFactory(name="Lamp", price=D("25.50"), stock_quantity=10)
    Coupon.objects.create(code="TEN", kind="fixed", value=D("10"))
    cart = DbCart(customer)
    cart.set_item(variant(mug).pk, 3, mug.price)
    cart.set_item(variant(lamp).pk, 1, lamp.price)
    cart.set_coupon_codes(["TEN"])
    cart.set_discount({"kind": "points", "points": 300, "reward_id": None})
    order = place(customer, "mugs").order
    assert (order.subtotal, order.discount_total, order.shipping_fee, order.points_discount, order.total) == (
        D("61.50"),
        D("10.00"),
        D("5.99"),
        D("3.00"),
        D("54.49"),
    )
    items = {i.name: i for i in order.items.all()}
    return deliver(order, staff), items["Mug"], items["Lamp"]


def test_the_invoice_split_adds_up_to_the_order(customer, client, mugs_and_lamp):
    order, mug, lamp = mugs_and_lamp
    allocation = allocate(order, order.items.all())
    assert (allocation.lines[mug.pk].coupon_share, allocation.lines[lamp.pk].coupon_share) == (
        D("5.85"),
        D("4.15"),
    )
    assert [allocation.lines[mug.pk].paid, allocation.lines[lamp.pk].paid, allocation.shipping_paid] == [
        D("28.58"),
        D("20.23"),
        D("5.68"),
    ]
    invoice = client.get(f"/orders/{order.number}/invoice/").content.decode()
    assert "By line" in invoice and "S$28.58" in invoice and "S$20.23" in invoice


def test_one_of_three_units_back_refunds_its_share_and_reverses_its_points(customer, staff, mugs_and_lamp):
    order, mug, lamp = mugs_and_lamp
    assert balance(customer) == 500 - 300 + 51  # earned on 51.50 of merchandise after the coupon
    request = orders.request_return(order=order, user=customer, reason="damaged", lines={mug.pk: 1})
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)

    order.refresh_from_db()
    credit = CreditNote.objects.get(order=order)
    # 28.58 × 1/3 = 9.5267: 9.53; no delivery, since the order has not all come back.
    assert (credit.amount, credit.merchandise, credit.shipping) == (D("9.53"), D("9.53"), D("0.00"))
    assert credit.return_request == request and credit.refunded_at is not None
    assert order.status == "partially_returned" and order.refunded_total == D("9.53") == order.credited_total
    payment = Payment.objects.get(order=order)
    assert payment.status == "partially_refunded" and payment.refunded_amount == D("9.53")
    assert TestGatewayCharge.objects.get(reference=payment.gateway_reference).refunded == D("9.53")
    # Points: 51 earned × (10.05 of 51.50) = 9.95, so 9 taken back; 300 spent × (0.5233 of 3.00)
    # = 52.33, so 52 given back.
    points = list(
        LoyaltyTransaction.objects.filter(order=order, kind="reverse").values_list("points", flat=True)
    )
    assert sorted(points) == [-9, 52] and credit.points_returned == 52
    assert balance(customer) == 251 - 9 + 52
    assert StockMovement.objects.filter(order=order, kind="return").get().quantity == 1
    assert ledger_mismatches() == []

    # The rest comes back: the mugs' 28.58 less the 9.53 already refunded, the lamp and now the
    # delivery fee: 54.49 in all, to the cent, and every point as it was.
    orders.request_return(order=order, user=customer, reason="changed_mind")
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)
    order.refresh_from_db()
    second = CreditNote.objects.filter(order=order).last()
    assert (second.merchandise, second.shipping, second.amount) == (D("39.28"), D("5.68"), D("44.96"))
    assert order.status == "refunded" and order.refunded_total == order.total == D("54.49")
    assert balance(customer) == 500
    assert LoyaltyAccount.objects.get(user=customer).qualifying_points == 0
    with pytest.raises(OrderActionError):
        orders.goodwill_refund(order=order, amount=D("1"), reason="extra", actor=staff)


def test_a_customer_returns_one_line_from_the_order_page(customer, client, staff, mugs_and_lamp):
    order, mug, lamp = mugs_and_lamp
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'name="qty_{mug.pk}"' in page and f'name="qty_{lamp.pk}"' in page
    nothing = client.post(
        f"/orders/{order.number}/return/", {"reason": "damaged", f"qty_{mug.pk}": "0"}, follow=True
    )
    assert "Choose at least one item" in nothing.content.decode()
    too_many = client.post(
        f"/orders/{order.number}/return/", {"reason": "damaged", f"qty_{lamp.pk}": "2"}, follow=True
    )
    assert "you can return up to 1" in too_many.content.decode()
    client.post(
        f"/orders/{order.number}/return/", {"reason": "damaged", f"qty_{lamp.pk}": "1", f"qty_{mug.pk}": "0"}
    )
    request = Order.objects.get(pk=order.pk).returns.get()
    assert [(ln.item_id, ln.quantity) for ln in request.lines.all()] == [(lamp.pk, 1)]
    # A second request while this one is open is refused.
    with pytest.raises(OrderActionError, match="already has a return"):
        orders.request_return(order=order, user=customer, reason="damaged", lines={mug.pk: 1})
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Partially returned" in page and "S$20.23" in page
    credit = CreditNote.objects.get(order=order)
    note = client.get(f"/orders/{order.number}/credit-notes/{credit.number}/").content.decode()
    assert "Credit note" in note and "S$20.23" in note and "Lamp" in note
    # Only the mugs can still be sent back.
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'name="qty_{mug.pk}"' in page and f'name="qty_{lamp.pk}"' not in page
    other = CustomerFactory()
    client.force_login(other)
    assert client.get(f"/orders/{order.number}/credit-notes/{credit.number}/").status_code == 404


def test_staff_approve_fewer_units_and_choose_what_goes_back_to_stock(customer, staff, mugs_and_lamp):
    order, mug, lamp = mugs_and_lamp
    request = orders.request_return(
        order=order, user=customer, reason="damaged", lines={mug.pk: 2, lamp.pk: 1}
    )
    lines = {ln.item_id: ln for ln in request.lines.all()}
    orders.decide_return(
        order=order, approve=True, actor=staff, quantities={lines[mug.pk].pk: 1, lines[lamp.pk].pk: 1}
    )
    mug_variant, lamp_variant = (
        ProductVariant.objects.get(pk=mug.variant_id),
        ProductVariant.objects.get(pk=lamp.variant_id),
    )
    # The lamp came back broken: refunded, not restocked. Delivery refunded as staff chose.
    orders.receive_return(
        order=order, actor=staff, restock_lines={lines[mug.pk].pk: True}, refund_shipping=True
    )
    credit = CreditNote.objects.get(order=order)
    assert (credit.merchandise, credit.shipping) == (D("9.53") + D("20.23"), D("5.68"))
    assert ProductVariant.objects.get(pk=mug_variant.pk).stock_quantity == mug_variant.stock_quantity + 1
    assert ProductVariant.objects.get(pk=lamp_variant.pk).stock_quantity == lamp_variant.stock_quantity
    order.refresh_from_db()
    assert order.status == "partially_returned"
    assert [i.returned_quantity for i in order.items.order_by("pk")] == [1, 1]
    assert ledger_mismatches() == []


def test_a_rejected_return_changes_nothing(customer, staff, mugs_and_lamp):
    order, mug, _ = mugs_and_lamp
    orders.request_return(order=order, user=customer, reason="changed_mind", lines={mug.pk: 1})
    orders.decide_return(order=order, approve=True, actor=staff, quantities={})  # nothing approved
    order.refresh_from_db()
    assert order.status == "delivered" and order.returns.get().status == "rejected"
    assert not CreditNote.objects.exists() and orders.can_request_return(order)


def test_an_exchange_ships_another_size_at_no_charge(customer, staff):
    product = ProductFactory(name="Tee", price=D("30.00"), stock_quantity=0)
    small, medium, large = make_variants(product, {"Size": ["S", "M", "L"]}, stock=4)
    DbCart(customer).set_item(medium.pk, 1, medium.price)
    order = deliver(place(customer, "tee").order, staff)
    item = order.items.get()
    with pytest.raises(OrderActionError, match="different size"):
        orders.request_return(order=order, user=customer, reason="wrong_size", exchanges={item.pk: medium.pk})
    other = variant(ProductFactory(name="Other"))
    with pytest.raises(OrderActionError, match="same product"):
        orders.request_return(order=order, user=customer, reason="wrong_size", exchanges={item.pk: other.pk})
    orders.request_return(order=order, user=customer, reason="wrong_size", exchanges={item.pk: large.pk})
    orders.decide_return(order=order, approve=True, actor=staff)

    replacement = Order.objects.get(exchange_of=order)
    line = replacement.items.get()
    assert (line.variant_id, line.quantity, replacement.total, replacement.status) == (
        large.pk,
        1,
        D("0"),
        "paid",
    )
    assert ProductVariant.objects.get(pk=large.pk).stock_quantity == 3
    assert not Payment.objects.filter(order=replacement).exists()
    orders.receive_return(order=order, actor=staff)  # the medium comes back to stock
    assert ProductVariant.objects.get(pk=medium.pk).stock_quantity == 4
    order.refresh_from_db()
    assert order.status == "delivered" and order.refunded_total == 0 and not order.credit_notes.exists()
    assert order.items.get().exchanged_quantity == 1 and not returnable_lines(order)
    assert ledger_mismatches() == []


def test_an_exchange_whose_drawn_order_number_is_taken_draws_another(customer, staff):
    """The replacement order is numbered as a placement is: a number already taken (once in
    millions) is drawn again, not a database error."""
    from auroramart.orders import placement

    order, large = _an_exchange_asked_for(customer, staff)
    numbers = iter([order.number, "AM991231-C0FFEE"])
    with mock.patch.object(placement, "new_order_number", lambda: next(numbers)):
        orders.decide_return(order=order, approve=True, actor=staff)
    replacement = Order.objects.get(exchange_of=order)
    assert replacement.number == "AM991231-C0FFEE" and replacement.items.get().variant_id == large.pk
    assert ledger_mismatches() == []


def _an_exchange_asked_for(customer, staff):
    """A delivered tee in size M whose customer asked to exchange it for an L; the order and the L."""
    product = ProductFactory(name="Tee", price=D("30.00"), stock_quantity=0)
    _, medium, large = make_variants(product, {"Size": ["S", "M", "L"]}, stock=2)
    DbCart(customer).set_item(medium.pk, 1, medium.price)
    order = deliver(place(customer, "tee").order, staff)
    orders.request_return(
        order=order, user=customer, reason="wrong_size", exchanges={order.items.get().pk: large.pk}
    )
    return order, large


def test_an_exchange_for_a_size_that_sold_out_is_refused_and_changes_nothing(customer, staff):
    order, large = _an_exchange_asked_for(customer, staff)
    ProductVariant.objects.filter(pk=large.pk).update(stock_quantity=0)
    with pytest.raises(OrderActionError, match="without the exchange"):
        orders.decide_return(order=order, approve=True, actor=staff)
    assert order.returns.get().status == "requested" and not Order.objects.filter(exchange_of=order).exists()


def test_goodwill_refunds_need_a_reason_and_stop_at_what_was_paid(customer, staff, mugs_and_lamp):
    order, _, _ = mugs_and_lamp
    with pytest.raises(OrderActionError, match="Say why"):
        orders.goodwill_refund(order=order, amount=D("5"), reason=" ", actor=staff)
    with pytest.raises(OrderActionError, match="above zero"):
        orders.goodwill_refund(order=order, amount=D("-5"), reason="late", actor=staff)
    credit = orders.goodwill_refund(order=order, amount=D("50.00"), reason="Parcel a week late", actor=staff)
    assert credit.kind == "goodwill" and credit.refunded_at is not None
    with pytest.raises(OrderActionError, match=r"At most S\$4.49"):
        orders.goodwill_refund(order=order, amount=D("5.00"), reason="again", actor=staff)
    order.refresh_from_db()
    assert order.refunded_total == D("50.00") and order.status == "delivered"
    assert balance(customer) == 251  # goodwill leaves the points alone


def test_goodwill_from_the_panel(client, mugs_and_lamp):
    setup_roles()
    service = create_staff(email="svc@staff.test", password="x-long-password-1", role="Service")
    order, _, _ = mugs_and_lamp
    client.force_login(service)
    page = client.get(f"/admin-panel/orders/{order.number}/").content.decode()
    assert "Goodwill refund, up to S$54.49" in page
    client.post(f"/admin-panel/orders/{order.number}/goodwill/", {"amount": "abc", "reason": "late"})
    assert not CreditNote.objects.exists()
    client.post(f"/admin-panel/orders/{order.number}/goodwill/", {"amount": "7.50", "reason": "Late parcel"})
    credit = CreditNote.objects.get(order=order)
    assert (credit.amount, credit.reason, credit.actor) == (D("7.50"), "Late parcel", service)
    assert AuditLog.objects.filter(action="goodwill_refund", actor=service).exists()
    assert "Late parcel" in client.get(f"/admin-panel/orders/{order.number}/").content.decode()


def test_a_refund_the_gateway_refuses_is_retried_until_paid(customer, staff, mugs_and_lamp):
    order, mug, _ = mugs_and_lamp
    orders.request_return(order=order, user=customer, reason="damaged", lines={mug.pk: 1})
    orders.decide_return(order=order, approve=True, actor=staff)
    with mock.patch.object(TestGateway, "refund", return_value=False):
        orders.receive_return(order=order, actor=staff)
    credit = CreditNote.objects.get(order=order)
    assert credit.refunded_at is None and list(orders.unpaid_credit_notes()) == [credit]
    assert Order.objects.get(pk=order.pk).refunded_total == 0
    orders.resolve_pending_orders(older_than_minutes=0)
    credit.refresh_from_db()
    assert credit.refunded_at is not None and not orders.unpaid_credit_notes().exists()
    assert Order.objects.get(pk=order.pk).refunded_total == D("9.53")
    orders.resolve_pending_orders(older_than_minutes=0)  # twice: nothing more
    assert Payment.objects.get(order=order).refunded_amount == D("9.53")


def test_the_api_returns_some_units_and_shows_the_credit_note(client, customer, staff, mugs_and_lamp):
    order, mug, lamp = mugs_and_lamp
    auth = api_auth(client, customer)
    url = f"/api/v1/orders/{order.number}/return"
    too_many = client.post(
        url,
        {"reason": "damaged", "lines": [{"line_id": mug.pk, "quantity": 4}]},
        content_type="application/json",
        **auth,
    )
    assert too_many.status_code == 409 and too_many["Content-Type"].startswith("application/problem+json")
    answer = client.post(
        url,
        {"reason": "damaged", "lines": [{"line_id": mug.pk, "quantity": 1}]},
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 200 and answer.json()["status"] == "return_requested"
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)
    body = client.get(f"/api/v1/orders/{order.number}", **auth).json()
    assert body["refunded_total"] == "9.53" and body["credit_notes"][0]["amount"] == "9.53"
    assert {ln["line_id"]: ln["returned_quantity"] for ln in body["lines"]} == {mug.pk: 1, lamp.pk: 0}


@given(
    lines=st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 50_000)), min_size=1, max_size=6
    ),  # (quantity, unit price in cents)
    coupon_share=st.integers(0, 100),
    points=st.integers(0, 200),
    shipping=st.sampled_from([D("0"), D("5.99"), D("12.00")]),
    data=st.data(),
)
@hsettings(max_examples=200, deadline=None)
def test_any_order_splits_exactly_and_returning_every_unit_refunds_the_total(
    lines, coupon_share, points, shipping, data
):
    items = [
        SimpleNamespace(pk=i + 1, quantity=q, line_total=D(q * cents) / 100, tax_amount=D("0"))
        for i, (q, cents) in enumerate(lines)
    ]
    subtotal = sum(i.line_total for i in items)
    discount = (subtotal * coupon_share / 100).quantize(D("0.01"))
    points_discount = D(min(points, int(subtotal - discount + shipping)))
    total = subtotal - discount + shipping - points_discount
    order = SimpleNamespace(
        discount_total=discount,
        points_discount=points_discount,
        shipping_fee=shipping,
        prices_include_tax=True,
        shipping_tax=D("0"),
    )
    allocation = allocate(order, items)
    assert allocation.total == total
    assert all(share.paid >= 0 for share in allocation.lines.values())
    refunded = D("0")
    for item in items:
        share, done = allocation.lines[item.pk], 0
        while done < item.quantity:  # any way of splitting the units over returns
            units = data.draw(st.integers(1, item.quantity - done))
            refunded += share.paid_for_units(done, units)
            done += units
    assert refunded + allocation.shipping_paid == total


def test_split_gives_spare_cents_to_the_largest_remainders():
    assert split(D("10.00"), [D("36.00"), D("25.50")]) == [D("5.85"), D("4.15")]
    assert split(D("0.01"), [D("1"), D("1")]) == [D("0.01"), D("0.00")]  # a tie: the earlier line
    assert split(D("5.00"), [D("0"), D("0")]) == [D("0.00"), D("0.00")]
