from django.conf import settings
from django.db import models


class Cart(models.Model):
    """A signed-in customer's cart. A guest's cart lives in the session; a row keyed by the
    session stands for it only while it is checked out, as the lock and the placement marker."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart", null=True, blank=True
    )
    session_key = models.CharField(max_length=40, unique=True, null=True, blank=True)
    coupon_codes = models.JSONField(default=list, blank=True)
    # The order this cart was last placed as: a cart is consumed by its first placement,
    # so a second checkout of it (a double tap with a new key) is told so, not charged again.
    placing_order_number = models.CharField(max_length=32, blank=True, default="")
    # A guest who gave an email at checkout and agreed to marketing: whom a reminder of this
    # cart may go to (campaigns/abandoned_carts.py). Customers' consent is on their profile.
    email = models.EmailField(blank=True, default="")
    marketing_opt_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(session_key__isnull=False),
                name="cart_has_an_owner",
            )
        ]

    def __str__(self):
        return f"Cart of {self.user_id or 'a guest'}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    # The price when the item was added, so a later change can be pointed out.
    price_at_add = models.DecimalField(max_digits=12, decimal_places=2)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_item_once_per_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_item_quantity_gte_1"),
        ]

    def __str__(self):
        return f"{self.quantity} × variant {self.variant_id}"


class CartDiscount(models.Model):
    """A discount the customer chose for the cart beyond coupons: loyalty points or a reward.

    Nothing is spent until the order is placed; this only records the choice.
    """

    class Kind(models.TextChoices):
        POINTS = "points", "Loyalty points"
        REWARD = "reward", "Loyalty reward"

    cart = models.OneToOneField(Cart, on_delete=models.CASCADE, related_name="discount")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.PositiveIntegerField(default=0)
    reward_id = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self):
        return f"{self.get_kind_display()} on cart {self.cart_id}"
