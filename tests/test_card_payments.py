"""Paying by card the way a real provider works, with both providers (the built-in test provider
and Stripe's adapter against the local stand-in): 3-D Secure, webhooks that settle what the
browser never came back to say, saved cards, and the guarantees of the money path."""

import json
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auroramart.cart.models import CartItem
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import Product
from auroramart.loyalty.models import LoyaltyTransaction
from auroramart.orders.models import Order, OrderStatusChange
from auroramart.orders.services import resolve_pending_orders
from auroramart.payments.models import Payment, SavedCard, WebhookEvent

from .factories import AddressFactory, CustomerFactory, ProductFactory
from .providers import provider, return_path, signed, stripe_standin  # noqa: F401  (fixtures)
from .test_api import call, token_for
from .test_checkout import checkout_data, checkout_page, fill_cart, stock

pytestmark = pytest.mark.django_db

THREE_D_SECURE = "pm_card_threeDSecure2Required"


@pytest.fixture
def shopper(client):
    user = CustomerFactory(email="mei@example.test")
    AddressFactory(user=user, is_default_shipping=True)
    client.force_login(user)
    return user


@pytest.fixture
def lamp():
    return ProductFactory(name="Lamp", price=Decimal("80.00"), stock_quantity=5)


def pay(client, payment_method="pm_card_visa", **extra):
    return client.post("/checkout/checkout/", checkout_data(client, payment_method, **extra))


def webhook(client, kind: str, obj: dict, event_id: str = "evt_1"):
    payload, header = signed({"id": event_id, "type": kind, "data": {"object": obj}})
    return client.post(
        "/payments/webhooks/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def succeeded(order: Order) -> dict:
    payment = Payment.objects.get(order_number=order.number)
    return {
        "id": payment.gateway_reference,
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"order": order.number},
        "payment_method": "",
    }


def test_three_d_secure_sends_the_shopper_to_their_bank_and_back_to_a_confirmed_order(
    client, provider, shopper, lamp
):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    assert response.status_code == 302  # to the bank's page, not to an order yet
    order = Order.objects.get()
    assert order.status == "pending_payment" and stock(lamp) == 4
    payment = Payment.objects.get()
    assert payment.status == "requires_action" and payment.action_url == response["Location"]
    assert CartItem.objects.filter(cart__user=shopper).exists()  # not emptied before it is paid
    back = provider.authenticate(response["Location"], approve=True)
    landed = client.get(return_path(back))
    assert landed.status_code == 302 and landed["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == "paid" and Payment.objects.get().status == "succeeded"
    assert not CartItem.objects.filter(cart__user=shopper).exists()
    assert client.get(return_path(back)).status_code == 302  # coming back twice changes nothing
    assert OrderStatusChange.objects.filter(order=order, to_status="paid").count() == 1


def test_a_failed_authentication_gives_everything_back(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 2))
    response = pay(client, THREE_D_SECURE)
    back = provider.authenticate(response["Location"], approve=False)
    landed = client.get(return_path(back), follow=True)
    assert "did not confirm the payment" in landed.content.decode()
    assert landed.redirect_chain[-1][0] == "/checkout/checkout/"
    assert Order.objects.count() == 0 and stock(lamp) == 5
    assert CartItem.objects.get(cart__user=shopper).quantity == 2  # the cart, as it was
    assert Payment.objects.get().status == "failed"


