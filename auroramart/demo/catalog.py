"""The demo catalog: deterministic for a seed, bulk-inserted so it scales to 100k products."""

import itertools
import math
import random
import string
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from auroramart.catalog.cache import bump_catalog_version
from auroramart.catalog.images import demo_image_files, hex_colour
from auroramart.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductReview,
    ProductSpecification,
    ProductVariant,
    Subcategory,
)
from auroramart.catalog.services import product_slug, recompute_ratings
from auroramart.catalog.taxonomy import (
    BRANDS,
    CLOTHING_SIZES,
    COLOURS,
    CONSUMABLE_CATEGORIES,
    REVIEW_PHRASES,
    SHOE_SIZES,
    STORAGE,
    SWATCHES,
    TAXONOMY,
    VARIANT_MATRICES,
)
from auroramart.catalog.variants import create_default_variants, label_of, sync_products
from auroramart.demo.item_profiles import Item, draw_item
from auroramart.demo.price_ranges import price_range
from auroramart.inventory.services import record_opening_stock

BATCH = 2000


@dataclass
class CatalogStats:
    categories: int
    subcategories: int
    brands: int
    products: int
    images: int
    reviews: int


def _noop_progress(iterable, **_kwargs):
    return iterable


def ensure_taxonomy() -> tuple[dict[str, Category], dict[tuple[str, str], Subcategory], dict[str, Brand]]:
    """Create the 12 categories, their subcategories and the brands; safe to run twice."""
    categories, subcategories, brands = {}, {}, {}
    for position, (cat_name, subs) in enumerate(TAXONOMY.items()):
        category, _ = Category.objects.get_or_create(
            name=cat_name,
            defaults={
                "slug": slugify(cat_name),
                "position": position,
                "is_consumable": cat_name in CONSUMABLE_CATEGORIES,
                "description": f"Shop {cat_name.lower()} at AuroraMart: "
                + ", ".join(s.lower() for s in subs)
                + ".",
            },
        )
        categories[cat_name] = category
        for sub_position, sub_name in enumerate(subs):
            subcategories[(cat_name, sub_name)], _ = Subcategory.objects.get_or_create(
                category=category,
                name=sub_name,
                defaults={"slug": slugify(sub_name), "position": sub_position},
            )
        for brand_name in BRANDS[cat_name]:
            brands[brand_name], _ = Brand.objects.get_or_create(
                name=brand_name, defaults={"slug": slugify(brand_name)}
            )
    bump_catalog_version()
    return categories, subcategories, brands


def _price(rng: random.Random, category: str, subcategory: str) -> Decimal:
    """A price within what the subcategory costs in the AuroraMart product file (price_ranges.py):
    a monitor in the hundreds, a snack in single dollars."""
    low, high = (float(v) for v in price_range(category, subcategory))
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    ending = rng.choice([Decimal("0.90"), Decimal("0.95"), Decimal("0.99"), Decimal("0.00")])
    return Decimal(int(raw)) + ending if raw >= 1 else Decimal("0.99")


def _unique_name(rng: random.Random, brand: str, draw, taken: set[str]) -> tuple[str, Item]:
    """A name no other product has: the item drawn again a few times (another size, another
    flavour), then a model number, as shops tell two near-identical items apart."""
    for _ in range(8):
        item = draw()
        name = f"{brand} {item.name}" if item.branded else item.name
        if name not in taken:
            taken.add(name)
            return name, item
    code = "".join(word[0] for word in brand.split()).upper()
    for number in itertools.count(2):
        candidate = f"{name} ({code}-{number * 100 + rng.randint(0, 99)})"
        if candidate not in taken:
            taken.add(candidate)
            return candidate, item
    raise AssertionError("unreachable")


def _stock(rng: random.Random, price: Decimal, reorder: int) -> int:
    """How many are on the shelf: most lines comfortably stocked, a few low or sold out, and a
    laptop stocked in tens where a snack is stocked in hundreds."""
    roll = rng.random()
    if roll < 0.04:
        return 0
    if roll < 0.12:
        return rng.randint(1, reorder)
    typical = max(reorder * 2, min(400, int(900 / math.sqrt(float(price)))))
    return max(reorder + 1, min(600, int(rng.lognormvariate(math.log(typical), 0.45))))


