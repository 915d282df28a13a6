"""The loyalty program. Every change of points is a row in the ledger written
with the account row locked; the stored balance moves with it and a
CheckConstraint keeps it from going below zero.

Rules (see README): 1 point per S$1 of merchandise after discounts (tax and
shipping excluded) times the tier's multiplier, credited when the order is
paid and reversed in proportion on cancellation, return and refund; bonuses
for sign-up and for an approved review (once per product); 100 points = S$1
at checkout, spent only when the order is placed; points expire after 12
months without earning or redeeming.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from auroramart.accounts.models import Notification, User
from auroramart.accounts.services import notify
from auroramart.core import rows
from auroramart.core.client import Actor, as_actor
from auroramart.core.money import format_money
from auroramart.core.outbox import queue_email
from auroramart.staff.services import actor_user, diff, record_audit, snapshot

from . import selectors
from .defaults import ensure_tiers
from .models import LoyaltyAccount, LoyaltyReward, LoyaltyTier, LoyaltyTransaction

# What staff set on a reward (the panel's form uses the same list).
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

K = LoyaltyTransaction.Kind
ACTIVITY = (K.EARN, K.BONUS, K.REDEEM)  # earning or redeeming keeps points from expiring


class LoyaltyError(Exception):
    """Why points or a reward cannot be used, in words for the customer."""


def base_tier() -> LoyaltyTier:
    tier = LoyaltyTier.objects.order_by("threshold").first()
    if tier is None:  # the tiers were never set up (or were removed): restore the defaults
        ensure_tiers(LoyaltyTier)
        tier = LoyaltyTier.objects.order_by("threshold").first()
    assert tier is not None  # ensure_tiers just made them
    return tier


def tier_for(qualifying: int, tiers: list[LoyaltyTier] | None = None) -> LoyaltyTier:
    tiers = tiers if tiers is not None else selectors.tiers() or [base_tier()]
    chosen = tiers[0]
    for tier in tiers:
        if qualifying >= tier.threshold:
            chosen = tier
    return chosen


def account_for(user) -> LoyaltyAccount:
    account = LoyaltyAccount.objects.select_related("tier").filter(user=user).first()
    if account is None:
        account, _ = LoyaltyAccount.objects.get_or_create(user=user, defaults={"tier": base_tier()})
    return account


def _locked(user) -> LoyaltyAccount:
    """The customer's account, locked until the transaction ends, with its tier (the held
    tiers' own: every paid order locks one, and the ORM's locking join cost more to build than
    to run, #23)."""
    found = rows.locked(LoyaltyAccount, user_id=user.pk)
    if not found:  # none yet: opened first, then locked
        account_for(user)
        found = rows.locked(LoyaltyAccount, user_id=user.pk)
    account = found[0]
    held = next((tier for tier in selectors.tiers() if tier.pk == account.tier_id), None)
    account.tier = held or LoyaltyTier.objects.get(pk=account.tier_id)
    return account


def _post(
    account: LoyaltyAccount, kind: str, points: int, *, qualifying: int = 0, once: bool = False, **links
) -> LoyaltyTransaction | None:
    """Write one ledger row and move the balance with it; the account must be locked. With
    `once`, a row a unique constraint already holds (an order's earn) is not written again and
    the balance does not move: None, as for zero points."""
    if points == 0:
        return None
    if account.balance + points < 0:
        raise LoyaltyError(f"You have {account.balance} points; this needs {-points}.")
    # The ledger row first: the account is locked, so its balance as read is the balance, and
    # the row's balance_after is known before the account is written.
    values = {"account": account, "kind": kind, "points": points, "balance_after": account.balance + points}
    if once:
        tx = rows.create_unless_taken(LoyaltyTransaction, **values, **links)
        if tx is None:
            return None
    else:
        tx = rows.create(LoyaltyTransaction, **values, **links)
    account.balance += points
    changed = ["balance"]
    if qualifying:
        account.qualifying_points = max(0, account.qualifying_points + qualifying)
        changed.append("qualifying_points")
    if kind in ACTIVITY:
        account.last_activity_at, account.expiry_warned_at = timezone.now(), None
        changed += ["last_activity_at", "expiry_warned_at"]
    rows.update(account, changed)  # one constant statement (#23)
    if qualifying:
        _retier(account)
    return tx


