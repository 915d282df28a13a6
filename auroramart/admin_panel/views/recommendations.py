from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auroramart.recommendations import services
from auroramart.recommendations.datasets import DatasetError
from auroramart.recommendations.models import ModelVersion, RecommendationEvent
from auroramart.recommendations.tracking import SLOTS, SOURCE_PREFIX
from auroramart.search.models import ProductView

from ..decorators import panel_permission
from ..services import audit


def slot_performance(since) -> list[dict]:
    """Impressions, clicks, add-to-carts, purchases and revenue per slot since a date."""
    events = (
        RecommendationEvent.objects.filter(created_at__gte=since)
        .values("slot")
        .annotate(
            impressions=Count("id", filter=Q(kind="impression")),
            add_to_carts=Count("id", filter=Q(kind="add_to_cart")),
            purchases=Count("id", filter=Q(kind="purchase")),
            revenue=Sum("revenue", filter=Q(kind="purchase")),
        )
    )
    by_slot = {row["slot"]: row for row in events}
    clicks = dict(
        ProductView.objects.filter(created_at__gte=since, source__startswith=SOURCE_PREFIX)
        .values_list("source")
        .annotate(n=Count("id"))
    )
    rows = []
    for slot, label in SLOTS.items():
        row = by_slot.get(slot, {})
        impressions = row.get("impressions", 0)
        click_count = clicks.get(f"{SOURCE_PREFIX}{slot}", 0)
        rows.append(
            {
                "slot": slot,
                "label": label,
                "impressions": impressions,
                "clicks": click_count,
                "add_to_carts": row.get("add_to_carts", 0),
                "purchases": row.get("purchases", 0),
                "revenue": row.get("revenue") or 0,
                "ctr": click_count / impressions if impressions else 0,
                "conversion": row.get("purchases", 0) / impressions if impressions else 0,
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
        records = [services.train_category_model(), services.train_association_model()]
    except DatasetError as exc:
        messages.error(request, f"Not retrained: {exc}")
        return redirect("admin_panel:recommendations")
    changed = services.repredict_all()
    for record in records:
        audit(request, "retrain", record, changes={"version": ["", record.version]})
    messages.success(
        request, f"Trained {', '.join(r.version for r in records)}; {changed} customers' categories changed."
    )
    return redirect("admin_panel:recommendations")


@panel_permission("manage_recommendations")
@require_POST
def repredict(request):
    changed = services.repredict_all()
    audit(request, "repredict", object_type="CustomerProfile", object_repr=f"{changed} changed")
    messages.success(request, f"Re-predicted every customer's categories: {changed} changed.")
    return redirect("admin_panel:recommendations")
