"""Product search. A portable matcher that works on every database; see issue
"Search that finds what people mean" for the ranked PostgreSQL backend."""

import re

from django.db.models import Q, QuerySet

from auroramart.catalog.selectors import active_products

MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"[\w&-]+", re.UNICODE)


def normalise_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def query_terms(query: str) -> list[str]:
    return [t for t in _WORD.findall(query.lower()) if t.strip("-&")][:10]


def search_products(query: str) -> QuerySet:
    """Products where every word appears in the name, SKU, brand, category or description."""
    terms = query_terms(query)
    queryset = active_products()
    if not terms:
        return queryset.none()
    for term in terms:
        queryset = queryset.filter(
            Q(name__icontains=term)
            | Q(sku__istartswith=term)
            | Q(brand__name__icontains=term)
            | Q(category__name__icontains=term)
            | Q(subcategory__name__icontains=term)
            | Q(description__icontains=term)
        )
    return queryset
