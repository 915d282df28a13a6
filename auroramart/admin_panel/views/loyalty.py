from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.core.client import actor_for
from auroramart.loyalty import services as loyalty
from auroramart.loyalty.models import LoyaltyReward, LoyaltyTier

from ..decorators import panel_permission
from ..forms import RewardForm


@panel_permission("manage_loyalty")
@require_http_methods(["GET", "POST"])
def loyalty_settings(request):
    form = RewardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reward = loyalty.create_reward(data=form.cleaned_data, actor=actor_for(request))
        messages.success(request, f"Reward “{reward.name}” created.")
        return redirect("admin_panel:loyalty")
    return render(
        request,
        "admin_panel/loyalty.html",
        {
            "tiers": LoyaltyTier.objects.all(),
            "rewards": LoyaltyReward.objects.select_related("min_tier"),
            "form": form,
            "title": "Loyalty",
        },
    )


@panel_permission("manage_loyalty")
@require_POST
def tier_update(request, pk):
    tier = get_object_or_404(LoyaltyTier, pk=pk)
    try:
        threshold = int(request.POST.get("threshold", ""))
        multiplier = Decimal(request.POST.get("multiplier", ""))
        tier = loyalty.update_tier(
            tier=tier,
            threshold=threshold,
            multiplier=multiplier,
            perks=request.POST.get("perks", tier.perks),
            actor=actor_for(request),
        )
    except (ValueError, InvalidOperation, loyalty.LoyaltyError):
        messages.error(request, "The threshold is a whole number of points; the multiplier between 1 and 5.")
        return redirect("admin_panel:loyalty")
    messages.success(request, f"Tier {tier.name} saved.")
    return redirect("admin_panel:loyalty")
