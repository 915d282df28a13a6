"""What a card provider told the shop through a verified webhook (payments/webhooks.py), for the
orders app to act on. Each runs inside the transaction that records the event's id, so an
event whose handling fails is not marked seen and the provider's retry gets another go."""

from dataclasses import dataclass
from decimal import Decimal

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class PaymentSucceeded(DomainEvent):
    """A charge succeeded at the provider (perhaps after the shopper closed the tab)."""

    order_number: str
    reference: str
    payment_method: str


@dataclass(frozen=True)
class PaymentFailed(DomainEvent):
    """A charge that was waiting for the shopper (3-D Secure) failed or was abandoned."""

    order_number: str
    reference: str
    message: str


@dataclass(frozen=True)
class PaymentDisputed(DomainEvent):
    """The card holder's bank disputes a charge."""

    reference: str
    reason: str
    amount: Decimal
    status: str
