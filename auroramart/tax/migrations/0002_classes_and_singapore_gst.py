from django.db import migrations

from auroramart.tax.defaults import ensure_classes_and_home_rates


def classes_and_gst(apps, schema_editor):
    """The four tax classes and Singapore's GST (tax/defaults.py): today's totals unchanged."""
    ensure_classes_and_home_rates(
        apps.get_model("tax", "TaxClass"), apps.get_model("tax", "TaxRate"), apps.get_model("shipping", "ShippingZone")
    )


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_initial"), ("shipping", "0002_singapore")]

    operations = [migrations.RunPython(classes_and_gst, migrations.RunPython.noop)]
