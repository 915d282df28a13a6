"""An order's life, for the loyalty programme, campaigns and recommendation tracking
(core/events.py). Every one runs inside the transaction that changes the order, so the
points ledger and the order can never disagree."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class OrderPlaced(DomainEvent):
    """Inside the reservation transaction, before payment: spend the points the cart chose."""

    order: Any
    summary: Any
    user: Any


@dataclass(frozen=True)
class OrderReleased(DomainEvent):
    """Inside the transaction that undoes a pending order whose payment failed."""

    order: Any


@dataclass(frozen=True)
class OrderPaid(DomainEvent):
    """Inside the transaction that records the payment: earn points, campaign bonuses,
    purchases attributed to recommendation slots."""

    order: Any


@dataclass(frozen=True)
class OrderReversed(DomainEvent):
    """Inside a cancellation, return or refund: `fraction` of the order's merchandise has been
    undone so far (cumulative, so a second partial return passes the larger share), and
    `spent_fraction` of the loyalty points it spent is owed back (the same when None)."""

    order: Any
    fraction: Decimal | Fraction
    reason: str
    spent_fraction: Decimal | Fraction | None = None


@dataclass(frozen=True)
class GuestOrdersClaimed(DomainEvent):
    """Inside the transaction that gives a guest's orders to their new account: the points the
    orders would have earned are granted now (those placed within GUEST_POINTS_CLAIM_DAYS)."""

    user: Any
    orders: list
