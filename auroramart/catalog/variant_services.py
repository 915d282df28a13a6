"""Staff changes to a product's options and variants: define the options, generate the
variant matrix, edit prices, SKUs and flags per variant. Each is one transaction with its
audit row; the product's roll-ups follow. Stock is the inventory's: its edit_variants takes
the grid's stock column through the ledger and the rest through update_variants here."""

import itertools
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from auroramart.core.client import Actor
from auroramart.staff.services import record_audit

from .models import Product, ProductOption, ProductOptionValue, ProductVariant
from .variants import sync_products, variant_label

# What the variant grid may change.
GRID_FIELDS = (
    "sku",
    "price",
    "compare_at_price",
    "stock_quantity",
    "reorder_level",
    "weight_grams",
    "is_active",
)
# The grid's stock column goes through the inventory's edit_variants (the ledger); the rest here.
CATALOG_FIELDS = tuple(f for f in GRID_FIELDS if f != "stock_quantity")
MAX_VARIANTS = 250


class VariantError(ValueError):
    pass


def _lock(product: Product) -> list[ProductVariant]:
    """The product's variants, then the product, locked in that order (as stock changes do)."""
    variants = list(ProductVariant.objects.select_for_update().filter(product_id=product.pk).order_by("pk"))
    Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").first()
    return variants


def _parse_values(values) -> list[tuple[str, str]]:
    parsed: list[tuple[str, str]] = []
    for item in values:
        value, swatch = (item, "") if isinstance(item, str) else (item[0], item[1] or "")
        value = " ".join(str(value).split())
        if not value:
            continue
        if len(value) > 60:
            raise VariantError(f"“{value[:20]}…” is too long for an option value (60 characters at most).")
        if value.lower() not in (v.lower() for v, _ in parsed):
            parsed.append((value, swatch))
    return parsed


@transaction.atomic
def set_options(*, product: Product, options: dict, actor: Actor | None) -> list[ProductOption]:
    """The product's options and their values, in order: {"Size": ["S", "M", "L"], "Colour":
    [("Navy", "#1f2a44"), ...]}. Options and values not named are removed, unless a variant
    still uses them."""
    _lock(product)
    if len(options) > 3:
        raise VariantError("A product can have at most three options.")
    existing = {o.name.lower(): o for o in product.options.prefetch_related("values")}
    kept = []
    for position, (raw_name, raw_values) in enumerate(options.items()):
        name = " ".join(str(raw_name).split())[:40]
        if not name:
            raise VariantError("Every option needs a name.")
        values = _parse_values(raw_values)
        if not values:
            raise VariantError(f"Give {name} at least one value.")
        option = existing.pop(name.lower(), None) or ProductOption(product=product)
        option.name, option.position = name, position
        option.save()
        current = {v.value.lower(): v for v in option.values.all()}
        for value_position, (value, swatch) in enumerate(values):
            row = current.pop(value.lower(), None) or ProductOptionValue(option=option)
            row.value, row.position = value, value_position
            if swatch or not row.swatch:
                row.swatch = swatch
            row.full_clean(exclude=["option"])
            row.save()
        _remove([*current.values()], what="value")
        kept.append(option)
    for option in existing.values():
        _remove(list(option.values.all()), what="option")
        option.delete()
    _rename(product)
    record_audit(
        actor,
        "set_options",
        product,
        changes={"options": [None, {o.name: [v.value for v in o.values.all()] for o in kept}]},
    )
    return kept


def _remove(values: list[ProductOptionValue], *, what: str) -> None:
    used = ProductVariant.objects.filter(option_values__in=values).first()
    if used is not None:
        raise VariantError(
            f"The {what} {values[0].value if what == 'value' else values[0].option.name} is used by "
            f"variant {used.sku}; deactivate or change that variant first."
        )
    ProductOptionValue.objects.filter(pk__in=[v.pk for v in values]).delete()


def _rename(product: Product) -> None:
    for variant in product.variants.prefetch_related("option_values__option"):
        name = variant_label(variant.option_values.all())
        if name != variant.name:
            ProductVariant.objects.filter(pk=variant.pk).update(name=name)


def _sku(product: Product, values) -> str:
    parts = [slugify(v.value).upper().replace("-", "") for v in values]
    return f"{product.sku}-{'-'.join(parts)}"[:40]


