"""Where the shop delivers and what it costs: zones of countries, regions and postal codes;
methods per zone with rates by order value or weight, a free-shipping threshold and an estimate."""

from decimal import Decimal

from django.db import models


class ShippingZone(models.Model):
    """Addresses this zone serves: any of `countries` (all countries when empty: "rest of the
    world"), narrowed by `regions` and `postal_codes` when given. An address belongs to the
    first active zone, by position, that serves it."""

    name = models.CharField(max_length=80)
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166 codes; empty = every country")
    regions = models.JSONField(default=list, blank=True, help_text="States or regions; empty = all")
    postal_codes = models.TextField(
        blank=True, help_text="One rule a line: a code, a range 018900-018999 or a prefix 01*; empty = all"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class ShippingMethod(models.Model):
    class Basis(models.TextChoices):
        ORDER_VALUE = "value", "Order value (S$)"
        WEIGHT = "weight", "Weight (grams)"

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="methods")
    code = models.SlugField(max_length=30, help_text="What orders and the API name it: standard, express…")
    name = models.CharField(max_length=80)
    estimate = models.CharField(max_length=60, help_text="e.g. 2–4 working days")
    basis = models.CharField(max_length=10, choices=Basis.choices, default=Basis.ORDER_VALUE)
    # Free when the merchandise after discounts reaches this; never when empty.
    free_above = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    postal_codes = models.TextField(
        blank=True, help_text="Only these postal codes within the zone (same rules)"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["zone", "code"], name="shipping_method_code_per_zone")]

    def __str__(self):
        return f"{self.name} ({self.zone})"


class ShippingRate(models.Model):
    """One band: up to `up_to` (S$ of merchandise, or grams; no limit when empty) costs `price`."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="rates")
    up_to = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = [models.F("up_to").asc(nulls_last=True), "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=Decimal("0")), name="shipping_rate_price_gte_0"
            ),
            models.UniqueConstraint(fields=["method", "up_to"], name="shipping_rate_band_once"),
        ]

    def __str__(self):
        return f"{self.price} up to {self.up_to or '∞'}"