def _sku(rng: random.Random, category: str, subcategory: str, taken: set[str]) -> str:
    prefix = "".join(
        word[0] for word in (category + " " + subcategory).replace("-", " ").split() if word[0].isalpha()
    )
    while True:
        sku = f"{prefix.upper()[:4]}-{''.join(rng.choices(string.ascii_uppercase + string.digits, k=8))}"
        if sku not in taken:
            taken.add(sku)
            return sku


def _matrix_options(rng: random.Random, kind: str) -> list[tuple[str, list[tuple[str, int]]]]:
    """The options of one demo product of this kind: (name, [(value, price step)])."""
    if kind == "clothing":
        colours = rng.sample(COLOURS, rng.randint(2, 4))
        return [("Size", [(s, 0) for s in CLOTHING_SIZES]), ("Colour", [(c, 0) for c in colours])]
    if kind == "shoes":
        first = rng.randint(0, 2)
        sizes = SHOE_SIZES[first : first + rng.randint(5, 6)]
        options = [("Size", [(s, 0) for s in sizes])]
        if rng.random() < 0.5:
            options.insert(0, ("Colour", [(c, 0) for c in rng.sample(COLOURS[:5], 2)]))
        return options
    colours = rng.sample(["Midnight", "Silver", "Blue", "White"], rng.randint(2, 3))
    return [("Storage", STORAGE[: rng.randint(2, 3)]), ("Colour", [(c, 0) for c in colours])]


def _size_weight(value: str) -> float:
    """Middle sizes sell (and are stocked) more than the ends."""
    return {"XS": 0.4, "S": 0.8, "M": 1.2, "L": 1.1, "XL": 0.6, "38": 0.5, "45": 0.5}.get(value, 1.0)


