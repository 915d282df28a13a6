from decimal import Decimal

from django.db import migrations


def singapore(apps, schema_editor):
    """Delivery as the shop has always offered it, now as a zone: Singapore, standard S$5.99
    (free from S$75 after discounts) and express S$14.99."""
    Zone = apps.get_model("shipping", "ShippingZone")
    Method = apps.get_model("shipping", "ShippingMethod")
    Rate = apps.get_model("shipping", "ShippingRate")
    if Zone.objects.exists():
        return
    zone = Zone.objects.create(name="Singapore", countries=["SG"], position=10)
    standard = Method.objects.create(
        zone=zone,
        code="standard",
        name="Standard delivery",
        estimate="3–5 working days",
        free_above=Decimal("75.00"),
        position=10,
    )
    express = Method.objects.create(
        zone=zone, code="express", name="Express delivery", estimate="1–2 working days", position=20
    )
    Rate.objects.create(method=standard, up_to=None, price=Decimal("5.99"))
    Rate.objects.create(method=express, up_to=None, price=Decimal("14.99"))


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]

    operations = [migrations.RunPython(singapore, migrations.RunPython.noop)]
