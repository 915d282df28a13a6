from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from auroramart.core.access import is_customer

from . import services
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
