"""Placing an order: reserve, charge, confirm (or undo), and settling what a crash left pending.

Placement follows docs/money-path.md. One short transaction creates the
pending order, locks the variants (and their products) in primary-key order, re-checks stock and
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q, prefetch_related_objects
from django.utils import timezone

from auroramart.cart.pricing import price_cart
from auroramart.cart.selectors import pricing_extras
from auroramart.cart.storage import DbCart
from auroramart.core import rows
from auroramart.core.events import publish
from auroramart.core.money import format_money, quantize
from auroramart.inventory.models import StockMovement
from auroramart.inventory.services import Change, OutOfStock, apply_changes, lock_variants
from auroramart.payments import services as saved_cards
from auroramart.payments.gateway import ChargeResult, GatewayTimeout, get_gateway
from auroramart.payments.models import Payment
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import CouponError, redeem_coupons, release_coupons
from auroramart.shipping.selectors import Destination

from .documents import number_invoice
from .errors import CartAlreadyPlaced, CheckoutError, EmptyCart, PaymentFailed, PlacementInProgress
from .events import OrderPaid, OrderPlaced, OrderReleased
from .guests import clean_guest_email
from .models import Order, OrderItem
from .settlement import refund_if_charged, refund_payment, refunds_owed, settle_orphan_charge
from .statuses import ENDED_WITHOUT_SALE, S
from .stock import return_to_stock
from .timeline import confirmation_body, email_customer, notify_customer, record_change

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShippingAddress:
    full_name: str
    phone: str
    line1: str
    line2: str
    postal_code: str
    city: str = "Singapore"
    country: str = "SG"
    region: str = ""

    @property
    def destination(self) -> Destination:
        return Destination(self.country, self.region, self.postal_code)

    @classmethod
    def of(cls, address) -> "ShippingAddress":
        """A saved address (accounts.Address), as an order keeps it."""
        return cls(
            address.full_name,
            address.phone,
            address.line1,
            address.line2,
            address.postal_code,
            address.city,
            str(address.country),
            address.region,
        )


@dataclass
class Placement:
    order: Order
    replayed: bool = False
    # Set when the card needs 3-D Secure: the shopper goes there, and comes back to
    # `settle_payment` (the order is pending payment until then).
    action_url: str = ""


def new_order_number() -> str:
    return f"AM{timezone.localdate():%y%m%d}-{secrets.token_hex(3).upper()}"


def order_key(idempotency_key: str) -> str:
    """What the order stores: the key itself, or its digest when longer than the column.
    Never a cut: two long keys differing at the end must stay two keys."""
    if len(idempotency_key) <= (cast(CharField, Order._meta.get_field("idempotency_key")).max_length or 0):
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def place_order(
    *,
    user,
    cart,
    idempotency_key: str,
    address: ShippingAddress,
    shipping_method: str,
    payment_method: str,
    expected_total: Decimal | None = None,
    wait_for_twin: float = 0,
    email: str = "",
    save_card: bool = False,
    return_url: Callable[[str], str] | None = None,
) -> Placement:
    """Place the customer's cart as an order and charge the payment method (the provider's id
    for a card the browser tokenised, or a saved card's); see the module's docstring.

    The same idempotency key again returns the first order: never a second
    order or charge. While that first request is still charging, a twin raises
    PlacementInProgress, or with `wait_for_twin` seconds waits for its outcome
    (a double-clicked form then shows the one order, or the one decline).
    A cart is consumed by its first placement: another checkout of the same
    cart with another key raises CartAlreadyPlaced. Raises CheckoutError with
    a message for the customer; PaymentFailed when the card did not pay.

    A card that asks for 3-D Secure leaves the order pending payment and returns the
    Placement's `action_url`; the shopper's return (to `return_url(order number)`), the provider's webhook or
    `resolve_pending_orders` settles it, whichever comes first (`settle_payment`). With
    `save_card`, a signed-in customer's card is kept for next time once it has paid.

    A guest (`user` None) places their session cart with the `email` the order's messages go to;
    every guarantee above holds the same way (orders/guests.py has the rest of a guest's order).
    """
    if user is None:
        email = clean_guest_email(email)
    if not shipping_method or len(shipping_method) > 30:
        raise CheckoutError("Choose a delivery option.")
    if not idempotency_key or len(idempotency_key) > settings.IDEMPOTENCY_KEY_MAX_LENGTH:
        raise CheckoutError("This checkout form has expired. Please review your order and try again.")

    try:
        order, replayed = _reserve(
            user, cart, idempotency_key, address, shipping_method, expected_total, email
        )
    except PlacementInProgress as busy:
        settled = _settle_abandoned(user, busy, cart)
        if settled is not None:
            return Placement(settled, replayed=True)
        if wait_for_twin <= 0:
            raise
        return Placement(_await_twin(user, busy, wait_for_twin), replayed=True)
    if replayed:
        return Placement(order, replayed=True)
    if order.total == 0:
        return Placement(_confirm(order, cart, reference="", brand="", last4="") or _reread(order))

    gateway = get_gateway()
    result: ChargeResult | None
    save_card = save_card and user is not None
    try:
        if not payment_method:
            raise CheckoutError("Enter your card details.")
        result = gateway.charge(
            amount=order.total,
            currency=settings.CURRENCY,
            payment_method=payment_method,
            idempotency_key=order.number,
            customer=saved_cards.charge_customer(
                user=user, payment_method=payment_method, save=save_card, gateway=gateway
            ),
            save=save_card,
            return_url=return_url(order.number) if return_url else "",
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
    assert result is not None  # every path without a result raised above
    if result.requires_action:
        Payment.objects.filter(order=order, status=Payment.Status.PENDING).update(
            status=Payment.Status.REQUIRES_ACTION,
            gateway_reference=result.reference,
            action_url=result.action_url,
            save_card=save_card,
            brand=result.brand,
            last4=result.last4,
        )
        return Placement(order, action_url=result.action_url)
    if not result.succeeded:
        _undo(order, Payment.Status.DECLINED, result.message, brand=result.brand, last4=result.last4)
        raise PaymentFailed(result.message or "Your card was declined.")
    confirmed = _confirm(order, cart, reference=result.reference, brand=result.brand, last4=result.last4)
    if confirmed is None:
        raise CheckoutError(
            f"Order {order.number} was cancelled while your card was being charged. "
            "The charge has been refunded in full."
        )
    if save_card:
        saved_cards.remember_card(user=user, payment_method=result.payment_method, gateway=gateway)
    return Placement(confirmed)


def _reread(order: Order) -> Order:
    order.refresh_from_db()
    return order


def settle_payment(*, number: str, cart=None) -> str:
    """Ask the provider how a pending order's payment ended, and act on it: "confirmed",
    "failed" (the order is undone, nothing is charged), "waiting" (the shopper has not yet
    authenticated) or "settled" (nothing left to do: settled already, or a charge for an
    order that ended, refunded). Called on the shopper's return from 3-D Secure, by the
    provider's webhooks and by resolve_pending_orders: any of them may come first, or twice."""
    gateway = get_gateway()
    if cart is not None and not cart.placed_as(number):
        cart = None  # a cart that is not this order's is never emptied by it
    order = Order.objects.filter(number=number).first()
    result = gateway.find_charge(idempotency_key=number)
    if order is None or order.status != S.PENDING_PAYMENT:
        if order is None or order.status in ENDED_WITHOUT_SALE:
            refund_if_charged(number=number, amount=order.total if order else _attempted(number))
        elif cart is not None:  # confirmed by the webhook before the shopper came back
            cart.clear()
        return "settled"
    if result is not None and result.requires_action:
        return "waiting"
    if result is None or not result.succeeded:
        message = (result.message if result else "") or "Your payment did not go through."
        _undo(order, Payment.Status.FAILED, message)
        return "failed"
    if not _confirm(order, cart, reference=result.reference, brand=result.brand, last4=result.last4):
        return "settled"
    payment = Payment.objects.filter(order=order, gateway_reference=result.reference).first()
    if payment is not None and payment.save_card and order.user_id:
        saved_cards.remember_card(user=order.user, payment_method=result.payment_method, gateway=gateway)
    return "confirmed"


def _attempted(number: str) -> Decimal:
    payment = Payment.objects.filter(order_number=number).first()
    return payment.amount if payment else Decimal("0")


def on_payment_succeeded(*, order_number: str, reference: str, payment_method: str) -> None:
    """The provider's webhook: a charge succeeded, perhaps after the shopper closed the tab."""
    if order_number:
        settle_payment(number=order_number)


def on_payment_failed(*, order_number: str, reference: str, message: str) -> None:
    if order_number:
        settle_payment(number=order_number)


def _settle_abandoned(user, busy: PlacementInProgress, cart) -> Order | None:
    """A retry of a placement whose request died (its node was killed, say) after reserving the
    order: once nobody can still be charging for it (IDEMPOTENCY_IN_FLIGHT_SECONDS, longer than a
    charge may take), ask the provider how it ended instead of making the shopper wait for
    resolve_pending_orders. The paid order, or PaymentFailed; None while it may still be running."""
    abandoned = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS)
    order = Order.objects.filter(
        owned_by(user), number=busy.order_number, status=S.PENDING_PAYMENT, placed_at__lt=abandoned
    ).first()
    if order is None or busy.action_url or _awaiting_action(order):
        return None  # still young, or waiting for the shopper's bank: not abandoned
    if settle_payment(number=order.number, cart=cart) == "failed":
        attempt = Payment.objects.filter(order_number=order.number).exclude(message="").first()
        raise PaymentFailed(attempt.message if attempt else "Your payment did not go through.")
    return Order.objects.get(pk=order.pk)


