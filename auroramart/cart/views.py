from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from auroramart.catalog.cache import page_around
from auroramart.core.access import shopper_only
from auroramart.core.client import shopper_for
from auroramart.core.forms import safe_next
from auroramart.core.htmx import is_htmx
from auroramart.core.rendering import render_part

from . import fragments, services
from .selectors import cart_summary
from .services import CartError
from .storage import cart_for


def _cart_body(request, *, error: str = "", notice: str = "", swap: bool = False, cart=None) -> str:
    """The cart's lines, totals and what other apps add to them: the shopper's own. `cart` is
    the one a write just went through (it knows what it wrote, #23), else the request's."""
    cart = cart or cart_for(request)
    user = request.user if request.user.is_authenticated else None
    summary = cart_summary(cart, user=user)
    context = {
        "summary": summary,
        "error": error,
        "notice": notice,
        "user": request.user,
        "summary_extras": [fragment(request, summary) for fragment in fragments.summary],
        "extras": [fragment(request, summary) for fragment in fragments.below_cart],
        # A swapped-in body also updates the header's count (out of band); the full page has it already.
        "swap": swap,
    }
    return render_part(request, "cart/_cart_body.html", context)


def _cart_page(
    request, *, error: str = "", notice: str = "", status: int = 200, fragment: bool = False, cart=None
):
    if fragment or is_htmx(request):
        return HttpResponse(
            _cart_body(request, error=error, notice=notice, swap=True, cart=cart), status=status
        )
    body = _cart_body(request, error=error, notice=notice, cart=cart)
    return page_around(request, "cart-page", "cart/cart.html", body, {"title": "Your cart"}, status=status)


def render_cart_body(request, *, error: str = "", status: int = 200):
    """The cart's body, re-rendered for an htmx swap (used by the loyalty endpoints too)."""
    return _cart_page(request, error=error, status=status, fragment=True)


@shopper_only
def detail(request):
    return _cart_page(request)


def _after_change(request, error: str = "", notice: str = "", cart=None):
    if is_htmx(request):
        # htmx swaps the cart in place; errors travel with it as a 200 so they are shown.
        return _cart_page(request, error=error, notice=notice, cart=cart)
    if error:
        messages.error(request, error)
    if notice:
        messages.success(request, notice)
    return redirect("cart:detail")


def _added(context: dict) -> HttpResponse:
    """What an htmx add answers: a line under the button and the header's count. It reads
    nothing of the request, so it is rendered without the context processors (#23)."""
    return HttpResponse(render_to_string("cart/_added.html", context))


@shopper_only
@require_POST
def add(request):
    cart = cart_for(request)
    try:
        variant = services.add_item(
            cart,
            variant_id=request.POST.get("variant_id"),
            product_id=request.POST.get("product_id"),
            quantity=request.POST.get("quantity", 1),
            shopper=shopper_for(request),
        )
    except CartError as exc:
        if is_htmx(request):
            return _added({"error": str(exc)})
        messages.error(request, str(exc))
        return redirect(safe_next(request, "cart:detail"))
    if is_htmx(request):
        response = _added({"product": variant.product, "variant": variant, "cart_count": cart.count()})
        response["HX-Trigger"] = "cart-changed"  # slots that depend on the cart refresh themselves
        return response
    messages.success(request, f"{variant.display_name} is in your cart.")
    return redirect("cart:detail")


@shopper_only
@require_POST
def update(request, variant_id):
    cart = cart_for(request)
    try:
        notice = services.set_quantity(cart, variant_id=variant_id, quantity=request.POST.get("quantity"))
    except CartError as exc:
        return _after_change(request, str(exc), cart=cart)
    return _after_change(request, notice=notice, cart=cart)


@shopper_only
@require_POST
def remove(request, variant_id):
    try:
        notice = services.remove_item(cart_for(request), variant_id=variant_id)
    except CartError as exc:
        return _after_change(request, str(exc))
    return _after_change(request, notice=notice)


@shopper_only
@require_POST
def apply_coupon(request):
    user = request.user if request.user.is_authenticated else None
    try:
        code = services.apply_coupon(cart_for(request), code=request.POST.get("code", ""), user=user)
    except CartError as exc:
        return _after_change(request, str(exc))
    if not is_htmx(request):
        messages.success(request, f"Coupon {code} applied.")
    return _after_change(request)


@shopper_only
@require_POST
def remove_coupon(request):
    services.remove_coupon(cart_for(request), code=request.POST.get("code", ""))
    return _after_change(request)
