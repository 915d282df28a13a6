from datetime import timedelta

from django.db.models import Count, Sum
from django.shortcuts import render
from django.utils import timezone

from auroramart.accounts.models import User
from auroramart.analytics.selectors import shop_overview
from auroramart.catalog.models import ProductReview
from auroramart.inventory.selectors import low_stock_variants
from auroramart.orders.models import UNREFUNDED_STATUSES, Order, ReturnRequest
from auroramart.staff.models import AuditLog
from auroramart.staff.permissions import user_permissions

from ..decorators import panel_permission

PAID = UNREFUNDED_STATUSES


@panel_permission("view_dashboard")
def dashboard(request):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    todays = Order.objects.filter(placed_at__gte=today, status__in=PAID).aggregate(
        revenue=Sum("total"), orders=Count("id")
    )
    perms = user_permissions(request.user)
    context = {
        "title": "Dashboard",
        "revenue": todays["revenue"] or 0,
        "orders": todays["orders"],
        "new_customers": User.objects.filter(is_staff=False, date_joined__gte=today).count(),
        "low_stock": low_stock_variants().count() if "view_products" in perms else None,
        "pending_returns": ReturnRequest.objects.filter(status="requested").count(),
        "pending_reviews": ProductReview.objects.filter(status="pending").count(),
        "week_orders": Order.objects.filter(placed_at__gte=today - timedelta(days=7)).count(),
        "recent": AuditLog.objects.all()[:10] if "view_audit" in perms else [],
        "overview": shop_overview(30),
    }
    return render(request, "admin_panel/dashboard.html", context)
