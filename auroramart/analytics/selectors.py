"""What the analytics dashboard shows, read from the daily rollups only."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from auroramart.catalog.models import Category, Product, ProductReview, ProductVariant
from auroramart.core.held import Held
from auroramart.core.money import quantize
from auroramart.inventory.selectors import low_stock_variants
from auroramart.orders.models import UNREFUNDED_STATUSES, CreditNote, Order, OrderItem, ReturnRequest
from auroramart.orders.settlement import refunds_owed

from .models import BusinessMetrics, CustomerAnalytics, MarketingAnalytics, ProductAnalytics
from .rollups import VERSION_KEY

PRESETS = {
    "7d": ("Last 7 days", 7),
    "30d": ("Last 30 days", 30),
    "90d": ("Last 90 days", 90),
    "365d": ("Last 12 months", 365),
}
DEFAULT_PRESET = "30d"
MAX_DAYS = 3660
CACHE_SECONDS = 300


@dataclass
class DateRange:
    start: date
    end: date
    preset: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "DateRange":
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end)


def parse_range(params) -> tuple[DateRange, list[str]]:
    """A preset (`range=30d`) or `from`/`to` dates; bad input falls back to the default with a message."""
    today = timezone.localdate()
    errors = []
    preset = params.get("range", "")
    if params.get("from") or params.get("to"):
        try:
            start = date.fromisoformat(params.get("from", ""))
            end = date.fromisoformat(params.get("to", "") or today.isoformat())
        except ValueError:
            errors.append("Dates must be in the form YYYY-MM-DD.")
        else:
            if start > end:
                errors.append("The start date must not be after the end date.")
            elif (end - start).days >= MAX_DAYS:
                errors.append("Choose at most ten years.")
            else:
                return DateRange(start, end), errors
        preset = DEFAULT_PRESET
    if preset not in PRESETS:
        if preset:
            errors.append("Unknown range; showing the last 30 days.")
        preset = DEFAULT_PRESET
    days = PRESETS[preset][1]
    return DateRange(today - timedelta(days=days - 1), today, preset), errors


def _totals(rows: list[BusinessMetrics]) -> dict:
    revenue = sum((r.revenue for r in rows), Decimal("0"))
    orders = sum(r.orders for r in rows)
    sessions = sum(r.sessions_with_view for r in rows)
    multi = sum(r.multi_item_orders for r in rows)
    return {
        "revenue": revenue,
        "orders": orders,
        "average_order_value": quantize(revenue / orders) if orders else Decimal("0"),
        "units": sum(r.units for r in rows),
        "new_customers": sum(r.new_customers for r in rows),
        "returning_customers": sum(r.returning_customers for r in rows),
        "signups": sum(r.signups for r in rows),
        "conversion": orders / sessions if sessions else 0.0,
        "attach_rate": multi / orders if orders else 0.0,
        "sessions": sessions,
        "sessions_with_cart": sum(r.sessions_with_cart for r in rows),
    }


KPIS = [
    ("revenue", "Revenue", "money"),
    ("orders", "Orders", "int"),
    ("average_order_value", "Average order value", "money"),
    ("units", "Units sold", "int"),
    ("new_customers", "New customers", "int"),
    ("returning_customers", "Returning customers", "int"),
    ("conversion", "Conversion", "percent"),
    ("attach_rate", "Attach rate", "percent"),
]


def _change(now, before):
    if not before:
        return None
    return float((Decimal(str(now)) - Decimal(str(before))) / Decimal(str(before)))


def dashboard_key(period: DateRange) -> str | None:
    """What names the dashboard's figures for a period: the roll-ups' version (a roll-up moves
    it) and the period; whatever is made of those figures alone may be kept under it. After a
    flush the version starts at a number no figures were kept under; None while the cache is
    down (nothing can be kept)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, int(timezone.now().timestamp() * 1000), None)
        version = cache.get(VERSION_KEY)
    return None if version is None else f"analytics:dash:{version}:{period.start}:{period.end}"


