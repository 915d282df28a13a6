"""Loyalty history for the demo shop: a rewards catalog, and for every demo
customer the welcome bonus, the points earned on their paid orders (with the
tier they had at the time) and review bonuses, written to the ledger in bulk."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from auroramart.catalog.models import ProductReview
from auroramart.loyalty.models import LoyaltyAccount, LoyaltyReward, LoyaltyTier, LoyaltyTransaction
from auroramart.loyalty.services import backfill_accounts, points_for, tier_for
from auroramart.orders.models import STANDING_STATUSES, Order

REWARDS = [
    ("S$5 off", "Take S$5 off your order.", "amount_off", Decimal("5"), 500, None),
    (
        "Free delivery",
        "Free standard or express delivery on one order.",
        "free_shipping",
        Decimal("0"),
        300,
        None,
    ),
    ("10% off", "10% off the merchandise of one order.", "percent_off", Decimal("10"), 1500, "Silver"),
    ("S$25 off", "Take S$25 off your order.", "amount_off", Decimal("25"), 2500, "Gold"),
]
EARNING = STANDING_STATUSES


def ensure_rewards() -> int:
    tiers = {t.name: t for t in LoyaltyTier.objects.all()}
    created = 0
    for name, description, kind, value, cost, tier in REWARDS:
        _, made = LoyaltyReward.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "kind": kind,
                "value": value,
                "point_cost": cost,
                "min_tier": tiers.get(tier) if tier else None,
            },
        )
        created += made
    return created


@transaction.atomic
def generate_loyalty() -> dict:
    ensure_rewards()
    backfill_accounts()
    tiers = list(LoyaltyTier.objects.order_by("threshold"))
    accounts = {a.user_id: a for a in LoyaltyAccount.objects.select_related("tier")}
    already = set(LoyaltyTransaction.objects.filter(kind="earn").values_list("account_id", "order_id"))
    rewarded = set(
        LoyaltyTransaction.objects.filter(kind="bonus", review__isnull=False).values_list(
            "review_id", flat=True
        )
    )
    welcomed = set(
        LoyaltyTransaction.objects.filter(kind="bonus", reason="Welcome bonus").values_list(
            "account_id", flat=True
        )
    )

    events: dict[int, list] = {}
    for user_id, joined in LoyaltyAccount.objects.values_list("user_id", "user__date_joined"):
        if accounts[user_id].pk not in welcomed and settings.LOYALTY_SIGNUP_BONUS:
            events.setdefault(user_id, []).append((joined, "welcome", None))
    orders = Order.objects.filter(status__in=EARNING, user_id__in=list(accounts)).values_list(
        "user_id", "paid_at", "pk", "number", "subtotal", "discount_total"
    )
    for user_id, paid_at, pk, number, subtotal, discount in orders:
        if (accounts[user_id].pk, pk) not in already:
            events.setdefault(user_id, []).append((paid_at, "order", (pk, number, subtotal - discount)))
    reviews = ProductReview.objects.filter(status="approved", user_id__in=list(accounts)).values_list(
        "user_id", "created_at", "pk"
    )
    for user_id, created, pk in reviews:
        if pk not in rewarded and settings.LOYALTY_REVIEW_BONUS:
            events.setdefault(user_id, []).append((created, "review", pk))

    rows, changed = [], []
    for user_id, items in events.items():
        account = accounts[user_id]
        last_activity = account.last_activity_at
        for when, what, data in sorted(items, key=lambda e: (e[0], e[1])):
            if what == "welcome":
                kind, points, links = "bonus", settings.LOYALTY_SIGNUP_BONUS, {"reason": "Welcome bonus"}
            elif what == "review":
                kind, points, links = (
                    "bonus",
                    settings.LOYALTY_REVIEW_BONUS,
                    {"review_id": data, "reason": "Review bonus"},
                )
            else:
                order_id, number, merchandise = data
                kind = "earn"
                points = points_for(merchandise, account.tier.multiplier)
                links = {"order_id": order_id, "order_number": number, "reason": f"Order {number}"}
                account.qualifying_points += points
                account.tier = tier_for(account.qualifying_points, tiers)
            if points <= 0:
                continue
            account.balance += points
            last_activity = when
            rows.append(
                LoyaltyTransaction(
                    account=account,
                    kind=kind,
                    points=points,
                    balance_after=account.balance,
                    created_at=when,
                    **links,
                )
            )
        account.last_activity_at = last_activity
        changed.append(account)
    LoyaltyTransaction.objects.bulk_create(rows, batch_size=5000)
    LoyaltyAccount.objects.bulk_update(
        changed, ["balance", "qualifying_points", "tier", "last_activity_at"], batch_size=2000
    )
    return {"accounts": len(accounts), "transactions": len(rows)}
