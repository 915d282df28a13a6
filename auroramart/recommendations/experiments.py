"""A/B tests between two basket models in one slot. Arm A gets the model the shop serves,
arm B the challenger; a shopper lands in the same arm every time (a hash of the experiment and
the customer, or of the visitor for a guest), so the split needs no storage and survives
restarts. Impressions, add-to-carts and purchases record their arm; clicks (product views
from the slot) are assigned by the same hash when the results are read."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from auroramart.core import key_mirror, shared_reads
from auroramart.core.client import Shopper
from auroramart.core.stats import rate_lift
from auroramart.search.models import ProductView

from .models import RecommendationEvent, SlotExperiment

# Slots served by the basket model: the ones two models can compete in.
EXPERIMENT_SLOTS = ("pdp-fbt", "cart-complete", "home-personal", "profile-personal")
CACHE_KEY = "recs:experiment:{slot}"
CACHE_SECONDS = 60
for _slot in EXPERIMENT_SLOTS:  # whether a slot runs an experiment: read by every page with that slot
    shared_reads.share(lambda slot=_slot: CACHE_KEY.format(slot=slot))
key_mirror.mirror(CACHE_KEY.format(slot=""))


@dataclass(frozen=True)
class Assignment:
    experiment: SlotExperiment
    arm: str  # "A" or "B"


def shopper_key(user_id: int | None, visitor: str) -> str:
    return f"u{user_id}" if user_id else f"v{visitor}"


def arm_of(experiment: SlotExperiment, key: str) -> str:
    digest = hashlib.sha256(f"{experiment.pk}:{key}".encode()).digest()
    return "B" if int.from_bytes(digest[:4], "big") % 100 < experiment.share_b else "A"


def running(slot: str) -> SlotExperiment | None:
    key = CACHE_KEY.format(slot=slot)
    found = shared_reads.get(key)
    if found is None:
        found = (
            SlotExperiment.objects.filter(slot=slot, ended_at__isnull=True)
            .select_related("challenger")
            .first()
            or 0
        )
        shared_reads.store(key, found, CACHE_SECONDS)
    return found or None


def forget(slot: str) -> None:
    shared_reads.delete(CACHE_KEY.format(slot=slot))


def assign(slot: str, shopper: Shopper) -> Assignment | None:
    """The shopper's arm in the slot's running experiment, or None when there is none."""
    experiment = running(slot)
    if experiment is None or not (shopper.user_id or shopper.visitor):
        return None
    return Assignment(experiment, arm_of(experiment, shopper_key(shopper.user_id, shopper.visitor)))


def results(experiment: SlotExperiment) -> dict:
    """Per arm: shoppers, impressions, clicks, add-to-carts, purchases, revenue and rates; and
    arm B's lift over A in click-through and conversion with 95% confidence intervals."""
    arms: dict[str, dict] = {
        arm: {
            "impressions": 0,
            "shoppers": 0,
            "clicks": 0,
            "add_to_carts": 0,
            "purchases": 0,
            "revenue": Decimal(0),
        }
        for arm in ("A", "B")
    }
    from .tracking import event_totals  # tracking asks this module for arms: imported here

    for arm, impressions, adds, purchases, revenue in event_totals(
        RecommendationEvent.objects.filter(experiment=experiment), "arm"
    ):
        if arm in arms:
            arms[arm].update(
                impressions=impressions, add_to_carts=adds, purchases=purchases, revenue=revenue or Decimal(0)
            )
    shown = defaultdict(set)
    for arm, user_id, visitor in (
        RecommendationEvent.objects.filter(experiment=experiment, kind=RecommendationEvent.Kind.IMPRESSION)
        .values_list("arm", "user_id", "visitor")
        .distinct()
    ):
        shown[arm].add(shopper_key(user_id, visitor))
    views = ProductView.objects.filter(source=f"rec:{experiment.slot}", created_at__gte=experiment.started_at)
    if experiment.ended_at:
        views = views.filter(created_at__lt=experiment.ended_at)
    for user_id, visitor in views.values_list("user_id", "visitor").iterator():
        arms[arm_of(experiment, shopper_key(user_id, visitor))]["clicks"] += 1
    for arm, figures in arms.items():
        figures["shoppers"] = len(shown[arm])
        n = figures["impressions"]
        figures["ctr"] = figures["clicks"] / n if n else 0.0
        figures["conversion"] = figures["purchases"] / n if n else 0.0
    a, b = arms["A"], arms["B"]
    return {
        "arms": arms,
        "ctr_lift": rate_lift(a["clicks"], a["impressions"], b["clicks"], b["impressions"]),
        "conversion_lift": rate_lift(a["purchases"], a["impressions"], b["purchases"], b["impressions"]),
    }
