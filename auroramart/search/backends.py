"""Two search backends behind one function, chosen by the database in use.

A query is first read as words plus filters (understanding.py: "kids books under 20"); each
word carries its synonyms, and a misspelt word is corrected from the catalog's vocabulary.
PostgreSQL: the stored search document (name > brand > category > description, kept fresh by
a trigger, English stemming), prefix matching for partial words, trigram word similarity for
typos, and SKU prefixes, ranked in one query.
Portable (SQLite and others): every word (or one of its synonyms, or its singular) must
appear somewhere, and a score built from CASE expressions ranks name above brand and category
above description, exact and prefix matches above loose ones.
Products staff pinned for the query come first; a filtered reading that finds nothing falls
back to the words as typed.

Both annotate `score` on active products; higher is better.
"""

import difflib
import re

from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from rapidfuzz import process
from rapidfuzz.distance import OSA

from auroramart.catalog.models import Product, ProductVariant

from .lexicon import forms, lexicon, singular
from .understanding import Understood, alternatives, understand

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
    return lexicon().vocabulary


TYPO_SIMILARITY = 0.7  # one slip in a 4-letter word, two in a 7-letter one


def correct(term: str, words: set[str]) -> str | None:
    """The closest catalog word to a misspelt one, or None when the word is fine or hopeless.
    Closeness is the edit distance that counts two swapped letters as one slip (optimal
    string alignment, by rapidfuzz): "peice" is "piece", not "spice"; a tie goes to the
    word with the same first letter."""
    if term in words or singular(term) in words or len(term) < 4 or any(w.startswith(term) for w in words):
        return None
    found = process.extract(
        term, words, scorer=OSA.normalized_similarity, limit=5, score_cutoff=TYPO_SIMILARITY
    )
    if not found:
        return None
    best = max(score for _, score, _ in found)
    tied = [word for word, score, _ in found if score == best]
    return min(tied, key=lambda word: (word[0] != term[0], word))


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


def _tsquery(groups: list[list[str]], prefix: bool = True) -> str:
    """Every word (one of its alternatives) as a prefix: "(earbuds:* | earphones:*) & black:*".
    A hyphenated word or a phrase is its parts ("t-shirt" → shirt:*; "running shoes" →
    (running:* & shoes:*)); one-letter parts are dropped."""
    parts = []
    for group in groups:
        options = []
        for word in group:
            # Terms are letters, digits, hyphens and apostrophes only (see _WORD); quote them anyway.
            pieces = [re.sub(r"[^\w]", "", piece) for piece in re.split(r"[-\s]+", word)]
            pieces = [p for p in pieces if len(p) > 1] or [p for p in pieces if p]
            if pieces:
                joined = " & ".join(f"{p}:*" if prefix else p for p in pieces)
                options.append(f"({joined})" if len(pieces) > 1 else joined)
        if options:
            parts.append(f"({' | '.join(options)})" if len(options) > 1 else options[0])
    return " & ".join(parts)


# A variant's SKU finds its product (variant_sku_upper indexes them for the prefix match). As
# `= ANY(ARRAY(...))` the subquery runs once and the primary key's index answers this arm of
# the match's OR, so PostgreSQL combines indexes; `IN (subquery)` read every product instead.
VARIANT_SKU_SQL = (
    "catalog_product.id = ANY(ARRAY("
    "SELECT v.product_id FROM catalog_productvariant v WHERE upper(v.sku) LIKE %s))"
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
    " ELSE 6 * word_similarity(%s, lower(catalog_product.name)) END"
    # Whole words in the name above the same letters starting a longer word ("pants", "pantry").
    " + CASE WHEN to_tsvector('english', catalog_product.name) @@ to_tsquery('english', %s) THEN 5 ELSE 0 END)"
)