def test_a_late_webhook_confirms_the_order_after_the_tab_was_closed(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    provider.authenticate(response["Location"], approve=True)  # ...and the shopper closes the tab
    order = Order.objects.get()
    assert order.status == "pending_payment"
    delivered = webhook(client, "payment_intent.succeeded", succeeded(order), "evt_late")
    assert delivered.status_code == 200 and delivered.json() == {"received": "processed"}
    order.refresh_from_db()
    assert order.status == "paid"
    assert not CartItem.objects.filter(cart__user=shopper).exists()  # emptied as checkout would have
    points = LoyaltyTransaction.objects.filter(account__user=shopper, kind="earn").count()
    again = webhook(client, "payment_intent.succeeded", succeeded(order), "evt_late")  # delivered twice
    assert again.json() == {"received": "duplicate"}
    assert LoyaltyTransaction.objects.filter(account__user=shopper, kind="earn").count() == points == 1
    assert WebhookEvent.objects.filter(event_id="evt_late").count() == 1


def test_the_test_provider_sends_its_webhook_itself(
    client, settings, shopper, lamp, django_capture_on_commit_callbacks
):
    settings.PAYMENT_GATEWAY = "test"
    from auroramart.payments.builtin import TestGateway

    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    reference = Payment.objects.get().gateway_reference
    with django_capture_on_commit_callbacks(execute=True):
        TestGateway().authenticate(reference=reference, approve=True)
    assert Order.objects.get().status == "paid"
    assert WebhookEvent.objects.get().type == "payment_intent.succeeded"
    assert response.status_code == 302


def test_an_abandoned_authentication_releases_the_order_and_cannot_pay_later(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    outcome = resolve_pending_orders(older_than_minutes=0)
    assert outcome["released"] == 1 and Order.objects.count() == 0 and stock(lamp) == 5
    provider.authenticate(response["Location"], approve=True)  # too late: cancelled at the provider
    assert provider.gateway.find_charge(idempotency_key=Payment.objects.get().order_number).succeeded is False


def test_a_charge_that_lands_after_the_order_was_released_is_refunded(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    number = Order.objects.get().number
    with mock.patch.object(type(provider.gateway), "cancel"):  # the cancellation did not reach them
        resolve_pending_orders(older_than_minutes=0)
    provider.authenticate(response["Location"], approve=True)
    payment = Payment.objects.get()
    obj = {"id": payment.gateway_reference, "metadata": {"order": number}, "payment_method": ""}
    assert webhook(client, "payment_intent.succeeded", obj).status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount and Order.objects.count() == 0
    assert not provider.gateway.refund(reference=payment.gateway_reference, amount=Decimal("0.01"))


def test_a_dispute_marks_the_payment_and_the_orders_timeline(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    pay(client)
    order = Order.objects.get()
    payment = Payment.objects.get()
    dispute = {
        "id": "dp_1",
        "payment_intent": payment.gateway_reference,
        "reason": "fraudulent",
        "amount": 8000,
        "status": "needs_response",
    }
    assert webhook(client, "charge.dispute.created", dispute).json() == {"received": "processed"}
    payment.refresh_from_db()
    assert payment.disputed_at is not None and "fraudulent" in payment.dispute_reason
    note = OrderStatusChange.objects.filter(order=order, note__contains="disputed").get()
    assert "S$80.00" in note.note
    from auroramart.staff.services import create_staff, setup_roles

    setup_roles()
    client.force_login(create_staff(email="svc@staff.test", password="x-long-password-1", role="Service"))
    page = client.get(f"/admin-panel/orders/{order.number}/").content.decode()
    assert 'id="payment-disputed"' in page and "fraudulent" in page


@pytest.mark.parametrize("how", ["unsigned", "forged"])
def test_a_webhook_without_the_providers_signature_changes_nothing(client, provider, shopper, lamp, how):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE)
    provider.authenticate(response["Location"], approve=True)
    order = Order.objects.get()
    payload = json.dumps(
        {"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": succeeded(order)}}
    )
    headers = {} if how == "unsigned" else {"HTTP_STRIPE_SIGNATURE": signed({}, secret="whsec_attacker")[1]}
    answer = client.post("/payments/webhooks/", payload, content_type="application/json", **headers)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_a_saved_card_pays_next_time_and_goes_when_removed(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    assert pay(client, "pm_card_visa", save_card="on").status_code == 302
    card = SavedCard.objects.get(user=shopper)
    assert (card.brand, card.last4) == ("Visa", "4242") and card.payment_method != "pm_card_visa"
    fill_cart(shopper, (lamp, 1))
    form, _ = checkout_page(client)
    assert form.card == str(card.pk)  # offered first
    data = checkout_data(client, "", card=str(card.pk))  # no card entered at all
    with CaptureQueriesContext(connection) as ctx:
        assert client.post("/checkout/checkout/", data).status_code == 302
    assert Order.objects.filter(status="paid").count() == 2
    # Offered and then charged with the customer it is attached to, from one read of the cards.
    cards_table = f'"{SavedCard._meta.db_table}"'
    assert sum(q["sql"].startswith("SELECT") and cards_table in q["sql"] for q in ctx.captured_queries) == 1
    page = client.get("/profile/cards/")
    assert "Visa ending 4242" in page.content.decode()
    client.post(f"/profile/cards/{card.pk}/remove/")
    assert not SavedCard.objects.exists()
    assert provider.gateway.card_details(payment_method=card.payment_method) is None  # detached there


def test_a_card_saved_through_three_d_secure_is_kept_once_it_paid(client, provider, shopper, lamp):
    fill_cart(shopper, (lamp, 1))
    response = pay(client, THREE_D_SECURE, save_card="on")
    assert not SavedCard.objects.exists()  # not before it has paid
    client.get(return_path(provider.authenticate(response["Location"], approve=True)))
    assert SavedCard.objects.get(user=shopper).last4 == "3220"


def test_someone_elses_saved_card_cannot_be_used(client, provider, shopper, lamp):
    other = CustomerFactory()
    theirs = SavedCard.objects.create(
        user=other,
        gateway=provider.gateway.name,
        payment_method="pm_x",
        brand="Visa",
        last4="1111",
        exp_month=1,
        exp_year=2040,
    )
    fill_cart(shopper, (lamp, 1))
    response = pay(client, "", card=str(theirs.pk))
    assert response.status_code == 400 and Order.objects.count() == 0
    token = token_for(client, shopper.email)
    api = call(
        client,
        "post",
        "/checkout",
        token=token,
        body={"saved_card_id": theirs.pk},
        HTTP_IDEMPOTENCY_KEY="theirs-card-1",
    )
    assert api.status_code == 400 and api.json()["fields"]["saved_card_id"]
    assert call(client, "delete", f"/me/cards/{theirs.pk}", token=token).status_code == 404
    assert SavedCard.objects.filter(pk=theirs.pk).exists()


def test_the_api_answers_202_with_the_banks_page_then_the_webhook_confirms(client, provider, shopper, lamp):
    token = token_for(client, shopper.email)
    call(client, "post", "/cart/items", token=token, body={"product_id": lamp.pk, "quantity": 1})
    answer = call(
        client,
        "post",
        "/checkout",
        token=token,
        body={"payment_method": THREE_D_SECURE, "save_card": True},
        HTTP_IDEMPOTENCY_KEY="api-3ds-0001",
    )
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "pending_payment" and body["next_action"]["type"] == "redirect_to_url"
    provider.authenticate(body["next_action"]["url"], approve=True)
    order = Order.objects.get()
    webhook(client, "payment_intent.succeeded", succeeded(order))
    assert (
        call(client, "get", answer["Location"].removeprefix("/api/v1"), token=token).json()["status"]
        == "paid"
    )
    cards = call(client, "get", "/me/cards", token=token).json()
    assert [c["last4"] for c in cards] == ["3220"]
    assert call(client, "delete", f"/me/cards/{cards[0]['id']}", token=token).status_code == 200


def test_the_api_refuses_a_card_number(client, shopper, lamp):
    token = token_for(client, shopper.email)
    call(client, "post", "/cart/items", token=token, body={"product_id": lamp.pk, "quantity": 1})
    card = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2039, "cvc": "123"}
    answer = call(
        client, "post", "/checkout", token=token, body={"card": card}, HTTP_IDEMPOTENCY_KEY="raw-card-01"
    )
    assert answer.status_code == 400 and Order.objects.count() == 0
    assert "4242" not in answer.content.decode()
    neither = call(client, "post", "/checkout", token=token, body={}, HTTP_IDEMPOTENCY_KEY="no-card-0001")
    assert neither.status_code == 400 and neither.json()["fields"]["payment_method"]


def test_a_guest_returns_from_their_bank_to_their_signed_order_page(client, provider, lamp):
    from .test_guest_checkout import checkout_as_guest

    response = checkout_as_guest(client, lamp, payment_method=THREE_D_SECURE)
    assert response.status_code == 302
    landed = client.get(return_path(provider.authenticate(response["Location"], approve=True)))
    assert landed["Location"].startswith("/orders/guest/")
    assert Order.objects.get().status == "paid" and Product.objects.get(pk=lamp.pk).stock_quantity == 3


def test_the_money_path_guarantees_hold_with_either_provider(client, provider, shopper, lamp):
    """One key, one order, one charge; a cancellation refunds what was captured, no more; a
    charge the shop never heard back about is confirmed by resolve_pending_orders."""
    from auroramart.orders.services import cancel_order, place_order

    from .placing import ADDRESS

    fill_cart(shopper, (lamp, 1))
    data = checkout_data(client)
    client.post("/checkout/checkout/", data)
    client.post("/checkout/checkout/", data)  # a double submit
    order = Order.objects.get()
    charge = provider.gateway.find_charge(idempotency_key=order.number)
    assert charge is not None and charge.succeeded and Payment.objects.count() == 1
    cancel_order(order=order, actor=shopper, by_customer=True)
    payment = Payment.objects.get()
    assert payment.refunded_amount == payment.amount == order.total
    assert not provider.gateway.refund(reference=payment.gateway_reference, amount=Decimal("0.01"))
    # A crash after the provider charged and before the shop recorded it: the job settles it.
    fill_cart(shopper, (lamp, 1))
    crash = mock.patch("auroramart.orders.placement._confirm", side_effect=RuntimeError("crash"))
    with crash, pytest.raises(RuntimeError):
        place_order(
            user=shopper,
            cart=DbCart(shopper),
            idempotency_key="crash-1",
            address=ADDRESS,
            shipping_method="standard",
            payment_method="pm_card_visa",
        )
    pending = Order.objects.get(status="pending_payment")
    assert resolve_pending_orders(older_than_minutes=0)["confirmed"] == 1
    pending.refresh_from_db()
    assert pending.status == "paid" and pending.invoice_number


def test_cards_saved_or_removed_during_a_request_are_seen_by_the_rest_of_it(shopper):
    """The customer's cards are read once per request (a checkout offers them, then charges one);
    a card saved or removed meanwhile is not missed, nor a removed one charged."""
    from auroramart.core.request_context import request_memo
    from auroramart.payments.gateway import CardDetails, get_gateway
    from auroramart.payments.services import remember_card, remove_card, saved_cards

    gateway = get_gateway()
    memo = request_memo.set({})
    try:
        assert saved_cards(shopper) == []
        with mock.patch.object(
            type(gateway), "card_details", return_value=CardDetails("Visa", "4242", 12, 2040)
        ):
            card = remember_card(user=shopper, payment_method="pm_saved_1", gateway=gateway)
        assert [c.pk for c in saved_cards(shopper)] == [card.pk]
        remove_card(user=shopper, card_id=card.pk)
        assert saved_cards(shopper) == []
    finally:
        request_memo.reset(memo)
