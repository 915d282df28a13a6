"""Read-side queries for the catalog. Every list query here costs a fixed
number of SQL statements, whatever the number of rows (see the query-count tests)."""

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Field, Min, OuterRef, Prefetch, Q, QuerySet, Subquery

from auroramart.core import key_mirror, shared_reads

from .cache import Held, catalog_version
from .models import (
    COLOUR_OPTION_NAMES,
    Brand,
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductReview,
    ProductVariant,
    Subcategory,
)

MENU_CACHE_SECONDS = 600

SORTS = {
    "relevance": ("-score", "pk"),  # search results only
    "featured": ("-is_featured", "-sold_count", "pk"),
    "name": ("name", "pk"),
    "price_asc": ("price", "pk"),
    "price_desc": ("-price", "pk"),
    "rating": ("-rating", "-rating_count", "pk"),
    "newest": ("-created_at", "-pk"),
    "best_selling": ("-sold_count", "pk"),
}
SEARCH_SORT_LABELS = {"relevance": "Best match"}
SORT_LABELS = {
    "featured": "Featured",
    "name": "Name (A–Z)",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "rating": "Top rated",
    "newest": "Newest",
    "best_selling": "Best selling",
}


@dataclass(frozen=True)
class ProductFilters:
    category: Category | None = None
    subcategory: Subcategory | None = None
    brands: tuple[Brand, ...] = field(default_factory=tuple)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_rating: int | None = None
    in_stock: bool = False
    # Option values, any of each option's and all of the options, in stock in one variant:
    # (("size", ("M", "L")), ("colour", ("Navy",))).
    options: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    sort: str = "featured"


def category_menu() -> list[dict]:
    """Categories with their subcategories for the header menu, cached briefly.

    Plain dicts are cached, not model instances, so a cache hit costs no query
    and no unpickling of Django internals.
    """
    key = f"catalog:menu:{catalog_version()}"
    menu = cache.get(key)
    if menu is None:
        subcategories = Subcategory.objects.only("name", "slug", "category_id").order_by("position", "name")
        categories = (
            Category.objects.filter(is_active=True)
            .prefetch_related(Prefetch("subcategories", queryset=subcategories))
            .order_by("position", "name")
        )
        menu = [
            {
                "name": c.name,
                "slug": c.slug,
                "url": c.get_absolute_url(),
                "subcategories": [
                    {"name": s.name, "slug": s.slug, "url": f"{c.get_absolute_url()}{s.slug}/"}
                    for s in c.subcategories.all()
                ],
            }
            for c in categories
        ]
        cache.set(key, menu, MENU_CACHE_SECONDS)
    return menu


def with_card_data(queryset: QuerySet) -> QuerySet:
    """What a product card shows: brand, category, the primary image and the colour swatches
    (three extra queries, whatever the number of products)."""
    colour = Q()
    for name in COLOUR_OPTION_NAMES:
        colour |= Q(name__iexact=name)
    return queryset.select_related("brand", "category").prefetch_related(
        Prefetch(
            "images",
            queryset=ProductImage.objects.filter(is_primary=True),
            to_attr="primary_images",
        ),
        Prefetch(
            "options",
            queryset=ProductOption.objects.filter(colour).prefetch_related("values"),
            to_attr="colour_options",
        ),
    )


def active_products() -> QuerySet:
    return Product.objects.filter(is_active=True)


def filter_products(filters: ProductFilters, base: QuerySet | None = None) -> QuerySet:
    sort = filters.sort
    if sort == "relevance" and base is None:
        sort = "featured"  # relevance needs a search score
    return with_card_data(_filtered(filters, base).order_by(*SORTS.get(sort, SORTS["featured"])))


def _filtered(filters: ProductFilters, base: QuerySet | None = None) -> QuerySet:
    queryset = active_products() if base is None else base
    if filters.category is not None:
        queryset = queryset.filter(category=filters.category)
    if filters.subcategory is not None:
        queryset = queryset.filter(subcategory=filters.subcategory)
    if filters.brands:
        queryset = queryset.filter(brand__in=[b.pk for b in filters.brands])
    if filters.min_price is not None:
        queryset = queryset.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price__lte=filters.max_price)
    if filters.min_rating:
        queryset = queryset.filter(rating__gte=filters.min_rating)
    if filters.in_stock:
        queryset = queryset.filter(stock_quantity__gt=0)
    if filters.options:
        variants = ProductVariant.objects.filter(is_active=True, stock_quantity__gt=0)
        for name, values in filters.options:
            # One join per option, so a single variant must carry a value of each.
            variants = variants.filter(
                option_values__in=ProductOptionValue.objects.filter(
                    option__name__iexact=name, value__in=values
                )
            )
        queryset = queryset.filter(pk__in=variants.values("product_id"))
    return queryset


