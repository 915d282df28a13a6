from django.db import migrations

from auroramart.shipping.defaults import ensure_home_zone


def singapore(apps, schema_editor):
    """Delivery as the shop has always offered it, now as a zone (shipping/defaults.py)."""
    ensure_home_zone(
        apps.get_model("shipping", "ShippingZone"),
        apps.get_model("shipping", "ShippingMethod"),
        apps.get_model("shipping", "ShippingRate"),
    )


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]

    operations = [migrations.RunPython(singapore, migrations.RunPython.noop)]
