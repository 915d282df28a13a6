"""Daily rollups, as in the original design. The dashboards read these, never
the raw order tables; `rollup_analytics` rebuilds any day from the raw data,
so running it twice gives the same rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CartAddition(models.Model):
    """One add-to-cart, for the funnel (the cart itself keeps no history)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    visitor = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.quantity} × product {self.product_id}"


class BusinessMetrics(models.Model):
    date = models.DateField(unique=True)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunds = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    average_order_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    new_customers = models.PositiveIntegerField(default=0, help_text="first paid order that day")
    returning_customers = models.PositiveIntegerField(default=0)
    signups = models.PositiveIntegerField(default=0)
    sessions_with_view = models.PositiveIntegerField(default=0)
    sessions_with_cart = models.PositiveIntegerField(default=0)
    conversion = models.FloatField(default=0, help_text="orders / sessions with a product view")
    multi_item_orders = models.PositiveIntegerField(default=0)
    attach_rate = models.FloatField(default=0, help_text="share of orders with 2+ different products")
    status_counts = models.JSONField(default=dict, help_text="orders placed that day, by current status")
    tier_counts = models.JSONField(default=dict, help_text="loyalty accounts per tier when rolled up")
    rolled_up_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name_plural = "business metrics"

    def __str__(self):
        return f"business {self.date}"


class ProductAnalytics(models.Model):
    date = models.DateField()
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("catalog.Category", null=True, on_delete=models.SET_NULL, related_name="+")
    views = models.PositiveIntegerField(default=0)
    add_to_carts = models.PositiveIntegerField(default=0)
    purchases = models.PositiveIntegerField(default=0, help_text="units sold")
    orders = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    conversion = models.FloatField(default=0, help_text="orders / views")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["date", "product"], name="product_analytics_day")]
        indexes = [models.Index(fields=["date", "category"], name="product_analytics_cat")]
        verbose_name_plural = "product analytics"

    def __str__(self):
        return f"product {self.product_id} {self.date}"


class CustomerAnalytics(models.Model):
    """RFM per customer as of the last rollup (one row each, replaced every run)."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", "Champions"
        LOYAL = "loyal", "Loyal"
        NEW = "new", "New"
        PROMISING = "promising", "Promising"
        AT_RISK = "at_risk", "At risk"
        LOST = "lost", "Lost"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analytics")
    as_of = models.DateField()
    first_order_at = models.DateTimeField()
    last_order_at = models.DateTimeField()
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary = models.DecimalField(max_digits=14, decimal_places=2, help_text="spend in the last 365 days")
    lifetime_value = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="all paid spend less refunds"
    )
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=20, choices=Segment.choices, db_index=True)

    class Meta:
        verbose_name_plural = "customer analytics"

    def __str__(self):
        return f"{self.user_id}: {self.segment}"


class MarketingAnalytics(models.Model):
    """Per coupon (and campaign) per day: uses, revenue of the orders, what the discount cost."""

    date = models.DateField()
    kind = models.CharField(max_length=20, default="coupon")
    key = models.CharField(max_length=60, help_text="coupon code or campaign id")
    name = models.CharField(max_length=200, blank=True)
    reach = models.PositiveIntegerField(default=0, help_text="messages sent (reminders, campaign emails)")
    uses = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    discount_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["date", "kind", "key"], name="marketing_analytics_day")
        ]
        verbose_name_plural = "marketing analytics"

    def __str__(self):
        return f"{self.kind} {self.key} {self.date}"