def dashboard(period: DateRange, key: str | None = None) -> dict:
    """The period's figures. Under a key they are kept in the shared cache, and held in the
    process too (the key names the roll-ups' version: figures under it never change), so a
    dashboard seen again reads nothing but the version (#23). The caller never changes them."""
    key = key or dashboard_key(period)
    data = (_held_dashboards.get(key) or cache.get(key)) if key else None
    if data is None:
        data = _build(period)
        if key:
            cache.set(key, data, CACHE_SECONDS)
    if key:
        _held_dashboards.put(key, data)
    return data


_held_dashboards: Held[dict] = Held(size=32, seconds=CACHE_SECONDS)


def _build(period: DateRange) -> dict:
    previous = period.previous()
    rows = list(BusinessMetrics.objects.filter(date__gte=previous.start, date__lte=period.end))
    current = [r for r in rows if r.date >= period.start]
    before = [r for r in rows if r.date < period.start]
    now_totals, before_totals = _totals(current), _totals(before)
    kpis = [
        {
            "key": key,
            "label": label,
            "format": fmt,
            "value": now_totals[key],
            "previous": before_totals[key],
            "change": _change(now_totals[key], before_totals[key]),
        }
        for key, label, fmt in KPIS
    ]
    by_day = {r.date: r for r in current}
    series = []
    for i in range(period.days):
        day = period.start + timedelta(days=i)
        r = by_day.get(day)
        series.append(
            {
                "date": day.isoformat(),
                "revenue": r.revenue if r else Decimal("0"),
                "orders": r.orders if r else 0,
            }
        )
    statuses: dict[str, int] = {}
    for r in current:
        for status, n in r.status_counts.items():
            statuses[status] = statuses.get(status, 0) + n
    tiers: dict = next(
        (r.tier_counts for r in sorted(rows, key=lambda r: r.date, reverse=True) if r.tier_counts), {}
    )
    products = ProductAnalytics.objects.filter(date__gte=period.start, date__lte=period.end)
    # Group by ids only (no joins before grouping), then name the few rows kept.
    top_products = list(
        products.filter(purchases__gt=0)
        .values("product_id")
        .annotate(revenue=Sum("revenue"), units=Sum("purchases"), views=Sum("views"))
        .order_by("-revenue", "product_id")[:10]
    )
    names: dict[int, Any] = {
        p["pk"]: p
        for p in Product.objects.filter(pk__in=[r["product_id"] for r in top_products]).values(
            "pk", "name", "sku"
        )
    }
    for row in top_products:
        row.update(
            name=names.get(row["product_id"], {}).get("name", ""),
            sku=names.get(row["product_id"], {}).get("sku", ""),
        )
    by_category = list(
        products.values("category_id").annotate(
            revenue=Sum("revenue"),
            units=Sum("purchases"),
            views=Sum("views"),
            add_to_carts=Sum("add_to_carts"),
        )
    )
    category_names = dict(Category.objects.values_list("pk", "name"))
    categories = sorted(
        (
            {**row, "name": category_names[row["category_id"]]}
            for row in by_category
            if row["category_id"] in category_names
        ),
        key=lambda c: (-c["revenue"], c["name"]),
    )
    funnel_totals = {
        "views": sum(r["views"] or 0 for r in by_category),
        "adds": sum(r["add_to_carts"] or 0 for r in by_category),
        "units": sum(r["units"] or 0 for r in by_category),
    }
    funnel = [
        {"step": "Sessions viewing a product", "count": now_totals["sessions"]},
        {"step": "Sessions adding to cart", "count": now_totals["sessions_with_cart"]},
        {"step": "Orders", "count": now_totals["orders"]},
    ]
    segments = list(
        CustomerAnalytics.objects.values("segment")
        .annotate(customers=Count("id"), lifetime_value=Sum("lifetime_value"))
        .order_by("-customers", "segment")
    )
    labels = dict(CustomerAnalytics.Segment.choices)
    for s in segments:
        s["label"] = labels.get(s["segment"], s["segment"])
    slots = list(_slots(period))
    marketing = list(
        MarketingAnalytics.objects.filter(date__gte=period.start, date__lte=period.end)
        .values("kind", "key", "name")
        .annotate(
            reach=Sum("reach"), uses=Sum("uses"), revenue=Sum("revenue"), discount_cost=Sum("discount_cost")
        )
        .order_by("-revenue", "key")[:15]
    )
    # Stock is kept per variant: the variants at or below their reorder level, named with
    # their product ("Hoodie (Size M · Navy)").
    low_stock = [
        {
            **row,
            "name": f"{row['product__name']} ({row['variant']})" if row["variant"] else row["product__name"],
        }
        for row in ProductVariant.objects.filter(
            is_active=True, product__is_active=True, stock_quantity__lte=F("reorder_level")
        )
        .order_by("stock_quantity", "pk")
        .values("pk", "sku", "product__name", "stock_quantity", "reorder_level", variant=F("name"))[:10]
    ]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days},
        "previous": {"start": previous.start.isoformat(), "end": previous.end.isoformat()},
        "kpis": kpis,
        "series": series,
        "statuses": sorted(
            ({"status": k, "orders": v} for k, v in statuses.items()), key=lambda r: -r["orders"]
        ),
        "top_products": top_products,
        "categories": categories,
        "funnel": funnel,
        "product_funnel": funnel_totals,
        "segments": segments,
        "tiers": [{"tier": k, "customers": v} for k, v in sorted(tiers.items(), key=lambda kv: -kv[1])],
        "slots": slots,
        "marketing": marketing,
        "low_stock": low_stock,
        "rolled_up_at": max((r.rolled_up_at for r in current), default=None),
    }


