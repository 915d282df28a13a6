"""Online tracking per recommendation slot: impressions when a slot is shown,
clicks as product views with source `rec:<slot>`, add-to-cart when a clicked
product is added (or a bundle is), purchases when an order with such a product
is paid. Figures reach analytics through AIPerformanceMetrics."""

import functools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from auroramart.core.client import Shopper, shopper_for
from auroramart.search.models import ProductView

from .experiments import Assignment, assign
from .models import RecommendationEvent

SLOTS = {
    "home-picked": "Home: picked for you",
    "home-personal": "Home: recommended for you",
    "home-trending": "Home: trending (guests)",
    "profile-personal": "Profile: recommended for you",
    "pdp-fbt": "Product: frequently bought together",
    "cart-complete": "Cart: complete the set",
}
SOURCE_PREFIX = "rec:"
CLICK_WINDOW = timedelta(days=1)
PURCHASE_WINDOW = timedelta(days=7)


def source_for(slot: str) -> str:
    return f"{SOURCE_PREFIX}{slot}"


def _who(shopper: Shopper) -> dict:
    return {"user_id": shopper.user_id, "visitor": shopper.visitor}


def _arm(assignment: Assignment | None) -> dict:
    return {"experiment": assignment.experiment, "arm": assignment.arm} if assignment else {}


def record_impression(
    request, slot: str, products, model_version: str = "", assignment: Assignment | None = None
) -> None:
    if products:
        RecommendationEvent.objects.create(
            slot=slot,
            kind=RecommendationEvent.Kind.IMPRESSION,
            items=len(products),
            model_version=model_version[:40],
            **_who(shopper_for(request)),
            **_arm(assignment),
        )


def record_add_to_cart(shopper: Shopper, slot: str, product_ids, model_version: str = "") -> None:
    who, arm = _who(shopper), _arm(assign(slot, shopper))  # the same arm the shopper was shown
    RecommendationEvent.objects.bulk_create(
        [
            RecommendationEvent(
                slot=slot,
                kind=RecommendationEvent.Kind.ADD_TO_CART,
                product_id=pk,
                model_version=model_version,
                **who,
                **arm,
            )
            for pk in product_ids
        ]
    )


def attribute_add_to_cart(*, product, user_id, visitor, source: str = "", **_) -> None:
    """On CartItemAdded: a product added from a slot (a bundle), or after a click from one, counts for it."""
    shopper = Shopper(user_id=user_id, visitor=visitor)
    if source.startswith(SOURCE_PREFIX):
        record_add_to_cart(shopper, source.removeprefix(SOURCE_PREFIX), [product.pk])
        return
    source = _clicked_from(product.pk, user_id, visitor)
    if source:
        record_add_to_cart(shopper, source.removeprefix(SOURCE_PREFIX), [product.pk])


def _clicked_from(product_id: int, user_id: int | None, visitor: str) -> str | None:
    """The slot source of the shopper's latest click on the product within CLICK_WINDOW. Every
    add to a cart asks, in one constant statement: through the ORM, building the query cost
    several times running it (#23)."""
    connection = connections[router.db_for_read(ProductView)]
    since = connection.ops.adapt_datetimefield_value(timezone.now() - CLICK_WINDOW)
    who = "user" if user_id is not None else "visitor"
    with connection.cursor() as cursor:
        cursor.execute(_clicked_sql(who), [product_id, f"{SOURCE_PREFIX}%", since, user_id or visitor])
        row = cursor.fetchone()
    return row[0] if row else None


@functools.cache
def _clicked_sql(who: str) -> str:
    meta = ProductView._meta
    return CLICKED_SQL.format(
        source=meta.get_field("source").column,
        table=meta.db_table,
        product=meta.get_field("product").column,
        created_at=meta.get_field("created_at").column,
        who=meta.get_field(who).column,
    )


@functools.lru_cache(maxsize=64)
def _added_sql(products: int) -> str:
    meta = RecommendationEvent._meta
    column = {name: meta.get_field(name).column for name in ADDED_COLUMNS + ("user", "kind", "created_at")}
    return ADDED_SQL.format(
        columns=", ".join(column[name] for name in ADDED_COLUMNS),
        table=meta.db_table,
        user=column["user"],
        kind=column["kind"],
        created_at=column["created_at"],
        product=column["product"],
        placeholders=", ".join(["%s"] * products),
    )