def _await_twin(user, busy: PlacementInProgress, seconds: float) -> Order:
    """Wait for the request that is placing the same checkout, then answer with its outcome."""
    deadline = time.monotonic() + seconds
    while True:
        order = Order.objects.filter(owned_by(user), number=busy.order_number).first()
        if order is not None and order.status != S.PENDING_PAYMENT:
            return order
        if order is not None and (action := _awaiting_action(order)):
            raise PlacementInProgress(  # the twin's card is waiting for 3-D Secure
                f"Please confirm the payment for order {order.number} with your bank.", order.number, action
            )
        if order is None:  # it failed and was undone: answer with the same failure
            attempt = Payment.objects.filter(order_number=busy.order_number).exclude(message="").first()
            raise PaymentFailed(attempt.message if attempt else "Your payment did not go through.")
        if time.monotonic() >= deadline:
            raise busy
        time.sleep(0.1)


def owned_by(user) -> Q:
    """The orders a placement may replay: the customer's, or any guest's (a guest's key is a
    random UUID the server put in their form)."""
    return Q(user=user) if user is not None else Q(user__isnull=True)


NUMBER_DRAWS = 5


def new_order(*, user, idempotency_key: str, **values) -> tuple[Order, bool]:
    """The new order under a fresh number, or the twin that holds its key (True). The insert is refused
    (no error, so no savepoint around it, #23) when a twin request with the same key committed
    first, or, once in millions, when the random number is taken: then the twin is replayed, or
    another number drawn. PostgreSQL's insert waits for a twin still in flight and sees it once
    it commits, so a refusal with no twin is a number taken."""
    for _ in range(NUMBER_DRAWS):
        order = rows.create_unless_taken(
            Order, number=new_order_number(), user=user, idempotency_key=idempotency_key, **values
        )
        if order is not None:
            return order, False
        twin = Order.objects.filter(owned_by(user), idempotency_key=idempotency_key).first()
        if twin is not None:
            return twin, True
    raise CheckoutError("This order is already being placed. Please wait a moment.")