def _retier(account: LoyaltyAccount) -> None:
    tier = tier_for(account.qualifying_points)
    if tier.pk == account.tier_id:
        return
    went_up = tier.threshold > account.tier.threshold
    account.tier = tier
    LoyaltyAccount.objects.filter(pk=account.pk).update(tier=tier)
    if went_up:
        notify(
            user=account.user,
            kind=Notification.Kind.TIER,
            title=f"Welcome to {tier.name}!",
            body=f"You now earn {tier.multiplier}× points. {tier.perks}".strip(),
            url="/loyalty/",
        )


# --- earning -------------------------------------------------------------------------


@transaction.atomic
def open_account(user) -> LoyaltyAccount:
    """Registration step: every customer gets an account and the sign-up bonus."""
    account = _locked(user)
    if (
        settings.LOYALTY_SIGNUP_BONUS
        and not account.transactions.filter(kind=K.BONUS, reason="Welcome bonus").exists()
    ):
        _post(account, K.BONUS, settings.LOYALTY_SIGNUP_BONUS, reason="Welcome bonus")
    return account


def points_for(merchandise: Decimal, multiplier: Decimal) -> int:
    dollars = math.floor(max(Decimal("0"), merchandise))
    return int(math.floor(dollars * settings.LOYALTY_POINTS_PER_DOLLAR * multiplier))


def earn_for_order(*, order) -> LoyaltyTransaction | None:
    """Paid step: credit points on the merchandise after discounts (no tax, no shipping). A
    guest's order earns when the guest makes an account (earn_for_claimed_orders)."""
    if order.user_id is None or order.user.is_staff:
        return None
    account = _locked(order.user)
    points = points_for(order.merchandise_after_discounts, account.tier.multiplier)
    tx = _post(
        account,
        K.EARN,
        points,
        qualifying=points,
        once=True,  # earned already (a payment confirmed twice): nothing written (one_earn_per_order)
        order=order,
        order_number=order.number,
        reason=f"Order {order.number}",
    )
    if tx:
        notify(
            user=order.user,
            kind=Notification.Kind.LOYALTY,
            title=f"You earned {points} points",
            body=f"For order {order.number}.",
            url="/loyalty/",
        )
    return tx


def earn_for_claimed_orders(*, user, orders) -> int:
    """A guest made an account: their attached orders that still stand and were placed within
    GUEST_POINTS_CLAIM_DAYS earn their points now, once each. Returns the points granted."""
    from auroramart.orders.models import STANDING_STATUSES

    since = timezone.now() - timedelta(days=settings.GUEST_POINTS_CLAIM_DAYS)
    granted = 0
    for order in sorted(orders, key=lambda o: o.pk):
        if order.status in STANDING_STATUSES and order.placed_at >= since:
            order.user = user
            tx = earn_for_order(order=order)
            granted += tx.points if tx else 0
    return granted


def review_bonus(*, review) -> LoyaltyTransaction | None:
    """Bonus for an approved review, once per product (one review per product per customer)."""
    if not settings.LOYALTY_REVIEW_BONUS or review.user.is_staff or not review.user.is_active:
        return None
    account = _locked(review.user)
    if account.transactions.filter(kind=K.BONUS, review__product_id=review.product_id).exists():
        return None
    return _post(account, K.BONUS, settings.LOYALTY_REVIEW_BONUS, review=review, reason="Review bonus")


