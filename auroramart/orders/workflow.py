"""The order workflow after placement: status changes, cancellation, returns and refunds."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from auroramart.core.client import Actor, as_actor
from auroramart.core.events import publish
from auroramart.inventory.models import StockMovement
from auroramart.payments.models import Payment
from auroramart.promotions.services import release_coupons
from auroramart.staff.services import actor_user, record_audit

from .documents import number_credit_note
from .errors import OrderActionError
from .events import OrderReversed
from .models import STANDING_STATUSES, Order, OrderItem, OrderNote
from .returns import credit_rest, decide_return, pay_credit_note, receive_return
from .settlement import refund_if_charged, refund_payment
from .statuses import CANCELLABLE, CUSTOMER_CANCELLABLE, TRANSITIONS, S
from .stock import return_to_stock
from .timeline import email_customer, record_change, tell_customer


def allowed_transitions(order: Order) -> list[str]:
    return [s for s in S.values if s in TRANSITIONS.get(order.status, set())]


@dataclass(frozen=True)
class Tracking:
    """Where a shipped parcel can be followed (the shipped email's button)."""

    carrier: str = ""
    number: str = ""
    url: str = ""

    @classmethod
    def from_data(cls, data) -> "Tracking | None":
        """From a form or an API body (`carrier`, `tracking_number`, `tracking_url`); None if empty."""
        carrier, number, url = (
            str(data.get(k) or "").strip() for k in ("carrier", "tracking_number", "tracking_url")
        )
        if not (carrier or number or url):
            return None
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise OrderActionError("The tracking link must be a web address (https://…).") from None
        return cls(carrier[:60], number[:60], url[:300])


def change_status(
    *, order: Order, to_status: str, actor=None, note: str = "", tracking: Tracking | None = None
) -> Order:
    """Move an order along the workflow; anything the workflow does not allow is refused.
    `actor` is an Actor (staff: audited with the change) or a user; None for a job. Shipping
    may name the carrier and tracking number (and link), which the customer's email carries."""
    actor = as_actor(actor)
    if to_status == S.CANCELLED:
        return cancel_order(order=order, actor=actor, reason=note or "Cancelled")
    if to_status == S.REFUNDED:
        return refund_order(order=order, actor=actor, note=note)
    if to_status == S.RETURNED:
        return receive_return(order=order, actor=actor, note=note)
    if order.status == S.RETURN_REQUESTED and to_status == S.DELIVERED:
        decide_return(order=order, approve=False, actor=actor, note=note)
        return Order.objects.get(pk=order.pk)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _check_transition(order, to_status)
        previous = order.status
        order.status = to_status
        now = timezone.now()
        if to_status == S.SHIPPED:
            order.shipped_at = now
            if tracking is not None:
                order.carrier, order.tracking_number = tracking.carrier[:60], tracking.number[:60]
                order.tracking_url = tracking.url[:300]
        elif to_status == S.DELIVERED and previous == S.SHIPPED:
            order.delivered_at = now
        order.save()
        record_change(order, previous, to_status, actor_user(actor), note)
        record_audit(actor, "change_status", order, changes={"status": [previous, to_status]})
        tell_customer(order)
    return order


def _check_transition(order: Order, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(order.status, set()):
        raise OrderActionError(
            f"An order that is {order.get_status_display().lower()} cannot become "
            f"{S(to_status).label.lower() if to_status in S.values else to_status}."
        )


def cancel_order(
    *, order: Order, actor=None, reason: str = "Cancelled by the customer", by_customer: bool = False
) -> Order:
    """Cancel before shipping: stock back through the ledger, coupons and points back, payment refunded.

    A customer cannot cancel while the card is being charged (the charge and the
    cancellation would race); staff can, and the payment is then settled first: a charge
    the gateway already has is refunded, one still in flight is refunded when it returns.
    """
    actor = as_actor(actor)
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
        return_to_stock(
            order, StockMovement.Kind.CANCELLATION, actor_user(actor), f"Order {order.number} cancelled"
        )
        release_coupons(order=order)
        publish(OrderReversed(order=order, fraction=Decimal("1"), reason="cancellation"))
        order.status, order.cancelled_at = S.CANCELLED, timezone.now()
        order.save()
        record_change(order, previous, S.CANCELLED, actor_user(actor), reason)
        record_audit(actor, "change_status", order, changes={"status": [previous, S.CANCELLED]})
        tell_customer(order)
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


def refund_order(*, order: Order, actor=None, note: str = "") -> Order:
    """A returned order's remaining money (what no credit note has covered yet) refunded, and the
    rest of its loyalty points reversed."""
    actor = as_actor(actor)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _check_transition(order, S.REFUNDED)
        previous = order.status
        credit = credit_rest(order, reason=note or "Refund of the order", actor=actor)
        publish(OrderReversed(order=order, fraction=Decimal("1"), reason="refund"))
        order.status = S.REFUNDED
        order.save(update_fields=["status", "updated_at"])
        record_change(order, previous, S.REFUNDED, actor_user(actor), note)
        record_audit(actor, "change_status", order, changes={"status": [previous, S.REFUNDED]})
        tell_customer(order)
        if credit is not None:
            number_credit_note(credit)  # last (orders/documents.py)
    if credit is not None:
        pay_credit_note(credit, actor=actor)
    return order


# --- staff notes and messages --------------------------------------------------------------


@transaction.atomic
def add_order_note(*, order: Order, text: str, actor: Actor) -> OrderNote | None:
    text = text.strip()[:2000]
    if not text:
        return None
    note = OrderNote.objects.create(order=order, author=actor.user, text=text)
    record_audit(actor, "add_note", order, changes={"note": [None, note.text[:100]]})
    return note


@transaction.atomic
def email_customer_about(*, order: Order, subject: str, body: str, actor: Actor) -> None:
    """A message from staff about the order, through the outbox, with a note on the order."""
    subject, body = subject.strip()[:200], body.strip()[:5000]
    inactive = order.user is not None and not order.user.is_active
    if not subject or not body or inactive or not order.email:
        raise OrderActionError("Write a subject and a message (and the customer's account must be active).")
    email_customer(order, f"[{order.number}] {subject}", body)
    OrderNote.objects.create(order=order, author=actor.user, text=f"Emailed the customer: {subject}")
    record_audit(actor, "email_customer", order, changes={"subject": [None, subject]})


# --- hooks into accounts ------------------------------------------------------------------


def anonymise_orders(user) -> None:
    """Account deletion: orders stay for the books, without the person's details."""
    Order.objects.filter(user=user).update(
        ship_name="Former customer",
        ship_phone="",
        ship_line1="(erased)",
        ship_line2="",
        ship_postal_code="000000",
        email="",
    )


def bought(user, product) -> bool:
    """Whether the customer has a paid order with this product (a verified purchase)."""
    return OrderItem.objects.filter(
        order__user=user,
        product=product,
        order__status__in=STANDING_STATUSES,
    ).exists()
