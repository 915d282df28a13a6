from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from auroramart.cart.storage import cart_for
from auroramart.core.access import is_customer

from . import abandoned_carts, services
from .models import Campaign


@require_GET
def banner(request):
    """The home page's campaign banner, for customers in a running campaign's audience only."""
    campaign = services.banner_for(request.user) if is_customer(request.user) else None
    return render(request, "campaigns/_banner.html", {"campaign": campaign})


@require_GET
def go(request, pk):
    """A click on a campaign's banner or message: counted, then on to the campaign's page."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if is_customer(request.user):
        services.record_click(campaign, request.user)
    target = campaign.link if url_has_allowed_host_and_scheme(campaign.link, allowed_hosts=None) else "/"
    return redirect(target)


@require_GET
def restore_cart(request, token):
    """A cart reminder's link: the cart comes back on this device, with the reminder's coupon."""
    reminder = abandoned_carts.reminder_of(token)
    if reminder is None:
        messages.info(request, "This link has expired. Your cart is as you left it.")
        return redirect("cart:detail")
    restored = abandoned_carts.restore(reminder=reminder, cart=cart_for(request))
    if restored:
        messages.success(request, "Your cart is back, as you left it.")
    else:
        messages.info(request, "Those items are no longer sold, sorry.")
    return redirect("cart:detail")
