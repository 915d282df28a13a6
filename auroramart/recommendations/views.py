"""Recommendation slots, rendered as fragments: pages that are cached for
everyone load them with htmx, so each shopper gets their own and each showing
is counted."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from auroramart.cart import services as cart_services
from auroramart.cart.selectors import cart_product_ids
from auroramart.cart.services import CartError
from auroramart.cart.storage import cart_for
from auroramart.catalog.models import Product
from auroramart.core.access import is_customer, shopper_only
from auroramart.core.client import shopper_for
from auroramart.core.htmx import is_htmx

from . import experiments, services, tracking


@require_GET
def home_slots(request):
    """Home page: picked-for-you categories and personal picks for customers, trending for guests."""
    user = request.user
    context = {}
    if is_customer(user):
        picked, picked_products, picked_version = services.picked_for_you(user)
        assignment = experiments.assign("home-personal", shopper_for(request))
        personal, version = services.for_customer(
            user, exclude={p.pk for p in picked_products}, assignment=assignment
        )
        tracking.record_impression(request, "home-picked", picked_products, picked_version)
        tracking.record_impression(request, "home-personal", personal, version, assignment)
        context.update(picked=picked, picked_products=picked_products, personal=personal)
    else:
        trending = services.for_guest()
        tracking.record_impression(request, "home-trending", trending, services.POPULARITY)
        context["trending"] = trending
    return render(request, "recommendations/_home_slots.html", context)


@require_GET
def for_you(request):
    """Profile page slot."""
    if not is_customer(request.user):
        raise Http404
    assignment = experiments.assign("profile-personal", shopper_for(request))
    products, version = services.for_customer(request.user, assignment=assignment)
    tracking.record_impression(request, "profile-personal", products, version, assignment)
    return render(
        request,
        "recommendations/_slot.html",
        {"products": products, "slot": "profile-personal", "heading": "Recommended for you"},
    )


@require_GET
def bought_together(request, pk):
    product = get_object_or_404(Product, pk=pk, is_active=True)
    in_cart = cart_product_ids(cart_for(request)) if not request.user.is_staff else set()
    assignment = experiments.assign("pdp-fbt", shopper_for(request))
    pairs, version = services.bought_together(product, exclude=in_cart, assignment=assignment)
    tracking.record_impression(request, "pdp-fbt", [p for p, _ in pairs], version, assignment)
    return render(
        request,
        "recommendations/_bought_together.html",
        {
            "product": product,
            "anchor_in_cart": product.pk in in_cart,
            "pairs": pairs,
            "source": tracking.source_for("pdp-fbt"),
        },
    )


@shopper_only
@require_POST
def add_bundle(request):
    """ "Add all to cart": the product and its frequently-bought-together items, in one click."""
    cart = cart_for(request)
    try:
        ids = [int(pk) for pk in request.POST.getlist("product_id")]
    except ValueError:
        ids = []
    added, errors = [], []
    anchor, shopper = request.POST.get("anchor"), shopper_for(request)
    # The variant chosen in the buy box, sent along by the form (htmx), stands for the anchor.
    chosen = request.POST.get("variant_id") or None
    for pk in dict.fromkeys(ids):
        # The anchor is the product the shopper was looking at, not a recommendation.
        is_anchor = str(pk) == anchor
        source = "" if is_anchor else tracking.source_for("pdp-fbt")
        try:
            added.append(
                cart_services.add_item(
                    cart,
                    product_id=pk,
                    variant_id=chosen if is_anchor else None,
                    quantity=1,
                    shopper=shopper,
                    source=source,
                    default=True,
                ).product
            )
        except CartError as exc:
            errors.append(str(exc))
    if not ids:
        errors.append("Choose at least one product.")
    if is_htmx(request):
        return render(
            request,
            "recommendations/_bundle_added.html",
            {"added": added, "errors": errors, "cart_count": cart.count()},
        )
    for error in errors:
        messages.error(request, error)
    if added:
        messages.success(request, f"Added {len(added)} item{'s' if len(added) != 1 else ''} to your cart.")
    return redirect("cart:detail")


def complete_the_set(request, summary) -> str:
    """Cart extra: what people buy with what is in this cart."""
    assignment = experiments.assign("cart-complete", shopper_for(request))
    products, version = services.complete_the_set(
        [line.product.pk for line in summary.lines], assignment=assignment
    )
    if not products:
        return ""  # the slot would render to nothing: not rendered on every cart view (#23)
    tracking.record_impression(request, "cart-complete", products, version, assignment)
    # Its product cards need nothing of the request: rendered without the context processors.
    return render_to_string(
        "recommendations/_slot.html",
        {"products": products, "slot": "cart-complete", "heading": "Complete the set"},
    )