def _reserve(user, cart, key, address, shipping_method, expected_total, email="") -> tuple[Order, bool]:
    key = order_key(key)
    email = email or user.email
    with transaction.atomic():
        # The cart row first: concurrent checkouts of one cart queue here, whatever their keys.
        placing = cart.lock_for_checkout()
        found = {o.idempotency_key == key: o for o in _placed_before(user, key, placing)}
        if True in found:
            return _replay(found[True]), True
        items = cart.items()
        _refuse_consumed_cart(found.get(False), items, cart)
        order, is_twin = new_order(
            user=user,
            email=email,
            idempotency_key=key,
            ship_name=address.full_name,
            ship_phone=address.phone,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_postal_code=address.postal_code,
            ship_city=address.city,
            ship_region=address.region,
            ship_country=address.country,
            shipping_method=shipping_method,
            subtotal=Decimal("0"),
            total=Decimal("0"),
            placed_at=timezone.now(),
        )
        if is_twin:
            return _replay(order), True

        if not items:
            raise EmptyCart("Your cart is empty.")
        locked = lock_variants(items)
        codes = cart.coupon_codes()
        by_code = {c.code.upper(): c for c in Coupon.objects.filter(code__in=codes)} if codes else {}
        coupons = [by_code[c.upper()] for c in codes if c.upper() in by_code]
        summary = price_cart(
            items=items,
            variants=locked,
            coupons=coupons,
            user=user,
            email=email,
            shipping_method=shipping_method,
            destination=address.destination,
            **pricing_extras(cart, user),
        )
        if not summary.lines:
            raise CheckoutError("The products in your cart are no longer sold.")
        if summary.problems:
            raise CheckoutError("Please review your cart: " + "; ".join(summary.problems) + ".")
        if summary.coupon_errors:
            raise CheckoutError(summary.coupon_errors[0])
        if summary.shipping_problem or summary.shipping_method != shipping_method:
            raise CheckoutError(
                summary.shipping_problem or "Choose one of the delivery options for this address."
            )
        if expected_total is not None and summary.total != expected_total:
            raise CheckoutError(
                f"Prices or discounts changed since you opened the checkout: the total is now "
                f"{format_money(summary.total)}. Please review and confirm again."
            )
        try:
            apply_changes(
                locked,
                [Change(line.variant.pk, -line.quantity) for line in summary.lines],
                kind=StockMovement.Kind.SALE,
                order=order,
                reason=f"Order {order.number}",
                count_as_sold=True,
            )
        except OutOfStock as exc:
            raise CheckoutError(exc.message) from None
        lines = OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=line.product,
                    variant=line.variant,
                    sku=line.variant.sku,
                    name=line.product.name,
                    variant_name=line.variant.name,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    line_total=line.line_total,
                    tax_class=line.tax.tax_class if line.tax else "",
                    tax_rate=line.tax.rate if line.tax else Decimal("0"),
                    tax_amount=line.tax_amount,
                )
                for line in summary.lines
            ]
        )
        # Held as the order's lines: the paid step and its subscribers need not read them back.
        rows.hold_as_prefetched(order, "items", lines)
        priced = {
            "subtotal": summary.subtotal,
            "discount_total": quantize(summary.coupon_total + summary.reward_discount),
            "points_redeemed": summary.points,
            "points_discount": summary.points_discount,
            "shipping_fee": summary.shipping_fee,
            "total": summary.total,
            "gst_included": summary.gst_included,
            "tax_lines": summary.tax_lines,
            "shipping_tax": summary.shipping_tax,
            "prices_include_tax": summary.prices_include_tax,
            "shipping_name": summary.shipping_label,
            "shipping_estimate": summary.shipping_estimate,
            "coupon_codes": [c.code for c, _ in summary.coupons],
        }
        for name, value in priced.items():
            setattr(order, name, value)
        rows.update(order, [*priced, "updated_at"])  # what pricing set, not all 40 columns
        cart.mark_placing(order.number)
        try:
            redeem_coupons(applied=summary.coupons, user=user, order=order, email=email)
        except CouponError as exc:
            raise CheckoutError(str(exc)) from None
        publish(OrderPlaced(order=order, summary=summary, user=user))
        record_change(order, "", S.PENDING_PAYMENT)
        rows.insert(  # the attempt, as Payment.objects.create writes it (one constant statement, #23)
            Payment,
            order=order,
            order_number=order.number,
            user=user,
            amount=order.total,
            currency=settings.CURRENCY,
            gateway=get_gateway().name,
        )
        return order, False