def postgres_search(
    query: str, groups: list[list[str]], *, scope: Q, pinned: list[int], typo_fallback: bool = True
) -> QuerySet:
    """Text search first (GIN index); trigram similarity over names only when the text
    search finds nothing, since it is far costlier on a large catalog."""
    tsquery = _tsquery(groups)
    if not tsquery:
        return _nothing()
    lowered = " ".join(group[0] for group in groups) or query.lower()
    phrase = query.lower()  # the whole query, for a name typed in full
    sku = query.upper()
    like_sku = sku.replace("%", r"\%").replace("_", r"\_") + "%"
    like_name = phrase.replace("%", r"\%").replace("_", r"\_") + "%"
    active = Product.objects.filter(is_active=True)
    # Only constant SQL with bound parameters: the query text never enters the SQL string.
    matched = RawSQL(TEXT_MATCH_SQL, [tsquery, like_sku, like_sku], output_field=BooleanField())  # noqa: S611
    matches = active.annotate(matched=matched).filter((Q(matched=True) & scope) | Q(pk__in=pinned))
    if typo_fallback and not matches.exists():
        matched = RawSQL(  # noqa: S611
            TYPO_MATCH_SQL, [tsquery, like_sku, like_sku, lowered], output_field=BooleanField()
        )
        matches = active.annotate(matched=matched).filter((Q(matched=True) & scope) | Q(pk__in=pinned))
    score = RawSQL(  # noqa: S611
        SCORE_SQL,
        [
            sku,
            like_sku,
            like_sku,
            phrase,
            like_name,
            tsquery,
            tsquery,
            lowered,
            _tsquery(groups, prefix=False),
        ],
        output_field=FloatField(),
    )
    return matches.annotate(score=score + _pin_bonus(pinned))


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


def _stems(group: list[str]) -> list[str]:
    """The alternatives as the text to look for, in either number (lexicon.forms); a form
    that holds another ("shoes" holds "shoe") adds nothing to a substring match."""
    every = list(dict.fromkeys(f for word in group for f in forms(word)))
    return [f for f in every if not any(o != f and o in f for o in every)]


def portable_search(query: str, groups: list[list[str]], *, scope: Q, pinned: list[int]) -> QuerySet:
    if not groups:
        return _nothing()
    condition = (
        Q(sku__istartswith=query)
        | Q(pk__in=ProductVariant.objects.filter(sku__istartswith=query).values("product_id"))
        if looks_like_sku(query)
        else Q()
    )
    words_match = Q()
    for group in groups:
        either = Q()
        for stem in _stems(group):
            either |= _term_filter(stem)
        words_match &= either
    condition = condition | words_match if condition else words_match
    phrase = query.lower()  # the whole query, for a name typed in full
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
    for group in groups:
        stems = _stems(group)
        start = rf"(^|[^a-z0-9])({'|'.join(re.escape(s) for s in stems)})"
        whole = rf"{start}(s|es)?($|[^a-z0-9])"  # the word itself, either number
        # Whole words count most; the same letters starting a longer word less ("pants" is
        # not "pantry"), and anywhere in a word least.
        whens += [
            Case(
                When(name__iregex=whole, then=Value(12)),
                When(name__iregex=start, then=Value(5)),
                default=Value(0),
            ),
            Case(*(When(name__icontains=s, then=Value(2)) for s in stems), default=Value(0)),
            Case(
                When(brand__name__iregex=whole, then=Value(6)),
                *(When(brand__name__icontains=s, then=Value(1)) for s in stems),
                default=Value(0),
            ),
            Case(When(variant_terms__iregex=whole, then=Value(5)), default=Value(0)),
            Case(
                When(subcategory__name__iregex=whole, then=Value(4)),
                When(category__name__iregex=whole, then=Value(3)),
                *(When(subcategory__name__icontains=s, then=Value(1)) for s in stems),
                default=Value(0),
            ),
            Case(*(When(description__icontains=s, then=Value(1)) for s in stems), default=Value(0)),
        ]
    score = whens[0]
    for expression in whens[1:]:
        score = score + expression
    return (
        Product.objects.filter(is_active=True)
        .filter((condition & scope) | Q(pk__in=pinned))
        .annotate(score=score + _pin_bonus(pinned))
    )


