from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, Max, Q, Sum, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auroramart.accounts import services as accounts
from auroramart.accounts.models import User
from auroramart.core.client import actor_for
from auroramart.core.csv_export import csv_stream
from auroramart.loyalty import services as loyalty
from auroramart.loyalty.models import LoyaltyTier, LoyaltyTransaction
from auroramart.loyalty.services import LoyaltyError
from auroramart.orders.models import UNREFUNDED_STATUSES, Order
from auroramart.staff.models import CustomerNote
from auroramart.staff.services import add_customer_note, record_audit

from ..decorators import panel_permission
from ..filters import date_param, decimal_param
from ..forms import AdjustPointsForm

PAID = UNREFUNDED_STATUSES
SORTS = {"newest": "-date_joined", "oldest": "date_joined", "spend": "-spend", "email": "email"}


# Segments from recency and frequency of paid orders (see README); the analytics
# rollups refine these with monetary value.
SEGMENTS = ["champions", "loyal", "new", "at risk", "lost", "prospects"]


def _segment(now):
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    return Case(
        When(order_count__gte=5, last_order__gte=days(60), then=Value("champions")),
        When(order_count__gte=2, last_order__gte=days(120), then=Value("loyal")),
        When(order_count__gte=1, last_order__gte=days(60), then=Value("new")),
        When(order_count__gte=2, last_order__gte=days(240), then=Value("at risk")),
        When(order_count__gte=1, then=Value("lost")),
        default=Value("prospects"),
        output_field=CharField(),
    )


def _customers(params):
    qs = (
        User.objects.filter(is_staff=False)
        .select_related("loyalty__tier", "profile")
        .annotate(
            spend=Sum("orders__total", filter=Q(orders__status__in=PAID)),
            order_count=Count("orders", filter=Q(orders__status__in=PAID)),
            last_order=Max("orders__placed_at", filter=Q(orders__status__in=PAID)),
        )
        .annotate(segment=_segment(timezone.now()))
    )
    if params.get("segment") in SEGMENTS:
        qs = qs.filter(segment=params["segment"])
    if params.get("q"):
        q = params["q"]
        qs = qs.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    if params.get("tier"):
        qs = qs.filter(loyalty__tier__name=params["tier"])
    if joined := date_param(params, "joined_from"):
        qs = qs.filter(date_joined__date__gte=joined)
    if (min_spend := decimal_param(params, "min_spend")) is not None:
        qs = qs.filter(spend__gte=min_spend)
    if params.get("active") in ("0", "1"):
        qs = qs.filter(is_active=params["active"] == "1")
    return qs.order_by(SORTS.get(params.get("sort"), "-date_joined"), "pk")


@panel_permission("view_customers")
def customer_list(request):
    page = Paginator(_customers(request.GET), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admin_panel/customers.html",
        {
            "page": page,
            "tiers": LoyaltyTier.objects.all(),
            "title": "Customers",
            "sorts": SORTS,
            "segments": SEGMENTS,
        },
    )


@panel_permission("view_customers")
def customer_detail(request, pk):
    customer = get_object_or_404(User.objects.select_related("profile"), pk=pk, is_staff=False)
    account = loyalty.account_for(customer)
    return render(
        request,
        "admin_panel/customer_detail.html",
        {
            "customer": customer,
            "account": account,
            "orders": Order.objects.filter(user=customer).order_by("-placed_at")[:20],
            "history": LoyaltyTransaction.objects.filter(account=account).select_related("actor")[:20],
            "notes": CustomerNote.objects.filter(customer=customer).select_related("author"),
            "title": customer.get_full_name(),
        },
    )


@panel_permission("adjust_points")
@require_POST
def adjust_points(request, pk):
    customer = get_object_or_404(User, pk=pk, is_staff=False)
    form = AdjustPointsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("admin_panel:customer", pk=pk)
    try:
        tx = loyalty.adjust(
            user=customer,
            points=form.cleaned_data["points"],
            actor=actor_for(request),
            reason=form.cleaned_data["reason"],
        )
    except LoyaltyError as exc:
        messages.error(request, str(exc))
        return redirect("admin_panel:customer", pk=pk)
    messages.success(request, f"Points adjusted by {tx.points:+d}; balance {tx.balance_after}.")
    return redirect("admin_panel:customer", pk=pk)


@panel_permission("manage_customers")
@require_POST
def add_note(request, pk):
    customer = get_object_or_404(User, pk=pk, is_staff=False)
    add_customer_note(customer=customer, text=request.POST.get("text", ""), actor=actor_for(request))
    return redirect("admin_panel:customer", pk=pk)


@panel_permission("manage_customers")
@require_POST
def set_active(request, pk):
    customer = get_object_or_404(User, pk=pk, is_staff=False)
    customer = accounts.set_customer_active(
        customer=customer, active=request.POST.get("active") == "1", actor=actor_for(request)
    )
    messages.success(request, f"{customer.email} is {'active' if customer.is_active else 'deactivated'}.")
    return redirect("admin_panel:customer", pk=pk)


@panel_permission("manage_customers")
@require_POST
def message_customer(request, pk):
    customer = get_object_or_404(User, pk=pk, is_staff=False)
    try:
        accounts.message_customer(
            customer=customer,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            email=request.POST.get("email") == "1",
            actor=actor_for(request),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("admin_panel:customer", pk=pk)
    messages.success(request, "Message sent.")
    return redirect("admin_panel:customer", pk=pk)


@panel_permission("export_customers")
def export_customers(request):
    header = ["email", "first_name", "last_name", "joined", "active", "tier", "points", "orders", "spend"]

    def rows():
        for c in _customers(request.GET).iterator(chunk_size=2000):
            account = getattr(c, "loyalty", None)
            yield (
                [
                    c.email,
                    c.first_name,
                    c.last_name,
                    c.date_joined.date().isoformat(),
                    c.is_active,
                    account.tier.name if account else "",
                    account.balance if account else 0,
                    c.order_count,
                    c.spend or 0,
                ]
            )

    record_audit(actor_for(request), "export", object_type="customers", object_repr="CSV export")
    return csv_stream("customers.csv", header, rows())
