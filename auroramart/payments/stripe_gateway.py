"""Stripe, through its official library: PaymentIntents created and confirmed by the server
(the browser only tokenises the card with Stripe.js), 3-D Secure by redirect, refunds, saved
cards on a Stripe customer. Keys and the webhook secret come from settings (docs/payments.md);
STRIPE_API_BASE points the library at the local stand-in in tests (payments/stripe_standin.py).
"""

import contextlib
import logging

import stripe
from django.conf import settings

from .gateway import (
    CardDetails,
    ChargeResult,
    GatewayError,
    GatewayTimeout,
    PaymentGateway,
    to_minor_units,
)

logger = logging.getLogger(__name__)

PAID = {"succeeded", "requires_capture", "processing"}
# What a decline tells the shopper (Stripe's codes; its own message otherwise).
MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "card_declined": "Your card was declined. Try another card.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "The card's security code is incorrect.",
    "authentication_failed": "Your bank could not confirm this payment. You have not been charged.",
    "payment_intent_authentication_failure": "Your bank could not confirm this payment. You have not been charged.",
}


class StripeGateway(PaymentGateway):
    name = "stripe"
    browser_script = "js/payment-stripe.js"

    def __init__(self):
        if not settings.STRIPE_SECRET_KEY:
            raise GatewayError("STRIPE_SECRET_KEY is not set.")
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            # Retried with the same idempotency key: never a second charge.
            max_network_retries=settings.STRIPE_NETWORK_RETRIES,
            http_client=stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )

    def charge(
        self, *, amount, currency, payment_method, idempotency_key, customer="", save=False, return_url=""
    ):
        params: dict = {
            "amount": to_minor_units(amount),
            "currency": currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"order": idempotency_key},
        }
        if customer:
            params["customer"] = customer
        if save:
            params["setup_future_usage"] = "off_session"
        if return_url:
            params["return_url"] = return_url
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"charge-{idempotency_key}"},
            )
        except stripe.CardError as exc:
            code = _field(exc.error, "decline_code") or exc.code or "card_declined"
            return ChargeResult(
                False,
                brand=_brand(_field(exc.error, "payment_method", "card", "brand")),
                last4=_field(exc.error, "payment_method", "card", "last4"),
                code=code,
                message=MESSAGES.get(code, exc.user_message or ""),
            )
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout(str(exc)) from None
        except stripe.InvalidRequestError as exc:
            return ChargeResult(False, code="invalid_payment_method", message=exc.user_message or str(exc))
        return self._result(intent)

    def _result(self, intent) -> ChargeResult:
        details = self.card_details(payment_method=intent.payment_method) if intent.payment_method else None
        common = {
            "reference": intent.id,
            "brand": details.brand if details else "",
            "last4": details.last4 if details else "",
            "payment_method": intent.payment_method or "",
        }
        if intent.status in PAID:
            return ChargeResult(True, **common)
        if intent.status == "requires_action":
            url = _field(intent, "next_action", "redirect_to_url", "url")
            return ChargeResult(False, action_url=url, **common)
        error = _field(intent, "last_payment_error", "decline_code") or _field(
            intent, "last_payment_error", "code"
        )
        code = error if error in MESSAGES else "authentication_failed"
        return ChargeResult(False, code=code, message=MESSAGES[code], **common)

    def find_charge(self, *, idempotency_key):
        found = self.client.v1.payment_intents.search(
            params={"query": f"metadata['order']:'{idempotency_key}'", "limit": 10}
        )
        intents = sorted(found.data, key=lambda i: i.created, reverse=True)
        if not intents:
            return None
        paid = [i for i in intents if i.status in PAID]
        return self._result(paid[0] if paid else intents[0])

    def cancel(self, *, reference):
        # Succeeded or already cancelled meanwhile: find_charge says which.
        with contextlib.suppress(stripe.InvalidRequestError):
            self.client.v1.payment_intents.cancel(reference)

    def refund(self, *, reference, amount):
        try:
            self.client.v1.refunds.create(
                params={"payment_intent": reference, "amount": to_minor_units(amount)}
            )
        except stripe.StripeError as exc:
            logger.warning("stripe refund of %s on %s failed: %s", amount, reference, exc)
            return False
        return True

    def create_customer(self, *, email):
        return self.client.v1.customers.create(params={"email": email}).id

    def card_details(self, *, payment_method):
        try:
            method = self.client.v1.payment_methods.retrieve(payment_method)
        except stripe.InvalidRequestError:
            return None
        card = method.card
        if card is None:
            return None
        return CardDetails(_brand(card.brand), card.last4, card.exp_month, card.exp_year)

    def detach(self, *, payment_method):
        try:
            self.client.v1.payment_methods.detach(payment_method)
        except stripe.InvalidRequestError as exc:
            raise GatewayError(str(exc)) from None


def _field(obj, *path: str) -> str:
    """A nested field of a Stripe object, or "" where any step is missing."""
    for name in path:
        obj = getattr(obj, name, None) if obj is not None else None
    return str(obj) if obj is not None else ""


def _brand(brand: str) -> str:
    return {"visa": "Visa", "mastercard": "Mastercard", "amex": "Amex"}.get(brand, brand.title() or "Card")
