"""The payment gateway interface, and a test gateway that behaves like a card processor.

A card number passes through here in memory on its way to the processor and
is never stored or logged: what comes back, and what we keep, is the
processor's reference, the card brand and the last four digits.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self):  # never let a card number reach a log or a traceback
        return f"Card(brand={card_brand(self.number)}, last4={self.number[-4:]})"

    __str__ = __repr__


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str = ""
    brand: str = ""
    last4: str = ""
    code: str = ""  # declined, insufficient_funds, ...
    message: str = ""


class GatewayTimeout(Exception):
    """The processor did not answer in time: the charge may or may not have happened."""


class GatewayError(Exception):
    pass


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "Amex"
    return "Card"


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        checksum += d
    return checksum % 10 == 0


class PaymentGateway:
    name = "base"

    def charge(self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str) -> ChargeResult:
        raise NotImplementedError

    def find_charge(self, *, idempotency_key: str) -> ChargeResult | None:
        """The charge made with this key, if the processor has one (to resolve a crash)."""
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal) -> bool:
        raise NotImplementedError


class TestGateway(PaymentGateway):
    """Behaves like a card processor, with the usual test card numbers:

    4242 4242 4242 4242  succeeds          4000 0000 0000 0002  is declined
    4000 0000 0000 9995  insufficient funds 4000 0000 0000 0119  times out
    5555 5555 5555 4444  succeeds (Mastercard)

    Charges are idempotent by key: the same key twice charges once.
    """

    name = "test"
    DECLINE = {
        "4000000000000002": ("declined", "Your card was declined. Try another card."),
        "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    }
    TIMEOUT = "4000000000000119"

    def charge(self, *, amount, currency, card, idempotency_key):
        from .models import TestGatewayCharge

        existing = TestGatewayCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return ChargeResult(True, existing.reference, existing.brand, existing.last4)
        if card.number == self.TIMEOUT:
            raise GatewayTimeout("The payment service did not answer in time.")
        brand, last4 = card_brand(card.number), card.number[-4:]
        if card.number in self.DECLINE:
            code, message = self.DECLINE[card.number]
            return ChargeResult(False, brand=brand, last4=last4, code=code, message=message)
        reference = f"ch_{secrets.token_hex(12)}"
        try:
            with transaction.atomic():
                TestGatewayCharge.objects.create(
                    reference=reference,
                    idempotency_key=idempotency_key,
                    amount=amount,
                    brand=brand,
                    last4=last4,
                )
        except IntegrityError:  # the same key raced in from another request: one charge
            existing = TestGatewayCharge.objects.get(idempotency_key=idempotency_key)
            return ChargeResult(True, existing.reference, existing.brand, existing.last4)
        return ChargeResult(True, reference, brand, last4)

    def find_charge(self, *, idempotency_key):
        from .models import TestGatewayCharge

        existing = TestGatewayCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            return None
        return ChargeResult(True, existing.reference, existing.brand, existing.last4)

    def refund(self, *, reference, amount):
        from django.db.models import F

        from .models import TestGatewayCharge

        updated = TestGatewayCharge.objects.filter(
            reference=reference, amount__gte=F("refunded") + amount
        ).update(refunded=F("refunded") + amount)
        return bool(updated)


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()
