from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.accounts.backends import ACCOUNT_BACKEND
from auroramart.accounts.selectors import addresses as saved_addresses
from auroramart.accounts.services import save_address, signed_in
from auroramart.cart.selectors import cart_summary
from auroramart.cart.storage import cart_for
from auroramart.catalog.cache import page_around
from auroramart.core.access import customer_required, shopper_allowed
from auroramart.core.client import client_ip
from auroramart.core.downloads import pdf_response
from auroramart.core.held import Held, render_held
from auroramart.core.ratelimit import allow
from auroramart.core.rendering import render_part
from auroramart.core.reversing import reverse_held
from auroramart.payments.builtin import TestGateway, browser_cards
from auroramart.payments.gateway import get_gateway
from auroramart.payments.services import saved_cards

from . import documents, fragments, guests, links, selectors, services
from .forms import CheckoutForm, GuestAccountForm, OrderLookupForm, ReturnForm
from .models import Order
from .services import (
    CartAlreadyPlaced,
    CheckoutError,
    EmptyCart,
    OrderActionError,
    PaymentFailed,
    PlacementInProgress,
)

STRIPE_JS = "https://js.stripe.com/v3/"

# What the checkout sends to re-price as the address changes: the address (and a guest's email
# and consent to reminders), never the card.
SUMMARY_FIELDS = ", ".join(
    f"#checkout-form [name={name}]"
    for name in (
        "address",
        "country",
        "region",
        "postal_code",
        "shipping_method",
        "email",
        "marketing_opt_in",
    )
)


def _summary_context(request, shipping_method: str, destination=None):
    user = request.user if request.user.is_authenticated else None
    summary = cart_summary(
        cart_for(request), user=user, shipping_method=shipping_method, destination=destination
    )
    return {"summary": summary, "summary_fields": SUMMARY_FIELDS}


def _back_to_empty_cart(request):
    messages.info(request, "Your cart is empty.")
    return redirect("cart:detail")


def _payment_step(request, form, guest: bool, cards, payment: dict) -> str:
    """The card step: the saved cards offered and a new card's fields."""
    shows = (
        guest,
        settings.DEMO_MODE,
        CheckoutForm.card_choices(cards),
        CheckoutForm.first_card(cards),
        payment,
    )
    context = {"guest": guest, "payment": payment, "demo_mode": settings.DEMO_MODE}
    return _step(
        request,
        form,
        "orders/_checkout_payment.html",
        context,
        _held_payment_steps,
        shows,
        lambda: CheckoutForm(guest=guest, cards=cards),
    )


def _address_step(request, form, guest: bool, addresses) -> str:
    """Where the order goes: the saved addresses to choose from, a new address's fields and a
    guest's email."""
    shows = (guest, CheckoutForm.address_choices(addresses), CheckoutForm.first_address(addresses, guest))
    context = {"guest": guest, "summary_fields": SUMMARY_FIELDS}
    return _step(
        request,
        form,
        "orders/_checkout_address.html",
        context,
        _held_address_steps,
        shows,
        lambda: CheckoutForm(addresses=addresses, guest=guest),
    )


def _step(request, form, template: str, context: dict, hold: Held[str], shows, unbound) -> str:
    """A step of the checkout. Of a checkout nobody has filled in yet (`form` is None) it is the
    same for every shopper it shows the same to (`shows`: what the shopper's addresses or cards
    make of an unbound form), so rendered once for those and held, with a form made by
    `unbound()` only then: a page opened makes none (#23: making the checkout's form was 7% of
    the page's CPU, and rendering its address step more). A form that comes back with what the
    shopper typed or its errors renders it afresh."""

    def render(extra: dict) -> str:
        return render_to_string(template, {"form": form or unbound(), **context, **extra})

    if form is not None:
        return render({})
    return render_held(request, hold, shows, render)


_held_payment_steps: Held[str] = Held(size=256, seconds=600)
_held_address_steps: Held[str] = Held(size=256, seconds=600)