def option_facets(filters: ProductFilters, base: QuerySet | None = None) -> list[dict]:
    """The option values of the products the other filters leave, each with how many products
    have it in stock: [{"name": "Size", "key": "size", "values": [{"value": "M", "count": 12,
    "checked": True}]}], options in their usual order, values in theirs (S < M < L). One query."""
    # Grouped from the products' side, so a search's own SQL (which names catalog_product)
    # stays the outer query.
    value = "variants__option_values"
    rows = (
        _filtered(replace(filters, options=()), base)
        .filter(variants__is_active=True, variants__stock_quantity__gt=0, **{f"{value}__isnull": False})
        .order_by()
        .values(option_name=F(f"{value}__option__name"), value_name=F(f"{value}__value"))
        .annotate(
            count=Count("pk", distinct=True),
            pos=Min(f"{value}__position"),
            opos=Min(f"{value}__option__position"),
        )
    )
    chosen = {name: set(values) for name, values in filters.options}
    facets: dict[str, dict] = {}
    for row in rows:
        key = row["option_name"].lower()
        facet = facets.setdefault(
            key, {"name": row["option_name"], "key": key, "pos": row["opos"], "values": {}}
        )
        value = facet["values"].setdefault(
            row["value_name"], {"value": row["value_name"], "count": 0, "pos": row["pos"]}
        )
        value["count"] = max(value["count"], row["count"])
        value["checked"] = row["value_name"] in chosen.get(key, ())
    result = []
    for facet in sorted(facets.values(), key=lambda f: (f["pos"], f["name"])):
        values = sorted(facet["values"].values(), key=lambda v: (v["pos"], v["value"]))
        result.append({"name": facet["name"], "key": facet["key"], "values": values})
    return result


def brands_for(filters: ProductFilters) -> list[Brand]:
    """Brands that have active products in the current category or subcategory, each with
    `count`: how many products the other filters leave of it (a facet's count; two queries)."""
    products = active_products()
    if filters.subcategory is not None:
        products = products.filter(subcategory=filters.subcategory)
    elif filters.category is not None:
        products = products.filter(category=filters.category)
    counts = dict(
        _filtered(replace(filters, brands=()))
        .order_by()
        .values_list("brand_id")
        .annotate(n=Count("pk", distinct=True))
    )
    brands = list(Brand.objects.filter(pk__in=products.values("brand_id")).order_by("name"))
    for brand in brands:
        brand.count = counts.get(brand.pk, 0)  # type: ignore[attr-defined]
    return brands


def category_tiles() -> list[dict]:
    """The home page's category tiles: each category with a picture, the thumbnail of its best
    selling product that has one (one query; the home page around it is cached)."""
    picture = (
        ProductImage.objects.filter(
            product__category=OuterRef("pk"), product__is_active=True, is_primary=True
        )
        .order_by("-product__sold_count", "product_id")
        .values("thumbnail")[:1]
    )
    storage = ProductImage._meta.get_field("thumbnail").storage
    return [
        {"name": c.name, "url": c.get_absolute_url(), "picture": storage.url(c.picture) if c.picture else ""}
        for c in Category.objects.filter(is_active=True)
        .annotate(picture=Subquery(picture))
        .order_by("position", "name")
    ]


def home_sections(limit: int = 8) -> dict[str, list[Product]]:
    base = with_card_data(active_products())
    return {
        "featured": list(base.filter(is_featured=True).order_by("-sold_count", "pk")[:limit]),
        "new_arrivals": list(base.order_by("-created_at", "-pk")[:limit]),
        "best_sellers": list(base.order_by("-sold_count", "pk")[:limit]),
    }


_held_products: Held[Product] = Held(size=4096, seconds=60)


