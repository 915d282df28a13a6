"""Import of the AuroraMart products CSV: products and their stock, so it lives with the
stock ledger (inventory sits above the catalogue and may write both).

Real exports are messy, so the importer detects the encoding, checks every row
before writing anything, reports each bad row with its line number, and writes
all good rows in one transaction (or none, unless told to skip bad rows).
Re-importing the same file changes nothing: rows are matched by SKU.
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
from auroramart.catalog.models import Brand, Category, Product, Subcategory
from auroramart.catalog.services import product_slug
from auroramart.catalog.taxonomy import CONSUMABLE_CATEGORIES
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
}
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
    return rows, errors, encoding


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

    existing = {p.sku.upper(): p for p in Product.objects.filter(sku__in=[r.sku for r in rows])}
    to_create, to_update = [], []
    for row in rows:
        category = categories[row.category]
        subcategory = subcategories[(category.pk, row.subcategory)]
        brand = brands.get(_brand_name(row.name, row.subcategory) or "")
        fields = {
            "name": row.name,
            "description": row.description,
            "stock_quantity": row.stock_quantity,
            "reorder_level": row.reorder_level,
            "price": row.price,
            "rating": row.rating if row.rating is not None else Decimal("0"),
        }
        product = existing.get(row.sku.upper())
        if product is None:
            to_create.append(
                Product(
                    sku=row.sku,
                    slug=product_slug(row.name, row.sku),
                    category=category,
                    subcategory=subcategory,
                    brand=brand,
                    reorder_quantity=max(row.reorder_level, 1),
                    **fields,
                )
            )
            continue
        if row.rating is None:
            fields.pop("rating")
        changed = [k for k, v in fields.items() if getattr(product, k) != v]
        if product.category_id != category.pk or product.subcategory_id != subcategory.pk:
            product.category, product.subcategory = category, subcategory
            changed += ["category", "subcategory"]
        if changed:
            for key in changed:
                if key in fields:
                    setattr(product, key, fields[key])
            to_update.append((product, changed))
        else:
            result.unchanged += 1
    Product.objects.bulk_create(to_create, batch_size=500)
    result.created = len(to_create)
    created = list(Product.objects.filter(sku__in=[p.sku for p in to_create]).only("pk", "stock_quantity"))
    record_opening_stock(created, kind=StockMovement.Kind.IMPORT, reason="Product import")
    # Stock changes of existing products go through the ledger, not a plain update.
    new_levels = {p.pk: p.stock_quantity for p, changed in to_update if "stock_quantity" in changed}
    if new_levels:
        for _product, changed in to_update:
            if "stock_quantity" in changed:
                changed.remove("stock_quantity")
        set_stock_levels(new_levels, kind=StockMovement.Kind.IMPORT, reason="Product import")
    update_fields = sorted({f for _, changed in to_update for f in changed} | {"updated_at"})
    if to_update:
        now = timezone.now()
        for product, _ in to_update:
            product.updated_at = now
        Product.objects.bulk_update([p for p, _ in to_update], update_fields, batch_size=500)
    result.updated = len(to_update)