# A customer's adds from a slot within PURCHASE_WINDOW of the products they paid for, each
# product's latest first. Bound parameters for the values, names from the model's metadata.
ADDED_COLUMNS = ("product", "slot", "model_version", "experiment", "arm")
ADDED_SQL = (
    "SELECT {columns} FROM {table} WHERE {user} = %s AND {kind} = %s AND {created_at} >= %s"
    " AND {product} IN ({placeholders}) ORDER BY {product}, {created_at} DESC"
)


# The values are bound parameters; the names come from the model's metadata. A slot's source
# is "rec:<slot>": lower case, so LIKE matches it the same on both databases.
CLICKED_SQL = (
    "SELECT {source} FROM {table} WHERE {product} = %s AND {source} LIKE %s AND {created_at} >= %s"
    " AND {who} = %s ORDER BY {created_at} DESC LIMIT 1"
)


def attribute_purchase(*, order) -> None:
    """On OrderPaid: each order line the customer added from a slot in the last week is a purchase for it."""
    if order.user_id is None:
        return  # a guest's additions are not tied to them
    lines = {item.product_id: item for item in order.items.all() if item.product_id}
    if not lines:
        return
    connection = connections[router.db_for_read(RecommendationEvent)]
    since = connection.ops.adapt_datetimefield_value(timezone.now() - PURCHASE_WINDOW)
    # One constant statement: every paid order asks, and through the ORM building the query
    # cost several times running it (#23).
    with connection.cursor() as cursor:
        cursor.execute(
            _added_sql(len(lines)),
            [order.user_id, RecommendationEvent.Kind.ADD_TO_CART, since, *lines],
        )
        added = cursor.fetchall()
    slots = {}
    for product_id, *attributed in added:
        slots.setdefault(product_id, attributed)
    events = [
        RecommendationEvent(
            slot=slot,
            kind=RecommendationEvent.Kind.PURCHASE,
            product_id=pk,
            user_id=order.user_id,
            order=order,
            revenue=lines[pk].line_total,
            model_version=version,
            experiment_id=experiment_id,
            arm=arm,
        )
        for pk, (slot, version, experiment_id, arm) in slots.items()
    ]
    if events:
        try:
            with transaction.atomic():
                RecommendationEvent.objects.bulk_create(events)
        except IntegrityError:  # already attributed (a retried payment confirmation)
            pass


def event_totals(events, by: str):
    """(value of `by`, impressions, add-to-carts, purchases, revenue) for each value of `by`
    (a slot, an A/B arm) among these events."""
    return (
        events.order_by()
        .values_list(by)
        .annotate(
            impressions=Count("id", filter=Q(kind=RecommendationEvent.Kind.IMPRESSION)),
            add_to_carts=Count("id", filter=Q(kind=RecommendationEvent.Kind.ADD_TO_CART)),
            purchases=Count("id", filter=Q(kind=RecommendationEvent.Kind.PURCHASE)),
            revenue=Sum("revenue", filter=Q(kind=RecommendationEvent.Kind.PURCHASE)),
        )
    )


def slot_counts(start, end=None) -> dict[str, dict]:
    """Impressions, clicks, add-to-carts, purchases and revenue per slot in a time window
    (the daily rollup and the panel's live figures both read it)."""
    window = {"created_at__gte": start, **({"created_at__lt": end} if end else {})}
    figures: dict[str, dict] = defaultdict(
        lambda: {"impressions": 0, "clicks": 0, "add_to_carts": 0, "purchases": 0, "revenue": Decimal("0")}
    )
    for slot, impressions, adds, purchases, revenue in event_totals(
        RecommendationEvent.objects.filter(**window), "slot"
    ):
        figures[slot].update(
            impressions=impressions, add_to_carts=adds, purchases=purchases, revenue=revenue or Decimal("0")
        )
    clicks = (
        ProductView.objects.filter(source__startswith=SOURCE_PREFIX, **window)
        .order_by()
        .values_list("source")
        .annotate(n=Count("id"))
    )
    for source, n in clicks:
        figures[source.removeprefix(SOURCE_PREFIX)]["clicks"] = n
    return dict(figures)
