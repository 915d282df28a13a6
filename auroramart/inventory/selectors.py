from django.db.models import F, QuerySet, Sum

from auroramart.catalog.models import Product, ProductVariant

from .models import StockMovement


def low_stock_variants() -> QuerySet:
    """Active variants of active products at or below their reorder level, emptiest first,
    with a reorder suggestion."""
    return (
        ProductVariant.objects.filter(
            is_active=True, product__is_active=True, stock_quantity__lte=F("reorder_level")
        )
        .select_related("product", "product__category", "product__brand")
        .annotate(suggested_order=F("product__reorder_quantity") + F("reorder_level") - F("stock_quantity"))
        .order_by("stock_quantity", "product__name", "position")
    )


def ledger_mismatches() -> list[tuple[int, str, int, int]]:
    """Stock that differs from its ledger: (pk, sku, stored, expected).

    A variant's stock must equal the sum of its movements; a product's, the sum of its
    active variants' stock (its SKU is then marked "(product)").
    """
    sums = dict(
        StockMovement.objects.values("variant_id")
        .annotate(total=Sum("quantity"))
        .values_list("variant_id", "total")
    )
    mismatches = []
    for pk, sku, stored in ProductVariant.objects.values_list("pk", "sku", "stock_quantity").iterator(
        chunk_size=5000
    ):
        ledger = sums.get(pk, 0)
        if ledger != stored:
            mismatches.append((pk, sku, stored, ledger))
    rolled = dict(
        ProductVariant.objects.filter(is_active=True)
        .values("product_id")
        .annotate(total=Sum("stock_quantity"))
        .values_list("product_id", "total")
    )
    for pk, sku, stored in (
        Product.objects.filter(variants__is_active=True).distinct().values_list("pk", "sku", "stock_quantity")
    ):
        if rolled.get(pk, 0) != stored:
            mismatches.append((pk, f"{sku} (product)", stored, rolled.get(pk, 0)))
    return mismatches