# --- one entry point ------------------------------------------------------------------


def _pin_bonus(pinned: list[int]):
    """Pinned products first, in the order staff pinned them."""
    if not pinned:
        return Value(0.0, output_field=FloatField())
    return Case(
        *(When(pk=pk, then=Value(1000.0 - i)) for i, pk in enumerate(pinned)),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _scope(understood: Understood) -> Q:
    """The filters a descriptive query asked for, as one condition."""
    scope = Q()
    if understood.min_price is not None:
        scope &= Q(price__gte=understood.min_price)
    if understood.max_price is not None:
        scope &= Q(price__lte=understood.max_price)
    if understood.category_ids:
        scope &= Q(category_id__in=understood.category_ids)
    if understood.subcategory_ids:
        scope &= Q(subcategory_id__in=understood.subcategory_ids)
    if understood.option_value_ids:
        # One variant in stock with every value asked for ("black", "size 42"): each filter()
        # on the many-to-many is a join of its own, all on the same variant.
        variants = ProductVariant.objects.filter(is_active=True, stock_quantity__gt=0)
        for value_ids in understood.option_value_ids:
            variants = variants.filter(option_values__in=value_ids)
        scope &= Q(pk__in=variants.values("product_id"))
    return scope


def _corrected(groups: list[list[str]]) -> list[list[str]]:
    """Each misspelt word replaced by the catalog word it most likely is, word by word
    ("wireles hedphones" → "wireles headphones": a word typed in part is matched as a prefix)."""
    words = lexicon()
    fixed = []
    for group in groups:
        better = correct(group[0], words.vocabulary)
        fixed.append(alternatives(better, words) if better else group)
    return fixed


def _run(query: str, understood: Understood, pinned: list[int], typo_fallback: bool) -> QuerySet:
    groups = _corrected(understood.terms)[:MAX_TERMS]
    scope = _scope(understood)
    if not groups:  # the query was all filters ("kids books under 20"): best sellers first
        popularity = Cast(F("sold_count"), FloatField()) / 1e6
        return (
            Product.objects.filter(is_active=True)
            .filter(scope | Q(pk__in=pinned))
            .annotate(score=popularity + _pin_bonus(pinned))
        )
    if connection.vendor == "postgresql":
        found = postgres_search(query, groups, scope=scope, pinned=pinned, typo_fallback=typo_fallback)
    else:
        found = portable_search(query, groups, scope=scope, pinned=pinned)
    if understood.boost_category_ids or understood.boost_subcategory_ids:
        # Above any match of the words in a name: the query named the category.
        boost = Case(
            When(subcategory_id__in=understood.boost_subcategory_ids, then=Value(40.0)),
            When(category_id__in=understood.boost_category_ids, then=Value(30.0)),
            default=Value(0.0),
            output_field=FloatField(),
        )
        found = found.alias(unboosted=F("score")).annotate(score=F("unboosted") + boost)
    return found


def understood_query(query: str) -> Understood:
    """What the results page says it understood (the same reading the search uses)."""
    return understand(normalise_query(query))


def search_products(query: str, *, typo_fallback: bool = True, literal: bool = False) -> QuerySet:
    """Active products matching the query, annotated with `score` (higher ranks first);
    `literal` searches the words only, with no filters read from them."""
    query = normalise_query(query)
    if not query_terms(query):
        return _nothing()
    pinned = lexicon().pins.get(query.lower(), [])
    understood = understand(query, literal=literal)
    results = _run(query, understood, pinned, typo_fallback)
    if understood.filtered and not results.exists():
        results = _run(query, understand(query, literal=True), pinned, typo_fallback)
    return results
