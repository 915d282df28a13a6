from django.db.models import Q, Sum
from django.utils import timezone

from .models import LoyaltyReward, LoyaltyTier, LoyaltyTransaction


def available_rewards(account, now=None):
    """Rewards the customer can see now: active, in their window, their tier or below."""
    now = now or timezone.now()
    return (
        LoyaltyReward.objects.filter(is_active=True)
        .filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
        .filter(Q(min_tier__isnull=True) | Q(min_tier__threshold__lte=account.tier.threshold))
        .select_related("min_tier")
        .order_by("point_cost")
    )


def history(account):
    return LoyaltyTransaction.objects.filter(account=account).select_related(
        "order", "review__product", "reward"
    )


def progress(account) -> dict:
    tiers = list(LoyaltyTier.objects.order_by("threshold"))
    following = next((t for t in tiers if t.threshold > account.tier.threshold), None)
    if following is None:
        return {"tiers": tiers, "next": None, "percent": 100, "needed": 0}
    span = following.threshold - account.tier.threshold
    done = account.qualifying_points - account.tier.threshold
    return {
        "tiers": tiers,
        "next": following,
        "percent": max(0, min(100, round(100 * done / span))) if span else 100,
        "needed": max(0, following.threshold - account.qualifying_points),
    }


def order_points(order) -> list[dict]:
    """Points earned, spent and reversed for one order, by kind (amounts as positive numbers)."""
    rows = (
        LoyaltyTransaction.objects.filter(order=order)
        .values("kind")
        .annotate(points=Sum("points"))
        .order_by("kind")
    )
    return [{**row, "amount": abs(row["points"])} for row in rows]


def balance_mismatches() -> list[tuple[int, int, int]]:
    """(user id, stored balance, ledger sum) for every account whose balance is not its ledger."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from .models import LoyaltyAccount

    return list(
        LoyaltyAccount.objects.annotate(ledger=Coalesce(Sum("transactions__points"), 0))
        .exclude(balance=F("ledger"))
        .values_list("user_id", "balance", "ledger")
    )