def _placed_before(user, key: str, placing: str) -> list[Order]:
    """The customer's order under this key, and the order the cart was last placed as (when it
    says): for a customer in one constant statement (every placement asks, #23), for a guest (no
    user to compare with =) through the ORM."""
    if user is None:
        return list(
            Order.objects.filter(owned_by(None)).filter(Q(idempotency_key=key) | Q(number=placing or None))
        )
    either = {"idempotency_key": key, **({"number": placing} if placing else {})}
    return rows.where_either(Order, {"user_id": user.pk}, either)


def _awaiting_action(order: Order) -> str:
    """Where the shopper authenticates a pending order's payment, if it is waiting for that."""
    payment = Payment.objects.filter(order=order, status=Payment.Status.REQUIRES_ACTION).first()
    return payment.action_url if payment else ""


def _replay(order: Order) -> Order:
    if order.status == S.PENDING_PAYMENT:
        raise PlacementInProgress(
            f"Your order {order.number} is still being placed. Please wait a moment.", order.number
        )
    return order


def _refuse_consumed_cart(first: Order | None, items, cart) -> None:
    """A cart is consumed by its first placement (a double tap that made a new key included).
    `first` is the order the cart was last placed as, if it still exists (a failed
    placement is undone and frees the cart). A guest's session cart clears that marker when
    shopping starts again, so a marker there means placed, even if this copy still has lines."""
    if first is None:
        return
    if first.status == S.PENDING_PAYMENT:
        raise CartAlreadyPlaced(
            f"This cart is already being placed as order {first.number}. Please wait a moment.",
            first.number,
        )
    if not items or cart.placement_outlives_items:
        raise CartAlreadyPlaced(f"This cart was already placed as order {first.number}.", first.number)


