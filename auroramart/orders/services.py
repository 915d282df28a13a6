"""Orders: placement, the status workflow, cancellation, returns and refunds.

Placement follows DESIGN.md principle 5. One short transaction creates the
pending order, locks the products in primary-key order, re-checks stock and
prices, takes the stock (F() under a CheckConstraint) and counts coupon uses.
The card is charged outside any transaction, keyed by the order number, so a
slow gateway holds no locks. A second short transaction confirms the order, or
gives everything back and deletes the pending order, leaving no order, the
stock as it was and the cart intact. A crash between the two leaves a pending
order that `resolve_pending_orders` settles with the gateway.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from auroramart.accounts.models import Notification
from auroramart.accounts.services import notify
from auroramart.cart.pricing import price_cart
from auroramart.cart.selectors import PRICING_EXTRAS
from auroramart.core.money import format_money, quantize
from auroramart.core.outbox import queue_email
from auroramart.inventory.models import StockMovement
from auroramart.inventory.services import Change, OutOfStock, apply_changes, lock_products
from auroramart.payments.gateway import Card, GatewayTimeout, get_gateway
from auroramart.payments.models import Payment
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import CouponError, redeem_coupons, release_coupons

from .models import Order, OrderItem, OrderStatusChange, ReturnRequest

logger = logging.getLogger(__name__)
S = Order.Status

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.PROCESSING, S.SHIPPED, S.CANCELLED},
    S.PROCESSING: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: {S.RETURN_REQUESTED},
    S.RETURN_REQUESTED: {S.RETURNED, S.DELIVERED},
    S.RETURNED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}
CANCELLABLE = {S.PENDING_PAYMENT, S.PAID, S.PROCESSING}
# A customer cannot cancel while the card is being charged: the charge and the
# cancellation would race. Staff can; the payment is then settled first (see cancel_order).
CUSTOMER_CANCELLABLE = {S.PAID, S.PROCESSING}
# Statuses in which a captured payment is owed back in full.
ENDED_WITHOUT_SALE = {S.CANCELLED, S.REFUNDED}

# Steps other parts of the shop add (the loyalty program), called with keyword arguments:
#   PLACEMENT_STEPS(order, summary, user)  inside the placement transaction (spend points)
#   RELEASE_STEPS(order)                    when a placement is undone (give points back)
#   PAID_STEPS(order)                       when the payment is confirmed (earn points)
#   REVERSAL_STEPS(order, fraction, reason) on cancellation, return or refund
PLACEMENT_STEPS: list = []
RELEASE_STEPS: list = []
PAID_STEPS: list = []
REVERSAL_STEPS: list = []


class CheckoutError(Exception):
    """Why an order could not be placed, in words for the customer. Nothing was written or charged."""


class PaymentFailed(CheckoutError):
    """The card was tried and did not pay (declined, timed out, gateway error). Nothing was kept:
    the reservation is given back. An API replay of the same request answers the same failure."""


class PlacementInProgress(CheckoutError):
    """The same checkout (same idempotency key) is being placed by another request right now."""

    def __init__(self, message: str, order_number: str):
        super().__init__(message)
        self.order_number = order_number


class CartAlreadyPlaced(CheckoutError):
    """This cart was (or is being) placed by another checkout; it is consumed by the first one."""

    def __init__(self, message: str, order_number: str):
        super().__init__(message)
        self.order_number = order_number


class OrderActionError(Exception):
    pass


@dataclass(frozen=True)
class ShippingAddress:
    full_name: str
    phone: str
    line1: str
    line2: str
    postal_code: str
    city: str = "Singapore"


@dataclass
class Placement:
    order: Order
    replayed: bool = False


def new_order_number() -> str:
    return f"AM{timezone.localdate():%y%m%d}-{secrets.token_hex(3).upper()}"


def order_key(idempotency_key: str) -> str:
    """What the order stores: the key itself, or its digest when longer than the column.
    Never a cut: two long keys differing at the end must stay two keys."""
    if len(idempotency_key) <= 64:
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def _record(order: Order, from_status: str, to_status: str, actor=None, note: str = "") -> None:
    OrderStatusChange.objects.create(
        order=order, from_status=from_status, to_status=to_status, actor=actor, note=note
    )


def place_order(
    *,
    user,
    cart,
    idempotency_key: str,
    address: ShippingAddress,
    shipping_method: str,
    card: Card | None,
    expected_total: Decimal | None = None,
    wait_for_twin: float = 0,
) -> Placement:
    """Place the customer's cart as an order and charge the card; see the module's docstring.

    The same idempotency key again returns the first order: never a second
    order or charge. While that first request is still charging, a twin raises
    PlacementInProgress, or with `wait_for_twin` seconds waits for its outcome
    (a double-clicked form then shows the one order, or the one decline).
    A cart is consumed by its first placement: another checkout of the same
    cart with another key raises CartAlreadyPlaced. Raises CheckoutError with
    a message for the customer; PaymentFailed when the card did not pay.
    """
    if shipping_method not in settings.SHIPPING_METHODS:
        raise CheckoutError("Choose a delivery option.")
    if not idempotency_key or len(idempotency_key) > settings.IDEMPOTENCY_KEY_MAX_LENGTH:
        raise CheckoutError("This checkout form has expired. Please review your order and try again.")

    try:
        order, replayed = _reserve(user, cart, idempotency_key, address, shipping_method, expected_total)
    except PlacementInProgress as busy:
        if wait_for_twin <= 0:
            raise
        return Placement(_await_twin(user, busy, wait_for_twin), replayed=True)
    if replayed:
        return Placement(order, replayed=True)
    if order.total == 0:
        _confirm(order, cart, reference="", brand="", last4="")
        order.refresh_from_db()
        return Placement(order)

    gateway = get_gateway()
    try:
        if card is None:
            raise CheckoutError("Enter your card details.")
        result = gateway.charge(
            amount=order.total, currency=settings.CURRENCY, card=card, idempotency_key=order.number
        )
    except GatewayTimeout:
        result = gateway.find_charge(idempotency_key=order.number)  # did it go through after all?
        if result is None:
            _undo(order, Payment.Status.FAILED, "The payment service did not answer in time.")
            raise PaymentFailed(
                "The payment service did not answer in time. You have not been charged; please try again."
            ) from None
    except CheckoutError as exc:
        _undo(order, Payment.Status.FAILED, str(exc))
        raise PaymentFailed(str(exc)) from None
    except Exception:
        logger.exception("payment gateway error for %s", order.number)
        _undo(order, Payment.Status.FAILED, "Gateway error")
        raise PaymentFailed("We could not reach the payment service. You have not been charged.") from None
    if not result.succeeded:
        _undo(order, Payment.Status.DECLINED, result.message, brand=result.brand, last4=result.last4)
        raise PaymentFailed(result.message or "Your card was declined.")
    if not _confirm(order, cart, reference=result.reference, brand=result.brand, last4=result.last4):
        raise CheckoutError(
            f"Order {order.number} was cancelled while your card was being charged. "
            "The charge has been refunded in full."
        )
    order.refresh_from_db()  # the confirmed order, not the pending one reserved above
    return Placement(order)


def _await_twin(user, busy: PlacementInProgress, seconds: float) -> Order:
    """Wait for the request that is placing the same checkout, then answer with its outcome."""
    deadline = time.monotonic() + seconds
    while True:
        order = Order.objects.filter(user=user, number=busy.order_number).first()
        if order is not None and order.status != S.PENDING_PAYMENT:
            return order
        if order is None:  # it failed and was undone: answer with the same failure
            attempt = Payment.objects.filter(order_number=busy.order_number).exclude(message="").first()
            raise PaymentFailed(attempt.message if attempt else "Your payment did not go through.")
        if time.monotonic() >= deadline:
            raise busy
        time.sleep(0.1)


def _reserve(user, cart, key, address, shipping_method, expected_total) -> tuple[Order, bool]:
    key = order_key(key)
    with transaction.atomic():
        # The cart row first: concurrent checkouts of one cart queue here, whatever their keys.
        placing = cart.lock_for_checkout()
        found = {
            o.idempotency_key == key: o
            for o in Order.objects.filter(user=user).filter(
                Q(idempotency_key=key) | Q(number=placing or None)
            )
        }
        if True in found:
            return _replay(found[True]), True
        items = cart.items()
        _refuse_consumed_cart(found.get(False), items)
        order = Order(
            number=new_order_number(),
            user=user,
            idempotency_key=key,
            ship_name=address.full_name,
            ship_phone=address.phone,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_postal_code=address.postal_code,
            ship_city=address.city,
            shipping_method=shipping_method,
            subtotal=Decimal("0"),
            total=Decimal("0"),
            placed_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            # The same key is being placed by a concurrent request, which committed first.
            twin = Order.objects.filter(user=user, idempotency_key=key).first()
            if twin is None:
                raise CheckoutError("This order is already being placed. Please wait a moment.") from None
            return _replay(twin), True

        if not items:
            raise CheckoutError("Your cart is empty.")
        locked = lock_products(items)
        codes = cart.coupon_codes()
        by_code = {c.code.upper(): c for c in Coupon.objects.filter(code__in=codes)} if codes else {}
        coupons = [by_code[c.upper()] for c in codes if c.upper() in by_code]
        extras = {}
        for provider in PRICING_EXTRAS:
            extras.update(provider(cart, user))
        summary = price_cart(
            items=items,
            products=locked,
            coupons=coupons,
            user=user,
            shipping_method=shipping_method,
            **extras,
        )
        if not summary.lines:
            raise CheckoutError("The products in your cart are no longer sold.")
        if summary.problems:
            raise CheckoutError("Please review your cart: " + "; ".join(summary.problems) + ".")
        if summary.coupon_errors:
            raise CheckoutError(summary.coupon_errors[0])
        if expected_total is not None and summary.total != expected_total:
            raise CheckoutError(
                f"Prices or discounts changed since you opened the checkout: the total is now "
                f"{format_money(summary.total)}. Please review and confirm again."
            )
        try:
            apply_changes(
                locked,
                [Change(line.product.pk, -line.quantity) for line in summary.lines],
                kind=StockMovement.Kind.SALE,
                order=order,
                reason=f"Order {order.number}",
                count_as_sold=True,
            )
        except OutOfStock as exc:
            raise CheckoutError(exc.message) from None
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=line.product,
                    sku=line.product.sku,
                    name=line.product.name,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    line_total=line.line_total,
                )
                for line in summary.lines
            ]
        )
        order.subtotal = summary.subtotal
        order.discount_total = quantize(summary.coupon_total + summary.reward_discount)
        order.points_redeemed = summary.points
        order.points_discount = summary.points_discount
        order.shipping_fee = summary.shipping_fee
        order.total = summary.total
        order.gst_included = summary.gst_included
        order.coupon_codes = [c.code for c, _ in summary.coupons]
        order.save()
        cart.mark_placing(order.number)
        try:
            redeem_coupons(applied=summary.coupons, user=user, order=order)
        except CouponError as exc:
            raise CheckoutError(str(exc)) from None
        for step in PLACEMENT_STEPS:
            step(order=order, summary=summary, user=user)
        _record(order, "", S.PENDING_PAYMENT)
        Payment.objects.create(
            order=order,
            order_number=order.number,
            user=user,
            amount=order.total,
            currency=settings.CURRENCY,
            gateway=get_gateway().name,
        )
        return order, False


def _replay(order: Order) -> Order:
    if order.status == S.PENDING_PAYMENT:
        raise PlacementInProgress(
            f"Your order {order.number} is still being placed. Please wait a moment.", order.number
        )
    return order


def _refuse_consumed_cart(first: Order | None, items) -> None:
    """A cart is consumed by its first placement (a double tap that made a new key included).
    `first` is the order the cart was last placed as, if it still exists (a failed
    placement is undone and frees the cart)."""
    if first is None:
        return
    if first.status == S.PENDING_PAYMENT:
        raise CartAlreadyPlaced(
            f"This cart is already being placed as order {first.number}. Please wait a moment.",
            first.number,
        )
    if not items:
        raise CartAlreadyPlaced(f"This cart was already placed as order {first.number}.", first.number)


def _confirm(order: Order, cart, *, reference: str, brand: str, last4: str) -> bool:
    """Mark the order paid. If it is no longer waiting for this payment (cancelled, or undone
    by the periodic job, while the card was being charged), the charge is refunded at once and
    False is returned: money is never kept without a live order."""
    with transaction.atomic():
        live = Order.objects.select_for_update().filter(pk=order.pk).first()
        if live is not None and live.status == S.PENDING_PAYMENT:
            _mark_paid(live, cart, reference=reference, brand=brand, last4=last4)
            return True
    if live is not None and live.status not in ENDED_WITHOUT_SALE:
        return True  # already confirmed (by the periodic job)
    if reference:
        settle_orphan_charge(
            number=order.number, amount=order.total, reference=reference, brand=brand, last4=last4
        )
    return False


def _mark_paid(order: Order, cart, *, reference: str, brand: str, last4: str) -> None:
    order.status, order.paid_at = S.PAID, timezone.now()
    order.save(update_fields=["status", "paid_at", "updated_at"])
    Payment.objects.filter(order=order, status=Payment.Status.PENDING).update(
        status=Payment.Status.SUCCEEDED, gateway_reference=reference, brand=brand, last4=last4
    )
    _record(order, S.PENDING_PAYMENT, S.PAID, note="Payment received")
    if cart is not None:
        cart.clear()
    for step in PAID_STEPS:
        step(order=order)
    notify(
        user=order.user,
        kind=Notification.Kind.ORDER,
        title=f"Order {order.number} confirmed",
        body=f"We have your payment of {format_money(order.total)}.",
        url=order.get_absolute_url(),
    )
    _email_customer(order, f"Your AuroraMart order {order.number}", _confirmation_body(order))


# A payment whose charge was not (yet) recorded as captured.
UNCAPTURED = (Payment.Status.PENDING, Payment.Status.FAILED, Payment.Status.DECLINED)


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


def refund_payment(*, payment: Payment, amount: Decimal, order: Order | None = None) -> bool:
    """Refund through the gateway, outside any transaction, never above what was captured;
    the amounts are then added under a row lock with F(), like every other ledger."""
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
    return True


def _undo(order: Order, status: str, message: str, *, brand: str = "", last4: str = "") -> None:
    """Give back everything the pending order took, keep the payment attempt, delete the order."""
    with transaction.atomic():
        live = Order.objects.select_for_update().filter(pk=order.pk).first()
        if live is None or live.status != S.PENDING_PAYMENT:
            # Ended meanwhile (cancelled by staff, or settled by the periodic job): the attempt's
            # outcome is still recorded, so the payment does not stay pending forever.
            Payment.objects.filter(order_number=order.number, status=Payment.Status.PENDING).update(
                status=status, message=message[:255], brand=brand, last4=last4
            )
            return
        order = live
        # The movements keep the order number in their reason; their link to the order
        # goes when the pending order is deleted below.
        _restock(order, StockMovement.Kind.RELEASE, None, f"Payment failed for order {order.number}")
        release_coupons(order=order)
        for step in RELEASE_STEPS:
            step(order=order)
        Payment.objects.filter(order=order, status=Payment.Status.PENDING).update(
            status=status, message=message[:255], brand=brand, last4=last4
        )
        order.delete()


def resolve_pending_orders(older_than_minutes: int | None = None) -> dict[str, int]:
    """Settle whatever a crash or a race left unfinished; safe to run at any time, and twice.

    - orders still pending payment: confirmed if the gateway has their charge, else released;
    - payments not final, whatever became of their order: a charge the gateway has for an
      order that is gone or ended is refunded, no charge is marked failed;
    - failed attempts of the last PAYMENT_RECHECK_HOURS: a charge that landed late is refunded;
    - captured payments of ended orders that are not fully refunded (a refund that failed)
      are refunded again.
    """
    minutes = older_than_minutes if older_than_minutes is not None else settings.PENDING_ORDER_TIMEOUT_MINUTES
    cutoff = timezone.now() - timedelta(minutes=minutes)
    gateway = get_gateway()
    outcome = {"confirmed": 0, "released": 0, "refunded": 0, "failed": 0, "refunds_retried": 0}
    for order in Order.objects.filter(status=S.PENDING_PAYMENT, placed_at__lt=cutoff):
        result = gateway.find_charge(idempotency_key=order.number)
        if result is not None and result.succeeded:
            confirmed = _confirm(
                order, None, reference=result.reference, brand=result.brand, last4=result.last4
            )
            outcome["confirmed" if confirmed else "refunded"] += 1
        else:
            _undo(order, Payment.Status.FAILED, "Abandoned: no payment was made")
            outcome["released"] += 1
    for payment in Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff):
        order = Order.objects.filter(number=payment.order_number).only("status").first()
        if order is not None and order.status == S.PENDING_PAYMENT:
            continue  # settled by the first loop, or still young
        if refund_if_charged(number=payment.order_number, amount=payment.amount):
            outcome["refunded"] += 1
        else:
            Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
                status=Payment.Status.FAILED, message="No charge was made"
            )
            outcome["failed"] += 1
    # A charge can land after we gave up on it (a gateway timeout, an order released by this
    # job while its charge was still on the way): failed attempts of the last day are asked
    # about again, and a charge found now is refunded. Declines are final and not asked about.
    recheck = timezone.now() - timedelta(hours=settings.PAYMENT_RECHECK_HOURS)
    for payment in Payment.objects.filter(
        status=Payment.Status.FAILED, gateway_reference="", created_at__gte=recheck, created_at__lt=cutoff
    ):
        if refund_if_charged(number=payment.order_number, amount=payment.amount):
            outcome["refunded"] += 1
    for payment in refunds_owed():
        if refund_payment(
            payment=payment, amount=payment.amount - payment.refunded_amount, order=payment.order
        ):
            outcome["refunds_retried"] += 1
    return outcome


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


# --- the status workflow ---------------------------------------------------------------

STATUS_MESSAGES = {
    S.PROCESSING: "We are preparing your order.",
    S.SHIPPED: "Your order is on its way.",
    S.DELIVERED: "Your order has been delivered.",
    S.CANCELLED: "Your order is cancelled.",
    S.RETURN_REQUESTED: "We have your return request.",
    S.RETURNED: "We have received your return.",
    S.REFUNDED: "Your refund is on its way.",
}


def allowed_transitions(order: Order) -> list[str]:
    return [s for s in S.values if s in TRANSITIONS.get(order.status, set())]


def change_status(*, order: Order, to_status: str, actor=None, note: str = "") -> Order:
    """Move an order along the workflow; anything the workflow does not allow is refused."""
    if to_status == S.CANCELLED:
        return cancel_order(order=order, actor=actor, reason=note or "Cancelled")
    if to_status == S.REFUNDED:
        return refund_order(order=order, actor=actor, note=note)
    if to_status == S.RETURNED:
        return receive_return(order=order, actor=actor, note=note)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _check_transition(order, to_status)
        previous = order.status
        order.status = to_status
        now = timezone.now()
        if to_status == S.SHIPPED:
            order.shipped_at = now
        elif to_status == S.DELIVERED and previous == S.SHIPPED:
            order.delivered_at = now
        order.save()
        _record(order, previous, to_status, actor, note)
        _tell_customer(order)
    return order


def _check_transition(order: Order, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(order.status, set()):
        raise OrderActionError(
            f"An order that is {order.get_status_display().lower()} cannot become "
            f"{S(to_status).label.lower() if to_status in S.values else to_status}."
        )


def _tell_customer(order: Order) -> None:
    message = STATUS_MESSAGES.get(order.status)
    if not message:
        return
    title = f"Order {order.number}: {order.get_status_display().lower()}"
    notify(
        user=order.user, kind=Notification.Kind.ORDER, title=title, body=message, url=order.get_absolute_url()
    )
    _email_customer(order, f"AuroraMart order {order.number}: {order.get_status_display().lower()}", message)


def _email_customer(order: Order, subject: str, body: str) -> None:
    if order.user.is_active and order.user.email:
        queue_email(to=order.user.email, subject=subject, body=body)


def _confirmation_body(order: Order) -> str:
    lines = [f"Thank you for your order {order.number}.", ""]
    lines += [f"{item.quantity} × {item.name}  {format_money(item.line_total)}" for item in order.items.all()]
    lines += [
        "",
        f"Total paid: {format_money(order.total)} (includes GST of {format_money(order.gst_included)})",
    ]
    return "\n".join(lines)


def _restock(order: Order, kind: str, actor, reason: str) -> None:
    items = list(order.items.all())
    locked = lock_products(i.product_id for i in items if i.product_id)
    apply_changes(
        locked,
        [Change(i.product_id, i.quantity) for i in items if i.product_id],
        kind=kind,
        order=order,
        actor=actor,
        reason=reason,
        count_as_sold=True,
    )


def cancel_order(
    *, order: Order, actor=None, reason: str = "Cancelled by the customer", by_customer: bool = False
) -> Order:
    """Cancel before shipping: stock back through the ledger, coupons and points back, payment refunded.

    A customer cannot cancel while the card is being charged (the charge and the
    cancellation would race); staff can, and the payment is then settled first: a charge
    the gateway already has is refunded, one still in flight is refunded when it returns.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in (CUSTOMER_CANCELLABLE if by_customer else CANCELLABLE):
            if order.status == S.PENDING_PAYMENT:
                raise OrderActionError(
                    "Your payment for this order is still being processed; "
                    "you can cancel it once it is confirmed, in a minute or two."
                )
            raise OrderActionError("This order has already shipped and can no longer be cancelled.")
        previous = order.status
        _restock(order, StockMovement.Kind.CANCELLATION, actor, f"Order {order.number} cancelled")
        release_coupons(order=order)
        for step in REVERSAL_STEPS:
            step(order=order, fraction=Decimal("1"), reason="cancellation")
        order.status, order.cancelled_at = S.CANCELLED, timezone.now()
        order.save()
        _record(order, previous, S.CANCELLED, actor, reason)
        _tell_customer(order)
    if previous == S.PENDING_PAYMENT:
        refund_if_charged(number=order.number, amount=order.total)
    else:
        _refund(order, order.total)
    return order


