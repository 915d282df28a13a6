"""Two search backends behind one function, chosen by the database in use.

PostgreSQL: the stored search document (name > brand > category > description,
kept fresh by a trigger), prefix matching for partial words, trigram word
similarity for typos, and SKU prefixes, ranked in one query.
Portable (SQLite and others): every word must appear somewhere; words that
match nothing are corrected from the catalog's vocabulary first, and a score
built from CASE expressions ranks name above brand and category above
description, exact and prefix matches above loose ones.

Both annotate `score` on active products; higher is better.
"""

import difflib
import re

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from auroramart.catalog.cache import catalog_version
from auroramart.catalog.models import (
    Brand,
    Category,
    Product,
    ProductOptionValue,
    ProductVariant,
    Subcategory,
)

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
SKU_LIKE = re.compile(r"^[A-Za-z0-9&]{1,6}-?[A-Za-z0-9-]*$")


def normalise_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def query_terms(query: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(query)][:MAX_TERMS]


def looks_like_sku(query: str) -> bool:
    return " " not in query and bool(SKU_LIKE.match(query)) and any(c.isdigit() or c == "-" for c in query)


def _nothing() -> QuerySet:
    return Product.objects.none().annotate(score=Value(0.0, output_field=FloatField()))


# --- vocabulary, for typo correction and "did you mean" --------------------------------


def vocabulary() -> set[str]:
    key = f"search:vocabulary:{catalog_version()}"
    words = cache.get(key)
    if words is None:
        names = list(Product.objects.filter(is_active=True).values_list("name", flat=True).distinct())
        names += list(Brand.objects.values_list("name", flat=True))
        names += list(Category.objects.values_list("name", flat=True))
        names += list(Subcategory.objects.values_list("name", flat=True))
        names += list(ProductOptionValue.objects.values_list("value", flat=True).distinct())
        words = {w.lower() for name in names for w in _WORD.findall(name) if len(w) >= 3}
        cache.set(key, words, 3600)
    return words


def correct(term: str, words: set[str]) -> str | None:
    """The closest catalog word to a misspelt one, or None when the word is fine or hopeless."""
    if term in words or len(term) < 4 or any(w.startswith(term) for w in words):
        return None
    matches = difflib.get_close_matches(term, words, n=1, cutoff=0.75)
    return matches[0] if matches else None


def complete(term: str, words: set[str]) -> str:
    """A word typed in part ("wireles") as the catalog word it most likely starts ("wireless")."""
    if term in words:
        return term
    completions = [w for w in words if w.startswith(term)]
    return difflib.get_close_matches(term, completions, n=1, cutoff=0)[0] if completions else term


def did_you_mean(query: str) -> str | None:
    """The query with each misspelt word corrected, when one was; the words typed in part are
    then written out too, so the suggestion never keeps half a word ("wireles hedphones" →
    "wireless headphones", not "wireles headphones")."""
    words = vocabulary()
    terms = query_terms(query)
    fixed = [correct(t, words) or t for t in terms]
    if fixed == terms:
        return None
    return " ".join(complete(t, words) for t in fixed)


# --- PostgreSQL ---------------------------------------------------------------------


def _tsquery(terms: list[str]) -> str:
    # Terms are letters, digits, hyphens and apostrophes only (see _WORD); quote them anyway.
    safe = [re.sub(r"[^\w]", "", t) for t in terms]
    return " & ".join(f"{t}:*" for t in safe if t)


# A variant's SKU finds its product (variant_sku_upper indexes them for the prefix match).
VARIANT_SKU_SQL = (
    "catalog_product.id IN (SELECT v.product_id FROM catalog_productvariant v WHERE upper(v.sku) LIKE %s)"
)
TEXT_MATCH_SQL = (
    "(catalog_product.search_document @@ to_tsquery('english', %s) OR upper(catalog_product.sku) LIKE %s"
    f" OR {VARIANT_SKU_SQL})"
)
TYPO_MATCH_SQL = (
    "(catalog_product.search_document @@ to_tsquery('english', %s) OR upper(catalog_product.sku) LIKE %s"
    f" OR {VARIANT_SKU_SQL} OR %s <%% lower(catalog_product.name))"
)
SCORE_SQL = (
    "(CASE WHEN upper(catalog_product.sku) = %s THEN 100 WHEN upper(catalog_product.sku) LIKE %s THEN 60"
    f" WHEN {VARIANT_SKU_SQL} THEN 90 ELSE 0 END"
    " + CASE WHEN lower(catalog_product.name) = %s THEN 40 WHEN lower(catalog_product.name) LIKE %s THEN 20 ELSE 0 END"
    " + 10 * ts_rank_cd(coalesce(catalog_product.search_document, ''::tsvector), to_tsquery('english', %s), 1)"
    # Trigram similarity only for rows the text search missed (typos): it is the costly part.
    " + CASE WHEN catalog_product.search_document @@ to_tsquery('english', %s) THEN 6"
    " ELSE 6 * word_similarity(%s, lower(catalog_product.name)) END)"
)


