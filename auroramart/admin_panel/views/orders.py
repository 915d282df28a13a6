from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from auroramart.core.client import actor_for
from auroramart.core.csv_export import csv_stream
from auroramart.core.downloads import pdf_response
from auroramart.core.money import format_money, parse_money
from auroramart.orders import documents, services
from auroramart.orders.models import PAID_STATUSES, CreditNote, Order, ReturnRequest
from auroramart.orders.selectors import with_item_count
from auroramart.orders.services import OrderActionError, Tracking
from auroramart.staff.services import record_audit

from ..decorators import panel_permission
from ..filters import date_param


def _orders(params):
    orders = with_item_count(Order.objects.select_related("user")).order_by("-placed_at", "-id")
    if params.get("status"):
        orders = orders.filter(status=params["status"])
    if params.get("customer"):
        orders = orders.filter(email__icontains=params["customer"])
    if params.get("number"):
        orders = orders.filter(number__icontains=params["number"])
    if start := date_param(params, "from"):
        orders = orders.filter(placed_at__date__gte=start)
    if end := date_param(params, "to"):
        orders = orders.filter(placed_at__date__lte=end)
    return orders


@panel_permission("view_orders")
def order_list(request):
    page = Paginator(_orders(request.GET), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admin_panel/orders.html",
        {"page": page, "statuses": Order.Status.choices, "title": "Orders"},
    )


@panel_permission("view_orders")
def order_export(request):
    """The orders the list's filters select, as CSV (through the shop's one CSV writer)."""
    header = [
        "number",
        "placed_at",
        "status",
        "customer",
        "ship_to",
        "items",
        "subtotal",
        "discounts",
        "shipping",
        "total",
        "gst_included",
        "refunded",
        "coupons",
    ]

    def rows():
        for o in _orders(request.GET).iterator(chunk_size=2000):
            yield [
                o.number,
                o.placed_at.isoformat(),
                o.status,
                o.email,
                o.ship_name,
                o.item_count,
                o.subtotal,
                o.discount_total + o.points_discount,
                o.shipping_fee,
                o.total,
                o.gst_included,
                o.refunded_total,
                " ".join(o.coupon_codes),
            ]

    record_audit(actor_for(request), "export", object_type="orders.Order", object_repr="CSV export")
    return csv_stream("orders.csv", header, rows())


@panel_permission("view_orders")
def order_detail(request, number):
    order = get_object_or_404(
        Order.objects.select_related("user", "exchange_of").prefetch_related(
            "items",
            "status_changes__actor",
            "payments",
            "notes__author",
            "credit_notes",
            "exchanges",
            Prefetch(
                "returns",
                queryset=ReturnRequest.objects.prefetch_related("lines__item", "lines__exchange_variant"),
            ),
        ),
        number=number,
    )
    returns = list(order.returns.all())
    return render(
        request,
        "admin_panel/order_detail.html",
        {
            "order": order,
            "return_request": next((r for r in returns if r.is_open), None),
            "past_returns": [r for r in returns if not r.is_open],
            "transitions": [(s, Order.Status(s).label) for s in services.allowed_transitions(order)],
            "refund_owed": services.refunds_owed().filter(order=order).exists()
            or services.unpaid_credit_notes().filter(order=order).exists(),
            "can_goodwill": order.status in PAID_STATUSES and order.status not in services.ENDED_WITHOUT_SALE,
            "refundable": order.total - max(order.credited_total, order.refunded_total),
            "title": f"Order {order.number}",
        },
    )


@panel_permission("manage_orders")
@require_POST
def order_status(request, number):
    order = get_object_or_404(Order, number=number)
    to_status = request.POST.get("status", "")
    try:
        order = services.change_status(
            order=order,
            to_status=to_status,
            actor=actor_for(request),
            note=request.POST.get("note", "")[:255],
            tracking=Tracking.from_data(request.POST),
        )
    except OrderActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order {order.number} is now {order.get_status_display().lower()}.")
    return redirect("admin_panel:order", number=number)


