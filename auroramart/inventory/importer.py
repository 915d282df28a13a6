"""Import of the AuroraMart products CSV: products and their stock, so it lives with the
stock ledger (inventory sits above the catalogue and may write both).

Real exports are messy, so the importer detects the encoding, checks every row
before writing anything, reports each bad row with its line number, and writes
all good rows in one transaction (or none, unless told to skip bad rows).
Re-importing the same file changes nothing: rows are matched by SKU.

A row is a variant. Rows that share a "Product handle" are the variants of one product
(the handle is the product's SKU), told apart by up to three option columns ("Option1
name", "Option1 value", …). A file without handles (the AuroraMart products file) makes
one single-variant product per row, its SKU the product's and the variant's.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from charset_normalizer import from_bytes
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from auroramart.catalog.cache import bump_catalog_version
from auroramart.catalog.models import (
    Brand,
    Category,
    Product,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
    Subcategory,
)
from auroramart.catalog.services import product_slug
from auroramart.catalog.taxonomy import CONSUMABLE_CATEGORIES
from auroramart.catalog.variants import create_default_variants, sync_products, variant_label
from auroramart.core.client import Actor
from auroramart.core.money import parse_money
from auroramart.staff.services import record_audit

from .models import StockMovement
from .services import record_opening_stock, set_stock_levels

COLUMNS = {
    "sku": "SKU code",
    "name": "Product name",
    "description": "Product description",
    "category": "Product Category",
    "subcategory": "Product Subcategory",
    "stock_quantity": "Quantity on hand",
    "reorder_level": "Reorder Quantity",
    "price": "Unit price",
    "rating": "Product rating",
    "handle": "Product handle",
    **{f"option{n}_{part}": f"Option{n} {part}" for n in (1, 2, 3) for part in ("name", "value")},
}
MAX_OPTIONS = 3
REQUIRED = ("sku", "name", "category", "subcategory", "stock_quantity", "price")
UPDATABLE = ("name", "description", "stock_quantity", "reorder_level", "price", "rating")


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, not CSV, missing columns)."""


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    encoding: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    categories_created: int = 0
    subcategories_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False


@dataclass
class ParsedRow:
    line: int
    sku: str
    name: str
    description: str
    category: str
    subcategory: str
    stock_quantity: int
    reorder_level: int
    price: Decimal
    rating: Decimal | None
    handle: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @property
    def product_sku(self) -> str:
        return self.handle or self.sku


