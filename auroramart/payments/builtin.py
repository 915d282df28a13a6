"""The built-in test gateway: a card provider inside the shop, for the demo and the suite.

It works as a real provider does, so the shop's flow is the same with either. The browser
turns the card into a payment method (static/js/payment-test.js posts brand, last four,
expiry and the test number's meaning to `tokenise`: never the number); the shop charges
that id; a card that needs 3-D Secure sends the shopper to the provider's authentication
page; the outcome arrives on the return URL and as a signed webhook, in Stripe's format.

Test card numbers (any future expiry, any CVC), as in Stripe's test mode:

    4242 4242 4242 4242  succeeds               5555 5555 5555 4444  succeeds (Mastercard)
    4000 0000 0000 0002  is declined            4000 0000 0000 9995  insufficient funds
    4000 0000 0000 0119  times out              4000 0000 0000 3220  asks for 3-D Secure

Any other valid number succeeds. API clients and tests may charge the fixed ids in CARDS
(`pm_card_visa`, ...) as they would with Stripe's test mode.
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from auroramart.core import rows

from .gateway import CardDetails, ChargeResult, GatewayError, GatewayTimeout, PaymentGateway, to_minor_units

logger = logging.getLogger(__name__)

SUCCEEDS, DECLINED, INSUFFICIENT, TIMEOUT, AUTHENTICATE = (
    "succeeds",
    "declined",
    "insufficient_funds",
    "timeout",
    "authenticate",
)
# Test number -> (fixed payment method id, brand, behaviour). One home: the browser's
# tokeniser reads this table from the checkout page.
CARDS = {
    "4242424242424242": ("pm_card_visa", "Visa", SUCCEEDS),
    "5555555555554444": ("pm_card_mastercard", "Mastercard", SUCCEEDS),
    "4000000000000002": ("pm_card_chargeDeclined", "Visa", DECLINED),
    "4000000000009995": ("pm_card_chargeDeclinedInsufficientFunds", "Visa", INSUFFICIENT),
    "4000000000000119": ("pm_card_timeout", "Visa", TIMEOUT),
    "4000000000003220": ("pm_card_threeDSecure2Required", "Visa", AUTHENTICATE),
}
BEHAVIOURS = {SUCCEEDS, DECLINED, INSUFFICIENT, TIMEOUT, AUTHENTICATE}
DECLINES = {
    DECLINED: ("card_declined", "Your card was declined. Try another card."),
    INSUFFICIENT: ("insufficient_funds", "Your card has insufficient funds."),
}
FIXED_EXPIRY = (12, 2034)  # the fixed ids' cards, as Stripe's test cards have one


def browser_cards() -> dict[str, str]:
    """What the browser's tokeniser needs: each test number's behaviour."""
    return {number: behaviour for number, (_, _, behaviour) in CARDS.items()}


def tokenise(*, behaviour: str, brand: str, last4: str, exp_month: int, exp_year: int):
    """The provider's side of the browser's tokenisation step: a payment method id."""
    from .models import TestGatewayPaymentMethod

    if behaviour not in BEHAVIOURS:
        raise GatewayError("Unknown test card behaviour.")
    return TestGatewayPaymentMethod.objects.create(
        reference=f"pm_{secrets.token_hex(12)}",
        behaviour=behaviour,
        brand=brand[:20] or "Card",
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
    )


class TestGateway(PaymentGateway):
    name = "test"
    browser_script = "js/payment-test.js"

    def _method(self, payment_method: str):
        """(behaviour, details, owning customer) of a payment method id, or None."""
        from .models import TestGatewayPaymentMethod

        for number, (fixed, brand, behaviour) in CARDS.items():
            if payment_method == fixed:
                return behaviour, CardDetails(brand, number[-4:], *FIXED_EXPIRY), ""
        row = TestGatewayPaymentMethod.objects.filter(reference=payment_method).first()
        if row is None:
            return None
        return row.behaviour, CardDetails(row.brand, row.last4, row.exp_month, row.exp_year), row.customer

    def charge(
        self, *, amount, currency, payment_method, idempotency_key, customer="", save=False, return_url=""
    ):
        from .models import TestGatewayCharge

        method = self._method(payment_method)
        refusal = self._refusal(method, customer)
        if refusal is not None:  # no charge now, but a replay of a key that made one answers as the first
            if (first := self.find_charge(idempotency_key=idempotency_key)) is not None:
                return first
            if isinstance(refusal, GatewayTimeout):
                raise refusal
            return refusal
        assert method is not None  # refused above
        behaviour, card, _ = method
        status = TestGatewayCharge.Status
        # One statement, so no transaction of its own (its BEGIN and COMMIT were two round trips
        # of every placement, #23), and no read before it (#23, fifteenth round): None when this
        # key has a charge already, the first request's or a twin's racing in.
        charge = rows.create_unless_taken(
            TestGatewayCharge,
            reference=f"pi_{secrets.token_hex(12)}",
            idempotency_key=idempotency_key,
            amount=amount,
            status=status.REQUIRES_ACTION if behaviour == AUTHENTICATE else status.SUCCEEDED,
            payment_method=payment_method,
            customer=customer,
            save_card=save and bool(customer),
            return_url=return_url,
            brand=card.brand,
            last4=card.last4,
        )
        if charge is None:  # one charge per key: the replay answers as the first
            first = self.find_charge(idempotency_key=idempotency_key)
            assert first is not None  # the insert found it taken
            return first
        if charge.status == status.SUCCEEDED:
            self._keep_card(charge)
        return self._result(charge)

    @staticmethod
    def _refusal(method, customer: str) -> ChargeResult | GatewayTimeout | None:
        """Why this payment method is not charged (a result, or the timeout to raise), or None."""
        if method is None:
            return ChargeResult(
                False,
                code="invalid_payment_method",
                message="This card could not be used. Please enter it again.",
            )
        behaviour, card, owner = method
        if owner and owner != customer:
            return ChargeResult(False, code="invalid_payment_method", message="This saved card is not yours.")
        if behaviour == TIMEOUT:
            return GatewayTimeout("The payment service did not answer in time.")
        if behaviour in DECLINES:
            code, message = DECLINES[behaviour]
            return ChargeResult(False, brand=card.brand, last4=card.last4, code=code, message=message)
        return None

    def _keep_card(self, charge) -> None:
        """A card charged with `save` is attached to the customer; a fixed test id is copied
        to a card of its own first (as Stripe does with `pm_card_visa`)."""
        from .models import TestGatewayPaymentMethod

        if not charge.save_card:
            return
        behaviour, card, _ = self._method(charge.payment_method)
        row = TestGatewayPaymentMethod.objects.filter(reference=charge.payment_method).first()
        if row is None:
            row = tokenise(
                behaviour=behaviour,
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
            )
            charge.payment_method = row.reference
            charge.save(update_fields=["payment_method"])
        TestGatewayPaymentMethod.objects.filter(pk=row.pk).update(customer=charge.customer)

    def _result(self, charge) -> ChargeResult:
        status = charge.Status
        common = {"reference": charge.reference, "brand": charge.brand, "last4": charge.last4}
        if charge.status == status.SUCCEEDED:
            return ChargeResult(True, payment_method=charge.payment_method, **common)
        if charge.status == status.REQUIRES_ACTION:
            url = reverse("payments:test-authenticate", kwargs={"reference": charge.reference})
            if charge.return_url:
                url += "?" + urlencode({"return_url": charge.return_url})
            return ChargeResult(False, action_url=url, payment_method=charge.payment_method, **common)
        return ChargeResult(
            False,
            code="authentication_failed",
            message="Your bank could not confirm this payment. You have not been charged.",
            **common,
        )

    def find_charge(self, *, idempotency_key):
        from .models import TestGatewayCharge

        charge = TestGatewayCharge.objects.filter(idempotency_key=idempotency_key).first()
        return None if charge is None else self._result(charge)

    def cancel(self, *, reference):
        from .models import TestGatewayCharge

        TestGatewayCharge.objects.filter(
            reference=reference, status=TestGatewayCharge.Status.REQUIRES_ACTION
        ).update(status=TestGatewayCharge.Status.CANCELED)

    def refund(self, *, reference, amount):
        from .models import TestGatewayCharge

        updated = TestGatewayCharge.objects.filter(
            reference=reference,
            status=TestGatewayCharge.Status.SUCCEEDED,
            amount__gte=F("refunded") + amount,
        ).update(refunded=F("refunded") + amount)
        return bool(updated)

    def create_customer(self, *, email):
        return f"cus_{secrets.token_hex(8)}"

    def card_details(self, *, payment_method):
        method = self._method(payment_method)
        return None if method is None else method[1]

    def detach(self, *, payment_method):
        from .models import TestGatewayPaymentMethod

        TestGatewayPaymentMethod.objects.filter(reference=payment_method).delete()

    # --- the provider's authentication page and its webhooks ------------------------------

    def authenticate(self, *, reference: str, approve: bool) -> str:
        """The shopper finished (or failed) 3-D Secure on the provider's page: the charge is
        settled and a webhook says so. Returns where the shopper goes back to."""
        from .models import TestGatewayCharge

        status = TestGatewayCharge.Status
        with transaction.atomic():
            charge = TestGatewayCharge.objects.select_for_update().filter(reference=reference).first()
            if charge is None:
                raise GatewayError("No such payment.")
            if charge.status == status.REQUIRES_ACTION:
                charge.status = status.SUCCEEDED if approve else status.FAILED
                charge.save(update_fields=["status"])
                if approve:
                    self._keep_card(charge)
                kind = "payment_intent.succeeded" if approve else "payment_intent.payment_failed"
                event = self.event(kind, self.intent_object(charge))
                transaction.on_commit(lambda: send_webhook(event))
        return charge.return_url

    def intent_object(self, charge) -> dict:
        """The charge as Stripe describes a PaymentIntent (the fields the shop reads)."""
        return {
            "id": charge.reference,
            "object": "payment_intent",
            "amount": to_minor_units(charge.amount),
            "currency": settings.CURRENCY.lower(),
            "status": charge.status,
            "payment_method": charge.payment_method,
            "customer": charge.customer or None,
            "metadata": {"order": charge.idempotency_key},
        }

    def dispute(self, *, reference: str, reason: str = "fraudulent") -> None:
        """What a card holder's bank does: dispute a charge (a webhook says so)."""
        from .models import TestGatewayCharge

        charge = TestGatewayCharge.objects.get(reference=reference)
        send_webhook(
            self.event(
                "charge.dispute.created",
                {
                    "id": f"dp_{secrets.token_hex(8)}",
                    "object": "dispute",
                    "amount": to_minor_units(charge.amount),
                    "payment_intent": charge.reference,
                    "reason": reason,
                    "status": "needs_response",
                },
            )
        )

    @staticmethod
    def event(kind: str, obj: dict) -> dict:
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for a payload, as the provider signs its webhooks."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def send_webhook(event: dict) -> None:
    """Deliver an event to the shop's webhook handler, signed with the shared secret, the way
    the provider's servers would post it (in-process: the shop is its own provider here)."""
    from .webhooks import receive

    payload = json.dumps(event).encode()
    try:
        receive(
            gateway=TestGateway(), payload=payload, signature=sign(payload, settings.PAYMENT_WEBHOOK_SECRET)
        )
    except Exception:  # a provider retries; the return URL and resolve_pending_orders settle it anyway
        logger.exception("test provider: webhook %s was not accepted", event["type"])
