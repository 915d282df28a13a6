from decimal import Decimal

from django.db import migrations

CLASSES = [
    ("standard", "Standard rate", False),
    ("reduced", "Reduced rate", False),
    ("zero", "Zero-rated", False),
    ("exempt", "Exempt", True),
]


def classes_and_gst(apps, schema_editor):
    """The four tax classes, and Singapore's 9% GST on the standard (and, as Singapore has no
    lower rate, the reduced) class: today's prices and totals unchanged."""
    TaxClass = apps.get_model("tax", "TaxClass")
    TaxRate = apps.get_model("tax", "TaxRate")
    Zone = apps.get_model("shipping", "ShippingZone")
    made = {}
    for code, name, exempt in CLASSES:
        made[code], _ = TaxClass.objects.get_or_create(code=code, defaults={"name": name, "exempt": exempt})
    zone = next((z for z in Zone.objects.order_by("position", "pk") if "SG" in z.countries), None)
    if zone is None:
        return
    for code, rate in (("standard", "0.09"), ("reduced", "0.09"), ("zero", "0")):
        TaxRate.objects.get_or_create(
            zone=zone, tax_class=made[code], defaults={"rate": Decimal(rate), "name": "GST"}
        )


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_initial"), ("shipping", "0002_singapore")]

    operations = [migrations.RunPython(classes_and_gst, migrations.RunPython.noop)]