def _generate_variant_matrices(rng: random.Random, products: list[Product], kinds: dict[int, str]) -> list:
    """Options, values and every combination as a variant for these products, each variant
    with its own SKU, price step and stock; the products' price range and stock follow."""
    option_rows, plans = [], []
    for product in products:
        options = _matrix_options(rng, kinds[product.pk])
        plans.append((product, options))
        option_rows += [
            ProductOption(product_id=product.pk, name=name, position=i) for i, (name, _) in enumerate(options)
        ]
    ProductOption.objects.bulk_create(option_rows, batch_size=BATCH)
    option_ids = {
        (o.product_id, o.name): o.pk
        for o in ProductOption.objects.filter(product_id__in=[p.pk for p in products])
    }
    value_rows = [
        ProductOptionValue(
            option_id=option_ids[(product.pk, name)],
            value=value,
            position=i,
            swatch=SWATCHES.get(value, "") if name == "Colour" else "",
        )
        for product, options in plans
        for name, values in options
        for i, (value, _) in enumerate(values)
    ]
    ProductOptionValue.objects.bulk_create(value_rows, batch_size=BATCH)
    value_ids = {
        (v.option_id, v.value): v.pk
        for v in ProductOptionValue.objects.filter(option_id__in=option_ids.values())
    }
    variant_rows, links = [], []
    for product, options in plans:
        for position, combo in enumerate(itertools.product(*[values for _, values in options])):
            labels = [value for value, _ in combo]
            weight = math.prod(_size_weight(v) for v in labels)
            roll = rng.random()
            stock = (
                0 if roll < 0.08 else rng.randint(1, 4) if roll < 0.2 else int(rng.randint(5, 40) * weight)
            )
            step = sum(step for _, step in combo)
            compare_at = product.compare_at_price + step if product.compare_at_price else None
            variant_rows.append(
                ProductVariant(
                    product_id=product.pk,
                    sku=f"{product.sku}-{'-'.join(slugify(v).upper() for v in labels)}"[:40],
                    name=label_of(
                        [(name, value) for (name, _), (value, _) in zip(options, combo, strict=True)]
                    ),
                    price=product.price + step,
                    compare_at_price=compare_at,
                    stock_quantity=max(stock, 0),
                    reorder_level=max(2, product.reorder_level // 4),
                    position=position,
                    created_at=product.created_at,
                )
            )
            links.append(
                [
                    value_ids[(option_ids[(product.pk, name)], value)]
                    for (name, _), (value, _) in zip(options, combo, strict=True)
                ]
            )
    ProductVariant.objects.bulk_create(variant_rows, batch_size=BATCH)
    saved = {
        v.sku: v
        for v in ProductVariant.objects.filter(product_id__in=[p.pk for p in products]).only(
            "pk", "sku", "product_id", "stock_quantity"
        )
    }
    through = ProductVariant.option_values.through
    through.objects.bulk_create(
        [
            through(productvariant_id=saved[row.sku].pk, productoptionvalue_id=value_id)
            for row, value_ids_of in zip(variant_rows, links, strict=True)
            for value_id in value_ids_of
        ],
        batch_size=BATCH * 3,
    )
    sync_products(p.pk for p in products)
    return [saved[row.sku] for row in variant_rows]


def generate_catalog(
    *, seed: int, products: int, images_limit: int = 1000, reviewers: list | None = None, progress=None
) -> CatalogStats:
    """Build `products` products on the AuroraMart taxonomy.

    The same seed gives the same catalog: names, SKUs, prices, stock, specs,
    reviews and images. Images are drawn for the first `images_limit`
    products only; beyond that, product cards show a text tile, which keeps a
    100k-product load within minutes.
    """
    progress = progress or _noop_progress
    rng = random.Random(seed)
    categories, subcategories, brands = ensure_taxonomy()
    pairs = [(c, s) for c, subs in TAXONOMY.items() for s in subs]
    now = timezone.now().replace(microsecond=0)
    taken_skus = set(Product.objects.values_list("sku", flat=True))
    taken_names = set(Product.objects.values_list("name", flat=True))

    rows: list[Product] = []
    items: dict[str, Item] = {}
    quality: dict[str, float] = {}
    for i in progress(range(products), desc="products", unit="product"):
        cat_name, sub_name = pairs[i % len(pairs)] if i < len(pairs) else rng.choice(pairs)
        brand_name = rng.choice(BRANDS[cat_name])
        name, item = _unique_name(
            rng,
            brand_name,
            lambda c=cat_name, s=sub_name: draw_item(rng, c, s, rng.choice(TAXONOMY[c][s])),
            taken_names,
        )
        sku = _sku(rng, cat_name, sub_name, taken_skus)
        items[sku] = item
        price = _price(rng, cat_name, sub_name)
        reorder = rng.choice([10, 15, 20, 25, 30])
        stock = _stock(rng, price, reorder)
        popularity = rng.paretovariate(1.3)
        quality[sku] = rng.uniform(2.6, 4.9)
        rows.append(
            Product(
                sku=sku,
                name=name,
                slug=product_slug(name, sku),
                description=f"{item.description} From {brand_name}, with AuroraMart's 30-day returns.",
                category=categories[cat_name],
                subcategory=subcategories[(cat_name, sub_name)],
                brand=brands[brand_name],
                price=price,
                compare_at_price=(price * Decimal("1.25")).quantize(Decimal("0.01"))
                if rng.random() < 0.15
                else None,
                stock_quantity=stock,
                reorder_level=reorder,
                reorder_quantity=reorder * 4,
                sold_count=min(int(popularity * 10), 100000),
                is_featured=rng.random() < 0.04,
                created_at=now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1439)),
            )
        )
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            Product.objects.bulk_create(rows[start : start + BATCH])
    saved = Product.objects.filter(sku__in=[p.sku for p in rows]).order_by("pk")
    by_sku = {
        p.sku: p
        for p in saved.only(
            "pk",
            "sku",
            "name",
            "category_id",
            "sold_count",
            "stock_quantity",
            "price",
            "compare_at_price",
            "reorder_level",
            "created_at",
        )
    }
    ordered = [by_sku[p.sku] for p in rows]
    sub_names = {s.pk: key for key, s in subcategories.items()}
    saved_subs = dict(saved.values_list("pk", "subcategory_id"))
    with_matrix = [p for p in ordered if sub_names[saved_subs[p.pk]] in VARIANT_MATRICES]
    matrix_ids = {p.pk for p in with_matrix}
    variants = create_default_variants([p for p in ordered if p.pk not in matrix_ids])
    variants += _generate_variant_matrices(
        rng, with_matrix, {p.pk: VARIANT_MATRICES[sub_names[saved_subs[p.pk]]] for p in with_matrix}
    )
    record_opening_stock(variants)
    cat_names = {c.pk: name for name, c in categories.items()}

    specs = [
        ProductSpecification(product_id=product.pk, name=spec_name, value=value, position=position)
        for product in ordered
        for position, (spec_name, value) in enumerate(items[product.sku].specifications)
    ]
    with transaction.atomic():
        for start in range(0, len(specs), BATCH * 3):
            ProductSpecification.objects.bulk_create(specs[start : start + BATCH * 3])

    review_count = _generate_reviews(rng, ordered, quality, reviewers or [], now, progress)
    image_count = _generate_images(ordered[:images_limit], cat_names, progress)
    recompute_ratings()
    return CatalogStats(
        categories=len(categories),
        subcategories=len(subcategories),
        brands=len(brands),
        products=len(rows),
        images=image_count,
        reviews=review_count,
    )