def adjust(*, user, points: int, actor, reason: str) -> LoyaltyTransaction | None:
    """A manual adjustment by staff, with its reason in the ledger and the audit log."""
    if not reason.strip():
        raise LoyaltyError("An adjustment needs a reason.")
    actor = as_actor(actor)
    with transaction.atomic():
        account = _locked(user)
        before = account.balance
        tx = _post(account, K.ADJUST, points, actor=actor_user(actor), reason=reason)
        record_audit(actor, "adjust_points", user, changes={"points": [before, account.balance]})
        return tx


@transaction.atomic
def create_reward(*, data: dict, actor: Actor | None) -> LoyaltyReward:
    """A reward members can spend points on, from validated data (REWARD_FIELDS)."""
    reward = LoyaltyReward.objects.create(**{k: v for k, v in data.items() if k in REWARD_FIELDS})
    record_audit(
        actor, "create", reward, changes={k: [None, v] for k, v in snapshot(reward, REWARD_FIELDS).items()}
    )
    return reward


@transaction.atomic
def update_tier(*, tier: LoyaltyTier, threshold: int, multiplier: Decimal, perks: str, actor: Actor | None):
    if threshold < 0 or not Decimal("1") <= multiplier <= Decimal("5"):
        raise LoyaltyError("The threshold is a whole number of points; the multiplier between 1 and 5.")
    tier = LoyaltyTier.objects.select_for_update().get(pk=tier.pk)
    fields = ["threshold", "multiplier", "perks"]
    before = snapshot(tier, fields)
    tier.threshold, tier.multiplier, tier.perks = threshold, multiplier, perks[:1000]
    tier.save()
    record_audit(actor, "update", tier, changes=diff(before, snapshot(tier, fields)))
    return tier


# --- redemption ----------------------------------------------------------------------


def check_points(user, points) -> int:
    """Validate an amount of points to apply: whole, positive, in whole dollars, within the balance."""
    try:
        points = int(str(points).strip())
    except (TypeError, ValueError):
        raise LoyaltyError("Enter the points as a whole number.") from None
    if points <= 0:
        raise LoyaltyError("Enter a positive number of points.")
    per_dollar = settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR
    if points % per_dollar:
        raise LoyaltyError(f"Points are used in whole dollars: multiples of {per_dollar}.")
    balance = account_for(user).balance
    if points > balance:
        raise LoyaltyError(f"You have {balance} points; you cannot use {points}.")
    return points


def check_reward(user, reward: LoyaltyReward, now=None) -> None:
    now = now or timezone.now()
    account = account_for(user)
    if (
        not reward.is_active
        or (reward.starts_at and now < reward.starts_at)
        or (reward.ends_at and now >= reward.ends_at)
    ):
        raise LoyaltyError(f"The reward “{reward.name}” is not available now.")
    if reward.min_tier and account.tier.threshold < reward.min_tier.threshold:
        raise LoyaltyError(f"The reward “{reward.name}” is for {reward.min_tier.name} members and above.")
    if reward.usage_limit is not None and reward.times_used >= reward.usage_limit:
        raise LoyaltyError(f"The reward “{reward.name}” has run out.")
    if reward.per_customer_limit is not None:
        used = account.transactions.filter(kind=K.REDEEM, reward=reward).count()
        if used >= reward.per_customer_limit:
            raise LoyaltyError(f"You have already used the reward “{reward.name}”.")
    if account.balance < reward.point_cost:
        raise LoyaltyError(f"The reward needs {reward.point_cost} points; you have {account.balance}.")


