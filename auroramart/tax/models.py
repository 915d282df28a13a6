"""Tax classes (standard, reduced, zero-rated, exempt), set on a category or a product, and the
rate of each class in each shipping zone (the zone of the delivery address decides)."""

from django.db import models


class TaxClass(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    # Exempt supplies are outside the tax, not taxed at 0%: the invoice says so.
    exempt = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "tax classes"

    def __str__(self):
        return self.name


class TaxRate(models.Model):
    zone = models.ForeignKey("shipping.ShippingZone", on_delete=models.CASCADE, related_name="tax_rates")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.CASCADE, related_name="rates")
    rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="0.09 for 9%")
    name = models.CharField(max_length=30, default="GST", help_text="What invoices call it: GST, VAT, SST")

    class Meta:
        ordering = ["zone", "tax_class"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "tax_class"], name="tax_rate_once_per_zone_and_class"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0) & models.Q(rate__lt=1), name="tax_rate_between_0_and_1"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.rate:%} on {self.tax_class} in {self.zone}"