def products_by_id(product_ids) -> dict[int, Product]:
    """Products with their brand, category and primary picture, as the cart and the checkout
    show them, held in this process under the catalog version (any write to a product, its
    brand, category or pictures changes the version). What must be exact at the till (a
    variant's price and stock) lives on the variant and is read live; placing an order reads
    and locks its products afresh."""
    version = catalog_version()
    found: dict[int, Product] = {}
    missing = []
    for pk in product_ids:
        held = _held_products.get(f"{version}:{pk}")
        if held is None:
            missing.append(pk)
        else:
            found[pk] = held
    if missing:
        for product in (
            Product.objects.filter(pk__in=missing)
            .select_related("brand", "category")
            .prefetch_related(
                Prefetch(
                    "images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images"
                )
            )
        ):
            _held_products.put(f"{version}:{product.pk}", product)
            found[product.pk] = product
    return found


def product_detail(slug: str) -> Product | None:
    return (
        active_products()
        .select_related("brand", "category", "subcategory")
        .prefetch_related("images", "specifications")
        .filter(slug=slug)
        .first()
    )


def approved_reviews_query(product: Product) -> QuerySet:
    """A product's published reviews, newest first (the API pages through them)."""
    return (
        product.reviews.filter(status=ProductReview.Status.APPROVED)
        .select_related("user")
        .order_by("-created_at", "-pk")
    )


def approved_reviews(product: Product, limit: int = 10) -> list[ProductReview]:
    return list(approved_reviews_query(product)[:limit])


def rating_distribution(product: Product) -> dict:
    """Count of approved reviews per star, and the average, in one query."""
    approved = Q(reviews__status=ProductReview.Status.APPROVED)
    counts = Product.objects.filter(pk=product.pk).aggregate(
        total=Count("reviews", filter=approved),
        **{f"s{star}": Count("reviews", filter=approved & Q(reviews__rating=star)) for star in range(1, 6)},
    )
    total = counts["total"] or 0
    rows = [
        {
            "star": star,
            "count": counts[f"s{star}"],
            "percent": round(100 * counts[f"s{star}"] / total) if total else 0,
        }
        for star in range(5, 0, -1)
    ]
    return {"total": total, "rows": rows}


def related_products(product: Product, limit: int = 4) -> list[Product]:
    return list(
        with_card_data(
            active_products()
            .filter(subcategory_id=product.subcategory_id)
            .exclude(pk=product.pk)
            .order_by("-sold_count", "pk")
        )[:limit]
    )


_LIVE_FIELDS = ("price", "compare_at_price", "stock_quantity", "reorder_level")


def live_values(pk: int) -> dict | None:
    """Price and stock for the product page, exact as of the last write to them; None when
    the product is not for sale.

    Cached per product; every write path drops the entry (model saves through
    the catalog's signal, stock movements through forget_live_product), and it
    expires within a minute regardless. A miss is one primary-key query in
    plain SQL: it is on the hottest page, and the ORM's query building would
    cost more than the query itself.
    """
    key = live_product_key(pk)
    values = cache.get(key)
    if values is None:
        values = _read_live_product(pk) or {}
        cache.set(key, values, LIVE_SECONDS)
    return values or None


LIVE_SECONDS = 60


def live_product_with_matrix(pk: int) -> tuple[dict | None, dict]:
    """live_values and variant_matrix together: the product page's live parts in one round
    trip to the cache when both are there (with the keys every request shares, when the page
    named them, `core.shared_reads.expect_at` with `live_keys`). The values are plain: the page
    needs no Product built from them (#23, eleventh round: building one was 5% of a product page)."""
    live_key, options_key = live_keys(pk)
    found = shared_reads.get_many([live_key, options_key])
    values = found.get(live_key)
    live = live_values(pk) if values is None else (values or None)
    matrix = found.get(options_key)
    return live, matrix if matrix is not None else variant_matrix(pk)


def live_keys(pk: int) -> list[str]:
    """The cache keys of a product's live parts, its live values' then its variant matrix's:
    what `live_product_with_matrix` reads and a product page names for its address."""
    return [live_product_key(pk), matrix_key(pk)]


def live_product_key(pk: int) -> str:
    return f"catalog:live:{pk}"


def matrix_key(pk: int) -> str:
    return f"catalog:matrix:{pk}"


# A product page reads both on every request; each process holds them, and Redis says when one
# changes (every write path drops them: a sale, a price, a stock count).
key_mirror.mirror(live_product_key(0)[:-1])
key_mirror.mirror(matrix_key(0)[:-1])


def forget_live_product(*pks: int) -> None:
    cache.delete_many([key for pk in pks for key in (live_product_key(pk), matrix_key(pk))])