def pricing_choice(cart, user) -> dict:
    """Pricing provider: the points or reward the customer chose for this cart, as far as still valid."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_staff:
        return {}
    choice = cart.discount()
    if not choice:
        return {}
    if choice["kind"] == "points":
        return {"points": min(choice["points"], account_for(user).balance)}
    reward = LoyaltyReward.objects.filter(pk=choice.get("reward_id")).first()
    if reward is None:
        return {}
    try:
        check_reward(user, reward)
    except LoyaltyError:
        return {}
    return {"reward": reward}


def spend_for_order(*, order, summary, user) -> None:
    """Placement step, inside the placement transaction: take the points now, with the account locked.

    Two orders racing for the same points cannot both spend them: the second
    waits for the lock, then finds the balance too low and its order fails.
    """
    from auroramart.orders.services import CheckoutError

    if not summary.points and summary.reward is None:
        return
    account = _locked(user)
    try:
        if summary.reward is not None:
            reward = LoyaltyReward.objects.select_for_update().get(pk=summary.reward.pk)
            check_reward(user, reward)
            LoyaltyReward.objects.filter(pk=reward.pk).update(times_used=F("times_used") + 1)
            _post(
                account,
                K.REDEEM,
                -reward.point_cost,
                order=order,
                order_number=order.number,
                reward=reward,
                reason=f"Reward “{reward.name}” on order {order.number}",
            )
        if summary.points:
            _post(
                account,
                K.REDEEM,
                -summary.points,
                order=order,
                order_number=order.number,
                reason=f"Points on order {order.number}",
            )
    except LoyaltyError as exc:
        raise CheckoutError(f"Your loyalty points changed: {exc} Please review your order.") from None


def release_for_order(*, order) -> None:
    """Undo step (payment failed): give back what the order redeemed."""
    spent = list(LoyaltyTransaction.objects.filter(order=order, kind=K.REDEEM))
    if not spent:
        return
    account = _locked(order.user)
    for tx in spent:
        if tx.reward_id:
            LoyaltyReward.objects.filter(pk=tx.reward_id, times_used__gt=0).update(
                times_used=F("times_used") - 1
            )
        _post(
            account,
            K.REVERSE,
            -tx.points,
            order_number=order.number,
            reward_id=tx.reward_id,
            reason=f"Payment failed for order {order.number}: points returned",
        )


def reverse_for_order(*, order, fraction, reason: str, spent_fraction=None) -> None:
    """Cancellation, return or refund: take back that share of the points earned and give
    back `spent_fraction` (or that same share) of the points spent. Shares are cumulative, so
    each partial return posts only the difference. A reversal never takes more than the balance."""
    txs = LoyaltyTransaction.objects.filter(order=order)
    earned = sum(t.points for t in txs if t.kind == K.EARN)
    # A campaign's bonus for this order goes back with it, but never counted towards the tier.
    bonus = sum(t.points for t in txs if t.kind == K.BONUS)
    already_reversed = -sum(t.points for t in txs if t.kind == K.REVERSE and t.points < 0)
    spent = -sum(t.points for t in txs if t.kind == K.REDEEM)
    already_returned = sum(t.points for t in txs if t.kind == K.REVERSE and t.points > 0)
    if not earned and not bonus and not spent:
        return
    account = _locked(order.user)
    take = min(int((earned + bonus) * fraction) - already_reversed, account.balance)
    if take > 0:
        _post(
            account,
            K.REVERSE,
            -take,
            qualifying=-(take * earned // (earned + bonus)),
            order=order,
            order_number=order.number,
            reason=f"Order {order.number}: {reason}",
        )
    give = int(spent * (fraction if spent_fraction is None else spent_fraction)) - already_returned
    if give > 0:
        _post(
            account,
            K.REVERSE,
            give,
            order=order,
            order_number=order.number,
            reason=f"Order {order.number}: {reason}, points returned",
        )


# --- expiry --------------------------------------------------------------------------


def expire_points(now=None) -> dict[str, int]:
    """Expire the points of accounts with no earning or redeeming for 12 months, and warn
    30 days ahead. Safe to run twice: an expired account has nothing left to expire."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LOYALTY_EXPIRY_DAYS)
    warn_from = cutoff + timedelta(days=settings.LOYALTY_EXPIRY_WARNING_DAYS)
    outcome = {"expired": 0, "warned": 0}
    stale = LoyaltyAccount.objects.filter(balance__gt=0).filter(
        Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
    )
    for account_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            account = (
                LoyaltyAccount.objects.select_for_update().select_related("tier", "user").get(pk=account_id)
            )
            if account.balance > 0:
                _post(account, K.EXPIRE, -account.balance, reason="No earning or redeeming for 12 months")
                outcome["expired"] += 1
    warn = LoyaltyAccount.objects.filter(
        balance__gt=0,
        expiry_warned_at__isnull=True,
        last_activity_at__lt=warn_from,
        last_activity_at__gte=cutoff,
    ).select_related("user")
    for account in warn:
        assert account.last_activity_at is not None  # filtered on it above
        expires = account.last_activity_at + timedelta(days=settings.LOYALTY_EXPIRY_DAYS)
        title = f"Your {account.balance} points expire on {timezone.localtime(expires):%d %b %Y}"
        notify(
            user=account.user,
            kind=Notification.Kind.LOYALTY,
            title=title,
            body="Earn or use points before then to keep them.",
            url="/loyalty/",
        )
        if account.user.is_active:
            queue_email(
                to=account.user.email,
                subject=title,
                body=(
                    f"Your {account.balance} {settings.SHOP_NAME} points expire on "
                    f"{timezone.localtime(expires):%d %b %Y}. Earn or use points before then to keep them: "
                    f"they are worth {format_money(points_value(account.balance))} "
                    f"off your next order.\n\nSee your points:\n{settings.SITE_URL}/loyalty/"
                ),
            )
        LoyaltyAccount.objects.filter(pk=account.pk).update(expiry_warned_at=now)
        outcome["warned"] += 1
    return outcome


