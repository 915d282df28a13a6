"""Building the daily rollups from the raw tables. Each day is rebuilt whole
(delete, then insert, in one transaction), so a backfill can run any number of
times and give the same rows."""

import bisect
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from auroramart.catalog.models import Product
from auroramart.core.events import ExtensionPoint
from auroramart.core.money import quantize
from auroramart.orders.models import PAID_STATUSES as PAID
from auroramart.orders.models import Order, OrderItem
from auroramart.promotions.models import CouponRedemption
from auroramart.search.models import ProductView

from .models import BusinessMetrics, CartAddition, CustomerAnalytics, MarketingAnalytics, ProductAnalytics

VERSION_KEY = "analytics:version"
marketing_sources = ExtensionPoint(
    "analytics.marketing_sources",
    "(day, start, end) -> [MarketingAnalytics]: rows other apps add to a day's marketing rollup (campaigns).",
)


def bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in the shop's time zone."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)


def _ratio(part, whole) -> float:
    return round(part / whole, 6) if whole else 0.0


def business_day(day: date, start, end) -> BusinessMetrics:
    orders = Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
    status_counts = dict(orders.order_by().values_list("status").annotate(n=Count("id")))
    paid = orders.filter(status__in=PAID)
    totals = paid.aggregate(revenue=Sum("total"), refunds=Sum("refunded_total"), n=Count("id"))
    n = totals["n"] or 0
    revenue = totals["revenue"] or Decimal("0")
    lines = OrderItem.objects.filter(order__in=paid)
    units = lines.aggregate(u=Sum("quantity"))["u"] or 0
    multi = (
        lines.order_by()
        .values("order_id")
        .annotate(products=Count("product_id", distinct=True))
        .filter(products__gte=2)
        .count()
    )
    buyers = set(paid.values_list("user_id", flat=True).distinct()) - {
        None
    }  # guests are counted by account only
    first_orders = (
        Order.objects.filter(user_id__in=buyers, status__in=PAID)
        .order_by()
        .values("user_id")
        .annotate(first=Min("placed_at"))
    )
    new = sum(1 for row in first_orders if row["first"] >= start)
    viewers = (
        ProductView.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("visitor")
        .distinct()
        .count()
    )
    carts = (
        CartAddition.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("visitor")
        .distinct()
        .count()
    )
    User = get_user_model()
    signups = User.objects.filter(date_joined__gte=start, date_joined__lt=end, is_staff=False).count()
    tiers = {}
    if day == timezone.localdate():  # a snapshot: only today's rollup can know today's tiers
        from auroramart.loyalty.models import LoyaltyAccount

        tiers = dict(LoyaltyAccount.objects.order_by().values_list("tier__name").annotate(n=Count("id")))
    return BusinessMetrics(
        date=day,
        revenue=revenue,
        refunds=totals["refunds"] or Decimal("0"),
        orders=n,
        units=units,
        average_order_value=quantize(revenue / n) if n else Decimal("0"),
        new_customers=new,
        returning_customers=len(buyers) - new,
        signups=signups,
        sessions_with_view=viewers,
        sessions_with_cart=carts,
        conversion=_ratio(n, viewers),
        multi_item_orders=multi,
        attach_rate=_ratio(multi, n),
        status_counts=status_counts,
        tier_counts=tiers,
    )


def products_day(day: date, start, end) -> list[ProductAnalytics]:
    rows: dict[int, dict] = defaultdict(
        lambda: {"views": 0, "add_to_carts": 0, "purchases": 0, "orders": 0, "revenue": Decimal("0")}
    )
    for pk, n in (
        ProductView.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("product_id")
        .annotate(n=Count("id"))
    ):
        rows[pk]["views"] = n
    for pk, n in (
        CartAddition.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("product_id")
        .annotate(n=Count("id"))
    ):
        rows[pk]["add_to_carts"] = n
    sold = (
        OrderItem.objects.filter(
            order__placed_at__gte=start, order__placed_at__lt=end, order__status__in=PAID
        )
        .exclude(product_id=None)
        .order_by()
        .values_list("product_id")
        .annotate(units=Sum("quantity"), orders=Count("order_id", distinct=True), revenue=Sum("line_total"))
    )
    for pk, units, n_orders, revenue in sold:
        rows[pk].update(purchases=units, orders=n_orders, revenue=revenue)
    categories = dict(Product.objects.filter(pk__in=list(rows)).values_list("pk", "category_id"))
    return [
        ProductAnalytics(
            date=day,
            product_id=pk,
            category_id=categories.get(pk),
            conversion=_ratio(r["orders"], r["views"]),
            **r,
        )
        for pk, r in rows.items()
        if pk in categories
    ]


def marketing_day(day: date, start, end) -> list[MarketingAnalytics]:
    used = (
        CouponRedemption.objects.filter(
            order__placed_at__gte=start, order__placed_at__lt=end, order__status__in=PAID
        )
        # A campaign's own coupon, and a cart reminder's, are counted in their own rows
        # (marketing_sources), not twice.
        .filter(coupon__campaign__isnull=True, coupon__cart_reminder__isnull=True)
        .order_by()
        .values_list("coupon__code", "coupon__description")
        .annotate(uses=Count("id"), revenue=Sum("order__total"), cost=Sum("amount"))
    )
    rows = [
        MarketingAnalytics(
            date=day,
            kind="coupon",
            key=code,
            name=description[:200],
            uses=uses,
            revenue=revenue,
            discount_cost=cost,
        )
        for code, description, uses, revenue, cost in used
    ]
    for source in marketing_sources:
        rows += source(day, start, end)
    return rows