def postgres_search(query: str, *, typo_fallback: bool = True) -> QuerySet:
    """Text search first (GIN index); trigram similarity over names only when the text
    search finds nothing, since it is far costlier on a large catalog."""
    words = vocabulary()
    terms = [correct(t, words) or t for t in query_terms(query)]
    tsquery = _tsquery(terms)
    if not tsquery:
        return _nothing()
    lowered = " ".join(terms) or query.lower()
    sku = query.upper()
    like_sku = sku.replace("%", r"\%").replace("_", r"\_") + "%"
    like_name = lowered.replace("%", r"\%").replace("_", r"\_") + "%"
    active = Product.objects.filter(is_active=True)
    # Only constant SQL with bound parameters: the query text never enters the SQL string.
    matches = active.annotate(
        matched=RawSQL(TEXT_MATCH_SQL, [tsquery, like_sku, like_sku], output_field=BooleanField())  # noqa: S611
    ).filter(matched=True)
    if typo_fallback and not matches.exists():
        matches = active.annotate(
            matched=RawSQL(  # noqa: S611
                TYPO_MATCH_SQL, [tsquery, like_sku, like_sku, lowered], output_field=BooleanField()
            )
        ).filter(matched=True)
    return matches.annotate(
        score=RawSQL(  # noqa: S611
            SCORE_SQL,
            [sku, like_sku, like_sku, lowered, like_name, tsquery, tsquery, lowered],
            output_field=FloatField(),
        )
    )


# --- portable -----------------------------------------------------------------------


def _term_filter(term: str) -> Q:
    return (
        Q(name__icontains=term)
        | Q(brand__name__icontains=term)
        | Q(category__name__icontains=term)
        | Q(subcategory__name__icontains=term)
        | Q(variant_terms__icontains=term)
        | Q(description__icontains=term)
    )


def portable_search(query: str) -> QuerySet:
    terms = query_terms(query)
    if not terms:
        return _nothing()
    words = vocabulary()
    terms = [correct(t, words) or t for t in terms]
    condition = (
        Q(sku__istartswith=query)
        | Q(pk__in=ProductVariant.objects.filter(sku__istartswith=query).values("product_id"))
        if looks_like_sku(query)
        else Q()
    )
    words_match = Q()
    for term in terms:
        words_match &= _term_filter(term)
    condition = condition | words_match if condition else words_match
    phrase = " ".join(terms)
    variant_skus = ProductVariant.objects.filter(sku__iexact=query).values("product_id")
    whens = [
        Case(
            When(sku__iexact=query, then=Value(100)),
            When(pk__in=variant_skus, then=Value(90)),
            When(sku__istartswith=query, then=Value(60)),
            default=Value(0),
        ),
        Case(
            When(name__iexact=phrase, then=Value(40)),
            When(name__istartswith=phrase, then=Value(20)),
            default=Value(0),
        ),
        Case(When(name__icontains=phrase, then=Value(8)), default=Value(0)),
    ]
    for term in terms:
        word = rf"(^|[^a-z0-9]){re.escape(term)}"
        whens += [
            Case(
                When(name__iregex=word, then=Value(10)),
                When(name__icontains=term, then=Value(5)),
                default=Value(0),
            ),
            Case(When(brand__name__icontains=term, then=Value(6)), default=Value(0)),
            Case(When(variant_terms__iregex=rf"{word}($|[^a-z0-9])", then=Value(5)), default=Value(0)),
            Case(
                When(subcategory__name__icontains=term, then=Value(4)),
                When(category__name__icontains=term, then=Value(3)),
                default=Value(0),
            ),
            Case(When(description__icontains=term, then=Value(1)), default=Value(0)),
        ]
    score = whens[0]
    for expression in whens[1:]:
        score = score + expression
    return Product.objects.filter(is_active=True).filter(condition).annotate(score=score)


def search_products(query: str, *, typo_fallback: bool = True) -> QuerySet:
    """Active products matching the query, annotated with `score` (higher ranks first)."""
    query = normalise_query(query)
    if not query_terms(query):
        return _nothing()
    if connection.vendor == "postgresql":
        return postgres_search(query, typo_fallback=typo_fallback)
    return portable_search(query)
