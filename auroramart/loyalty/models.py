from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from auroramart.core.money import quantize


class LoyaltyTier(models.Model):
    name = models.CharField(max_length=40, unique=True)
    threshold = models.PositiveIntegerField(
        help_text="Points earned in all (qualifying points) to reach this tier."
    )
    multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1.00"))
    perks = models.TextField(blank=True)
    colour = models.CharField(max_length=20, default="neutral")

    class Meta:
        ordering = ["threshold"]

    def __str__(self):
        return self.name


class LoyaltyAccount(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loyalty")
    # Kept for speed; always equal to the sum of the account's transactions.
    balance = models.IntegerField(default=0)
    # Points earned in all, less reversals: decides the tier.
    qualifying_points = models.IntegerField(default=0)
    tier = models.ForeignKey(LoyaltyTier, on_delete=models.PROTECT, related_name="accounts")
    last_activity_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="loyalty_balance_gte_0"),
            models.CheckConstraint(
                condition=models.Q(qualifying_points__gte=0), name="loyalty_qualifying_gte_0"
            ),
        ]
        indexes = [models.Index(fields=["last_activity_at"], name="loyalty_activity")]

    def __str__(self):
        return f"{self.user_id}: {self.balance} points ({self.tier_id})"


class LoyaltyReward(models.Model):
    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", "Amount off"
        PERCENT_OFF = "percent_off", "Percent off"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    point_cost = models.PositiveIntegerField()
    min_tier = models.ForeignKey(
        LoyaltyTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    times_used = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["point_cost"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(times_used__lte=models.F("usage_limit")),
                name="reward_used_within_limit",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="percent_off") | models.Q(value__lte=100),
                name="reward_percent_lte_100",
            ),
        ]

    def __str__(self):
        return self.name

    def discount_for(self, merchandise: Decimal) -> tuple[Decimal, bool]:
        """(amount taken off the merchandise, whether delivery is free)."""
        if self.kind == self.Kind.FREE_SHIPPING:
            return Decimal("0.00"), True
        if self.kind == self.Kind.PERCENT_OFF:
            return min(merchandise, quantize(merchandise * self.value / 100)), False
        return min(merchandise, quantize(self.value)), False


class LoyaltyTransaction(models.Model):
    """The points ledger, append-only: the balance is the sum of `points`."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        BONUS = "bonus", "Bonus"
        REDEEM = "redeem", "Redeemed"
        EXPIRE = "expire", "Expired"
        ADJUST = "adjust", "Adjustment"
        REVERSE = "reverse", "Reversed"

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.IntegerField()
    balance_after = models.IntegerField()
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order_number = models.CharField(max_length=32, blank=True)
    review = models.ForeignKey(
        "catalog.ProductReview", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reward = models.ForeignKey(
        LoyaltyReward, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="loyalty_tx_account")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points=0), name="loyalty_tx_not_zero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="loyalty_tx_balance_gte_0"),
            models.UniqueConstraint(
                fields=["account", "review"],
                condition=models.Q(kind="bonus", review__isnull=False),
                name="one_review_bonus",
            ),
            # An order earns once, however often its payment is confirmed: the ledger refuses a
            # second earn, and earning relies on it instead of looking first (services.earn_for_order).
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(kind="earn", order__isnull=False),
                name="one_earn_per_order",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"
