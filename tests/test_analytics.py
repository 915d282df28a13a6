"""Analytics rollups against hand-computed figures, idempotent backfills, the
dashboard (reads rollups only), its permissions and its CSV exports."""

import csv
import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auroramart.analytics.models import (
    BusinessMetrics,
    CartAddition,
    CustomerAnalytics,
    MarketingAnalytics,
    ProductAnalytics,
)
from auroramart.analytics.rollups import rollup
from auroramart.orders.models import Order, OrderItem
from auroramart.promotions.models import Coupon, CouponRedemption
from auroramart.search.models import ProductView
from auroramart.staff.permissions import ROLES
from auroramart.staff.services import create_staff, setup_roles

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def make_order(user, when, lines, status="delivered", shipping=Decimal("0")):
    subtotal = sum((price * qty for _, qty, price in lines), Decimal("0"))
    order = Order.objects.create(
        number=f"T{Order.objects.count() + 1:06d}",
        user=user,
        idempotency_key=f"k{Order.objects.count()}",
        status=status,
        ship_name="T",
        ship_phone="+65 9000 0000",
        ship_line1="1 Road",
        ship_postal_code="123456",
        shipping_method="standard",
        subtotal=subtotal,
        shipping_fee=shipping,
        total=subtotal + shipping,
        placed_at=when,
    )
    for product, qty, price in lines:
        OrderItem.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            name=product.name,
            unit_price=price,
            quantity=qty,
            line_total=price * qty,
        )
    return order


@pytest.fixture
def shop():
    """A small fixed shop: yesterday D, customers with known histories."""
    day = timezone.localdate() - timedelta(days=1)
    x, y = (
        ProductFactory(name="Xylophone", price=Decimal("10")),
        ProductFactory(name="Yoyo", price=Decimal("30")),
    )
    a, b, c, e, lost = (CustomerFactory() for _ in range(5))
    order_a = make_order(a, at(day, 10), [(x, 2, Decimal("10")), (y, 1, Decimal("30"))])  # 50, a's first
    make_order(b, at(day - timedelta(days=40)), [(x, 1, Decimal("10"))])
    make_order(b, at(day, 15), [(y, 1, Decimal("20"))], status="paid")  # 20, b returns
    make_order(b, at(day, 16), [(x, 5, Decimal("10"))], status="cancelled")
    make_order(a, at(day, 17), [(x, 9, Decimal("10"))], status="pending_payment")
    for n in range(6):  # c: six orders, the last two days before D
        make_order(c, at(day - timedelta(days=2 + 10 * n)), [(y, 1, Decimal("30"))])
    for n in range(4):  # e: four orders, the last 100 days before D
        make_order(e, at(day - timedelta(days=100 + 10 * n)), [(x, 1, Decimal("10"))])
    make_order(lost, at(day - timedelta(days=300)), [(y, 1, Decimal("30"))])
    coupon = Coupon.objects.create(code="SAVE5", kind="fixed", value=Decimal("5"), description="Five off")
    CouponRedemption.objects.create(coupon=coupon, order=order_a, user=a, amount=Decimal("5"))
    for visitor, product in [("v1", x), ("v1", y), ("v2", x), ("v3", y), ("v4", x)]:
        ProductView.objects.create(product=product, visitor=visitor, created_at=at(day, 9))
    ProductView.objects.create(product=x, visitor="v9", created_at=at(day - timedelta(days=1), 9))
    CartAddition.objects.create(product=x, visitor="v1", created_at=at(day, 9))
    CartAddition.objects.create(product=y, visitor="v2", created_at=at(day, 9))
    return {"day": day, "x": x, "y": y, "a": a, "b": b, "c": c, "e": e, "lost": lost}


def test_daily_rollup_matches_hand_computed_figures(shop):
    day = shop["day"]
    rollup(day, day)
    m = BusinessMetrics.objects.get(date=day)
    assert m.revenue == Decimal("70.00")  # 50 + 20; the cancelled and unpaid orders do not count
    assert m.orders == 2 and m.units == 4 and m.average_order_value == Decimal("35.00")
    assert (m.new_customers, m.returning_customers) == (1, 1)
    assert m.sessions_with_view == 4 and m.sessions_with_cart == 2
    assert m.conversion == pytest.approx(0.5)  # 2 orders / 4 sessions with a product view
    assert m.multi_item_orders == 1 and m.attach_rate == pytest.approx(0.5)
    assert m.status_counts == {"delivered": 1, "paid": 1, "cancelled": 1, "pending_payment": 1}
    x = ProductAnalytics.objects.get(date=day, product=shop["x"])
    assert (x.views, x.add_to_carts, x.purchases, x.orders, x.revenue) == (3, 1, 2, 1, Decimal("20.00"))
    assert x.conversion == pytest.approx(1 / 3)
    y = ProductAnalytics.objects.get(date=day, product=shop["y"])
    assert (y.purchases, y.orders, y.revenue) == (2, 2, Decimal("50.00"))
    coupon = MarketingAnalytics.objects.get(date=day, key="SAVE5")
    assert (coupon.uses, coupon.revenue, coupon.discount_cost) == (1, Decimal("50.00"), Decimal("5.00"))