def _slots(period: DateRange):
    from auroramart.recommendations.models import AIPerformanceMetrics
    from auroramart.recommendations.tracking import SLOTS

    rows = (
        AIPerformanceMetrics.objects.filter(model_kind="slot", date__gte=period.start, date__lte=period.end)
        .values("slot")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            add_to_carts=Sum("add_to_carts"),
            purchases=Sum("purchases"),
            revenue=Sum("revenue"),
        )
        .order_by("slot")
    )
    for row in rows:
        impressions = row["impressions"] or 0
        yield {
            **row,
            "label": SLOTS.get(row["slot"], row["slot"]),
            "ctr": row["clicks"] / impressions if impressions else 0.0,
            "conversion": row["purchases"] / impressions if impressions else 0.0,
        }


# --- the admin panel's dashboard: the shop at a glance, live from the orders -------------------


def shop_overview(days: int = 30) -> dict:
    """Sales per day over the last `days` (today included), the best sellers of that window,
    what needs doing now, and the latest orders. Live from the order tables (the analytics
    rollups lag by up to an hour); one grouped query per part."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(start, time.min))
    paid = Order.objects.filter(placed_at__gte=since, status__in=UNREFUNDED_STATUSES)
    per_day = {
        row["day"]: row
        for row in paid.annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(revenue=Sum("total"), orders=Count("id"))
    }
    series = []
    for n in range(days):
        day = start + timedelta(days=n)
        row = per_day.get(day, {})
        series.append(
            {"day": day, "revenue": row.get("revenue") or Decimal("0"), "orders": row.get("orders", 0)}
        )
    peak = max((d["revenue"] for d in series), default=Decimal("0")) or Decimal("1")
    for d in series:
        d["height"] = round(float(d["revenue"] / peak) * 100, 1)
    top = list(
        OrderItem.objects.filter(order__in=paid)
        .values("product_id", "name")
        .annotate(units=Sum("quantity"), revenue=Sum("line_total"))
        .order_by("-revenue", "name")[:5]
    )
    todo = {
        "pending_returns": ReturnRequest.objects.filter(status=ReturnRequest.Status.REQUESTED).count(),
        "reviews_to_moderate": ProductReview.objects.filter(status="pending").count(),
        "low_stock": low_stock_variants().count(),
        # A refund the provider refused is retried by resolve_pending_orders; until then it shows here.
        "failed_refunds": CreditNote.objects.filter(refunded_at__isnull=True, amount__gt=0).count()
        + refunds_owed().count(),
    }
    return {
        "days": days,
        "series": series,
        "revenue": sum((d["revenue"] for d in series), Decimal("0")),
        "orders": sum(d["orders"] for d in series),
        "top_products": top,
        "todo": todo,
        "recent_orders": list(Order.objects.order_by("-placed_at", "-pk")[:8]),
    }
