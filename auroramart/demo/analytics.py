"""Demo traffic around the demo orders: the product views and cart additions of
the sessions that bought, and of more sessions that only browsed, so the
funnel and conversion have something real to show; and what those sessions
saw and took from the recommendation slots, so the slots' CTR and conversion
do too. Deterministic for a seed."""

import random
from datetime import timedelta

from django.db import transaction

from auroramart.analytics.models import CartAddition
from auroramart.catalog.models import Product
from auroramart.orders.models import Order, OrderItem
from auroramart.recommendations.models import RecommendationEvent
from auroramart.recommendations.tracking import source_for
from auroramart.search.models import ProductView

BROWSING_SESSIONS_PER_ORDER = 3  # sessions that view products but do not buy
CART_SHARE_OF_BROWSERS = 0.25
# How often a bought item came from a slot: the second item of a basket from
# "frequently bought together", any item from "recommended for you".
FROM_BOUGHT_TOGETHER = 0.5
FROM_PERSONAL = 0.12
TRENDING_CLICK_SHARE = 0.1
IMPRESSION = RecommendationEvent.Kind.IMPRESSION


def generate_traffic(*, seed: int, max_orders: int = 50_000, batch: int = 5000) -> dict:
    """Views and cart additions for the most recent `max_orders` orders (bounded for big demo shops)."""
    rng = random.Random(f"traffic:{seed}")
    ids = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    orders = list(Order.objects.order_by("-placed_at").values_list("pk", "user_id", "placed_at")[:max_orders])
    if not ids or not orders:
        return {"views": 0, "cart_additions": 0}
    lines: dict[int, list[tuple[int, object]]] = {}
    for order_id, product_id, line_total in OrderItem.objects.filter(
        order_id__in=[o[0] for o in orders]
    ).values_list("order_id", "product_id", "line_total"):
        if product_id:
            lines.setdefault(order_id, []).append((product_id, line_total))
    views, adds, events = [], [], []
    totals = {"views": 0, "cart_additions": 0, "slot_events": 0}

    def flush():
        with transaction.atomic():
            ProductView.objects.bulk_create(views, batch_size=batch)
            CartAddition.objects.bulk_create(adds, batch_size=batch)
            RecommendationEvent.objects.bulk_create(events, batch_size=batch)
        totals["views"] += len(views)
        totals["cart_additions"] += len(adds)
        totals["slot_events"] += len(events)
        views.clear()
        adds.clear()
        events.clear()

    def slot_event(slot, kind, when, **fields):
        events.append(RecommendationEvent(slot=slot, kind=kind, created_at=when, **fields))

    for order_id, user_id, placed in orders:
        visitor = f"demo-{order_id}"
        who = {"user_id": user_id, "visitor": visitor}
        bought = lines.get(order_id, [])
        arrived = placed - timedelta(minutes=rng.randint(41, 60))
        slot_event("home-personal", IMPRESSION, arrived, items=8, **who)
        slot_event("home-picked", IMPRESSION, arrived, items=8, **who)
        for position, (pk, line_total) in enumerate(bought):
            seen_at = placed - timedelta(minutes=rng.randint(5, 40))
            slot = None
            if position == 1 and rng.random() < FROM_BOUGHT_TOGETHER:
                slot = "pdp-fbt"  # shown beside the first item, and taken from there
            elif rng.random() < FROM_PERSONAL:
                slot = "home-personal"
            views.append(
                ProductView(product_id=pk, created_at=seen_at, source=source_for(slot) if slot else "", **who)
            )
            slot_event("pdp-fbt", IMPRESSION, seen_at, items=2, **who)
            added_at = placed - timedelta(minutes=rng.randint(1, 4))
            adds.append(CartAddition(product_id=pk, created_at=added_at, **who))
            if slot:
                slot_event(slot, RecommendationEvent.Kind.ADD_TO_CART, added_at, product_id=pk, **who)
                slot_event(
                    slot,
                    RecommendationEvent.Kind.PURCHASE,
                    placed,
                    product_id=pk,
                    order_id=order_id,
                    revenue=line_total,
                    **who,
                )
        if bought:
            slot_event("cart-complete", IMPRESSION, placed - timedelta(minutes=1), items=3, **who)
        for pk in rng.sample(ids, min(len(ids), rng.randint(1, 4))):
            views.append(
                ProductView(product_id=pk, created_at=placed - timedelta(minutes=rng.randint(5, 40)), **who)
            )
        for n in range(BROWSING_SESSIONS_PER_ORDER):
            browser = f"browse-{order_id}-{n}"
            when = placed - timedelta(minutes=rng.randint(0, 1440))
            seen = rng.sample(ids, min(len(ids), rng.randint(1, 3)))
            slot_event("home-trending", IMPRESSION, when - timedelta(minutes=1), items=8, visitor=browser)
            clicked = rng.random() < TRENDING_CLICK_SHARE
            views.extend(
                ProductView(
                    product_id=pk,
                    visitor=browser,
                    created_at=when,
                    source=source_for("home-trending") if clicked and i == 0 else "",
                )
                for i, pk in enumerate(seen)
            )
            if rng.random() < CART_SHARE_OF_BROWSERS:
                adds.append(
                    CartAddition(product_id=seen[0], visitor=browser, created_at=when + timedelta(minutes=2))
                )
        if len(views) >= batch * 4:
            flush()
    flush()
    return totals
