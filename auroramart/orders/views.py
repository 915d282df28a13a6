from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.accounts.selectors import addresses as saved_addresses
from auroramart.accounts.services import save_address
from auroramart.cart.selectors import cart_summary
from auroramart.cart.storage import DbCart
from auroramart.core.access import customer_required

from . import fragments, selectors, services
from .forms import CheckoutForm, ReturnForm
from .services import CartAlreadyPlaced, CheckoutError, OrderActionError


def _summary_context(request, shipping_method: str):
    summary = cart_summary(DbCart(request.user), user=request.user, shipping_method=shipping_method)
    return {"summary": summary}


@sensitive_post_parameters("card_number", "card_cvc", "card_expiry")
@customer_required
@require_http_methods(["GET", "POST"])
def checkout(request):
    addresses = list(saved_addresses(request.user))
    form = CheckoutForm(request.POST or None, addresses=addresses)
    method = request.POST.get("shipping_method") if request.method == "POST" else "standard"
    method = method if method in settings.SHIPPING_METHODS else "standard"
    context = _summary_context(request, method)
    summary = context["summary"]
    if summary.is_empty:
        messages.info(request, "Your cart is empty.")
        return redirect("cart:detail")
    error = ""
    if request.method == "POST" and form.is_valid():
        address = form.shipping_address()
        try:
            placement = services.place_order(
                user=request.user,
                cart=DbCart(request.user),
                idempotency_key=form.cleaned_data["idempotency_key"],
                address=address,
                shipping_method=form.cleaned_data["shipping_method"],
                card=form.card(),
                expected_total=form.cleaned_data.get("expected_total"),
                wait_for_twin=settings.CHECKOUT_TWIN_WAIT_SECONDS,
            )
        except CartAlreadyPlaced as exc:
            messages.info(request, str(exc))
            return redirect("orders:detail", number=exc.order_number)
        except CheckoutError as exc:
            error = str(exc)
            context = _summary_context(request, method)  # stock or prices may have moved
        else:
            order = placement.order
            if form.cleaned_data["address"] == "new" and form.cleaned_data.get("save_address"):
                save_address(user=request.user, data=address.__dict__ | {"label": "Checkout"})
            if placement.replayed:
                messages.info(request, f"Your order {order.number} was already placed.")
            else:
                messages.success(request, f"Thank you! Your order {order.number} is confirmed.")
            return redirect(order.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orders/checkout.html",
        {**context, "form": form, "error": error, "title": "Checkout", "addresses": addresses},
        status=status,
    )


@customer_required
def checkout_summary(request):
    """The order summary for another delivery option, swapped in by htmx."""
    method = request.GET.get("shipping_method", "standard")
    method = method if method in settings.SHIPPING_METHODS else "standard"
    return render(request, "orders/_checkout_summary.html", _summary_context(request, method))


@customer_required
def order_list(request):
    page = Paginator(selectors.orders_for(request.user), 10).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page, "title": "Your orders", "tab": "orders"})


def _own_order(request, number):
    return get_object_or_404(selectors.orders_for(request.user), number=number)


@customer_required
def order_detail(request, number):
    order = selectors.order_detail(request.user, number)
    extras = [fragment(request, order) for fragment in fragments.detail]
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "title": f"Order {order.number}",
            "tab": "orders",
            "can_cancel": order.status in services.CUSTOMER_CANCELLABLE,
            "can_return": selectors.can_request_return(order),
            "return_form": ReturnForm(),
            "returnable": selectors.returnable_lines(order) if selectors.can_request_return(order) else [],
            "extras": extras,
        },
    )


@customer_required
def invoice(request, number):
    order = selectors.order_detail(request.user, number)
    return render(
        request,
        "orders/invoice.html",
        {"order": order, "title": f"Invoice {order.number}", "shares": selectors.invoice_lines(order)},
    )


@customer_required
@require_POST
def cancel(request, number):
    order = _own_order(request, number)
    try:
        services.cancel_order(
            order=order, actor=request.user, reason="Cancelled by the customer", by_customer=True
        )
    except OrderActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order {order.number} is cancelled; your payment is refunded.")
    return redirect(order.get_absolute_url())


def _return_lines(post) -> tuple[dict[int, int] | None, dict[int, int]]:
    """The units per order line (`qty_<item id>`) and exchanges (`exchange_<item id>`) a return
    form sent; None for the units when the form names no line (everything comes back)."""
    lines, exchanges = {}, {}
    for key, value in post.items():
        kind, _, pk = key.partition("_")
        if not pk.isdigit() or kind not in ("qty", "exchange"):
            continue
        value = value.strip()
        if value and not value.isdigit():
            raise OrderActionError("Enter a whole number of units for each item.")
        if kind == "qty":
            lines[int(pk)] = int(value or 0)
        elif value:
            exchanges[int(pk)] = int(value)
    return (lines if lines else None), exchanges


@customer_required
@require_POST
def request_return(request, number):
    order = _own_order(request, number)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a reason for the return.")
        return redirect(order.get_absolute_url())
    try:
        lines, exchanges = _return_lines(request.POST)
        services.request_return(
            order=order, user=request.user, lines=lines, exchanges=exchanges, **form.cleaned_data
        )
    except OrderActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your return request is sent. We will reply by email.")
    return redirect(order.get_absolute_url())


@customer_required
def credit_note(request, number, credit):
    order = selectors.order_detail(request.user, number)
    note = get_object_or_404(order.credit_notes.all(), number=credit)
    return render(
        request,
        "orders/credit_note.html",
        {"order": order, "credit": note, "title": f"Credit note {note.number}"},
    )