def _payment_context() -> dict:
    """What the checkout's card step needs: the gateway's browser script and its settings."""
    gateway = get_gateway()
    context = {"gateway": gateway.name, "script": gateway.browser_script}
    if isinstance(gateway, TestGateway):
        context |= {"tokenise_url": reverse_held("payments:test-tokenise"), "test_cards": browser_cards()}
    else:
        context |= {"publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "provider_script": STRIPE_JS}
    return context


@shopper_allowed
@require_http_methods(["GET", "POST"])
def checkout(request):
    """The checkout, for customers and guests alike: a guest gives an email and an address."""
    guest = not request.user.is_authenticated
    user = None if guest else request.user
    addresses = [] if guest else saved_addresses(request.user)
    cards = [] if guest else saved_cards(request.user)
    # A GET makes no form: its steps are held as an unbound form renders them (_address_step).
    form = None
    if request.method == "POST":
        form = CheckoutForm(request.POST, addresses=addresses, guest=guest, cards=cards)
        destination = form.destination()
    else:
        destination = CheckoutForm.first_destination(addresses, guest)
    method = (request.POST.get("shipping_method") or "standard")[:30]
    placing = form is not None and form.is_valid()
    # The cart is priced to show the page; a placement reads and prices it itself, under its
    # locks, and says when there is nothing to place (#23: a valid submission reads it once).
    context = None if placing else _summary_context(request, method, destination)
    if context is not None and context["summary"].is_empty:
        return _back_to_empty_cart(request)
    error = ""
    if form is not None and (contact := form.guest_contact()):
        cart_for(request).remember_contact(contact)  # for a reminder, should they leave it
    if form is not None and placing:
        address = form.shipping_address()
        try:
            placement = services.place_order(
                user=user,
                email=form.cleaned_data.get("email", ""),
                cart=cart_for(request),
                idempotency_key=form.cleaned_data["idempotency_key"],
                address=address,
                shipping_method=form.cleaned_data["shipping_method"],
                payment_method=form.cleaned_data["payment_method"],
                save_card=form.cleaned_data.get("save_card", False),
                return_url=lambda number: links.return_url(request, number),
                expected_total=form.cleaned_data.get("expected_total"),
                wait_for_twin=settings.CHECKOUT_TWIN_WAIT_SECONDS,
            )
        except PlacementInProgress as exc:
            if exc.action_url:  # a double submit while the bank waits for the shopper: back there
                return redirect(exc.action_url)
            error = str(exc)
        except CartAlreadyPlaced as exc:
            messages.info(request, str(exc))
            return redirect(_order_page(request, exc.order_number))
        except EmptyCart:
            return _back_to_empty_cart(request)
        except CheckoutError as exc:
            error = str(exc)
            context = _summary_context(request, method, destination)  # stock or prices may have moved
            if isinstance(exc, PaymentFailed):  # that card did not pay: the next try enters one afresh
                form.data = form.data.copy()
                form.data["payment_method"] = ""
        else:
            order = placement.order
            if placement.action_url:  # the shopper's bank asks them to confirm (3-D Secure)
                return redirect(placement.action_url)
            if not guest and form.cleaned_data["address"] == "new" and form.cleaned_data.get("save_address"):
                save_address(user=request.user, data=address.__dict__ | {"label": "Checkout"})
            if placement.replayed:
                messages.info(request, f"Your order {order.number} was already placed.")
            else:
                messages.success(request, f"Thank you! Your order {order.number} is confirmed.")
            return redirect(_order_page(request, order.number))
    if context is None:  # not placed (a twin of it is still being placed): the page again
        context = _summary_context(request, method, destination)
    if context["summary"].is_empty:  # what it held is no longer sold
        return _back_to_empty_cart(request)
    status = 400 if request.method == "POST" else 200
    payment = _payment_context()
    body = render_part(
        request,
        "orders/_checkout_body.html",
        {
            **context,
            "form": form,
            "idempotency_key": CheckoutForm.page_key(form),
            "error": error,
            "guest": guest,
            "address_step": _address_step(request, form, guest, addresses),
            "payment_step": _payment_step(request, form, guest, cards, payment),
        },
    )
    return page_around(
        request, "checkout-page", "orders/checkout.html", body, {"title": "Checkout"}, status=status
    )


@require_http_methods(["GET"])
def payment_return(request, token):
    """Back from 3-D Secure: the provider's answer settles the order (the webhook may have
    already), and the shopper sees their order, or the checkout again with their cart."""
    number = links.order_of(token)
    if number is None:
        raise Http404
    outcome = services.settle_payment(number=number, cart=cart_for(request))
    order = Order.objects.filter(number=number).first()
    if outcome == "failed" or order is None:  # failed here, or already undone by the webhook
        messages.error(
            request, "Your bank did not confirm the payment. You have not been charged; please try again."
        )
        return redirect("orders:checkout")
    if order.status in services.ENDED_WITHOUT_SALE:
        messages.error(
            request, f"Order {order.number} was cancelled; any payment for it is refunded in full."
        )
        return redirect("cart:detail")
    if outcome == "waiting":
        return render(
            request, "orders/payment_waiting.html", {"order": order, "title": "Confirm your payment"}
        )
    messages.success(request, f"Thank you! Your order {order.number} is confirmed.")
    if order.user_id is None:
        return redirect(guests.guest_link(order, emailed=False))
    if request.user.is_authenticated and order.user_id == request.user.pk:
        return redirect(order.get_absolute_url())
    return render(request, "orders/payment_waiting.html", {"order": order, "title": "Payment confirmed"})


def _order_page(request, number: str) -> str:
    """Where an order is seen after checkout: the customer's order page, or a guest's signed link."""
    if request.user.is_authenticated:
        return reverse("orders:detail", kwargs={"number": number})
    order = get_object_or_404(Order.objects.filter(user__isnull=True), number=number)
    return guests.guest_link(order, emailed=False)


@shopper_allowed
def checkout_summary(request):
    """The delivery options and the order summary for the address and option chosen so far,
    swapped in by htmx as the customer changes them (the card fields are never sent here)."""
    addresses = saved_addresses(request.user) if request.user.is_authenticated else []
    form = CheckoutForm(request.GET, addresses=addresses, guest=not request.user.is_authenticated)
    if contact := form.guest_contact():  # a guest who agreed to reminders, as they fill the form in
        cart_for(request).remember_contact(contact)
    method = (request.GET.get("shipping_method") or "standard")[:30]
    return render(
        request,
        "orders/_checkout_summary.html",
        {**_summary_context(request, method, form.destination()), "delivery_oob": True},
    )


@customer_required
def order_list(request):
    page = Paginator(selectors.orders_for(request.user), 10).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page, "title": "Your orders", "tab": "orders"})


