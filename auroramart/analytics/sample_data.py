"""Demo traffic around the demo orders: the product views and cart additions of
the sessions that bought, and of more sessions that only browsed, so the
funnel and conversion have something real to show. Deterministic for a seed."""

import random
from datetime import timedelta

from django.db import transaction

from auroramart.catalog.models import Product
from auroramart.orders.models import Order, OrderItem
from auroramart.search.models import ProductView

from .models import CartAddition

BROWSING_SESSIONS_PER_ORDER = 3  # sessions that view products but do not buy
CART_SHARE_OF_BROWSERS = 0.25


def generate_traffic(*, seed: int, max_orders: int = 50_000, batch: int = 5000) -> dict:
    """Views and cart additions for the most recent `max_orders` orders (bounded for big demo shops)."""
    rng = random.Random(f"traffic:{seed}")
    ids = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    orders = list(Order.objects.order_by("-placed_at").values_list("pk", "user_id", "placed_at")[:max_orders])
    if not ids or not orders:
        return {"views": 0, "cart_additions": 0}
    lines: dict[int, list[int]] = {}
    for order_id, product_id in OrderItem.objects.filter(order_id__in=[o[0] for o in orders]).values_list(
        "order_id", "product_id"
    ):
        if product_id:
            lines.setdefault(order_id, []).append(product_id)
    views, adds, totals = [], [], {"views": 0, "cart_additions": 0}

    def flush():
        with transaction.atomic():
            ProductView.objects.bulk_create(views, batch_size=batch)
            CartAddition.objects.bulk_create(adds, batch_size=batch)
        totals["views"] += len(views)
        totals["cart_additions"] += len(adds)
        views.clear()
        adds.clear()

    for order_id, user_id, placed in orders:
        visitor = f"demo-{order_id}"
        bought = lines.get(order_id, [])
        for pk in bought + rng.sample(ids, min(len(ids), rng.randint(1, 4))):
            views.append(
                ProductView(
                    product_id=pk,
                    user_id=user_id,
                    visitor=visitor,
                    created_at=placed - timedelta(minutes=rng.randint(5, 40)),
                )
            )
        for pk in bought:
            adds.append(
                CartAddition(
                    product_id=pk,
                    user_id=user_id,
                    visitor=visitor,
                    created_at=placed - timedelta(minutes=rng.randint(1, 4)),
                )
            )
        for n in range(BROWSING_SESSIONS_PER_ORDER):
            browser = f"browse-{order_id}-{n}"
            when = placed - timedelta(minutes=rng.randint(0, 1440))
            seen = rng.sample(ids, min(len(ids), rng.randint(1, 3)))
            views.extend(ProductView(product_id=pk, visitor=browser, created_at=when) for pk in seen)
            if rng.random() < CART_SHARE_OF_BROWSERS:
                adds.append(
                    CartAddition(product_id=seen[0], visitor=browser, created_at=when + timedelta(minutes=2))
                )
        if len(views) >= batch * 4:
            flush()
    flush()
    return totals
