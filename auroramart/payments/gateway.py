"""The payment gateway interface: what the shop asks of a card provider.

No card number ever reaches the shop. The shopper's browser (or app) hands the card to the
provider, which answers with a payment method id (`pm_…`); the shop charges that id and
keeps only the provider's references, the card brand, the last four digits and the expiry.
Two gateways implement this interface (setting PAYMENT_GATEWAY):

- `test` (payments/builtin.py): built into the shop, with the usual test card numbers; the
  demo and the suite run the same flow as a real provider, 3-D Secure and webhooks included;
- `stripe` (payments/stripe_gateway.py): Stripe's PaymentIntents through its official library.

Webhooks from either carry Stripe's event format and signature scheme (docs/payments.md).
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils.module_loading import import_string

GATEWAYS = {
    "test": "auroramart.payments.builtin.TestGateway",
    "stripe": "auroramart.payments.stripe_gateway.StripeGateway",
}


@dataclass(frozen=True)
class CardDetails:
    """All the shop ever keeps of a card."""

    brand: str
    last4: str
    exp_month: int = 0
    exp_year: int = 0


@dataclass(frozen=True)
class ChargeResult:
    """What a charge (or a look-up of one) came to.

    `succeeded` the money is captured (or authorised, with manual capture); otherwise
    `action_url` set means the shopper must first authenticate there (3-D Secure), and
    otherwise the card did not pay (`code`, `message` say why)."""

    succeeded: bool
    reference: str = ""  # the provider's id for the charge (a PaymentIntent's id)
    brand: str = ""
    last4: str = ""
    code: str = ""  # declined, insufficient_funds, authentication_failed, ...
    message: str = ""
    action_url: str = ""
    payment_method: str = ""  # the card charged; a saved card's id once `save` was asked

    @property
    def requires_action(self) -> bool:
        return not self.succeeded and bool(self.action_url)


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event: its id (processed once), type and the object it is about."""

    id: str
    type: str
    object: dict = field(default_factory=dict)


class GatewayTimeout(Exception):
    """The processor did not answer in time: the charge may or may not have happened."""


class GatewayError(Exception):
    """The provider refused a request that is not a card's decline (a detached card, a bad key)."""


class InvalidSignature(Exception):
    pass


WEBHOOK_TOLERANCE_SECONDS = 300  # an older signature is a replayed recording, refused


def to_minor_units(amount: Decimal) -> int:
    """Providers count cents: S$12.34 is 1234."""
    return int((amount * 100).to_integral_value())


def from_minor_units(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class PaymentGateway:
    name = "base"
    # The script that turns a card into a payment method id in the browser (static/js/payment-*.js).
    browser_script = ""

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        customer: str = "",
        save: bool = False,
        return_url: str = "",
    ) -> ChargeResult:
        """Charge a payment method once per idempotency key (the order number). With `save`,
        a card that pays is attached to `customer` for next time (result.payment_method)."""
        raise NotImplementedError

    def find_charge(self, *, idempotency_key: str) -> ChargeResult | None:
        """The charge made with this key, if the processor has one: settles a crash, a timeout,
        or an authentication the shopper left."""
        raise NotImplementedError

    def cancel(self, *, reference: str) -> None:
        """An unpaid charge (an authentication never finished) can no longer be paid."""
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal) -> bool:
        """Refund part or all of a captured charge; never more than is left of it."""
        raise NotImplementedError

    def create_customer(self, *, email: str) -> str:
        raise NotImplementedError

    def card_details(self, *, payment_method: str) -> CardDetails | None:
        raise NotImplementedError

    def detach(self, *, payment_method: str) -> None:
        """Forget a saved card at the provider: it can never be charged again."""
        raise NotImplementedError

    def parse_webhook(self, *, payload: bytes, signature: str) -> ProviderEvent:
        """Verify a webhook's `Stripe-Signature` header (HMAC-SHA256 of the timestamp and body
        with the endpoint's secret, five minutes' tolerance) and read the event."""
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8", "replace"),
                signature,
                settings.PAYMENT_WEBHOOK_SECRET,
                tolerance=WEBHOOK_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(str(exc)) from None
        try:
            data = json.loads(payload)
            return ProviderEvent(str(data["id"]), str(data["type"]), dict(data["data"]["object"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidSignature("The event is not in the provider's format.") from None


def get_gateway() -> PaymentGateway:
    path = settings.PAYMENT_GATEWAY
    return import_string(GATEWAYS.get(path, path))()
