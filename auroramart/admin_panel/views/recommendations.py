from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auroramart.core.client import actor_for
from auroramart.recommendations import services
from auroramart.recommendations.datasets import DatasetError
from auroramart.recommendations.models import ModelVersion
from auroramart.recommendations.tracking import SLOTS, slot_counts

from ..decorators import panel_permission


def slot_performance(since) -> list[dict]:
    """Each slot's live figures since a date, with CTR and conversion per impression."""
    counts = slot_counts(since)
    rows = []
    for slot, label in SLOTS.items():
        f = counts.get(slot, {"impressions": 0, "clicks": 0, "add_to_carts": 0, "purchases": 0, "revenue": 0})
        shown = f["impressions"]
        rows.append(
            {
                "slot": slot,
                "label": label,
                **f,
                "ctr": f["clicks"] / shown if shown else 0,
                "conversion": f["purchases"] / shown if shown else 0,
            }
        )
    return rows


@panel_permission("view_analytics")
def overview(request):
    try:
        days = max(1, min(365, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    versions = {kind: list(ModelVersion.objects.filter(kind=kind)[:5]) for kind in ModelVersion.Kind.values}
    return render(
        request,
        "admin_panel/recommendations.html",
        {
            "title": "Recommendations",
            "category_versions": versions[ModelVersion.Kind.CATEGORY],
            "association_versions": versions[ModelVersion.Kind.ASSOCIATIONS],
            "slots": slot_performance(timezone.now() - timedelta(days=days)),
            "days": days,
        },
    )


@panel_permission("manage_recommendations")
@require_POST
def retrain(request):
    try:
        records, changed = services.retrain_models(actor=actor_for(request))
    except DatasetError as exc:
        messages.error(request, f"Not retrained: {exc}")
        return redirect("admin_panel:recommendations")
    messages.success(
        request, f"Trained {', '.join(r.version for r in records)}; {changed} customers' categories changed."
    )
    return redirect("admin_panel:recommendations")


@panel_permission("manage_recommendations")
@require_POST
def repredict(request):
    changed = services.repredict_customers(actor=actor_for(request))
    messages.success(request, f"Re-predicted every customer's categories: {changed} changed.")
    return redirect("admin_panel:recommendations")
