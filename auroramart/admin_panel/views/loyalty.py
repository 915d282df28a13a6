from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.core.forms import StyledFormMixin
from auroramart.loyalty.models import LoyaltyReward, LoyaltyTier
from auroramart.staff.services import audit, snapshot

from ..decorators import panel_permission

REWARD_FIELDS = [
    "name",
    "description",
    "kind",
    "value",
    "point_cost",
    "min_tier",
    "starts_at",
    "ends_at",
    "usage_limit",
    "per_customer_limit",
    "is_active",
]


class RewardForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = LoyaltyReward
        fields = REWARD_FIELDS
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


@panel_permission("manage_loyalty")
@require_http_methods(["GET", "POST"])
def loyalty_settings(request):
    form = RewardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reward = form.save()
        audit(
            request,
            "create",
            reward,
            changes={k: [None, v] for k, v in snapshot(reward, REWARD_FIELDS).items()},
        )
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
    before = snapshot(tier, ["threshold", "multiplier", "perks"])
    try:
        threshold = int(request.POST.get("threshold", ""))
        multiplier = Decimal(request.POST.get("multiplier", ""))
        if threshold < 0 or not Decimal("1") <= multiplier <= Decimal("5"):
            raise ValueError
    except (ValueError, InvalidOperation):
        messages.error(request, "The threshold is a whole number of points; the multiplier between 1 and 5.")
        return redirect("admin_panel:loyalty")
    tier.threshold, tier.multiplier, tier.perks = (
        threshold,
        multiplier,
        request.POST.get("perks", tier.perks)[:1000],
    )
    tier.save()
    after = snapshot(tier, ["threshold", "multiplier", "perks"])
    audit(request, "update", tier, changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    messages.success(request, f"Tier {tier.name} saved.")
    return redirect("admin_panel:loyalty")