def _refund(order: Order, amount: Decimal) -> bool:
    payment = (
        Payment.objects.filter(
            order=order, status__in=[Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED]
        )
        .exclude(gateway_reference="")
        .first()
    )
    if payment is None:
        return False
    return refund_payment(payment=payment, amount=amount, order=order)


def request_return(*, order: Order, user, reason: str, details: str = "") -> ReturnRequest:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk, user=user)
        if order.status != S.DELIVERED:
            raise OrderActionError("Only delivered orders can be returned.")
        window = timedelta(days=settings.RETURN_WINDOW_DAYS)
        if order.delivered_at is None or timezone.now() - order.delivered_at > window:
            raise OrderActionError(
                f"Returns are accepted within {settings.RETURN_WINDOW_DAYS} days of delivery."
            )
        if reason not in ReturnRequest.Reason.values:
            raise OrderActionError("Choose a reason for the return.")
        ReturnRequest.objects.filter(order=order).delete()  # a rejected earlier request is replaced
        request = ReturnRequest.objects.create(order=order, reason=reason, details=details)
        order.status = S.RETURN_REQUESTED
        order.save(update_fields=["status", "updated_at"])
        _record(order, S.DELIVERED, S.RETURN_REQUESTED, user, ReturnRequest.Reason(reason).label)
        _tell_customer(order)
    return request