@panel_permission("view_orders")
def order_invoice_pdf(request, number):
    order = get_object_or_404(Order.objects.prefetch_related("items"), number=number)
    return pdf_response(f"{order.invoice_number or order.number}.pdf", documents.invoice_pdf(order))


@panel_permission("view_orders")
def order_credit_note_pdf(request, number, credit):
    note = get_object_or_404(CreditNote.objects.select_related("order"), order__number=number, number=credit)
    return pdf_response(f"{note.document_number or note.number}.pdf", documents.credit_note_pdf(note))


@panel_permission("manage_orders")
@require_POST
def order_refund_retry(request, number):
    """A refund that failed at the gateway, tried again (the periodic job also retries it)."""
    order = get_object_or_404(Order, number=number)
    done, amount = services.retry_refunds(order=order, actor=actor_for(request))
    if done:
        messages.success(request, f"Refunded S${amount}.")
    else:
        messages.error(
            request, "The refund did not go through; the payment service refused it. Try again later."
        )
    return redirect("admin_panel:order", number=number)


def _per_line(post, prefix: str) -> dict[int, str]:
    """Form fields named `<prefix><return line id>`, by line id."""
    return {
        int(key[len(prefix) :]): value
        for key, value in post.items()
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    }


@panel_permission("manage_orders")
@require_POST
def order_return(request, number):
    """Approve (units per line), reject, or receive (restock per line) the order's open return."""
    order = get_object_or_404(Order, number=number)
    decision, actor, note = (
        request.POST.get("decision"),
        actor_for(request),
        request.POST.get("note", "")[:255],
    )
    try:
        if decision == "approve":
            quantities = {}
            for line_id, value in _per_line(request.POST, "approve_").items():
                if not value.strip().isdigit():
                    raise OrderActionError("Approve a whole number of units for each line.")
                quantities[line_id] = int(value)
            services.decide_return(
                order=order, approve=True, actor=actor, note=note, quantities=quantities or None
            )
        elif decision == "reject":
            services.decide_return(order=order, approve=False, actor=actor, note=note)
        elif decision == "receive":
            shipping = {"yes": True, "no": False}.get(request.POST.get("refund_shipping", ""))
            services.receive_return(
                order=order,
                actor=actor,
                note=note,
                restock_lines=dict.fromkeys(_per_line(request.POST, "restock_"), True),
                refund_shipping=shipping,
            )
        else:
            raise OrderActionError("Choose approve, reject or receive.")
    except OrderActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Return updated.")
    return redirect("admin_panel:order", number=number)


@panel_permission("manage_orders")
@require_POST
def order_goodwill(request, number):
    """A goodwill partial refund, with its reason, on a credit note."""
    order = get_object_or_404(Order, number=number)
    try:
        amount = parse_money(request.POST.get("amount", ""))
    except ValueError:
        messages.error(request, "Enter the amount to refund, e.g. 5.00.")
        return redirect("admin_panel:order", number=number)
    try:
        credit = services.goodwill_refund(
            order=order, amount=amount, reason=request.POST.get("reason", "")[:255], actor=actor_for(request)
        )
    except OrderActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Credit note {credit.number}: {format_money(credit.amount)} refunded.")
    return redirect("admin_panel:order", number=number)


@panel_permission("manage_orders")
@require_POST
def order_note(request, number):
    order = get_object_or_404(Order, number=number)
    services.add_order_note(order=order, text=request.POST.get("text", ""), actor=actor_for(request))
    return redirect("admin_panel:order", number=number)


@panel_permission("manage_orders")
@require_POST
def order_email(request, number):
    order = get_object_or_404(Order.objects.select_related("user"), number=number)
    try:
        services.email_customer_about(
            order=order,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
            actor=actor_for(request),
        )
    except OrderActionError as exc:
        messages.error(request, str(exc))
        return redirect("admin_panel:order", number=number)
    messages.success(request, "Email queued to the customer.")
    return redirect("admin_panel:order", number=number)