def test_rfm_segments_of_known_customers(shop):
    rollup(shop["day"], shop["day"])
    segment = {row.user_id: row for row in CustomerAnalytics.objects.all()}
    assert segment[shop["a"].pk].segment == "new"
    assert segment[shop["c"].pk].segment == "loyal"  # frequent, fairly recent
    assert segment[shop["e"].pk].segment == "at_risk"  # frequent once, not for 100 days
    assert segment[shop["lost"].pk].segment == "lost"  # one order 300 days ago
    c = segment[shop["c"].pk]
    assert (c.frequency, c.lifetime_value, c.recency_days) == (6, Decimal("180.00"), 2)
    assert segment[shop["b"].pk].lifetime_value == Decimal("30.00")  # the cancelled order is not spend


def test_backfill_is_idempotent(shop):
    day = shop["day"]
    call_command("rollup_analytics", "--from", str(day - timedelta(days=400)), "--to", str(day), verbosity=0)

    def snapshot():
        return (
            list(BusinessMetrics.objects.order_by("date").values_list("date", "revenue", "orders", "units")),
            sorted(
                ProductAnalytics.objects.values_list("date", "product_id", "views", "purchases", "revenue")
            ),
            sorted(CustomerAnalytics.objects.values_list("user_id", "segment", "frequency")),
            list(MarketingAnalytics.objects.values_list("date", "key", "uses")),
        )

    first = snapshot()
    call_command("rollup_analytics", "--from", str(day - timedelta(days=400)), "--to", str(day), verbosity=0)
    assert snapshot() == first
    assert BusinessMetrics.objects.count() == 401
    assert (
        sum(r[2] for r in first[0])
        == Order.objects.exclude(status__in=["cancelled", "pending_payment"]).count()
    )


def test_rollup_command_refuses_bad_dates():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rollup_analytics", "--from", "yesterday", verbosity=0)
    with pytest.raises(CommandError, match="must not be after"):
        call_command("rollup_analytics", "--from", "2026-02-01", "--to", "2026-01-01", verbosity=0)


@pytest.fixture
def staff():
    setup_roles()
    return {
        role: create_staff(email=f"{role.lower()}@staff.test", password="staff-password-123", role=role)
        for role in ROLES
    }


def test_only_analyst_admin_and_superadmin_see_analytics(shop, staff):
    url = reverse("admin_panel:analytics")
    export = reverse("admin_panel:analytics_export", args=["revenue"])
    for role, user in staff.items():
        client = Client()
        client.force_login(user)
        expected = 200 if role in ("Analyst", "Admin", "Superadmin") else 403
        assert client.get(url).status_code == expected, role
        assert client.get(export).status_code == expected, role
    assert {"Sales", "Service"} <= {r for r in ROLES if "view_analytics" not in ROLES[r]}


def test_dashboard_reads_the_rollups_and_compares_with_the_previous_period(shop, staff, client):
    day = shop["day"]
    rollup(day - timedelta(days=60), day)
    client.force_login(staff["Analyst"])
    response = client.get(reverse("admin_panel:analytics"), {"from": str(day), "to": str(day)})
    html = response.content.decode()
    assert response.status_code == 200
    kpis = {k["key"]: k for k in response.context["data"]["kpis"]}
    assert kpis["revenue"]["value"] == Decimal("70.00") and kpis["orders"]["value"] == 2
    assert kpis["revenue"]["previous"] == Decimal("0") and kpis["revenue"]["change"] is None
    for name in (
        "revenue",
        "statuses",
        "top-products",
        "categories",
        "category-mix",
        "funnel",
        "segments",
        "tiers",
        "recommendations",
        "low-stock",
    ):
        assert f'id="section-{name}"' in html
    assert 'id="analytics-charts"' in html and "js/analytics.js" in html and "<script>" not in html
    # Raw orders changed after the rollup do not move the dashboard until the next rollup.
    Order.objects.filter(user=shop["a"], status="delivered").update(total=Decimal("999"))
    again = client.get(reverse("admin_panel:analytics"), {"from": str(day), "to": str(day), "x": "1"})
    assert {k["key"]: k for k in again.context["data"]["kpis"]}["revenue"]["value"] == Decimal("70.00")
    # A two-day range: the previous two days hold c's order on D-2.
    two = client.get(reverse("admin_panel:analytics"), {"from": str(day - timedelta(days=1)), "to": str(day)})
    kpis = {k["key"]: k for k in two.context["data"]["kpis"]}
    assert kpis["orders"]["previous"] == 1  # c's order on D-2 falls in the previous two days
    assert kpis["orders"]["change"] == pytest.approx(1.0)