@transaction.atomic
def generate_variants(*, product: Product, actor: Actor | None) -> list[ProductVariant]:
    """Every combination of the option values as a variant (existing ones kept). A product's
    default variant (no option values) becomes its first combination, with its SKU, stock and
    ledger. New variants start at the product's price, with no stock."""
    variants = _lock(product)
    options = list(product.options.prefetch_related("values").order_by("position", "pk"))
    if not options:
        raise VariantError("Define the product's options first.")
    combos = list(itertools.product(*[list(o.values.all()) for o in options]))
    if len(combos) > MAX_VARIANTS:
        raise VariantError(f"{len(combos)} combinations is more than {MAX_VARIANTS}; use fewer values.")
    have = {frozenset(v.option_values.values_list("pk", flat=True)): v for v in variants}
    bare = [v for key, v in have.items() if not key]
    created = []
    position = max((v.position for v in variants), default=-1) + 1
    for combo in combos:
        key = frozenset(v.pk for v in combo)
        if key in have:
            continue
        if bare:
            variant = bare.pop(0)
        else:
            variant = ProductVariant(
                product=product,
                sku=_sku(product, combo),
                price=product.price,
                reorder_level=product.reorder_level,
                position=position,
            )
            position += 1
            if ProductVariant.objects.filter(sku__iexact=variant.sku).exists():
                raise VariantError(f"The SKU {variant.sku} is taken; set this product's SKUs by hand.")
            created.append(variant)
        variant.name = variant_label(combo)
        variant.save()
        variant.option_values.set(combo)
    sync_products([product.pk])
    record_audit(actor, "generate_variants", product, changes={"variants": [None, [v.sku for v in created]]})
    return list(product.variants.order_by("position", "pk"))


def clean_grid_value(field: str, value):
    """A grid value checked and converted; VariantError says what is wrong."""
    if field == "sku":
        value = str(value).strip().upper()
        if not value or len(value) > 40:
            raise VariantError("A SKU is 1 to 40 characters.")
        return value
    if field in ("price", "compare_at_price"):
        if value in (None, "") and field == "compare_at_price":
            return None
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
        except ArithmeticError:
            raise VariantError(f"Enter the {field.replace('_', ' ')} as an amount.") from None
        if not Decimal("0.01") <= amount < Decimal("10000000000"):
            raise VariantError("A price is at least S$0.01.")
        return amount
    if field in ("stock_quantity", "reorder_level", "weight_grams"):
        if value in (None, "") and field == "weight_grams":
            return None
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise VariantError(f"Enter the {field.replace('_', ' ')} as a whole number.") from None
        if not 0 <= number <= 10_000_000:
            raise VariantError(f"The {field.replace('_', ' ')} must be between 0 and 10,000,000.")
        return number
    if field == "is_active":
        return value in (True, "on", "true", "1", 1)
    raise VariantError(f"Unknown field {field}.")


@transaction.atomic
def update_variants(
    *, product: Product, rows: dict[int, dict], actor: Actor | None, audit_extra: dict | None = None
) -> set[int]:
    """Edit variants in one go: {variant id: {field: value}} with fields from CATALOG_FIELDS.
    Returns the ids of the variants changed; nothing changes when any value is refused.
    `audit_extra` adds changes made alongside (stock) to the one audit row."""
    variants = {v.pk: v for v in _lock(product)}
    changes: dict[str, list] = dict(audit_extra or {})
    dirty = []
    for pk, fields in rows.items():
        variant = variants.get(int(pk))
        if variant is None:
            raise VariantError(f"{product.name} has no variant {pk}.")
        updated = []
        for field, raw in fields.items():
            if field not in CATALOG_FIELDS:
                raise VariantError(f"Unknown field {field}.")
            value = clean_grid_value(field, raw)
            if getattr(variant, field) != value:
                changes[f"{variant.sku} {field}"] = [getattr(variant, field), value]
                setattr(variant, field, value)
                updated.append(field)
        if updated:
            dirty.append((variant, updated))
    try:
        with transaction.atomic():
            for variant, updated in dirty:
                variant.save(update_fields=updated)
    except IntegrityError:
        raise VariantError("Another variant already has one of those SKUs.") from None
    if changes:
        sync_products([product.pk])
        record_audit(actor, "update_variants", product, changes=changes)
    return {v.pk for v, _ in dirty}
