from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Amount off"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    code = models.CharField(max_length=40, unique=True, help_text="Customers type it; not case-sensitive.")
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Percent (e.g. 10) or an amount in SGD; ignored for free shipping.",
    )
    min_spend = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uses in total; empty for no limit."
    )
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True, default=1)
    times_used = models.PositiveIntegerField(default=0)
    stackable = models.BooleanField(default=False, help_text="May be combined with other stackable coupons.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupon_code_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(times_used__lte=models.F("usage_limit")),
                name="coupon_used_within_limit",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100), name="coupon_percent_lte_100"
            ),
        ]

    def __str__(self):
        return self.code


class CouponRedemption(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="coupon_redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coupon_redemptions",
        null=True,
        blank=True,
    )
    # A per-customer limit counts uses by account and by email, so a guest cannot use a
    # once-per-customer coupon again and again, nor first as a guest and then signed in.
    email = models.EmailField(blank=True, default="")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["coupon", "order"], name="coupon_once_per_order")]
        indexes = [
            models.Index(fields=["coupon", "user"], name="redemption_coupon_user"),
            models.Index(fields=["coupon", "email"], name="redemption_coupon_email"),
        ]

    def __str__(self):
        return f"{self.coupon_id} on order {self.order_id}"
