import functools
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Sum
from django.utils import timezone

from auroramart.core.held import HeldSetting

from .models import LoyaltyAccount, LoyaltyReward, LoyaltyTier, LoyaltyTransaction

REWARDS_KEY = "loyalty:rewards:v1"


def available_rewards(account, now=None) -> list[LoyaltyReward]:
    """Rewards the customer can see now: active, in their window, their tier or below."""
    return rewards_for_tier(account.tier.threshold, now)


def rewards_for_tier(threshold: int, now=None) -> list[LoyaltyReward]:
    """Active rewards in their window, for a customer whose tier starts at `threshold`."""
    now = now or timezone.now()
    return [
        reward
        for reward in active_rewards()
        if (reward.starts_at is None or reward.starts_at <= now)
        and (reward.ends_at is None or reward.ends_at > now)
        and (reward.min_tier is None or reward.min_tier.threshold <= threshold)
    ]


def active_rewards() -> list[LoyaltyReward]:
    """Every active reward with its tier, cheapest first, held until a reward or a tier is
    saved (loyalty/apps.py): the cart page shows them to every customer on every view.
    A reward is read afresh, and checked, when it is applied and when an order spends it."""
    return _rewards.get()


def forget_rewards() -> None:
    _rewards.forget()


def tiers() -> list[LoyaltyTier]:
    """The tiers, lowest first, held until a tier is saved (loyalty/apps.py): every paid order
    checks which tier its points reach."""
    return _tiers.get()


def forget_tiers() -> None:
    _tiers.forget()


_tiers = HeldSetting("loyalty:tiers:v1", lambda: list(LoyaltyTier.objects.order_by("threshold")))


_rewards = HeldSetting(
    REWARDS_KEY,
    lambda: list(
        LoyaltyReward.objects.filter(is_active=True).select_related("min_tier").order_by("point_cost")
    ),
)


@dataclass(frozen=True)
class Standing:
    """What the cart's loyalty box shows of a customer's account."""

    balance: int
    tier_name: str
    tier_threshold: int


def standing(user) -> Standing | None:
    """A customer's balance and tier in one statement (the cart page shows them on every
    view; through the ORM, building the query cost several times running it, #23), or None
    while they have no account yet."""
    with connections[router.db_for_read(LoyaltyAccount)].cursor() as cursor:
        cursor.execute(_standing_sql(), [user.pk])
        row = cursor.fetchone()
    return Standing(int(row[0]), row[1], int(row[2])) if row else None


@functools.cache
def _standing_sql() -> str:
    account, tier = LoyaltyAccount._meta, LoyaltyTier._meta
    return STANDING_SQL.format(
        account=account.db_table,
        balance=account.get_field("balance").column,
        account_tier=account.get_field("tier").column,
        account_user=account.get_field("user").column,
        tier=tier.db_table,
        tier_id=tier.pk.column,
        name=tier.get_field("name").column,
        threshold=tier.get_field("threshold").column,
    )


STANDING_SQL = (
    "SELECT a.{balance}, t.{name}, t.{threshold} FROM {account} a"
    " JOIN {tier} t ON t.{tier_id} = a.{account_tier} WHERE a.{account_user} = %s"
)


def history(account):
    return LoyaltyTransaction.objects.filter(account=account).select_related(
        "order", "review__product", "reward"
    )


def progress(account) -> dict:
    every = tiers()
    following = next((t for t in every if t.threshold > account.tier.threshold), None)
    if following is None:
        return {"tiers": every, "next": None, "percent": 100, "needed": 0}
    span = following.threshold - account.tier.threshold
    done = account.qualifying_points - account.tier.threshold
    return {
        "tiers": every,
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
