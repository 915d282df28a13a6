"""What search knows about the shop's words, built once per catalog version and kept in the
cache: the catalog's vocabulary (for typo correction), the staff's synonym groups, the names
of categories and subcategories (for queries that name one), and the option values (colours,
sizes) a query may ask for. Plurals are folded with a few English rules, on both databases."""

import re
from dataclasses import dataclass, field

from django.core.cache import cache

from auroramart.catalog.cache import catalog_version
from auroramart.catalog.models import (
    Brand,
    Category,
    Product,
    ProductOptionValue,
    ProductSpecification,
    Subcategory,
)

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_KEEP = {
    "glass",
    "dress",
    "grass",
    "boss",
    "bus",
    "gas",
    "lens",
    "news",
    "series",
    "species",
    "chess",
    "jeans",
}
_ES = ("ches", "shes", "sses", "xes", "zes")


def singular(word: str) -> str:
    """An English plural's singular by the common rules ("batteries" → "battery", "boxes" →
    "box", "shoes" → "shoe"); other words as they are."""
    w = word.lower()
    if len(w) <= 3 or w in _KEEP or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(_ES):
        return w[:-2]
    if w.endswith("s"):
        return w[:-1]
    return w


def forms(word: str) -> list[str]:
    """What to look for in text that was not stemmed (SQLite): the word, its singular, and
    the singular's plural stem ("stories" → stories, story, stori), so either number matches."""
    found = [word.lower()]
    one = singular(word)
    if one not in found:
        found.append(one)
    if one.endswith("y") and len(one) > 3:
        found.append(one[:-1] + "i")
    return found


def words_of(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


@dataclass
class Lexicon:
    vocabulary: set[str] = field(default_factory=set)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # singular word -> the group's other words
    phrases: dict[tuple[str, ...], list[str]] = field(default_factory=dict)  # the same, for "running shoes"
    categories: dict[tuple[str, ...], list[int]] = field(default_factory=dict)  # singular words -> ids
    subcategories: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    options: dict[str, list[int]] = field(default_factory=dict)  # a value, lower case -> option value ids
    option_names: dict[str, str] = field(default_factory=dict)  # a value, lower case -> "Colour"
    labels: dict[tuple[str, ...], str] = field(default_factory=dict)  # a name's words -> its name
    pins: dict[str, list[int]] = field(default_factory=dict)  # a normalised query -> product ids, in order


def _with_parts(words: list[str]):
    """Each word, and the parts of a hyphenated one ("4-season" → "season" too)."""
    for word in words:
        yield word
        if "-" in word:
            yield from word.split("-")


def _phrase(name: str) -> tuple[str, ...]:
    return tuple(singular(w) for w in words_of(name))


def _build() -> Lexicon:
    from .models import SearchPin, SynonymGroup

    lexicon = Lexicon()
    names = list(Product.objects.filter(is_active=True).values_list("name", flat=True).distinct())
    names += list(Brand.objects.values_list("name", flat=True))
    for pk, name in Category.objects.filter(is_active=True).values_list("pk", "name"):
        names.append(name)
        lexicon.categories.setdefault(_phrase(name), []).append(pk)
        lexicon.labels[_phrase(name)] = name
    for pk, name in Subcategory.objects.values_list("pk", "name"):
        names.append(name)
        lexicon.subcategories.setdefault(_phrase(name), []).append(pk)
        lexicon.labels[_phrase(name)] = name
    for pk, option, value in ProductOptionValue.objects.values_list("pk", "option__name", "value"):
        names.append(value)
        lexicon.options.setdefault(value.lower(), []).append(pk)
        lexicon.option_names[value.lower()] = option
    # Specification values are words shoppers search by ("organic", "gluten-free", "cotton").
    names += list(ProductSpecification.objects.values_list("value", flat=True).distinct())
    lexicon.vocabulary = {w for name in names for w in _with_parts(words_of(name)) if len(w) >= 3}
    for group in SynonymGroup.objects.filter(is_active=True):
        words = group.word_list
        for word in words:
            others = [w for w in words if w != word]
            if len(words_of(word)) > 1:
                known = lexicon.phrases.setdefault(_phrase(word), [])
            else:
                known = lexicon.synonyms.setdefault(singular(word), [])
            known += [w for w in others if w not in known]
        lexicon.vocabulary.update(w for word in words for w in words_of(word) if len(w) >= 3)
    for query, product_id in SearchPin.objects.filter(product__is_active=True).values_list(
        "query", "product_id"
    ):
        lexicon.pins.setdefault(query, []).append(product_id)
    return lexicon


_held: tuple[str, Lexicon] | None = None  # this process's copy, for the version it was built for


def lexicon() -> Lexicon:
    """The shop's words for this catalog version (synonym and pin changes bump it too): built
    by one process, shared through the cache, and held by each process until the version moves."""
    global _held
    version = str(catalog_version())
    if _held is not None and _held[0] == version:
        return _held[1]
    key = f"search:lexicon:{version}"
    found = cache.get(key)
    if found is None:
        found = _build()
        cache.set(key, found, 3600)
    _held = (version, found)
    return found
