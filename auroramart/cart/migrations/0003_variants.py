import django.db.models.deletion
from django.db import migrations, models

from auroramart.core.migration_helpers import point_rows_at_default_variant


def forwards(apps, schema_editor):
    point_rows_at_default_variant(apps, "cart", "CartItem")


class Migration(migrations.Migration):

    dependencies = [
        ('cart', '0002_cart_placing_order_number'),
        ('catalog', '0004_default_variants'),
    ]

    operations = [
        migrations.AddField(
            model_name='cartitem',
            name='variant',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.productvariant'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='cartitem',
            name='cart_item_once_per_product',
        ),
        migrations.RemoveField(
            model_name='cartitem',
            name='product',
        ),
        migrations.AlterField(
            model_name='cartitem',
            name='variant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.productvariant'),
        ),
        migrations.AddConstraint(
            model_name='cartitem',
            constraint=models.UniqueConstraint(fields=('cart', 'variant'), name='cart_item_once_per_variant'),
        ),
    ]