def test_csv_exports_hold_the_tables(shop, staff, client):
    day = shop["day"]
    rollup(day, day)
    client.force_login(staff["Admin"])
    params = {"from": str(day), "to": str(day)}
    response = client.get(reverse("admin_panel:analytics_export", args=["top-products"]), params)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["SKU", "Product", "Units", "Revenue (S$)", "Views"]
    assert rows[1][1] == "Yoyo" and rows[1][3] == "50.00" and rows[2][1] == "Xylophone"
    kpis = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("admin_panel:analytics_export", args=["kpis"]), params).content.decode()
            )
        )
    )
    assert ["Orders", "2", "0", ""] in kpis
    assert client.get(reverse("admin_panel:analytics_export", args=["nope"]), params).status_code == 404


def test_no_analytics_csv_carries_a_float_tail(shop, staff, client):
    """#24: the KPI CSV had 0.023456789-style cells. Every export (the KPIs and each chart's
    table) holds numbers as the dashboard rounds them: amounts to the cent, ratios to four places."""
    from auroramart.analytics import selectors
    from auroramart.analytics.tables import tables

    day = shop["day"]
    rollup(day, day)
    client.force_login(staff["Admin"])
    params = {"from": str(day), "to": str(day)}
    period, _ = selectors.parse_range(params)
    names = ["kpis"] + [t["name"] for t in tables(selectors.dashboard(period))]
    decimals = 0
    for name in names:
        body = client.get(reverse("admin_panel:analytics_export", args=[name]), params).content.decode()
        for row in list(csv.reader(io.StringIO(body)))[1:]:
            for cell in row:
                if re.fullmatch(r"-?\d+\.\d+", cell):
                    decimals += 1
                    assert re.fullmatch(r"-?\d+\.\d\d|-?\d\.\d{4}", cell), (name, row)
    assert decimals > 5  # the exports did hold amounts and ratios to check


def test_bad_dates_show_a_message_not_an_error(staff, client):
    client.force_login(staff["Analyst"])
    for params in ({"from": "bad"}, {"from": "2026-02-01", "to": "2026-01-01"}, {"range": "zz"}):
        response = client.get(reverse("admin_panel:analytics"), params)
        assert response.status_code == 200 and response.context["errors"], params
        assert response.context["period"].days == 30


def test_dashboard_query_count_does_not_grow_with_the_data(shop, staff, client):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    day = shop["day"]
    client.force_login(staff["Analyst"])

    def count():
        rollup(day - timedelta(days=30), day)
        client.get(reverse("admin_panel:analytics"), {"range": "7d"})  # the session settles first
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin_panel:analytics"), {"range": "30d"}).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(20):
        make_order(shop["c"], at(day - timedelta(days=n)), [(ProductFactory(), 1, Decimal("5"))])
    assert count() == small <= 16


def test_the_figures_are_rendered_once_per_rollup_and_a_rollup_or_a_flush_shows_at_once(
    shop, staff, client, monkeypatch
):
    """#23: the key figures, tables and charts' data are made of a period's rolled-up figures
    alone, so they are rendered once per roll-up and held; a new roll-up (on any node: it moves
    the version in the shared cache) shows at once, and so does a flushed cache."""
    from django.core.cache import cache

    from auroramart.admin_panel.views import analytics as view

    day = shop["day"]
    rollup(day - timedelta(days=3), day)
    client.force_login(staff["Analyst"])
    renders = []
    original = view.tables
    monkeypatch.setattr(view, "tables", lambda data: renders.append(1) or original(data))
    url, params = reverse("admin_panel:analytics"), {"from": str(day), "to": str(day)}

    def revenue():
        html = client.get(url, params).content.decode()
        return html.split('data-kpi="revenue"', 1)[1].split("stat-desc", 1)[0]

    assert "70.00" in revenue() and "70.00" in revenue()
    assert len(renders) == 1
    # The figures themselves are held in the process too: seen again, nothing but the version
    # is read from the cache, and nothing is built again.
    from auroramart.analytics import selectors

    builds = []
    original_build = selectors._build
    monkeypatch.setattr(selectors, "_build", lambda period: builds.append(1) or original_build(period))
    cache.delete_many(list(selectors._held_dashboards._entries))  # gone from Redis
    assert "70.00" in revenue() and builds == []
    make_order(shop["c"], at(day), [(ProductFactory(), 1, Decimal("5"))])
    assert "70.00" in revenue()  # not rolled up yet: the same figures
    rollup(day, day)
    assert "75.00" in revenue() and len(renders) == 2
    make_order(shop["c"], at(day), [(ProductFactory(), 1, Decimal("5"))])
    rollup(day, day)
    cache.clear()  # a flush: the version starts afresh, at a number nothing was held under
    assert "80.00" in revenue() and len(renders) == 3
