"""Returns, exchanges, credit notes and refunds after delivery (docs/money-path.md, "Returns").

A customer asks to send back some units of some lines, or to exchange them for another size or
colour; staff approve per line (an approved exchange ships a replacement order at no charge),
then receive the parcel, choosing per line whether the units go back to stock. Receiving
issues a credit note for exactly what the returned units were paid (orders/refunds.py), plus
the delivery fee when the whole order has come back (or staff choose), takes back that share of
the loyalty points and refunds the card. Staff can also make a goodwill refund.

Every credit note is claimed under the order's row lock, against `credited_total` and a
CheckConstraint, before the gateway is called outside any transaction: two refunds racing can
never promise more than was paid, and the gateway never holds a lock.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from auroramart.catalog.models import ProductVariant
from auroramart.core.client import Actor, as_actor
from auroramart.core.events import publish
from auroramart.core.money import format_money, quantize
from auroramart.inventory.models import StockMovement
from auroramart.inventory.services import Change, OutOfStock, apply_changes, lock_variants
from auroramart.payments.models import Payment
from auroramart.staff.services import actor_user, record_audit

from .documents import number_credit_note
from .errors import OrderActionError
from .events import OrderReversed
from .models import PAID_STATUSES, CreditNote, Order, OrderItem, ReturnLine, ReturnRequest
from .refunds import allocate, share_returned
from .selectors import RETURNABLE, can_request_return
from .settlement import refund_payment
from .settlement import retry_refunds as settlement_retry
from .statuses import ENDED_WITHOUT_SALE, S
from .stock import restock
from .timeline import email_customer, notify_customer, record_change, tell_customer

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


# --- the customer asks -------------------------------------------------------------------


def request_return(
    *,
    order: Order,
    user,
    reason: str,
    details: str = "",
    lines: dict[int, int] | None = None,
    exchanges: dict[int, int] | None = None,
) -> ReturnRequest:
    """Ask to send back `lines` ({order item id: units}; every unit still returnable when None).
    `exchanges` maps some of those items to the variant wanted instead of a refund."""
    exchanges = exchanges or {}
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk, user=user)
        if order.status == S.RETURN_REQUESTED:
            raise OrderActionError("This order already has a return in progress.")
        if order.status not in RETURNABLE:
            raise OrderActionError("Only delivered orders can be returned.")
        if not can_request_return(order):
            raise OrderActionError(
                f"Returns are accepted within {settings.RETURN_WINDOW_DAYS} days of delivery."
            )
        if reason not in ReturnRequest.Reason.values:
            raise OrderActionError("Choose a reason for the return.")
        items = {i.pk: i for i in order.items.select_related("variant")}
        wanted = (
            {pk: i.returnable_quantity for pk, i in items.items() if i.returnable_quantity}
            if lines is None
            else {int(pk): int(q) for pk, q in lines.items() if int(q)}
        )
        for pk, units in wanted.items():
            item = items.get(pk)
            if item is None:
                raise OrderActionError("That item is not part of this order.")
            if not 0 < units <= item.returnable_quantity:
                raise OrderActionError(
                    f"{item.display_name}: you can return up to {item.returnable_quantity}."
                )
        if not wanted:
            raise OrderActionError("Choose at least one item to send back.")
        swaps = _check_exchanges(items, wanted, exchanges)
        request = ReturnRequest.objects.create(
            order=order, reason=reason, details=details[:2000], order_status_before=order.status
        )
        ReturnLine.objects.bulk_create(
            [
                ReturnLine(request=request, item=items[pk], quantity=units, exchange_variant=swaps.get(pk))
                for pk, units in sorted(wanted.items())
            ]
        )
        previous, order.status = order.status, S.RETURN_REQUESTED
        order.save(update_fields=["status", "updated_at"])
        record_change(order, previous, S.RETURN_REQUESTED, user, ReturnRequest.Reason(reason).label)
        tell_customer(order)
    return request


def _check_exchanges(items, wanted, exchanges) -> dict[int, ProductVariant]:
    if not exchanges:
        return {}
    variants = ProductVariant.objects.in_bulk([int(v) for v in exchanges.values() if v])
    swaps = {}
    for pk, vid in exchanges.items():
        if not vid:
            continue
        item, variant = items.get(int(pk)), variants.get(int(vid))
        if item is None or int(pk) not in wanted:
            raise OrderActionError("Choose the item you are exchanging.")
        if (
            variant is None
            or item.variant is None
            or variant.product_id != item.variant.product_id
            or not variant.is_active
        ):
            raise OrderActionError(f"{item.display_name}: choose another option of the same product.")
        if variant.pk == item.variant_id:
            raise OrderActionError(f"{item.display_name}: choose a different size or colour to exchange for.")
        swaps[int(pk)] = variant
    return swaps


# --- staff decide and receive --------------------------------------------------------------


def open_request(order: Order, *, status: str | None = None) -> ReturnRequest:
    found = ReturnRequest.objects.select_for_update().filter(
        order=order,
        status__in=[status] if status else [ReturnRequest.Status.REQUESTED, ReturnRequest.Status.APPROVED],
    )
    request = found.first()
    if request is None:
        raise OrderActionError("There is no return waiting for this step on this order.")
    return request


def decide_return(
    *,
    order: Order,
    approve: bool,
    actor=None,
    note: str = "",
    quantities: dict[int, int] | None = None,
) -> ReturnRequest:
    """Approve the units of each return line (`quantities`: {return line id: units}; all of them
    when None; 0 refuses that line), or reject the whole request. An approved exchange ships
    its replacement at once, as a new order at no charge."""
    actor = as_actor(actor)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        request = open_request(order)
        if request.status != ReturnRequest.Status.REQUESTED:
            raise OrderActionError("This return has already been decided.")
        lines = list(request.lines.select_related("item", "exchange_variant"))
        request.staff_note = note[:255]
        if approve:
            for line in lines:
                units = line.quantity if quantities is None else int(quantities.get(line.pk, 0))
                if not 0 <= units <= line.quantity:
                    raise OrderActionError(
                        f"{line.item.display_name}: approve between 0 and {line.quantity}."
                    )
                line.approved_quantity = units
            approve = any(line.approved_quantity for line in lines)
        if approve:
            ReturnLine.objects.bulk_update(lines, ["approved_quantity"])
            request.status = ReturnRequest.Status.APPROVED
            request.save()
            replacement = _send_exchanges(
                order, request, [ln for ln in lines if ln.exchange_variant_id], actor
            )
            body = "Please send the approved items back; we will refund you when they arrive."
            if replacement is not None:
                body += f" Your exchange ships as order {replacement.number}."
            notify_customer(
                order,
                title=f"Return of {order.number} approved",
                body=body,
            )
        else:
            request.status, request.resolved_at = ReturnRequest.Status.REJECTED, timezone.now()
            request.save()
            order.status = request.order_status_before
            order.save(update_fields=["status", "updated_at"])
            record_change(
                order,
                S.RETURN_REQUESTED,
                order.status,
                actor_user(actor),
                f"Return rejected: {note}".strip(": "),
            )
            notify_customer(
                order,
                title=f"Return of {order.number} not accepted",
                body=note,
            )
        record_audit(
            actor,
            "return_approve" if approve else "return_reject",
            order,
            changes={
                "status": [S.RETURN_REQUESTED, order.status],
                "approved": [None, {ln.item.sku: ln.approved_quantity or 0 for ln in lines}],
            },
        )
    return request


def _send_exchanges(order: Order, request: ReturnRequest, lines: list[ReturnLine], actor) -> Order | None:
    """The replacement units, as a new order at no charge (its own stock movements, status paid)."""
    from .placement import new_order

    wanted = [(ln, ln.exchange_variant_id, ln.approved_quantity) for ln in lines]
    swaps = [(ln, vid, units) for ln, vid, units in wanted if vid and units]
    if not swaps:
        return None
    locked = lock_variants(vid for _, vid, _ in swaps)
    if len(locked) < len({vid for _, vid, _ in swaps}):
        raise OrderActionError(
            "An option asked for in exchange is no longer sold; reject or approve without it."
        )
    replacement, already = new_order(
        user=order.user,
        idempotency_key=f"exchange-{request.pk}",
        status=S.PAID,
        exchange_of=order,
        ship_name=order.ship_name,
        ship_phone=order.ship_phone,
        ship_line1=order.ship_line1,
        ship_line2=order.ship_line2,
        ship_postal_code=order.ship_postal_code,
        ship_city=order.ship_city,
        shipping_method=order.shipping_method,
        subtotal=ZERO,
        total=ZERO,
        placed_at=timezone.now(),
        paid_at=timezone.now(),
    )
    if already:
        raise OrderActionError(
            f"The exchange for this return was sent already, as order {replacement.number}."
        )
    try:
        apply_changes(
            locked,
            [Change(vid, -units) for _, vid, units in swaps],
            kind=StockMovement.Kind.SALE,
            order=replacement,
            actor=actor_user(actor),
            reason=f"Exchange for order {order.number}",
        )
    except OutOfStock as exc:
        raise OrderActionError(
            f"{exc.message} Approve the return without the exchange, or wait for new stock."
        ) from None
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=replacement,
                product=locked[vid].product,
                variant=locked[vid],
                sku=locked[vid].sku,
                name=ln.item.name,
                variant_name=locked[vid].name,
                unit_price=ZERO,
                quantity=units,
                line_total=ZERO,
            )
            for ln, vid, units in swaps
        ]
    )
    for ln, _, units in swaps:
        OrderItem.objects.filter(pk=ln.item_id).update(exchanged_quantity=F("exchanged_quantity") + units)
    record_change(replacement, "", S.PAID, actor_user(actor), f"Exchange for order {order.number}")
    return replacement


def receive_return(
    *,
    order: Order,
    actor=None,
    note: str = "",
    restock_lines: bool | dict[int, bool] = True,
    refund_shipping: bool | None = None,
) -> Order:
    """The parcel arrived: restock the lines staff choose (`restock_lines`: all, none, or {return
    line id: bool}), issue the credit note and refund it. Delivery is refunded when the whole
    order has come back, unless `refund_shipping` says otherwise."""
    actor = as_actor(actor)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        request = open_request(order)
        if request.status != ReturnRequest.Status.APPROVED:
            raise OrderActionError("Approve the return before receiving it.")
        lines = [ln for ln in request.lines.select_related("item") if ln.units]
        items = list(order.items.all())
        allocation = allocate(order, items)
        by_pk = {i.pk: i for i in items}
        back, refunded_lines, merchandise, tax = [], [], ZERO, ZERO
        for line in lines:
            line.restocked = (
                restock_lines if isinstance(restock_lines, bool) else bool(restock_lines.get(line.pk))
            )
            if line.restocked and line.item.variant_id:
                back.append((line.item.variant_id, line.units))
            if line.exchange_variant_id:
                continue  # exchanged: a replacement was sent instead of a refund
            item = by_pk[line.item_id]
            share = allocation.lines[item.pk]
            line.refund_amount = share.paid_for_units(item.returned_quantity, line.units)
            tax += share.tax_for_units(item.returned_quantity, line.units)
            item.returned_quantity += line.units
            merchandise += line.refund_amount
            refunded_lines.append(line)
        restock(order, back, StockMovement.Kind.RETURN, actor_user(actor), f"Return of order {order.number}")
        for line in refunded_lines:
            OrderItem.objects.filter(pk=line.item_id).update(
                returned_quantity=F("returned_quantity") + line.units
            )
        ReturnLine.objects.bulk_update(lines, ["restocked", "refund_amount"])
        all_back = all(i.returned_quantity == i.quantity for i in items)
        shipping_done = order.credit_notes.aggregate(s=Sum("shipping"))["s"] or ZERO
        ship = (all_back if refund_shipping is None else refund_shipping) and not shipping_done
        shipping = allocation.shipping_paid if ship else ZERO
        tax += allocation.shipping_tax if ship else ZERO
        credit = None
        if refunded_lines or shipping:
            credit = _issue_credit(
                order,
                kind=CreditNote.Kind.RETURN,
                merchandise=merchandise,
                shipping=shipping,
                lines=[
                    {
                        "sku": ln.item.sku,
                        "name": ln.item.display_name,
                        "quantity": ln.units,
                        "amount": str(ln.refund_amount),
                    }
                    for ln in refunded_lines
                ],
                reason=note or ReturnRequest.Reason(request.reason).label,
                actor=actor,
                request=request,
                returned={i.pk: i.returned_quantity for i in items},
                shipping_refunded=bool(shipping or shipping_done),
                allocation=allocation,
                tax=tax,
            )
        request.status, request.resolved_at = ReturnRequest.Status.RECEIVED, timezone.now()
        request.save()
        order.refresh_from_db(fields=["credited_total"])
        status: str
        if all_back:
            status = S.REFUNDED if order.credited_total >= order.total else S.RETURNED
        elif any(i.returned_quantity for i in items):
            status = S.PARTIALLY_RETURNED
        else:
            status = request.order_status_before
        order.status = status
        order.save(update_fields=["status", "updated_at"])
        record_change(order, S.RETURN_REQUESTED, status, actor_user(actor), _received_note(credit, note))
        record_audit(
            actor,
            "return_receive",
            order,
            changes={
                "status": [S.RETURN_REQUESTED, status],
                "credited": [None, str(credit.amount) if credit else "0.00"],
                "restocked": [None, {ln.item.sku: ln.units for ln in lines if ln.restocked}],
            },
        )
        tell_customer(order)
        if credit is not None:
            number_credit_note(credit)  # last (orders/documents.py)
    if credit is not None:
        pay_credit_note(credit, actor=actor)
    return order


def _received_note(credit: CreditNote | None, note: str) -> str:
    if credit is None:
        return note or "Exchange received"
    return f"Credit note {credit.number}: {format_money(credit.amount)}. {note}".strip()


def _issue_credit(
    order: Order,
    *,
    kind: str,
    merchandise: Decimal,
    shipping: Decimal,
    reason: str,
    actor: Actor | None,
    lines: list | None = None,
    request: ReturnRequest | None = None,
    returned: dict[int, int] | None = None,
    shipping_refunded: bool = False,
    allocation=None,
    tax: Decimal | None = None,
) -> CreditNote:
    """Claim the amount against what was paid (the order is locked by the caller), write the
    credit note and, for a return, take back that share of the loyalty points. `tax` is the tax
    in the amount (the returned lines' own); otherwise the order's tax in proportion.
    The caller gives the note its document number with `number_credit_note`, as the last
    thing its transaction does (orders/documents.py says why)."""
    amount = quantize(merchandise + shipping)
    available = order.total - max(order.credited_total, order.refunded_total)
    if amount > available and kind == CreditNote.Kind.RETURN:
        # Earlier goodwill refunds already gave part of this back: the return refunds the rest.
        shipping = min(shipping, available)
        merchandise, amount = available - shipping, available
    if amount > available:
        raise OrderActionError(f"At most {format_money(available)} of this order can still be refunded.")
    points_back = 0
    if returned is not None and allocation is not None:
        earned, spent = share_returned(allocation, returned, shipping_refunded)
        before = order.credit_notes.aggregate(p=Sum("points_returned"))["p"] or 0
        points_back = max(0, int(order.points_redeemed * spent) - before)
        publish(OrderReversed(order=order, fraction=earned, spent_fraction=spent, reason="return"))
    count = order.credit_notes.count()
    Order.objects.filter(pk=order.pk).update(credited_total=F("credited_total") + amount)
    credit = CreditNote.objects.create(
        number=f"CN-{order.number}-{count + 1}",
        order=order,
        return_request=request,
        kind=kind,
        merchandise=merchandise,
        shipping=shipping,
        amount=amount,
        gst_included=_tax_in(order, amount, tax),
        points_returned=points_back,
        lines=lines or [],
        reason=reason[:255],
        actor=actor_user(actor),
    )
    order.credited_total += amount
    return credit


def _tax_in(order: Order, amount: Decimal, tax: Decimal | None) -> Decimal:
    """The tax in a credit: the lines' own when known (orders placed with per-line tax), else
    the order's tax in proportion (orders from before, and goodwill)."""
    if tax is not None and order.tax_lines:
        return min(tax, amount)
    return quantize(order.gst_included * amount / order.total) if order.total else ZERO


def goodwill_refund(*, order: Order, amount: Decimal, reason: str, actor) -> CreditNote:
    """A partial refund as a gesture (a late parcel, a scuffed box): a credit note and a refund,
    never above what is left of the payment. Loyalty points stand."""
    actor = as_actor(actor)
    reason = reason.strip()
    if not reason:
        raise OrderActionError("Say why the refund is given; the customer and the books see it.")
    amount = quantize(amount)
    if amount <= 0:
        raise OrderActionError("Enter an amount above zero.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in PAID_STATUSES or order.status in ENDED_WITHOUT_SALE:
            raise OrderActionError("Only a paid order that has not been refunded can get a goodwill refund.")
        credit = _issue_credit(
            order,
            kind=CreditNote.Kind.GOODWILL,
            merchandise=amount,
            shipping=ZERO,
            reason=reason,
            actor=actor,
        )
        record_audit(
            actor,
            "goodwill_refund",
            order,
            changes={"credited": [None, str(amount)], "reason": [None, reason]},
        )
        notify_customer(
            order,
            title=f"A refund of {format_money(amount)} on order {order.number}",
            body=reason,
        )
        number_credit_note(credit)  # last (orders/documents.py)
    pay_credit_note(credit, actor=actor)
    return credit


def credit_rest(order: Order, *, reason: str, actor: Actor | None) -> CreditNote | None:
    """Inside refund_order's transaction: a credit note for whatever of the order is not yet credited."""
    rest = order.total - max(order.credited_total, order.refunded_total)
    if rest <= 0:
        return None
    return _issue_credit(
        order, kind=CreditNote.Kind.REFUND, merchandise=rest, shipping=ZERO, reason=reason, actor=actor
    )


# --- paying credit notes back --------------------------------------------------------------


def pay_credit_note(credit: CreditNote, *, actor: Actor | None = None) -> bool:
    """Refund a credit note to the card that paid, outside any transaction. A refusal leaves it
    unpaid for resolve_pending_orders (or staff) to retry; nothing is refunded twice, and the
    payment's own cap means never more than was captured."""
    if credit.refunded_at is not None:
        return True
    payment = (
        Payment.objects.filter(
            order_id=credit.order_id,
            status__in=[Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED],
        )
        .exclude(gateway_reference="")
        .first()
    )
    left = payment.amount - payment.refunded_amount if payment is not None else ZERO
    if payment is None or credit.amount == 0 or left <= 0:
        # Nothing to send to a card: a free order, or the payment was refunded in full already.
        done = True
    else:
        done = refund_payment(
            payment=payment, amount=min(credit.amount, left), order=credit.order, actor=actor
        )
    if done:
        claimed = CreditNote.objects.filter(pk=credit.pk, refunded_at=None).update(refunded_at=timezone.now())
        credit.refunded_at = timezone.now()
        if claimed and credit.amount > 0:
            order = credit.order
            email_customer(
                order,
                f"Your refund of {format_money(credit.amount)} for order {order.number}",
                f"We have refunded {format_money(credit.amount)} to the card you paid order {order.number} "
                f"with; it reaches your account in 5-10 working days. The credit note "
                f"{credit.document_number or credit.number} is attached.",
                attachments=[{"kind": "credit_note", "credit_note": credit.number}],
            )
    else:
        logger.error("refund of credit note %s failed at the gateway; retried later", credit.number)
    return done


def unpaid_credit_notes():
    """Credit notes whose refund the gateway refused: empty in a healthy shop (check_payments)."""
    return CreditNote.objects.filter(refunded_at=None).select_related("order")


def retry_refunds(*, order: Order, actor: Actor | None = None) -> tuple[int, Decimal]:
    """Staff's "retry the refund": what an ended order still owes back, and every unpaid credit
    note of the order. Returns (refunds made, amount)."""
    done, total = settlement_retry(order=order, actor=actor)
    for credit in unpaid_credit_notes().filter(order=order):
        if pay_credit_note(credit, actor=actor):
            done, total = done + 1, total + credit.amount
    return done, total
