from datetime import timedelta

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from auroramart.core import rows
from auroramart.payments.models import Payment

from .models import Order, OrderItem, OrderStatusChange, ReturnRequest


def orders_for(user):
    """A customer's orders; every customer query starts here, so another's order is a 404."""
    return with_item_count(Order.objects.filter(user=user)).order_by("-placed_at", "-id")


def with_item_count(orders: QuerySet) -> QuerySet:
    """`orders` with each one's number of lines as `item_count`, counted for the orders a page
    shows: a correlated count, which PostgreSQL works out after the sort and limit, and which a
    paginator's count leaves out. Counted by joining the lines and grouping, every order of the
    customer (or of the shop, on the staff's list) was counted on every page, and counted again
    for the number of pages (#23: 3.2 ms for a list of five, for a customer with 2,000 orders)."""
    lines = (
        OrderItem.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return orders.annotate(item_count=Coalesce(Subquery(lines, output_field=IntegerField()), 0))


def own_order(user, number: str) -> Order | None:
    """The customer's order with this number, or None (another's included): what an action on
    it (cancel, return) starts from, in one constant statement. The action reads it again under
    its lock; the page it answers with reads the detail (#23: the API read the whole detail,
    eight statements, to refuse a cancellation)."""
    if user is None or not user.pk:
        return None
    found = rows.where(Order, user_id=user.pk, number=number)
    return found[0] if found else None


def order_detail(user, number: str) -> Order:
    queryset = Order.objects.filter(user=user).prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product")),
        Prefetch("status_changes", queryset=OrderStatusChange.objects.order_by("created_at", "id")),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at")),
        Prefetch(
            "returns",
            queryset=ReturnRequest.objects.prefetch_related("lines__item", "lines__exchange_variant"),
        ),
        "credit_notes",
        "exchanges",
    )
    return get_object_or_404(queryset, number=number)


# What a customer can send things back from: delivered, or partly returned already.
RETURNABLE = (Order.Status.DELIVERED, Order.Status.PARTIALLY_RETURNED)


def guest_order_detail(pk: int) -> Order:
    """A guest's order for its signed page (the link, not a user, is what scopes it)."""
    return (
        Order.objects.filter(pk=pk)
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product")),
            Prefetch("status_changes", queryset=OrderStatusChange.objects.order_by("created_at", "id")),
            Prefetch("payments", queryset=Payment.objects.order_by("created_at")),
            "credit_notes",
        )
        .get()
    )


def can_request_return(order: Order) -> bool:
    if order.status not in RETURNABLE or order.delivered_at is None:
        return False
    return timezone.now() - order.delivered_at < timedelta(days=settings.RETURN_WINDOW_DAYS)


def payment_mismatches() -> list[str]:
    """Every way money could be where it is not owed; empty in a healthy shop (check_payments).

    - a captured payment whose order is gone, cancelled or refunded, not refunded in full;
    - a payment still pending although its order is no longer waiting for it (or is gone);
    - on the test gateway, whose books we can read: a charge with no captured payment of
      ours, or whose refunded amount differs from ours.
    """
    from auroramart.payments.models import TestGatewayCharge

    from .settlement import refunds_owed

    problems = [
        f"{p.order_number}: S${p.amount} captured ({p.gateway_reference}), S${p.refunded_amount} refunded, "
        f"order {p.order.status if p.order else 'gone'}"
        for p in refunds_owed()
    ]
    stale = timezone.now() - timedelta(minutes=settings.PENDING_ORDER_TIMEOUT_MINUTES)
    for p in Payment.objects.filter(status__in=Payment.OPEN, created_at__lt=stale).select_related("order"):
        if p.order is None or p.order.status != Order.Status.PENDING_PAYMENT:
            problems.append(
                f"{p.order_number}: payment still pending, order {p.order.status if p.order else 'gone'}"
            )
    captured = {
        p.gateway_reference: p
        for p in Payment.objects.exclude(gateway_reference="").select_related("order")
        if p.status in (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED)
    }
    for charge in TestGatewayCharge.objects.filter(status=TestGatewayCharge.Status.SUCCEEDED).iterator(
        chunk_size=2000
    ):
        ours = captured.get(charge.reference)
        if ours is None:
            problems.append(
                f"{charge.idempotency_key}: gateway charge {charge.reference} has no captured payment"
            )
        elif ours.refunded_amount != charge.refunded:
            problems.append(
                f"{ours.order_number}: refunded S${ours.refunded_amount} here, S${charge.refunded} at the gateway"
            )
    return problems


def returnable_lines(order: Order) -> list[tuple]:
    """The lines a customer can still send back, each with the product's other active variants
    in stock to exchange for (none for a product without options)."""
    from auroramart.catalog.models import ProductVariant

    items = [i for i in order.items.all() if i.returnable_quantity]
    products = {i.product_id for i in items if i.product_id}
    by_product: dict[int, list] = {}
    if products:
        for v in ProductVariant.objects.filter(
            product_id__in=products, is_active=True, stock_quantity__gt=0
        ).order_by("position", "pk"):
            by_product.setdefault(v.product_id, []).append(v)
    return [(i, [v for v in by_product.get(i.product_id or 0, []) if v.pk != i.variant_id]) for i in items]


def invoice_lines(order: Order) -> list[tuple]:
    """Each line with its share of the order's discounts and what was paid for it (the split a
    return refunds by, orders/refunds.py)."""
    from .refunds import allocate

    items = list(order.items.all())
    shares = allocate(order, items).lines
    return [(item, shares[item.pk]) for item in items]