def _confirm(order: Order, cart, *, reference: str, brand: str, last4: str) -> Order | None:
    """Mark the order paid, and return it as it now is (what the paid step wrote included: no
    need to read it again). If it is no longer waiting for this payment (cancelled, or undone
    by the periodic job, while the card was being charged), the charge is refunded at once and
    None is returned: money is never kept without a live order."""
    with transaction.atomic():
        live = next(iter(rows.locked(Order, id=order.pk)), None)  # one constant statement (#23)
        if live is not None and live.status == S.PENDING_PAYMENT:
            if Order.user.is_cached(order) and order.user_id == live.user_id:
                live.user = order.user  # the shopper placing it: not read again by the paid step
            if (lines := rows.prefetched(order, "items")) is not None:
                # Written with the order, and a pending order's lines never change (#23).
                rows.hold_as_prefetched(live, "items", lines)
            _mark_paid(live, cart, reference=reference, brand=brand, last4=last4)
            return live
    if live is not None and live.status not in ENDED_WITHOUT_SALE:
        return live  # already confirmed (by the periodic job)
    if reference:
        settle_orphan_charge(
            number=order.number, amount=order.total, reference=reference, brand=brand, last4=last4
        )
    return None


def _mark_paid(order: Order, cart, *, reference: str, brand: str, last4: str) -> None:
    # Its lines are read once here: the subscribers to OrderPaid, the confirmation's text and
    # its HTML all go through `order.items.all()` (three queries, #23).
    prefetch_related_objects([order], "items")
    order.status, order.paid_at = S.PAID, timezone.now()
    if cart is None and order.user_id is not None:
        cart = _placed_cart(order)
    Payment.objects.filter(order=order, status__in=Payment.OPEN).update(
        status=Payment.Status.SUCCEEDED, gateway_reference=reference, brand=brand, last4=last4
    )
    record_change(order, S.PENDING_PAYMENT, S.PAID, note="Payment received")
    if cart is not None:
        cart.clear()
    publish(OrderPaid(order=order))
    notify_customer(
        order,
        title=f"Order {order.number} confirmed",
        body=f"We have your payment of {format_money(order.total)}.",
    )
    # Last (orders/documents.py says why): after it, only this order's own row, locked above,
    # and a new outbox row are written (#23: taken first, it held every confirmation behind
    # the whole of another's subscribers, 91 ms a placement in make bench's flow).
    number_invoice(order)
    rows.update(order, ["status", "paid_at", "invoice_number", "updated_at"])
    email_customer(
        order,
        f"Your AuroraMart order {order.number}",
        confirmation_body(order),
        template="emails/order_confirmation.html",
        context={"order": order, "items": list(order.items.all())},
        attachments=[{"kind": "invoice", "order": order.number}],
    )