def _read_live_product(pk: int) -> dict | None:
    table = Product._meta.db_table
    columns = ", ".join(connection.ops.quote_name(_concrete_field(f).column) for f in _LIVE_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s AND is_active", [pk])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_LIVE_FIELDS, row, strict=True))
    # SQLite hands decimals back as floats; the field converts them exactly.
    for name in ("price", "compare_at_price"):
        if values[name] is not None:
            values[name] = _concrete_field(name).to_python(str(values[name]))
    return values


def _concrete_field(name: str) -> Field:
    return cast(Field, Product._meta.get_field(name))


def variant_matrix(product_id: int) -> dict:
    """A product's options and active variants as plain, cacheable data: what the product
    page's pickers and the API show. Three queries whatever the number of variants; cached
    per product with its live price and stock (dropped by forget_live_product)."""
    key = matrix_key(product_id)
    matrix = cache.get(key)
    if matrix is None:
        matrix = _read_matrix(product_id)
        cache.set(key, matrix, LIVE_SECONDS)
    return matrix


def _read_matrix(product_id: int) -> dict:
    options = [
        {
            "id": o.pk,
            "name": o.name,
            "is_colour": o.is_colour,
            "values": [{"id": v.pk, "value": v.value, "swatch": v.swatch} for v in o.values.all()],
        }
        for o in ProductOption.objects.filter(product_id=product_id).prefetch_related("values")
    ]
    variants = []
    for v in (
        ProductVariant.objects.filter(product_id=product_id, is_active=True)
        .prefetch_related(
            "option_values",
            Prefetch(
                "images", queryset=ProductImage.objects.order_by("position", "pk"), to_attr="own_images"
            ),
        )
        .order_by("position", "pk")
    ):
        image = v.own_images[0] if v.own_images else None
        variants.append(
            {
                "id": v.pk,
                "sku": v.sku,
                "name": v.name,
                "price": v.price,
                "compare_at_price": v.compare_at_price,
                "stock": v.stock_quantity,
                "reorder_level": v.reorder_level,
                "values": sorted(ov.pk for ov in v.option_values.all()),
                "image": {"url": image.image.url, "alt": image.alt_text} if image else None,
            }
        )
    _share_colour_pictures(options, variants)
    return {"options": options, "variants": variants}


def _share_colour_pictures(options: list[dict], variants: list[dict]) -> None:
    """A picture of the navy one shows for every navy size: a variant without its own picture
    takes one of a variant in the same colour."""
    colour_ids = {v["id"] for o in options if o["is_colour"] for v in o["values"]}
    by_colour: dict[int, dict] = {}
    for variant in variants:
        for value_id in colour_ids.intersection(variant["values"]):
            if variant["image"]:
                by_colour.setdefault(value_id, variant["image"])
    for variant in variants:
        if not variant["image"]:
            shared = [by_colour[i] for i in colour_ids.intersection(variant["values"]) if i in by_colour]
            variant["image"] = shared[0] if shared else None


def choose_variant(matrix: dict, variant_id=None) -> tuple[dict | None, list[dict]]:
    """The chosen variant (the one asked for, else the first in stock, else the first) and
    the pickers: each option's values with the variant a click leads to and whether that
    choice can be bought with the options chosen before it."""
    variants = matrix["variants"]
    if not variants:
        return None, []
    try:
        chosen = next((v for v in variants if v["id"] == int(variant_id)), None)
    except (TypeError, ValueError):
        chosen = None
    if chosen is None:
        chosen = next((v for v in variants if v["stock"] > 0), variants[0])
    selected = set(chosen["values"])
    pickers = []
    earlier: set[int] = set()
    for option in matrix["options"]:
        own = {value["id"] for value in option["values"]}
        current = (selected & own) or {None}
        later = selected - own - earlier
        values = []
        for value in option["values"]:
            matching = [v for v in variants if earlier | {value["id"]} <= set(v["values"])]
            in_stock = [v for v in matching if v["stock"] > 0]
            pool = in_stock or matching
            best = max(pool, key=lambda v: len(later & set(v["values"])), default=None)
            values.append(
                {
                    **value,
                    "selected": value["id"] in current,
                    "available": bool(in_stock),
                    "exists": bool(matching),
                    "variant_id": best["id"] if best else None,
                }
            )
        pickers.append({"name": option["name"], "is_colour": option["is_colour"], "values": values})
        earlier |= selected & own
    return chosen, pickers
