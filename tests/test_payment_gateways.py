"""Contract tests: both card providers behave alike behind the gateway interface, offline.
The Stripe adapter goes through Stripe's official library over HTTP to the local stand-in."""

import time
from decimal import Decimal

import pytest
import stripe

from auroramart.payments.gateway import GatewayTimeout, InvalidSignature

from .providers import Provider, provider, signed, stripe_standin  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

S = Decimal


def charge(provider: Provider, key: str, pm: str = "pm_card_visa", **options):
    return provider.gateway.charge(
        amount=S("123.45"), currency="SGD", payment_method=pm, idempotency_key=key, **options
    )


def test_a_good_card_pays_once_per_key(provider):
    first = charge(provider, "AM-1")
    assert first.succeeded and first.reference.startswith("pi_")
    assert (first.brand, first.last4) == ("Visa", "4242")
    again = charge(provider, "AM-1")  # a retry after a crash: the same charge, not a second
    assert again.succeeded and again.reference == first.reference
    found = provider.gateway.find_charge(idempotency_key="AM-1")
    assert found is not None and found.succeeded and found.reference == first.reference
    assert provider.gateway.find_charge(idempotency_key="AM-unknown") is None


@pytest.mark.parametrize(
    "pm,code,message",
    [
        ("pm_card_chargeDeclined", "card_declined", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ],
)
def test_declines_say_why(provider, pm, code, message):
    result = charge(provider, "AM-2", pm)
    assert not result.succeeded and not result.requires_action
    assert result.code in (code, "generic_decline") and result.message.startswith(message)
    found = provider.gateway.find_charge(idempotency_key="AM-2")
    assert found is None or not found.succeeded  # nothing to refund later


@pytest.mark.parametrize("approve", [True, False])
def test_three_d_secure_waits_for_the_shopper_then_settles(provider, approve):
    result = charge(provider, "AM-3", "pm_card_threeDSecure2Required", return_url="https://shop.test/back/")
    assert result.requires_action and result.action_url and result.reference
    waiting = provider.gateway.find_charge(idempotency_key="AM-3")
    assert waiting is not None and waiting.requires_action
    back = provider.authenticate(result.action_url, approve=approve)
    assert back == "https://shop.test/back/"
    settled = provider.gateway.find_charge(idempotency_key="AM-3")
    assert settled is not None and settled.succeeded is approve and not settled.requires_action
    assert provider.gateway.refund(reference=result.reference, amount=S("1.00")) is approve


def test_an_abandoned_authentication_is_cancelled_and_can_no_longer_pay(provider):
    result = charge(provider, "AM-4", "pm_card_threeDSecure2Required", return_url="https://shop.test/back/")
    provider.gateway.cancel(reference=result.reference)
    provider.authenticate(result.action_url, approve=True)  # the shopper comes back too late
    found = provider.gateway.find_charge(idempotency_key="AM-4")
    assert found is not None and not found.succeeded and not found.requires_action


def test_refunds_in_parts_never_above_what_was_captured(provider):
    result = charge(provider, "AM-5")
    assert provider.gateway.refund(reference=result.reference, amount=S("23.45"))
    assert provider.gateway.refund(reference=result.reference, amount=S("100.00"))
    assert not provider.gateway.refund(reference=result.reference, amount=S("0.01"))


def test_a_saved_card_is_the_customers_alone_and_goes_when_removed(provider):
    gateway = provider.gateway
    customer = gateway.create_customer(email="mei@example.test")
    first = charge(provider, "AM-6", "pm_card_visa", customer=customer, save=True)
    saved = first.payment_method
    assert first.succeeded and saved and saved != "pm_card_visa"  # a card of the customer's own
    details = gateway.card_details(payment_method=saved)
    assert (
        details is not None and (details.brand, details.last4) == ("Visa", "4242") and details.exp_year > 2026
    )
    assert charge(provider, "AM-7", saved, customer=customer).succeeded  # next time, with no card entered
    other = gateway.create_customer(email="someone@example.test")
    stolen = charge(provider, "AM-8", saved, customer=other)
    assert not stolen.succeeded
    gateway.detach(payment_method=saved)
    assert gateway.card_details(payment_method=saved) is None
    assert not charge(provider, "AM-9", saved, customer=customer).succeeded


def test_an_unknown_payment_method_is_a_clear_refusal(provider):
    result = charge(provider, "AM-10", "pm_does_not_exist")
    assert not result.succeeded and result.message


@pytest.mark.parametrize("change", ["body", "secret", "old", "missing"])
def test_a_webhook_must_carry_the_providers_signature(provider, change):
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}
    payload, header = signed(event)
    assert provider.gateway.parse_webhook(payload=payload, signature=header).id == "evt_1"
    if change == "body":
        payload = payload.replace(b"pi_1", b"pi_2")
    elif change == "secret":
        payload, header = signed(event, secret="whsec_someone_else")
    elif change == "old":  # a recorded delivery replayed later
        payload, header = signed(event, timestamp=int(time.time()) - 600)
    else:
        header = ""
    with pytest.raises(InvalidSignature):
        provider.gateway.parse_webhook(payload=payload, signature=header)


# --- what only the Stripe adapter has to get right --------------------------------------------


def test_stripe_is_sent_cents_an_idempotency_key_and_the_order_never_a_card(stripe_standin, settings):
    from auroramart.payments.stripe_gateway import StripeGateway

    StripeGateway().charge(
        amount=S("19.99"), currency="SGD", payment_method="pm_card_visa", idempotency_key="AM-20"
    )
    verb, path, params = next(r for r in stripe_standin.requests if r[1] == "/v1/payment_intents")
    assert params["amount"] == "1999" and params["currency"] == "sgd" and params["confirm"] == "true"
    assert params["metadata"] == {"order": "AM-20"} and params["payment_method"] == "pm_card_visa"
    assert not any("4242424242424242" in str(r) for r in stripe_standin.requests)


def test_stripe_unreachable_is_a_timeout_the_shop_settles_later(settings):
    from auroramart.payments.stripe_gateway import StripeGateway

    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_x", "http://127.0.0.1:9"
    settings.STRIPE_TIMEOUT_SECONDS, settings.STRIPE_NETWORK_RETRIES = 1, 0
    with pytest.raises(GatewayTimeout):
        StripeGateway().charge(
            amount=S("5"), currency="SGD", payment_method="pm_card_visa", idempotency_key="AM-21"
        )


def test_the_stand_in_speaks_stripes_error_format(stripe_standin):
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_standin.base})
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            params={
                "amount": 100,
                "currency": "sgd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
    assert caught.value.http_status == 402 and caught.value.code == "card_declined"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient(
            "rk_live_wrong", base_addresses={"api": stripe_standin.base}
        ).v1.customers.create()
