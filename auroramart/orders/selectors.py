from django.conf import settings
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from auroramart.payments.models import Payment

from .models import Order, OrderItem, OrderStatusChange


def orders_for(user):
    """A customer's orders; every customer query starts here, so another's order is a 404."""
    return Order.objects.filter(user=user).annotate(item_count=Count("items")).order_by("-placed_at", "-id")


def order_detail(user, number: str) -> Order:
    queryset = Order.objects.filter(user=user).prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product")),
        Prefetch("status_changes", queryset=OrderStatusChange.objects.order_by("created_at", "id")),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at")),
    )
    return get_object_or_404(queryset.select_related("return_request"), number=number)


def can_request_return(order: Order) -> bool:
    if order.status != Order.Status.DELIVERED or order.delivered_at is None:
        return False
    return (timezone.now() - order.delivered_at).days < settings.RETURN_WINDOW_DAYS