def backfill_accounts() -> int:
    """Accounts for customers who have none (used by the data migration's twin and sample data)."""
    tier = base_tier()
    missing = User.objects.filter(is_staff=False, loyalty__isnull=True).values_list("pk", flat=True)
    accounts = [LoyaltyAccount(user_id=pk, tier=tier) for pk in missing]
    LoyaltyAccount.objects.bulk_create(accounts, batch_size=2000)
    return len(accounts)


def apply_points_to_cart(user, cart, points) -> str:
    """Put points on the customer's cart as its loyalty discount (never more than
    the order needs); returns what was done, in words. Raises LoyaltyError."""
    from auroramart.cart.selectors import cart_summary

    points = check_points(user, points)
    cart.set_discount({"kind": "points", "points": points, "reward_id": None})
    summary = cart_summary(cart, user=user)
    if summary.points < points:
        cart.set_discount({"kind": "points", "points": summary.points, "reward_id": None})
        return f"{summary.points} points applied: that covers the whole order."
    return f"{points} points applied ({format_money(points_value(points))} off)."


def points_value(points: int) -> Decimal:
    """What points are worth at checkout, in whole dollars (LOYALTY_REDEEM_POINTS_PER_DOLLAR)."""
    return Decimal(points // settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR)


def apply_reward_to_cart(user, cart, reward_id) -> str:
    reward = LoyaltyReward.objects.filter(pk=reward_id).first()
    if reward is None:
        raise LoyaltyError("That reward does not exist.")
    check_reward(user, reward)
    cart.set_discount({"kind": "reward", "points": 0, "reward_id": reward.pk})
    return f"Reward “{reward.name}” applied."


@transaction.atomic
def order_bonus(*, order, points: int, reason: str) -> LoyaltyTransaction | None:
    """Bonus points for an order (a campaign's offer), credited once per order and reason."""
    if points <= 0 or order.user.is_staff:
        return None
    account = _locked(order.user)
    if account.transactions.filter(kind=K.BONUS, order=order, reason=reason[:255]).exists():
        return None
    return _post(account, K.BONUS, points, order=order, order_number=order.number, reason=reason[:255])
