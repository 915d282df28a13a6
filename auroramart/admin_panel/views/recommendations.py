from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auroramart.core.client import actor_for
from auroramart.recommendations import basket_models, experiments, services
from auroramart.recommendations.datasets import DatasetError
from auroramart.recommendations.models import ModelVersion, SlotExperiment
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
    for version in versions[ModelVersion.Kind.ASSOCIATIONS]:
        compared = version.metrics.get("models") or {}  # versions trained before #27 have none
        version.chosen_scores = compared.get(version.metrics.get("chosen"))
        version.baseline_scores = compared.get(version.metrics.get("best_baseline"))
    return render(
        request,
        "admin_panel/recommendations.html",
        {
            "title": "Recommendations",
            "category_versions": versions[ModelVersion.Kind.CATEGORY],
            "association_versions": versions[ModelVersion.Kind.ASSOCIATIONS],
            "slots": slot_performance(timezone.now() - timedelta(days=days)),
            "days": days,
            "experiments": [
                (e, experiments.results(e)) for e in SlotExperiment.objects.select_related("challenger")[:5]
            ],
            "experiment_slots": [(slot, SLOTS[slot]) for slot in experiments.EXPERIMENT_SLOTS],
            "experiment_models": [
                m for m in [*basket_models.CANDIDATES, *basket_models.BASELINES] if m != "popularity"
            ],
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


@panel_permission("manage_recommendations")
@require_POST
def experiment_start(request):
    try:
        share_b = int(request.POST.get("share_b", 50))
    except ValueError:
        share_b = 0
    try:
        experiment = services.start_experiment(
            slot=request.POST.get("slot", ""),
            model=request.POST.get("model", ""),
            share_b=share_b,
            actor=actor_for(request),
        )
    except (services.ExperimentError, DatasetError) as exc:
        messages.error(request, f"A/B test not started: {exc}")
    else:
        messages.success(
            request,
            f"A/B test started in {SLOTS[experiment.slot]}: {experiment.share_b}% of shoppers get "
            f"{experiment.challenger.parameters.get('model')} ({experiment.challenger.version}).",
        )
    return redirect("admin_panel:recommendations")


@panel_permission("manage_recommendations")
@require_POST
def experiment_stop(request, pk):
    experiment = get_object_or_404(SlotExperiment, pk=pk)
    services.stop_experiment(experiment=experiment, actor=actor_for(request))
    messages.success(request, f"A/B test in {SLOTS[experiment.slot]} stopped; its figures are kept.")
    return redirect("admin_panel:recommendations")
