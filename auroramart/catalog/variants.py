"""Rules about variants that more than one app needs: their labels, the default variant,
and the product's roll-ups (lowest and highest price, compare-at price, stock) that listings
sort and filter on. Only the variant is sold and stocked; the product's figures follow it."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Max, Min, Q, Sum

from .cache import bump_catalog_version
from .models import COLOUR_OPTION_NAMES, Product, ProductVariant
from .selectors import forget_live_product

SEPARATOR = " · "
# What a product takes from its active variants.
SYNCED_FIELDS = ("price", "price_max", "compare_at_price", "stock_quantity", "variant_terms")


def value_label(option_name: str, value: str) -> str:
    """How a chosen value reads on its own: "Size M", "Storage 256GB"; a colour by its name."""
    return value if option_name.lower() in COLOUR_OPTION_NAMES else f"{option_name} {value}"


def variant_label(values: Iterable) -> str:
    """ "Size M · Navy": the variant's option values in the options' order."""
    ordered = sorted(values, key=lambda v: (v.option.position, v.option_id))
    return label_of([(v.option.name, v.value) for v in ordered])


def label_of(pairs: Iterable[tuple[str, str]]) -> str:
    """The label of (option name, value) pairs, already in the options' order."""
    return SEPARATOR.join(value_label(name, value) for name, value in pairs)


def default_variant(product: Product) -> ProductVariant | None:
    """The variant a product without a choice stands for: the first active one in stock,
    else the first active one."""
    variants = list(product.variants.filter(is_active=True).order_by("position", "pk"))
    return next((v for v in variants if v.stock_quantity > 0), variants[0] if variants else None)


def sync_products(product_ids: Iterable[int]) -> None:
    """Bring the products' price range, compare-at price and stock in line with their active
    variants. Must run in the transaction that changed the variants."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    active = Q(variants__is_active=True)
    rows = Product.objects.filter(pk__in=ids).annotate(
        low=Min("variants__price", filter=active),
        high=Max("variants__price", filter=active),
        stock=Sum("variants__stock_quantity", filter=active),
    )
    terms: dict[int, list[str]] = {}
    for product_id, value in (
        ProductVariant.objects.filter(product_id__in=ids, is_active=True)
        .values_list("product_id", "option_values__value")
        .order_by("product_id", "option_values__option__position", "option_values__position")
    ):
        if value and value not in terms.setdefault(product_id, []):
            terms[product_id].append(value)
    cheapest: dict[int, ProductVariant] = {}
    for variant in ProductVariant.objects.filter(product_id__in=ids, is_active=True).order_by(
        "product_id", "price", "position", "pk"
    ):
        cheapest.setdefault(variant.product_id, variant)
    changed = []
    for product in rows:
        if product.low is None:
            continue  # no active variant: the product keeps its last figures (it cannot be bought)
        fields = {
            "price": product.low,
            "price_max": product.high,
            "compare_at_price": cheapest[product.pk].compare_at_price,
            "stock_quantity": product.stock or 0,
            "variant_terms": " ".join(terms.get(product.pk, [])),
        }
        if any(getattr(product, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(product, k, v)
            changed.append(product)
    Product.objects.bulk_update(changed, list(SYNCED_FIELDS), batch_size=1000)
    transaction.on_commit(bump_catalog_version)
    transaction.on_commit(lambda: forget_live_product(*ids))


def create_default_variants(products: list[Product], batch_size: int = 5000) -> list[ProductVariant]:
    """One default variant for each of bulk-created products (imports, sample data), carrying
    the product's SKU, price, compare-at price, stock and reorder level. Returns them saved."""
    ProductVariant.objects.bulk_create(
        [
            ProductVariant(
                product_id=p.pk,
                sku=p.sku,
                price=p.price,
                compare_at_price=p.compare_at_price,
                stock_quantity=p.stock_quantity,
                reorder_level=p.reorder_level,
                created_at=p.created_at,
            )
            for p in products
        ],
        batch_size=batch_size,
    )
    by_product = {
        v.product_id: v
        for v in ProductVariant.objects.filter(product_id__in=[p.pk for p in products]).only(
            "pk", "product_id", "sku", "stock_quantity"
        )
    }
    Product.objects.filter(pk__in=[p.pk for p in products], price_max__isnull=True).update(
        price_max=F("price")
    )
    return [by_product[p.pk] for p in products]


class VariantChoiceError(ValueError):
    pass


def variant_of(product: Product, variant_id=None) -> ProductVariant:
    """The product's variant with this id, or its only variant when none is named."""
    variants = product.variants.select_related("product")
    if variant_id not in (None, ""):
        try:
            found = variants.filter(pk=int(variant_id)).first()
        except (TypeError, ValueError):
            found = None
        if found is None:
            raise VariantChoiceError(f"{product.name} has no such variant.")
        return found
    choices = list(variants.order_by("position", "pk")[:2])
    if len(choices) != 1:
        raise VariantChoiceError(f"Choose which variant of {product.name}.")
    return choices[0]
