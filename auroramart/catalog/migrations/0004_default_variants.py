"""Every existing product becomes a product with one default variant carrying its SKU,
price, compare-at price, stock and reorder level (the stock ledger, cart lines and order
lines follow in their apps' migrations)."""

from django.db import migrations
from django.db.models import F


def create_default_variants(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    have = set(ProductVariant.objects.values_list("product_id", flat=True))
    batch = []
    fields = ("pk", "sku", "price", "compare_at_price", "stock_quantity", "reorder_level", "created_at")
    for row in Product.objects.order_by("pk").values_list(*fields).iterator(chunk_size=5000):
        pk, sku, price, compare_at, stock, reorder, created = row
        if pk in have:
            continue
        batch.append(
            ProductVariant(
                product_id=pk,
                sku=sku,
                name="",
                price=price,
                compare_at_price=compare_at,
                stock_quantity=stock,
                reorder_level=reorder,
                is_active=True,
                position=0,
                created_at=created,
            )
        )
        if len(batch) >= 5000:
            ProductVariant.objects.bulk_create(batch)
            batch = []
    ProductVariant.objects.bulk_create(batch)
    Product.objects.update(price_max=F("price"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_variants")]

    operations = [migrations.RunPython(create_default_variants, migrations.RunPython.noop, elidable=False)]