def _own_order(request, number):
    order = selectors.own_order(request.user, number)
    if order is None:
        raise Http404("No such order.")
    return order


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
        {
            "order": order,
            "title": f"Invoice {order.number}",
            "shares": selectors.invoice_lines(order),
            "pdf_url": reverse("orders:invoice_pdf", kwargs={"number": order.number}),
        },
    )


@customer_required
def invoice_pdf(request, number):
    order = selectors.order_detail(request.user, number)
    return pdf_response(f"{order.invoice_number or order.number}.pdf", documents.invoice_pdf(order))


@customer_required
def credit_note_pdf(request, number, credit):
    order = selectors.order_detail(request.user, number)
    note = get_object_or_404(order.credit_notes.all(), number=credit)
    return pdf_response(f"{note.document_number or note.number}.pdf", documents.credit_note_pdf(note))


@shopper_allowed
def guest_invoice_pdf(request, token):
    """A guest's invoice, by the signed link to their order."""
    access = guests.order_from_link(token)
    if access is None or not access.order.is_guest:
        raise Http404("This link is not valid.")
    order = access.order
    return pdf_response(f"{order.invoice_number or order.number}.pdf", documents.invoice_pdf(order))


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


# --- a guest's order ---------------------------------------------------------------------


@shopper_allowed
@require_http_methods(["GET", "POST"])
def guest_order(request, token):
    """A guest's order, by its signed link: the order, its timeline, and an account in one step."""
    access = guests.order_from_link(token)
    if access is None:
        raise Http404("This link is not valid.")
    order = access.order
    if not order.is_guest:
        messages.info(request, "This order is in your account now: sign in to see it.")
        return redirect(reverse("orders:detail", kwargs={"number": order.number}))
    form = GuestAccountForm(request.POST or None)
    if request.method == "POST" and not request.user.is_authenticated and form.is_valid():
        try:
            user, claimed = guests.create_account(access=access, password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_error("password", exc)
        except OrderActionError as exc:
            messages.error(request, str(exc))
        else:
            login(request, user, backend=ACCOUNT_BACKEND)
            signed_in(user=user, session=request.session)
            count = len(claimed)
            messages.success(
                request,
                f"Your account is ready: {count} order{'s' if count != 1 else ''} and "
                "its loyalty points are in it."
                if access.emailed or count > 1
                else "Your account is ready and this order is in it. If you placed other orders as a "
                "guest with this email, the link we emailed you brings them too.",
            )
            return redirect(reverse("orders:detail", kwargs={"number": order.number}))
    order = selectors.guest_order_detail(order.pk)
    return render(
        request,
        "orders/guest_order.html",
        {
            "order": order,
            "form": form,
            "token": token,
            "account_exists": guests.account_exists(order.email),
            "title": f"Order {order.number}",
        },
        status=400 if request.method == "POST" else 200,
    )


@shopper_allowed
@require_http_methods(["GET", "POST"])
def order_status(request):
    """Find an order by its number and email. Wrong number and wrong email get the same answer;
    a client address gets ORDER_LOOKUP_LIMIT tries per 15 minutes."""
    form = OrderLookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allow("order-lookup", client_ip(request), limit=settings.ORDER_LOOKUP_LIMIT, seconds=900):
            form.add_error(None, "Too many tries. Please wait 15 minutes and try again.")
            status = 429
        elif form.is_valid():
            order = guests.find_order(**form.cleaned_data)
            if order is not None and order.is_guest:
                return redirect(guests.guest_link(order, emailed=False))
            if order is not None:
                messages.info(request, "This order is in an account: sign in to see it.")
                return redirect(f"{settings.LOGIN_URL}?next={reverse('orders:detail', args=[order.number])}")
            form.add_error(None, "We could not find an order with that number and email.")
            status = 404
        else:
            status = 400
    return render(request, "orders/order_status.html", {"form": form, "title": "Order status"}, status=status)


@require_http_methods(["GET"])
def guest_claim(request, token):
    """The link in the verification email: the guest's other orders join their account."""
    result = guests.claim_guest_orders(token=token)
    if result is None:
        raise Http404("This link is not valid.")
    user, claimed = result
    messages.success(
        request,
        f"{len(claimed)} earlier order{'s' if len(claimed) != 1 else ''} added to your account."
        if claimed
        else "Your earlier orders are already in your account.",
    )
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("orders:list")
    return redirect(f"{settings.LOGIN_URL}?next={reverse('orders:list')}")
