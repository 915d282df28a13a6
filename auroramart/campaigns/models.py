from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Campaign(models.Model):
    """A targeted promotion: who (audience filters), what (a coupon or bonus points),
    where (banner, notification, email), when; measured against a holdout."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHED = "launched", "Launched"
        ENDED = "ended", "Ended"

    class Offer(models.TextChoices):
        NONE = "none", "No offer (message only)"
        COUPON = "coupon", "A coupon for this campaign"
        POINTS = "points", "Bonus points on a category"

    name = models.CharField(max_length=120)
    goal = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.JSONField(default=dict, blank=True, help_text="the filters; see campaigns.audience")
    holdout_percent = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    offer = models.CharField(max_length=10, choices=Offer.choices, default=Offer.NONE)
    coupon = models.OneToOneField(
        "promotions.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="campaign"
    )
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    points_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("2"))
    points_category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel_banner = models.BooleanField(default=True)
    channel_notification = models.BooleanField(default=False)
    channel_email = models.BooleanField(default=False)
    headline = models.CharField(max_length=120)
    message = models.TextField(max_length=1000)
    link = models.CharField(max_length=200, default="/item/", help_text="where the banner and messages lead")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    launched_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name


class CampaignMember(models.Model):
    """One customer of a launched campaign's audience, in the target group or the holdout."""

    class Group(models.TextChoices):
        TARGET = "target", "Target"
        HOLDOUT = "holdout", "Holdout"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    group = models.CharField(max_length=8, choices=Group.choices)
    opted_in = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    banner_views = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="campaign_member_once")]
        indexes = [models.Index(fields=["user", "group"], name="campaign_member_user")]

    def __str__(self):
        return f"{self.user_id} in {self.campaign_id} ({self.group})"


class CartReminder(models.Model):
    """An email reminding a customer of the cart they left (campaigns/abandoned_carts.py): the
    first after ABANDONED_CART_HOURS idle, an optional second with a one-use coupon. Each is
    sent once per spell of idleness (the cart's last change), and credited with the order that
    followed it, for the analytics."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cart_reminders",
        null=True,
        blank=True,
    )
    # A guest's reminder: the email they gave at checkout, and their session's cart.
    email = models.EmailField(blank=True, default="")
    session_key = models.CharField(max_length=40, blank=True, default="")
    step = models.PositiveSmallIntegerField()  # 1: the reminder; 2: the second, with a coupon
    cart_changed_at = models.DateTimeField()  # the idleness it is about
    lines = models.JSONField(default=list)  # [[variant id, quantity], ...] as the cart was
    value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    coupon = models.OneToOneField(
        "promotions.Coupon", on_delete=models.SET_NULL, null=True, blank=True, related_name="cart_reminder"
    )
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    recovered_order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="cart_reminders"
    )
    recovered_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    recovered_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "cart_changed_at", "step"], name="cart_reminder_once"),
            models.UniqueConstraint(
                fields=["session_key", "cart_changed_at", "step"],
                condition=models.Q(user__isnull=True),
                name="cart_reminder_once_guest",
            ),
        ]

    def __str__(self):
        return f"Reminder {self.step} to {self.user_id} ({self.sent_at:%Y-%m-%d})"