def _placed_cart(order: Order):
    """The customer's cart, when it is the one this order was placed from (a payment settled by
    a webhook or the periodic job empties it as the checkout would have)."""
    cart = DbCart(order.user)
    return cart if cart.placed_as(order.number) else None


def _undo(order: Order, status: str, message: str, *, brand: str = "", last4: str = "") -> None:
    """Give back everything the pending order took, keep the payment attempt, delete the order."""
    with transaction.atomic():
        live = Order.objects.select_for_update().filter(pk=order.pk).first()
        if live is None or live.status != S.PENDING_PAYMENT:
            # Ended meanwhile (cancelled by staff, or settled by the periodic job): the attempt's
            # outcome is still recorded, so the payment does not stay pending forever.
            Payment.objects.filter(order_number=order.number, status__in=Payment.OPEN).update(
                status=status, message=message[:255], brand=brand, last4=last4
            )
            return
        order = live
        # The movements keep the order number in their reason; their link to the order
        # goes when the pending order is deleted below.
        return_to_stock(order, StockMovement.Kind.RELEASE, None, f"Payment failed for order {order.number}")
        release_coupons(order=order)
        publish(OrderReleased(order=order))
        Payment.objects.filter(order=order, status__in=Payment.OPEN).update(
            status=status, message=message[:255], brand=brand, last4=last4
        )
        order.delete()


def resolve_pending_orders(older_than_minutes: int | None = None) -> dict[str, int]:
    """Settle whatever a crash or a race left unfinished; safe to run at any time, and twice.

    - orders still pending payment: confirmed if the gateway has their charge, else released;
    - payments not final, whatever became of their order: a charge the gateway has for an
      order that is gone or ended is refunded, no charge is marked failed;
    - failed attempts of the last PAYMENT_RECHECK_HOURS: a charge that landed late is refunded;
    - captured payments of ended orders that are not fully refunded (a refund that failed),
      and credit notes whose refund failed, are refunded again.
    """
    minutes = older_than_minutes if older_than_minutes is not None else settings.PENDING_ORDER_TIMEOUT_MINUTES
    cutoff = timezone.now() - timedelta(minutes=minutes)
    gateway = get_gateway()
    outcome = {"confirmed": 0, "released": 0, "refunded": 0, "failed": 0, "refunds_retried": 0}
    for order in Order.objects.filter(status=S.PENDING_PAYMENT, placed_at__lt=cutoff):
        result = gateway.find_charge(idempotency_key=order.number)
        if result is not None and result.requires_action:
            # The shopper never finished 3-D Secure: the provider is told the payment can no
            # longer be made, then it is asked again (it may have completed meanwhile).
            gateway.cancel(reference=result.reference)
            result = gateway.find_charge(idempotency_key=order.number)
        if result is not None and result.succeeded:
            confirmed = _confirm(
                order, None, reference=result.reference, brand=result.brand, last4=result.last4
            )
            outcome["confirmed" if confirmed else "refunded"] += 1
        else:
            _undo(order, Payment.Status.FAILED, "Abandoned: no payment was made")
            outcome["released"] += 1
    for payment in Payment.objects.filter(status__in=Payment.OPEN, created_at__lt=cutoff):
        found = Order.objects.filter(number=payment.order_number).only("status").first()
        if found is not None and found.status == S.PENDING_PAYMENT:
            continue  # settled by the first loop, or still young
        if refund_if_charged(number=payment.order_number, amount=payment.amount):
            outcome["refunded"] += 1
        else:
            Payment.objects.filter(pk=payment.pk, status__in=Payment.OPEN).update(
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
    from .returns import pay_credit_note, unpaid_credit_notes  # returns builds on placement

    for credit in unpaid_credit_notes().filter(created_at__lt=cutoff):
        if pay_credit_note(credit):
            outcome["refunds_retried"] += 1
    return outcome
