import hashlib

from django.core.cache import cache

from auroramart.catalog.cache import catalog_version
from auroramart.catalog.models import Brand
from auroramart.catalog.selectors import category_menu

from .backends import search_products
from .models import SearchSuggestion

SUGGESTED_PRODUCTS = 5


SUGGESTION_SECONDS = 600


def suggestions(query: str) -> dict:
    """What the search box offers as you type: products, categories, brands, popular searches.

    The same few letters are typed by many shoppers, so the answer is cached per
    query and catalog version (plain data, not model instances).
    """
    key = f"search:suggest:{catalog_version()}:{hashlib.sha1(query.lower().encode(), usedforsecurity=False).hexdigest()}"
    cached = cache.get(key)
    if cached is None:
        cached = _suggestions(query)
        cache.set(key, cached, SUGGESTION_SECONDS)
    return cached


def _suggestions(query: str) -> dict:
    q = query.lower()
    products = list(
        search_products(query, typo_fallback=False)
        .select_related("brand")
        .only("name", "slug", "sku", "brand__name")
        .order_by("-score", "pk")[:SUGGESTED_PRODUCTS]
    )
    categories = []
    for cat in category_menu():
        if q in cat["name"].lower():
            categories.append({"name": cat["name"], "url": cat["url"]})
        categories += [
            {"name": f"{sub['name']} in {cat['name']}", "url": sub["url"]}
            for sub in cat["subcategories"]
            if q in sub["name"].lower()
        ]
    brands = list(Brand.objects.filter(name__icontains=query).order_by("name").values("name", "slug")[:4])
    popular = list(
        SearchSuggestion.objects.filter(is_active=True, phrase__icontains=query).values_list(
            "phrase", flat=True
        )[:5]
    )
    return {"products": products, "categories": categories[:5], "brands": brands, "popular": popular}


def popular_searches(limit: int = 6) -> list[str]:
    return list(SearchSuggestion.objects.filter(is_active=True).values_list("phrase", flat=True)[:limit])