def slots_day(day: date, start, end) -> list:
    from auroramart.recommendations.models import AIPerformanceMetrics
    from auroramart.recommendations.tracking import slot_counts

    return [
        AIPerformanceMetrics(date=day, model_kind="slot", model_version="", slot=slot, **f)
        for slot, f in slot_counts(start, end).items()
    ]


@transaction.atomic
def rollup_day(day: date) -> BusinessMetrics:
    from auroramart.recommendations.models import AIPerformanceMetrics

    start, end = bounds(day)
    business = business_day(day, start, end)
    products = products_day(day, start, end)
    marketing = marketing_day(day, start, end)
    slots = slots_day(day, start, end)
    if not business.tier_counts:  # keep a snapshot taken on the day itself
        previous = BusinessMetrics.objects.filter(date=day).values_list("tier_counts", flat=True).first()
        business.tier_counts = previous or {}
    BusinessMetrics.objects.filter(date=day).delete()
    ProductAnalytics.objects.filter(date=day).delete()
    MarketingAnalytics.objects.filter(date=day).delete()
    AIPerformanceMetrics.objects.filter(date=day, model_kind="slot").delete()
    business.save()
    ProductAnalytics.objects.bulk_create(products, batch_size=2000)
    MarketingAnalytics.objects.bulk_create(marketing)
    AIPerformanceMetrics.objects.bulk_create(slots)
    return business


# --- customers: recency, frequency, monetary ------------------------------------------


def _scores(values: list, higher_is_better: bool = True) -> list[int]:
    """Quintile score 1..5 of each value among all of them (ties share a score)."""
    ordered = sorted(values)
    n = len(ordered)
    scores = []
    for v in values:
        rank = bisect.bisect_left(ordered, v)  # how many are strictly lower
        score = 1 + min(4, int(5 * rank / n))
        scores.append(score if higher_is_better else 6 - score)
    return scores


def segment_for(recency_days: int, frequency: int, r: int, f: int) -> str:
    S = CustomerAnalytics.Segment
    if frequency == 1 and recency_days <= 30:
        return S.NEW
    if r >= 4 and f >= 4:
        return S.CHAMPIONS
    if r >= 3 and f >= 3:
        return S.LOYAL
    if r >= 4:
        return S.PROMISING
    if f >= 3 and recency_days > 60:
        return S.AT_RISK
    if r <= 1 and recency_days > 180:
        return S.LOST
    return S.NEEDS_ATTENTION


@transaction.atomic
def refresh_customers(as_of: date) -> int:
    """Replace every customer's RFM row, as of the end of `as_of`."""
    _, end = bounds(as_of)
    year_ago = end - timedelta(days=365)
    rows = list(
        Order.objects.filter(status__in=PAID, placed_at__lt=end, user__is_staff=False)
        .order_by()
        .values("user_id")
        .annotate(
            first=Min("placed_at"),
            last=Max("placed_at"),
            frequency=Count("id"),
            spent=Sum("total"),
            refunded=Sum("refunded_total"),
            monetary=Sum("total", filter=Q(placed_at__gte=year_ago)),
        )
    )
    CustomerAnalytics.objects.all().delete()
    if not rows:
        return 0
    recency = [max(0, (end - r["last"]).days) for r in rows]
    r_scores = _scores(recency, higher_is_better=False)
    f_scores = _scores([r["frequency"] for r in rows])
    m_scores = _scores([r["monetary"] or Decimal("0") for r in rows])
    objects = [
        CustomerAnalytics(
            user_id=row["user_id"],
            as_of=as_of,
            first_order_at=row["first"],
            last_order_at=row["last"],
            recency_days=days,
            frequency=row["frequency"],
            monetary=row["monetary"] or Decimal("0"),
            lifetime_value=(row["spent"] or Decimal("0")) - (row["refunded"] or Decimal("0")),
            r_score=r,
            f_score=f,
            m_score=m,
            segment=segment_for(days, row["frequency"], r, f),
        )
        for row, days, r, f, m in zip(rows, recency, r_scores, f_scores, m_scores, strict=True)
    ]
    CustomerAnalytics.objects.bulk_create(objects, batch_size=5000)
    return len(objects)


def rollup(start: date, end: date, progress=None) -> dict:
    """Rebuild every day from start to end (inclusive), then the customers as of end."""
    progress = progress or (lambda it, **_: it)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    for day in progress(days, desc="days", unit="day"):
        rollup_day(day)
    customers = refresh_customers(end)
    bump_version()
    return {"days": len(days), "customers": customers}


def bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # flushed: a number no figures were kept under (selectors.dashboard_key)
        cache.set(VERSION_KEY, int(timezone.now().timestamp() * 1000), None)
