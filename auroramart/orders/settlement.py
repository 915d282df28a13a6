"""Settling payments: a charge for an order that ended is refunded at once, refunds never
exceed what was captured and move the ledger with F() under a row lock. See docs/money-path.md."""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q

from auroramart.core.client import Actor
from auroramart.payments.gateway import get_gateway
from auroramart.payments.models import Payment
from auroramart.staff.services import record_audit

from .models import Order
from .statuses import ENDED_WITHOUT_SALE

logger = logging.getLogger(__name__)


UNCAPTURED = (*Payment.OPEN, Payment.Status.FAILED, Payment.Status.DECLINED)


def settle_orphan_charge(*, number: str, amount: Decimal, reference: str, brand: str, last4: str) -> bool:
    """A charge that succeeded for an order that is gone or ended: record it, then refund it in full.

    The payment row is claimed by a conditional update, so of two settlers racing (the
    placing request and the periodic job) exactly one refunds. Returns whether this
    caller settled it."""
    claimed = Payment.objects.filter(order_number=number, status__in=UNCAPTURED).update(
        status=Payment.Status.SUCCEEDED,
        gateway_reference=reference,
        brand=brand,
        last4=last4,
        message=f"Charged after order {number} had ended; refunding",
    )
    if not claimed:
        return False
    payment = Payment.objects.get(order_number=number, gateway_reference=reference)
    ok = refund_payment(payment=payment, amount=amount)
    logger.warning(
        "charge %s for order %s succeeded after the order ended: %s",
        reference,
        number,
        "refunded" if ok else "refund failed, retried by resolve_pending_orders",
    )
    if ok:
        Payment.objects.filter(pk=payment.pk).update(
            message=f"Refunded at once: order {number} had ended before the charge succeeded"
        )
    return True


def on_payment_disputed(*, reference: str, reason: str, amount: Decimal, status: str) -> None:
    """The provider's webhook: the card holder's bank disputes a charge. The payment is marked
    and the order's timeline says so, for staff to answer before the provider's deadline."""
    from django.utils import timezone

    from .timeline import record_change

    payment = Payment.objects.filter(gateway_reference=reference).exclude(gateway_reference="").first()
    if payment is None:
        logger.warning("dispute for unknown charge %s", reference)
        return
    Payment.objects.filter(pk=payment.pk).update(
        disputed_at=payment.disputed_at or timezone.now(), dispute_reason=f"{reason} ({status})"[:60]
    )
    if payment.order is not None:
        record_change(
            payment.order,
            payment.order.status,
            payment.order.status,
            note=f"Card payment disputed by the card holder's bank: {reason or 'no reason given'}, "
            f"S${amount}, {status.replace('_', ' ')}.",
        )


def refund_if_charged(*, number: str, amount: Decimal) -> bool:
    """For an order that ended before its payment was recorded: if the gateway has a charge
    for it, settle and refund it. Returns whether there was a charge."""
    result = get_gateway().find_charge(idempotency_key=number)
    if result is None or not result.succeeded:
        return False
    settle_orphan_charge(
        number=number, amount=amount, reference=result.reference, brand=result.brand, last4=result.last4
    )
    return True


def refund_payment(
    *, payment: Payment, amount: Decimal, order: Order | None = None, actor: Actor | None = None
) -> bool:
    """Refund through the gateway, outside any transaction, never above what was captured;
    the amounts are then added under a row lock with F(), like every other ledger (and a staff
    member's refund audited in that same transaction)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        amount = min(amount, locked.amount - locked.refunded_amount)
    if amount <= 0:
        return False
    ok = get_gateway().refund(reference=payment.gateway_reference, amount=amount)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not ok:
            logger.error("refund of %s for %s failed at the gateway", amount, payment.order_number)
            locked.message = f"Refund of {amount} failed; it is retried automatically"
            locked.save(update_fields=["message", "updated_at"])
            return False
        refunded = locked.refunded_amount + amount
        Payment.objects.filter(pk=locked.pk).update(
            refunded_amount=F("refunded_amount") + amount,
            status=Payment.Status.REFUNDED
            if refunded >= locked.amount
            else Payment.Status.PARTIALLY_REFUNDED,
            message="",
        )
        if order is not None:
            Order.objects.filter(pk=order.pk).update(refunded_total=F("refunded_total") + amount)
            record_audit(actor, "retry_refund", order, changes={"refunded": [None, str(amount)]})
    return True


def refunds_owed():
    """Captured payments that must be refunded in full and are not: their order is gone,
    cancelled or refunded. Empty in a healthy shop (check_payments)."""
    return (
        Payment.objects.filter(
            status__in=[Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED],
            refunded_amount__lt=F("amount"),
        )
        .filter(Q(order__isnull=True) | Q(order__status__in=ENDED_WITHOUT_SALE))
        .select_related("order")
    )


def retry_refunds(*, order: Order, actor: Actor | None = None) -> tuple[int, Decimal]:
    """Staff's "retry the refund" on an order whose refund failed at the gateway: every captured
    payment of the order still owed back is refunded again. Returns (payments refunded, amount).
    Each refund that goes through is audited in the transaction that records it."""
    done, total = 0, Decimal("0")
    for payment in refunds_owed().filter(order=order):
        owed = payment.amount - payment.refunded_amount
        if refund_payment(payment=payment, amount=owed, order=order, actor=actor):
            done, total = done + 1, total + owed
    return done, total
