"""A relevance set for search, drawn from the catalogue by fixed rules, with graded
judgements: for each query, every product gets a grade (3 the product asked for, 2 a right
answer, 1 a near one, 0 wrong). Twelve kinds of query, as shoppers type them: exact names,
SKUs, one typo, several typos, partial words, brands, category words, the other number
(plural or singular), synonyms, and descriptive queries with a price, an option value or a
dietary need. Deterministic for a catalogue and seed.

NDCG@10 uses gains 2^grade − 1 against the ideal ordering of the whole catalogue; P@1 is
whether the first result has the best grade any product has for that query.

    manage.py evaluate_search [--json]     # on the shop's catalogue (the demo shop's, in CI)
"""

import math
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from auroramart.catalog.models import Product

from .backends import search_products
from .lexicon import singular, words_of
from .services import DEMO_SYNONYMS

Grade = Callable[["Item"], int]


@dataclass(frozen=True)
class Item:
    """What the judgements read of a product."""

    pk: int
    sku: str
    name: str
    brand: str
    category: str
    subcategory: str
    price: Decimal
    text: str  # name, description and specifications, lower case
    options: frozenset  # option values of its variants in stock, lower case


@dataclass
class Case:
    kind: str
    query: str
    grade: Grade


KINDS = [
    "exact name",
    "SKU",
    "one typo",
    "several typos",
    "partial word",
    "brand",
    "category word",
    "other number",
    "synonym",
    "descriptive: price",
    "descriptive: option",
    "descriptive: dietary",
]


