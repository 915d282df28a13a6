from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auroramart.campaigns import services
from auroramart.campaigns.audience import describe
from auroramart.campaigns.forms import AudienceForm, CampaignForm
from auroramart.campaigns.models import Campaign
from auroramart.core.client import actor_for

from ..decorators import panel_permission


@panel_permission("manage_promotions")
def campaign_list(request):
    campaigns = Campaign.objects.select_related("coupon").order_by("-created_at")
    return render(request, "admin_panel/campaigns.html", {"campaigns": campaigns, "title": "Campaigns"})


@panel_permission("manage_promotions")
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    audience = AudienceForm(request.POST or None, prefix="aud")
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        campaign = services.create_campaign(
            campaign=form.save(commit=False), audience_filters=audience.filters(), actor=actor_for(request)
        )
        messages.success(
            request, f"Campaign “{campaign.name}” saved as a draft. Check the figures, then launch it."
        )
        return redirect("admin_panel:campaign", pk=campaign.pk)
    count = (
        services.preview(audience.filters())
        if audience.is_bound and audience.is_valid()
        else services.preview({})
    )
    return render(
        request,
        "admin_panel/campaign_form.html",
        {"form": form, "audience": audience, "count": count, "title": "New campaign"},
    )


@panel_permission("manage_promotions")
@require_GET
def audience_preview(request):
    """The live count beside the audience filters (htmx)."""
    audience = AudienceForm(request.GET, prefix="aud")
    if not audience.is_valid():
        return HttpResponse("Fix the filters to see the count.", status=200)
    count = services.preview(audience.filters())
    return HttpResponse(f"{count} customer{'s' if count != 1 else ''} match")


@panel_permission("manage_promotions")
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("coupon", "points_category"), pk=pk)
    context = {"campaign": campaign, "title": campaign.name, "audience": describe(campaign.audience)}
    if campaign.launched_at:
        context["figures"] = services.figures(campaign)
    else:
        context["count"] = services.preview(campaign.audience)
    return render(request, "admin_panel/campaign_detail.html", context)


@panel_permission("manage_promotions")
@require_POST
def campaign_launch(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        result = services.launch(campaign, actor=actor_for(request))
    except services.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("admin_panel:campaign", pk=pk)
    messages.success(
        request, f"Launched to {result['target']} customers; {result['holdout']} kept out as the holdout."
    )
    return redirect("admin_panel:campaign", pk=pk)
