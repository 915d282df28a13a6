"""The tax a new shop starts with: four classes, and Singapore's 9% GST on the standard (and, as
Singapore has no lower rate, the reduced) class. Written by the migration (historical models)
and by the test suite after a test empties the tables."""

from decimal import Decimal

CLASSES = [
    ("standard", "Standard rate", False),
    ("reduced", "Reduced rate", False),
    ("zero", "Zero-rated", False),
    ("exempt", "Exempt", True),
]


def ensure_classes_and_home_rates(TaxClass, TaxRate, Zone) -> None:  # noqa: N803 (model classes)
    made = {}
    for code, name, exempt in CLASSES:
        made[code], _ = TaxClass.objects.get_or_create(code=code, defaults={"name": name, "exempt": exempt})
    zone = next((z for z in Zone.objects.order_by("position", "pk") if "SG" in z.countries), None)
    if zone is None or TaxRate.objects.filter(zone=zone).exists():
        return
    for code, rate in (("standard", "0.09"), ("reduced", "0.09"), ("zero", "0")):
        TaxRate.objects.create(zone=zone, tax_class=made[code], rate=Decimal(rate), name="GST")