def catalogue() -> list[Item]:
    products = (
        Product.objects.filter(is_active=True)
        .select_related("brand", "category", "subcategory")
        .prefetch_related("specifications", "variants__option_values")
        .order_by("sku")
    )
    items = []
    for p in products:
        specs = " ".join(f"{s.name} {s.value}" for s in p.specifications.all())
        options = {
            v.value.lower()
            for variant in p.variants.all()
            if variant.is_active and variant.stock_quantity > 0
            for v in variant.option_values.all()
        }
        items.append(
            Item(
                p.pk,
                p.sku,
                p.name,
                p.brand.name if p.brand else "",
                p.category.name,
                p.subcategory.name,
                p.price,
                f"{p.name} {p.description} {specs}".lower(),
                frozenset(options),
            )
        )
    return items


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the finger: a letter dropped, doubled or swapped with the next."""
    i = rng.randrange(1, len(word) - 1)
    how = rng.choice(["drop", "double", "swap"])
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(^|[^a-z0-9]){re.escape(word.lower())}", text.lower()) is not None


def _name_words(item: Item) -> list[str]:
    """The words of the name after the brand, long enough to mean something."""
    rest = item.name[len(item.brand) :] if item.name.startswith(item.brand) else item.name
    return [w for w in re.findall(r"[A-Za-z]+", rest) if len(w) >= 4]


def build(items: list[Item], seed: int = 27) -> list[Case]:
    rng = random.Random(seed)
    names = defaultdict(int)
    for item in items:
        names[item.name] += 1
    unique = [i for i in items if names[i.name] == 1]
    cases: list[Case] = []

    def same_or_near(target: Item) -> Grade:
        return lambda r: 3 if r.pk == target.pk else (1 if r.subcategory == target.subcategory else 0)

    for item in rng.sample(unique, 15):
        cases.append(Case("exact name", item.name, same_or_near(item)))
    for item in rng.sample(items, 10):
        cases.append(Case("SKU", item.sku, lambda r, t=item: 3 if r.pk == t.pk else 0))

    worded = [(i, w) for i in items for w in _name_words(i)[:1] if len(w) >= 6 and i.brand]
    for item, word in rng.sample(worded, 15):
        query = f"{item.brand} {_typo(word.lower(), rng)}"
        cases.append(
            Case(
                "one typo",
                query,
                lambda r, t=item, w=word: (
                    3 if r.brand == t.brand and _has_word(r.name, w) else (1 if _has_word(r.name, w) else 0)
                ),
            )
        )
    twice = [(i, ws) for i in unique if len(ws := [w for w in _name_words(i) if len(w) >= 5]) >= 2]
    for _item, words in rng.sample(twice, 14):
        a, b = words[0], words[1]
        query = f"{_typo(a.lower(), rng)} {_typo(b.lower(), rng)}"
        cases.append(
            Case(
                "several typos",
                query,
                lambda r, a=a, b=b: (
                    3 if _has_word(r.name, a) and _has_word(r.name, b) else (1 if _has_word(r.name, b) else 0)
                ),
            )
        )
    for item, word in rng.sample(worded, 10):
        query = f"{item.brand} {word[:5].lower()}"
        cases.append(
            Case(
                "partial word",
                query,
                lambda r, t=item, w=word: (
                    3 if r.brand == t.brand and _has_word(r.name, w) else (1 if r.brand == t.brand else 0)
                ),
            )
        )
    brands = sorted({i.brand for i in items if i.brand})
    for brand in rng.sample(brands, min(10, len(brands))):
        cases.append(Case("brand", brand.lower(), lambda r, b=brand: 2 if r.brand == b else 0))

    subcategories = sorted({(i.subcategory, i.category) for i in items})
    for sub, category in rng.sample(subcategories, min(15, len(subcategories))):
        cases.append(
            Case(
                "category word",
                sub.lower(),
                lambda r, s=sub, c=category: 2 if r.subcategory == s else (1 if r.category == c else 0),
            )
        )

    nouns = sorted({w for i in items for w in _name_words(i)[-1:] if len(w) >= 5})
    for noun in rng.sample(nouns, min(14, len(nouns))):
        lower = noun.lower()
        one = singular(lower)
        other = one if one != lower else lower + ("es" if lower.endswith(("s", "x", "ch", "sh")) else "s")
        cases.append(Case("other number", other, lambda r, n=one: 2 if _has_word(r.name, n) else 0))

    for group in DEMO_SYNONYMS:
        words = [w.strip() for w in group.split(",")]
        for word in words:
            if any(_has_word(i.name, word) or _has_word(i.subcategory, word) for i in items):
                continue  # found by its own letters: not a test of synonyms
            others = [w for w in words if w != word]
            if not any(_has_word(i.name, o) for i in items for o in others):
                continue
            cases.append(
                Case(
                    "synonym",
                    word,
                    lambda r, others=tuple(others): 2 if any(_has_word(r.name, o) for o in others) else 0,
                )
            )

    by_sub = defaultdict(list)
    for item in items:
        by_sub[(item.subcategory, item.category)].append(item)
    priced = [k for k, v in sorted(by_sub.items()) if len(v) >= 6]
    for sub, category in rng.sample(priced, min(12, len(priced))):
        prices = sorted(i.price for i in by_sub[(sub, category)])
        limit = int(prices[len(prices) // 2])  # a price that leaves about half the products
        if rng.random() < 0.6:
            query = f"{sub.lower()} under {limit}"
            fits = lambda r, limit=limit: r.price <= limit  # noqa: E731
        else:
            query = f"{sub.lower()} over {limit}"
            fits = lambda r, limit=limit: r.price >= limit  # noqa: E731
        cases.append(
            Case(
                "descriptive: price",
                query,
                lambda r, s=sub, f=fits: (
                    2 if r.subcategory == s and f(r) else (1 if r.subcategory == s else 0)
                ),
            )
        )
    kids = [i for i in items if i.subcategory == "Children"]
    if kids:
        cases.append(
            Case(
                "descriptive: price",
                "kids books under 20",
                lambda r: (
                    2
                    if r.subcategory == "Children" and r.price <= 20
                    else (1 if r.subcategory == "Children" else 0)
                ),
            )
        )

    optioned = sorted(
        {
            (value, w)
            for i in items
            for value in i.options
            for w in _name_words(i)[-1:]
            if not value[:1].isdigit()
        }
    )
    sized = sorted(
        {(value, w) for i in items for value in i.options for w in _name_words(i)[-1:] if value.isdigit()}
    )
    asked = [
        (f"{value} {noun.lower()}", value, noun)
        for value, noun in rng.sample(optioned, min(8, len(optioned)))
    ]
    asked += [
        (f"{noun.lower()} size {value}", value, noun) for value, noun in rng.sample(sized, min(4, len(sized)))
    ]
    for query, value, noun in asked:
        cases.append(
            Case(
                "descriptive: option",
                query,
                lambda r, v=value, n=noun: (
                    2 if v in r.options and _has_word(r.name, n) else (1 if _has_word(r.name, n) else 0)
                ),
            )
        )

    dietary = sorted(
        {
            (m.group(1).strip(), i.subcategory)
            for i in items
            if (m := re.search(r"dietary:? ([a-z -]+?)[;.]", i.text))
        }
    )
    for need, sub in rng.sample(dietary, min(10, len(dietary))):
        words = " ".join(words_of(need.replace("-", " ")))
        cases.append(
            Case(
                "descriptive: dietary",
                f"{words} {sub.lower()}",
                lambda r, need=need, s=sub: (
                    2 if r.subcategory == s and need in r.text else (1 if r.subcategory == s else 0)
                ),
            )
        )
    return cases


def _dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades[:10]))


def evaluate(cases: list[Case], items: list[Item]) -> dict:
    """Per kind and overall: queries, P@1 and NDCG@10; and every query's first result when it
    is not the best one could be (the misses, for people to read)."""
    by_pk = {i.pk: i for i in items}
    per_kind: dict[str, dict] = defaultdict(lambda: {"queries": 0, "p_at_1": 0.0, "ndcg_10": 0.0})
    misses = []
    for case in cases:
        grades_all = sorted((case.grade(i) for i in items), reverse=True)
        best = grades_all[0]
        ideal = _dcg(grades_all)
        found = list(search_products(case.query).order_by("-score", "pk").values_list("pk", flat=True)[:10])
        grades = [case.grade(by_pk[pk]) if pk in by_pk else 0 for pk in found]
        first = grades[0] if grades else 0
        row = per_kind[case.kind]
        row["queries"] += 1
        row["p_at_1"] += 1.0 if best and first == best else 0.0
        row["ndcg_10"] += _dcg(grades) / ideal if ideal else 0.0
        if not best or first != best:
            misses.append(
                {"kind": case.kind, "query": case.query, "first": by_pk[found[0]].name if found else None}
            )
    total = {"queries": 0, "p_at_1": 0.0, "ndcg_10": 0.0}
    for row in per_kind.values():
        for key in total:
            total[key] += row[key]
        row["p_at_1"] = round(row["p_at_1"] / row["queries"], 4)
        row["ndcg_10"] = round(row["ndcg_10"] / row["queries"], 4)
    total["p_at_1"] = round(total["p_at_1"] / max(1, total["queries"]), 4)
    total["ndcg_10"] = round(total["ndcg_10"] / max(1, total["queries"]), 4)
    ordered = {kind: per_kind[kind] for kind in KINDS if kind in per_kind}
    return {"kinds": ordered, "all": total, "misses": misses}