def _generate_reviews(rng, products, quality, reviewers, now, progress) -> int:
    if not reviewers:
        return 0
    reviews = []
    for product in progress(products, desc="reviews", unit="product"):
        count = min(len(reviewers), int(rng.expovariate(1 / 3) + product.sold_count / 200))
        count = min(count, 12)
        for user in rng.sample(reviewers, count):
            rating = max(1, min(5, round(rng.gauss(quality[product.sku], 0.9))))
            title, body = REVIEW_PHRASES[rating]
            status_roll = rng.random()
            status = (
                ProductReview.Status.APPROVED
                if status_roll < 0.9
                else ProductReview.Status.PENDING
                if status_roll < 0.97
                else ProductReview.Status.REJECTED
            )
            created = now - timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1439))
            reviews.append(
                ProductReview(
                    product_id=product.pk,
                    user=user,
                    rating=rating,
                    title=title,
                    body=f"{body} ({product.name})",
                    status=status,
                    created_at=created,
                    updated_at=created,
                )
            )
    with transaction.atomic():
        for start in range(0, len(reviews), BATCH * 3):
            ProductReview.objects.bulk_create(reviews[start : start + BATCH * 3])
    return len(reviews)


def _generate_images(products, cat_names, progress) -> int:
    """Two pictures per product (a packshot and a close-up), and one per colour for a product
    sold in colours, on that colour: choosing Navy shows the navy one."""
    images = []
    sub_names = dict(Subcategory.objects.values_list("pk", "name"))
    colours = _colours_of([p.pk for p in products])
    for product in progress(products, desc="images", unit="product"):
        own = colours.get(product.pk, [])
        first = hex_colour(own[0][1]) if own else None
        shots = [(view, None, first, product.name) for view in range(2)]
        shots += [
            (0, variant_id, hex_colour(swatch), f"{product.name}, {value}")
            for value, swatch, variant_id in own
        ]
        for position, (view, variant_id, colour, alt) in enumerate(shots):
            main, thumb = demo_image_files(
                title=product.name,
                subtitle=sub_names[product.subcategory_id],
                category=cat_names[product.category_id],
                seed=product.sku,
                variant=view,
                colour=colour,
            )
            image = ProductImage(
                product_id=product.pk,
                variant_id=variant_id,
                alt_text=alt if position != 1 else f"{product.name}, another view",
                position=position,
                is_primary=position == 0,
            )
            stem = f"{product.sku.lower()}-{position}"
            image.image.save(f"{stem}.jpg", main, save=False)
            image.thumbnail.save(f"{stem}-thumb.jpg", thumb, save=False)
            images.append(image)
    with transaction.atomic():
        ProductImage.objects.bulk_create(images, batch_size=BATCH)
    return len(images)


def _colours_of(product_ids) -> dict[int, list[tuple[str, str, int]]]:
    """product id -> [(colour, swatch, the first variant in that colour)] for products sold in
    colours whose swatch is known."""
    found: dict[int, dict[str, tuple[str, str, int]]] = {}
    rows = (
        ProductOptionValue.objects.filter(option__product_id__in=product_ids, option__name="Colour")
        .exclude(swatch="")
        .values_list("option__product_id", "value", "swatch", "variants__pk")
        .order_by("option__product_id", "position", "variants__position")
    )
    for product_id, value, swatch, variant_id in rows:
        if variant_id is not None:
            found.setdefault(product_id, {}).setdefault(value, (value, swatch, variant_id))
    return {product_id: list(by_value.values()) for product_id, by_value in found.items()}