def decide_return(*, order: Order, approve: bool, actor=None, note: str = "") -> ReturnRequest:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        request = ReturnRequest.objects.select_for_update().get(order=order)
        if request.status != ReturnRequest.Status.REQUESTED:
            raise OrderActionError("This return has already been decided.")
        request.staff_note = note
        if approve:
            request.status = ReturnRequest.Status.APPROVED
            request.save()
            notify(
                user=order.user,
                kind=Notification.Kind.ORDER,
                title=f"Return of {order.number} approved",
                body="Please send the items back; we will refund you when they arrive.",
                url=order.get_absolute_url(),
            )
        else:
            request.status, request.resolved_at = ReturnRequest.Status.REJECTED, timezone.now()
            request.save()
            order.status = S.DELIVERED
            order.save(update_fields=["status", "updated_at"])
            _record(order, S.RETURN_REQUESTED, S.DELIVERED, actor, f"Return rejected: {note}".strip(": "))
            notify(
                user=order.user,
                kind=Notification.Kind.ORDER,
                title=f"Return of {order.number} not accepted",
                body=note,
                url=order.get_absolute_url(),
            )
    return request


def receive_return(*, order: Order, actor=None, note: str = "", restock: bool = True) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _check_transition(order, S.RETURNED)
        request = ReturnRequest.objects.select_for_update().filter(order=order).first()
        if request is None or request.status != ReturnRequest.Status.APPROVED:
            raise OrderActionError("Approve the return before receiving it.")
        if restock:
            _restock(order, StockMovement.Kind.RETURN, actor, f"Return of order {order.number}")
        request.status, request.resolved_at = ReturnRequest.Status.RECEIVED, timezone.now()
        request.save()
        order.status = S.RETURNED
        order.save(update_fields=["status", "updated_at"])
        _record(order, S.RETURN_REQUESTED, S.RETURNED, actor, note)
        _tell_customer(order)
    return order


def refund_order(*, order: Order, actor=None, note: str = "") -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _check_transition(order, S.REFUNDED)
        for step in REVERSAL_STEPS:
            step(order=order, fraction=Decimal("1"), reason="refund")
        order.status = S.REFUNDED
        order.save(update_fields=["status", "updated_at"])
        _record(order, S.RETURNED, S.REFUNDED, actor, note)
        _tell_customer(order)
    _refund(order, order.total - order.refunded_total)
    return order


# --- hooks into accounts ------------------------------------------------------------------


def anonymise_orders(user) -> None:
    """Account deletion: orders stay for the books, without the person's details."""
    Order.objects.filter(user=user).update(
        ship_name="Former customer",
        ship_phone="",
        ship_line1="(erased)",
        ship_line2="",
        ship_postal_code="000000",
    )


def bought(user, product) -> bool:
    """Whether the customer has a paid order with this product (a verified purchase)."""
    return OrderItem.objects.filter(
        order__user=user,
        product=product,
        order__status__in=[S.PAID, S.PROCESSING, S.SHIPPED, S.DELIVERED, S.RETURN_REQUESTED],
    ).exists()
