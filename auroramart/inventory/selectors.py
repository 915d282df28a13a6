from django.db.models import F, QuerySet, Sum

from auroramart.catalog.models import Product

from .models import StockMovement


def low_stock_products() -> QuerySet:
    """Active products at or below their reorder level, emptiest first, with a reorder suggestion."""
    return (
        Product.objects.filter(is_active=True, stock_quantity__lte=F("reorder_level"))
        .select_related("category", "brand")
        .annotate(suggested_order=F("reorder_quantity") + F("reorder_level") - F("stock_quantity"))
        .order_by("stock_quantity", "name")
    )


def ledger_mismatches() -> list[tuple[int, str, int, int]]:
    """Products whose stored stock differs from the sum of their ledger: (pk, sku, stored, ledger)."""
    sums = dict(
        StockMovement.objects.values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )
    mismatches = []
    for pk, sku, stored in Product.objects.values_list("pk", "sku", "stock_quantity").iterator(
        chunk_size=5000
    ):
        ledger = sums.get(pk, 0)
        if ledger != stored:
            mismatches.append((pk, sku, stored, ledger))
    return mismatches
