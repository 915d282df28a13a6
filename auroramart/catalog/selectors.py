"""Read-side queries for the catalog. Every list query here costs a fixed
number of SQL statements, whatever the number of rows (see the query-count tests)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Field, Prefetch, Q, QuerySet

from .cache import catalog_version
from .models import Brand, Category, Product, ProductImage, ProductReview, Subcategory

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
    """What a product card shows: brand, category and the primary image (one extra query)."""
    return queryset.select_related("brand", "category").prefetch_related(
        Prefetch(
            "images",
            queryset=ProductImage.objects.filter(is_primary=True),
            to_attr="primary_images",
        )
    )


def active_products() -> QuerySet:
    return Product.objects.filter(is_active=True)


def filter_products(filters: ProductFilters, base: QuerySet | None = None) -> QuerySet:
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
    sort = filters.sort
    if sort == "relevance" and base is None:
        sort = "featured"  # relevance needs a search score
    return with_card_data(queryset.order_by(*SORTS.get(sort, SORTS["featured"])))


def brands_for(filters: ProductFilters) -> QuerySet:
    """Brands that have active products in the current category or subcategory."""
    products = active_products()
    if filters.subcategory is not None:
        products = products.filter(subcategory=filters.subcategory)
    elif filters.category is not None:
        products = products.filter(category=filters.category)
    return Brand.objects.filter(pk__in=products.values("brand_id")).order_by("name")


def home_sections(limit: int = 8) -> dict[str, list[Product]]:
    base = with_card_data(active_products())
    return {
        "featured": list(base.filter(is_featured=True).order_by("-sold_count", "pk")[:limit]),
        "new_arrivals": list(base.order_by("-created_at", "-pk")[:limit]),
        "best_sellers": list(base.order_by("-sold_count", "pk")[:limit]),
    }


def product_detail(slug: str) -> Product | None:
    return (
        active_products()
        .select_related("brand", "category", "subcategory")
        .prefetch_related("images", "specifications")
        .filter(slug=slug)
        .first()
    )


def approved_reviews(product: Product, limit: int = 10) -> list[ProductReview]:
    return list(
        product.reviews.filter(status=ProductReview.Status.APPROVED)
        .select_related("user")
        .order_by("-created_at")[:limit]
    )


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


def live_product(pk: int) -> Product | None:
    """Price and stock for the product page, exact as of the last write to them.

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
    return Product(pk=pk, **values) if values else None


LIVE_SECONDS = 60


def live_product_key(pk: int) -> str:
    return f"catalog:live:{pk}"


def forget_live_product(*pks: int) -> None:
    cache.delete_many([live_product_key(pk) for pk in pks])


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
