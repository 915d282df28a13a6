"""Paying by card in a real browser, as the provider pattern has it: the card goes from the
browser to the provider, never to the shop. A customer saves a card and pays with it next
time; another confirms with their bank (3-D Secure); another closes the tab on the bank's
page and the provider's late webhook still confirms the order. Nothing the shop keeps or
logs, and nothing the browser sends it, holds a card number."""

import io
import json
import logging
import urllib.request
from decimal import Decimal

import pytest
from django.apps import apps

from auroramart.orders.models import Order
from auroramart.payments.builtin import TestGateway, sign
from auroramart.payments.models import Payment, SavedCard, TestGatewayCharge

from .test_checkout_journey import fill_card, kettle, shopper, sign_in  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBERS = ("4242424242424242", "4242 4242 4242 4242", "4000000000003220", "4000 0000 0000 3220")


@pytest.fixture
def everything_the_shop_sees(page):
    """Every request body the browser sends the shop, and every log record the shop writes."""
    bodies: list[str] = []
    page.on("request", lambda request: bodies.append(f"{request.url} {request.post_data or ''}"))
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield bodies, records
    root.removeHandler(handler)
    root.setLevel(previous)


def no_card_number_anywhere(bodies, records):
    # Every row of every table the shop keeps (the test database holds nothing else).
    dump = "\n".join(
        json.dumps(list(model.objects.values()), default=str)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    )
    for place, text in (("requests", "\n".join(bodies)), ("logs", records.getvalue()), ("database", dump)):
        for number in NUMBERS:
            assert number not in text, f"a card number in the {place}"
    assert any("payment-methods" in b for b in bodies)  # the card did go somewhere: the provider


def add_to_cart_and_check_out(page, product):
    page.goto(product.get_absolute_url())
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.get_by_text(f"{product.name} is in your cart.").wait_for()
    page.goto("/checkout/checkout/")


def test_save_a_card_then_pay_with_it_next_time(page, shopper, kettle, everything_the_shop_sees):
    sign_in(page)
    add_to_cart_and_check_out(page, kettle)
    fill_card(page, "4242 4242 4242 4242")
    page.get_by_label("Save this card for next time").check()
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/AM*/")
    card = SavedCard.objects.get(user=shopper)
    add_to_cart_and_check_out(page, kettle)
    saved = page.get_by_label(f"Visa ending 4242, expires {card.expiry}")
    assert saved.is_checked() and page.locator("#new-card").is_hidden()  # nothing to type
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/AM*/")
    assert Order.objects.filter(status="paid").count() == 2
    assert Payment.objects.filter(status="succeeded", last4="4242").count() == 2
    page.goto("/profile/cards/")
    page.get_by_role("button", name="Remove Visa ending 4242").click()
    page.get_by_text("Card removed").wait_for()
    assert not SavedCard.objects.exists()
    no_card_number_anywhere(*everything_the_shop_sees)


def test_three_d_secure_at_the_bank_then_back_to_the_order(page, shopper, kettle, everything_the_shop_sees):
    sign_in(page)
    add_to_cart_and_check_out(page, kettle)
    fill_card(page, "4000 0000 0000 3220")
    page.get_by_role("button", name="Place order and pay").click()
    page.get_by_role("heading", name="Confirm your payment").wait_for()
    assert Order.objects.get().status == "pending_payment"
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/orders/AM*/")
    order = Order.objects.get()
    assert order.status == "paid" and page.locator("#order-status").inner_text() == "Paid"
    assert page.get_by_text(f"Your order {order.number} is confirmed").is_visible()
    no_card_number_anywhere(*everything_the_shop_sees)


def test_a_failed_authentication_returns_to_checkout_with_the_cart(page, shopper, kettle):
    sign_in(page)
    add_to_cart_and_check_out(page, kettle)
    fill_card(page, "4000 0000 0000 3220")
    page.get_by_role("button", name="Place order and pay").click()
    page.get_by_role("button", name="Fail authentication").click()
    page.get_by_text("Your bank did not confirm the payment").wait_for()
    assert "/checkout/checkout/" in page.url and Order.objects.count() == 0
    fill_card(page, "4242 4242 4242 4242")  # another card, same cart
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/AM*/")
    assert Order.objects.get().status == "paid"


def test_the_tab_closes_at_the_bank_and_the_late_webhook_confirms(
    page, shopper, kettle, live_server, settings
):
    sign_in(page)
    add_to_cart_and_check_out(page, kettle)
    fill_card(page, "4000 0000 0000 3220")
    page.get_by_role("button", name="Place order and pay").click()
    page.get_by_role("heading", name="Confirm your payment").wait_for()
    context = page.context
    page.close()  # the shopper closes the tab before their bank answers
    order = Order.objects.get()
    assert order.status == "pending_payment"
    # The bank confirms later; the provider records it and posts its (signed) webhook to the shop.
    charge = TestGatewayCharge.objects.get(idempotency_key=order.number)
    TestGatewayCharge.objects.filter(pk=charge.pk).update(status="succeeded")
    event = TestGateway.event(
        "payment_intent.succeeded", TestGateway().intent_object(charge) | {"status": "succeeded"}
    )
    payload = json.dumps(event).encode()
    request = urllib.request.Request(
        f"{live_server.url}/payments/webhooks/",
        data=payload,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload, settings.PAYMENT_WEBHOOK_SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.load(answer) == {"received": "processed"}
    later = context.new_page()
    later.goto("/orders/")
    later.get_by_role("link", name=order.number).click()
    assert later.locator("#order-status").inner_text() == "Paid"
    assert later.locator("#cart-count").inner_text() in ("", "0")  # the cart was emptied too
    assert Order.objects.get().status == "paid" and Decimal(Payment.objects.get().amount) == order.total
