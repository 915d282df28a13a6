from django.conf import settings
from django.db import models


class StockMovement(models.Model):
    """The stock ledger: every change to a variant's stock, append-only.

    A variant's `stock_quantity` always equals the sum of its movements, and a product's
    the sum of its active variants' (`manage.py check_stock` verifies both). The product is
    kept beside the variant so that a product's history needs no join.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        IMPORT = "import", "Import"
        SALE = "sale", "Sale"
        RELEASE = "release", "Released (payment failed)"
        CANCELLATION = "cancellation", "Cancellation"
        RETURN = "return", "Return"
        ADJUSTMENT = "adjustment", "Adjustment"

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_movements")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="stock_movements"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="positive adds stock, negative removes it")
    balance_after = models.IntegerField()
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="stock_movements"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="movement_product"),
            models.Index(fields=["variant", "-created_at"], name="movement_variant"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="movement_not_zero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="movement_balance_gte_0"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d} of variant {self.variant_id}"


class LowStockAlert(models.Model):
    """Raised when a variant's stock falls to its reorder level; closed when restocked."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="low_stock_alerts")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="low_stock_alerts"
    )
    stock_at_alert = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_variant",
            )
        ]

    def __str__(self):
        return f"Low stock: variant {self.variant_id} at {self.stock_at_alert}"