def detect_encoding(data: bytes) -> str:
    """UTF-8 when it decodes; otherwise what charset-normalizer finds, preferring cp1252.

    Spreadsheet exports in English are nearly always cp1252, and several
    single-byte code pages fit the same bytes, so cp1252 wins whenever it is
    among the plausible ones.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data)
    if any("cp1252" in m.could_be_from_charset for m in matches):
        return "cp1252"
    best = matches.best()
    if best is None:
        raise ImportFileError("The file's text encoding could not be recognised.")
    return best.encoding


def _header_map(fieldnames: list[str] | None) -> dict[str, str]:
    if not fieldnames:
        raise ImportFileError("The file is empty or has no header row.")
    by_lower = {name.strip().lower(): name for name in fieldnames if name}
    mapping, missing = {}, []
    for key, column in COLUMNS.items():
        found = by_lower.get(column.lower())
        if found is None:
            if key in REQUIRED:
                missing.append(column)
        else:
            mapping[key] = found
    if missing:
        raise ImportFileError("Missing column(s): " + ", ".join(missing))
    return mapping


def _int(value: str, label: str) -> int:
    try:
        number = int(Decimal(value.strip()))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label} must be a whole number, got {value!r}") from None
    if Decimal(value.strip()) != number:
        raise ValueError(f"{label} must be a whole number, got {value!r}")
    if number < 0:
        raise ValueError(f"{label} must not be negative, got {value!r}")
    return number


def _parse_row(raw: dict, mapping: dict[str, str], line: int) -> ParsedRow:
    def get(key: str) -> str:
        column = mapping.get(key)
        return (raw.get(column) or "").strip() if column else ""

    problems = []
    values: dict = {}
    for key in ("sku", "name", "category", "subcategory"):
        values[key] = get(key)
        if not values[key]:
            problems.append(f"{COLUMNS[key]} is empty")
    if len(values["sku"]) > 40:
        problems.append("SKU code is longer than 40 characters")
    if len(values["name"]) > 200:
        problems.append("Product name is longer than 200 characters")
    values["description"] = get("description")
    try:
        values["price"] = parse_money(get("price"))
        if values["price"] <= 0:
            problems.append(f"Unit price must be above zero, got {get('price')!r}")
    except ValueError:
        problems.append(f"Unit price is not a number: {get('price')!r}")
    for key in ("stock_quantity", "reorder_level"):
        text = get(key)
        if not text and key == "reorder_level":
            values[key] = 10
            continue
        try:
            values[key] = _int(text, COLUMNS[key])
        except ValueError as exc:
            problems.append(str(exc))
    rating_text = get("rating")
    values["rating"] = None
    if rating_text:
        try:
            rating = Decimal(rating_text).quantize(Decimal("0.01"))
            if not Decimal(0) <= rating <= Decimal(5):
                raise InvalidOperation
            values["rating"] = rating
        except InvalidOperation:
            problems.append(f"Product rating must be between 0 and 5, got {rating_text!r}")
    values["handle"] = get("handle")
    if len(values["handle"]) > 40:
        problems.append("Product handle is longer than 40 characters")
    options = []
    for n in range(1, MAX_OPTIONS + 1):
        name, value = get(f"option{n}_name"), get(f"option{n}_value")
        if bool(name) != bool(value):
            problems.append(f"Option{n} needs both a name and a value")
        elif name:
            if len(name) > 40 or len(value) > 60:
                problems.append(f"Option{n} is too long (name 40, value 60 characters at most)")
            options.append((" ".join(name.split()), " ".join(value.split())))
    if len({n.lower() for n, _ in options}) != len(options):
        problems.append("the same option is named twice")
    values["options"] = tuple(options)
    if problems:
        raise ValueError("; ".join(problems))
    return ParsedRow(line=line, **values)


def parse_products_csv(data: bytes) -> tuple[list[ParsedRow], list[RowError], str]:
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not valid {encoding}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    mapping = _header_map(reader.fieldnames)
    rows, errors, first_line_of_sku = [], [], {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # blank line
        if None in raw:
            errors.append(RowError(line, "has more fields than the header"))
            continue
        try:
            row = _parse_row(raw, mapping, line)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        key = row.sku.upper()
        if key in first_line_of_sku:
            errors.append(
                RowError(line, f"duplicate SKU {row.sku} (first seen on line {first_line_of_sku[key]})")
            )
            continue
        first_line_of_sku[key] = line
        rows.append(row)
    return rows, _check_groups(rows, errors), encoding


def _check_groups(rows: list[ParsedRow], errors: list[RowError]) -> list[RowError]:
    """Rows of one product must name the same options, each combination once; a product
    without options has a single row. Bad rows are moved from `rows` to the errors."""
    groups: dict[str, list[ParsedRow]] = {}
    for row in rows:
        groups.setdefault(row.product_sku.upper(), []).append(row)
    bad: set[int] = set()
    for group in groups.values():
        names = [n.lower() for n, _ in group[0].options]
        seen: dict[tuple, int] = {}
        for row in group:
            combo = tuple(v.lower() for _, v in row.options)
            if [n.lower() for n, _ in row.options] != names:
                errors.append(
                    RowError(row.line, f"names other options than line {group[0].line} of its product")
                )
            elif not names and len(group) > 1:
                errors.append(
                    RowError(row.line, f"a product without options has one row (see line {group[0].line})")
                )
            elif combo in seen:
                errors.append(RowError(row.line, f"repeats the options of line {seen[combo]}"))
            else:
                seen[combo] = row.line
                continue
            bad.add(row.line)
    rows[:] = [r for r in rows if r.line not in bad]
    return sorted(errors, key=lambda e: e.line)


def _brand_name(name: str, subcategory: str) -> str | None:
    """The AuroraMart files name products "<Brand> <Subcategory> <variant>"; take the brand from there."""
    first, _, rest = name.partition(" ")
    if first and rest.lower().startswith(subcategory.lower()):
        return first
    return None


def import_products(
    data: bytes,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    actor: Actor | None = None,
    source: str = "",
) -> ImportResult:
    """Check every row, then write all good rows in one transaction, audited in it for staff."""
    rows, errors, encoding = parse_products_csv(data)
    errors = sorted(errors + _check_against_catalogue(rows), key=lambda e: e.line)
    result = ImportResult(encoding=encoding, rows=len(rows) + len(errors), errors=errors, dry_run=dry_run)
    if errors and not skip_invalid:
        return result
    result.skipped = len(errors)
    with transaction.atomic():
        _upsert(rows, result)
        if dry_run:
            transaction.set_rollback(True)
        else:
            result.written = True
            record_audit(
                actor,
                "import",
                object_type="catalog.Product",
                object_repr=source or "CSV import",
                changes={"created": [0, result.created], "updated": [0, result.updated]},
            )
            bump_catalog_version()
    return result


def _check_against_catalogue(rows: list[ParsedRow]) -> list[RowError]:
    """A SKU already sold as a variant of another product cannot move to this one."""
    owners = dict(
        ProductVariant.objects.filter(sku__in=[r.sku for r in rows]).values_list("sku", "product__sku")
    )
    owners = {sku.upper(): product.upper() for sku, product in owners.items()}
    errors = []
    for row in list(rows):
        owner = owners.get(row.sku.upper())
        if owner is not None and owner != row.product_sku.upper():
            errors.append(RowError(row.line, f"SKU {row.sku} is a variant of product {owner}"))
            rows.remove(row)
    return errors


def _option_values(product: Product, group: list[ParsedRow]) -> dict[tuple[str, str], ProductOptionValue]:
    """The product's options and values named by the rows, created where missing, in the
    order the rows name them; {(option name lower, value lower): value}."""
    options = {o.name.lower(): o for o in product.options.prefetch_related("values")}
    found: dict[tuple[str, str], ProductOptionValue] = {}
    for position, (name, _) in enumerate(group[0].options):
        option = options.get(name.lower()) or ProductOption.objects.create(
            product=product, name=name, position=position
        )
        values = {v.value.lower(): v for v in option.values.all()}
        for row in group:
            value = {n.lower(): v for n, v in row.options}[name.lower()]
            if value.lower() not in values:
                values[value.lower()] = ProductOptionValue.objects.create(
                    option=option, value=value, position=len(values)
                )
            found[(name.lower(), value.lower())] = values[value.lower()]
    return found


def _upsert_variants(groups: list[tuple[Product, list[ParsedRow]]]) -> dict[str, set[str]]:
    """Each row as its product's variant: found by SKU (or, for a product without options, its
    one variant), created when new; price and reorder level set, stock brought to the row's
    level through the ledger. Returns the SKUs of changed rows by product SKU."""
    if not groups:
        return {}
    by_sku = {
        v.sku.upper(): v
        for v in ProductVariant.objects.filter(
            sku__in=[r.sku for _, g in groups for r in g]
        ).prefetch_related("option_values")
    }
    only_variant = {
        v.product_id: v
        for v in ProductVariant.objects.filter(product_id__in=[p.pk for p, _ in groups]).order_by("-pk")
    }
    changed: dict[str, set[str]] = {}
    levels: dict[int, int] = {}
    new_variants: list[ProductVariant] = []
    for product, group in groups:
        values = _option_values(product, group) if group[0].options else {}
        for position, row in enumerate(group):
            variant = by_sku.get(row.sku.upper())
            if variant is None and not row.options and product.pk in only_variant:
                variant = only_variant[product.pk]  # a product's one variant under a new SKU
            if variant is None:
                variant = ProductVariant(
                    product=product, position=position, stock_quantity=row.stock_quantity
                )
                new_variants.append(variant)
            elif variant.stock_quantity != row.stock_quantity:
                levels[variant.pk] = row.stock_quantity
            wanted = {"sku": row.sku, "price": row.price, "reorder_level": row.reorder_level}
            dirty = [k for k, v in wanted.items() if getattr(variant, k) != v]
            for k in dirty:
                setattr(variant, k, wanted[k])
            combo = [values[(n.lower(), v.lower())] for n, v in row.options]
            label = variant_label(combo)
            if variant.name != label:
                variant.name = label
                dirty.append("name")
            is_new = variant.pk is None
            if dirty or is_new:  # an unchanged row costs no write
                variant.save()
            # Found by SKU, its values come prefetched; a new variant has none yet.
            current = set() if is_new else {v.pk for v in variant.option_values.all()}
            if current != {v.pk for v in combo}:
                variant.option_values.set(combo)
                dirty.append("options")
            if dirty or is_new or variant.pk in levels:
                changed.setdefault(product.sku.upper(), set()).add(row.sku.upper())
        if group[0].options:
            # A product that gained options: its former option-less variant is no longer sold.
            ProductVariant.objects.filter(product=product, option_values__isnull=True).update(is_active=False)
    record_opening_stock(new_variants, kind=StockMovement.Kind.IMPORT, reason="Product import")
    if levels:
        set_stock_levels(levels, kind=StockMovement.Kind.IMPORT, reason="Product import")
    return changed


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def _upsert(rows: list[ParsedRow], result: ImportResult) -> None:
    categories = {c.name: c for c in Category.objects.all()}
    category_slugs = {c.slug for c in categories.values()}
    for name in sorted({r.category for r in rows} - set(categories)):
        slug = _unique_slug(slugify(name) or "category", category_slugs)
        categories[name] = Category.objects.create(
            name=name, slug=slug, position=len(categories), is_consumable=name in CONSUMABLE_CATEGORIES
        )
        result.categories_created += 1

    subcategories = {(s.category_id, s.name): s for s in Subcategory.objects.all()}
    sub_slugs = {(s.category_id, s.slug) for s in subcategories.values()}
    wanted = sorted({(categories[r.category].pk, r.subcategory) for r in rows} - set(subcategories))
    for category_id, name in wanted:
        taken = {slug for cid, slug in sub_slugs if cid == category_id}
        slug = _unique_slug(slugify(name) or "subcategory", taken)
        sub_slugs.add((category_id, slug))
        subcategories[(category_id, name)] = Subcategory.objects.create(
            category_id=category_id, name=name, slug=slug
        )
        result.subcategories_created += 1

    brands = {b.name: b for b in Brand.objects.all()}
    brand_slugs = {b.slug for b in brands.values()}
    for name in sorted({_brand_name(r.name, r.subcategory) for r in rows} - set(brands) - {None}):
        brands[name] = Brand.objects.create(
            name=name, slug=_unique_slug(slugify(name) or "brand", brand_slugs)
        )

    groups: dict[str, list[ParsedRow]] = {}
    for row in rows:
        groups.setdefault(row.product_sku.upper(), []).append(row)
    existing = {
        p.sku.upper(): p for p in Product.objects.filter(sku__in=[g[0].product_sku for g in groups.values()])
    }
    to_create, to_update = [], []
    for key, group in groups.items():
        lead = group[0]
        category = categories[lead.category]
        subcategory = subcategories[(category.pk, lead.subcategory)]
        brand = brands.get(_brand_name(lead.name, lead.subcategory) or "")
        fields = {
            "name": lead.name,
            "description": lead.description,
            "reorder_level": lead.reorder_level,
            "rating": lead.rating if lead.rating is not None else Decimal("0"),
        }
        product = existing.get(key)
        if product is None:
            to_create.append(
                Product(
                    sku=lead.product_sku,
                    slug=product_slug(lead.name, lead.product_sku),
                    category=category,
                    subcategory=subcategory,
                    brand=brand,
                    reorder_quantity=max(lead.reorder_level, 1),
                    # The price range and stock follow from the variants (sync_products below).
                    price=min(r.price for r in group),
                    stock_quantity=lead.stock_quantity if not lead.options else 0,
                    **fields,
                )
            )
            continue
        if lead.rating is None:
            fields.pop("rating")
        changed = [k for k, v in fields.items() if getattr(product, k) != v]
        if product.category_id != category.pk or product.subcategory_id != subcategory.pk:
            product.category, product.subcategory = category, subcategory
            changed += ["category", "subcategory"]
        for k in changed:
            if k in fields:
                setattr(product, k, fields[k])
        if changed:
            to_update.append((product, changed))
    Product.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        now = timezone.now()
        for product, _ in to_update:
            product.updated_at = now
        fields_changed = sorted({f for _, changed in to_update for f in changed} | {"updated_at"})
        Product.objects.bulk_update([p for p, _ in to_update], fields_changed, batch_size=500)
    products = {
        p.sku.upper(): p
        for p in Product.objects.filter(sku__in=[g[0].product_sku for g in groups.values()]).only(
            "pk", "sku", "price", "compare_at_price", "stock_quantity", "reorder_level", "created_at"
        )
    }
    # Single-variant products new in this file: their default variants in bulk (an import of
    # 100k products stays fast).
    plain_new = [products[p.sku.upper()] for p in to_create if not groups[p.sku.upper()][0].options]
    record_opening_stock(
        create_default_variants(plain_new), kind=StockMovement.Kind.IMPORT, reason="Product import"
    )
    fresh = {p.pk for p in plain_new}
    changed_rows = _upsert_variants(
        [(products[key], group) for key, group in groups.items() if products[key].pk not in fresh]
    )
    touched = {p.pk for p, _ in to_update} | {p.pk for p in to_create}
    sync_products(touched | {products[key].pk for key in groups if key in changed_rows})
    result.created = sum(len(groups[p.sku.upper()]) for p in to_create)
    updated_products = {p.sku.upper() for p, _ in to_update}
    result.updated = sum(
        1
        for key, group in groups.items()
        for row in group
        if products[key].pk not in {p.pk for p in to_create}
        and (key in updated_products or row.sku.upper() in changed_rows.get(key, set()))
    )
    result.unchanged = len(rows) - result.created - result.updated


def export_rows():
    """The catalogue in the importer's own columns, one row per variant (an export imports
    back unchanged): the product's SKU as its handle, the variant's SKU, stock, reorder
    level and price, and its option values."""
    variants = (
        ProductVariant.objects.select_related("product__category", "product__subcategory")
        .prefetch_related("option_values__option")
        .order_by("product__sku", "position", "pk")
    )
    for v in variants.iterator(chunk_size=2000):
        p = v.product
        options = sorted(v.option_values.all(), key=lambda o: (o.option.position, o.option_id))
        row = {
            "sku": v.sku,
            "name": p.name,
            "description": p.description,
            "category": p.category.name,
            "subcategory": p.subcategory.name,
            "stock_quantity": v.stock_quantity,
            "reorder_level": v.reorder_level,
            "price": v.price,
            "rating": p.rating,
            "handle": p.sku,
        }
        for n, value in enumerate(options[:MAX_OPTIONS], start=1):
            row[f"option{n}_name"], row[f"option{n}_value"] = value.option.name, value.value
        yield [row.get(key, "") for key in COLUMNS]
