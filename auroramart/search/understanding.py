"""A descriptive query read as words plus filters: "kids books under 20" is the Children
subcategory of Books up to S$20; "black running shoes size 42" is the words "running shoes"
in colour Black and size 42. What is understood is taken out of the words; each remaining
word carries its alternatives (its synonyms) for the search backends.

Prices: "under/below/less than/up to 20", "over/above/more than/at least 50", "between 10
and 20", "$10-$20". Categories and subcategories by name, singular or plural, or by a synonym
("kids" → Children). Option values by name ("black", "128gb") or "size 42"."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .lexicon import Lexicon, lexicon, singular, words_of

_NUMBER = r"(?:s?\$\s*)?(\d{1,6}(?:\.\d{1,2})?)"
BETWEEN = re.compile(rf"\bbetween\s+{_NUMBER}\s*(?:and|to|-)\s*{_NUMBER}")
DOLLAR_RANGE = re.compile(r"s?\$\s*(\d{1,6}(?:\.\d{1,2})?)\s*(?:-|to)\s*(?:s?\$\s*)?(\d{1,6}(?:\.\d{1,2})?)")
AT_MOST = re.compile(rf"\b(?:under|below|less than|cheaper than|up to|at most|max(?:imum)?)\s+{_NUMBER}")
AT_LEAST = re.compile(rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+{_NUMBER}")
SIZE = re.compile(r"\bsize\s+([a-z0-9]{1,6})\b")
STOP_WORDS = {"a", "an", "and", "the", "for", "with", "of", "in", "on", "to", "my", "i", "me", "some"}


@dataclass
class Understood:
    terms: list[list[str]] = field(default_factory=list)  # each word left, with its alternatives
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    category_ids: list[int] = field(default_factory=list)
    subcategory_ids: list[int] = field(default_factory=list)
    option_value_ids: list[list[int]] = field(default_factory=list)  # each asked value: any of these
    labels: list[str] = field(default_factory=list)  # what was understood, for the results page
    # A query that only names categories ("headphones") filters nothing: it is searched as
    # words, and these categories' products rank first.
    boost_category_ids: list[int] = field(default_factory=list)
    boost_subcategory_ids: list[int] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        return bool(
            self.min_price is not None
            or self.max_price is not None
            or self.category_ids
            or self.subcategory_ids
            or self.option_value_ids
        )


def alternatives(word: str, words: Lexicon) -> list[str]:
    """The word and its synonyms (looked up by its singular), the word first."""
    found = [word]
    for other in words.synonyms.get(singular(word), []):
        if other not in found:
            found.append(other)
    return found


def _prices(text: str, understood: Understood) -> str:
    for pattern in (BETWEEN, DOLLAR_RANGE):
        match = pattern.search(text)
        if match:
            low, high = sorted(Decimal(v) for v in match.groups())
            understood.min_price, understood.max_price = low, high
            understood.labels.append(f"S${low:g} to S${high:g}")
            return text[: match.start()] + " " + text[match.end() :]
    for pattern, side in ((AT_MOST, "max"), (AT_LEAST, "min")):
        match = pattern.search(text)
        if match:
            amount = Decimal(match.group(1))
            if side == "max":
                understood.max_price = amount
                understood.labels.append(f"up to S${amount:g}")
            else:
                understood.min_price = amount
                understood.labels.append(f"from S${amount:g}")
            text = text[: match.start()] + " " + text[match.end() :]
    return text


def _names(tokens: list[str], words: Lexicon, understood: Understood) -> list[bool]:
    """Mark the tokens that name a subcategory or category (longest names first)."""
    used = [False] * len(tokens)
    forms = [[singular(t), *(singular(s) for s in words.synonyms.get(singular(t), []))] for t in tokens]
    for size in (3, 2, 1):
        for start in range(len(tokens) - size + 1):
            if any(used[start : start + size]):
                continue
            if size == 1:
                candidates = [(form,) for form in forms[start]]
            else:
                candidates = [tuple(forms[i][0] for i in range(start, start + size))]
            for phrase in candidates:
                if phrase in words.subcategories:
                    understood.subcategory_ids += words.subcategories[phrase]
                elif phrase in words.categories:
                    understood.category_ids += words.categories[phrase]
                else:
                    continue
                understood.labels.append(words.labels[phrase])
                used[start : start + size] = [True] * size
                break
    return used


def understand(query: str, *, literal: bool = False) -> Understood:
    """The query's words and filters; `literal` keeps every word as a word (no filters)."""
    words = lexicon()
    understood = Understood()
    text = query.lower()
    if not literal:
        text = _prices(text, understood)
        match = SIZE.search(text)
        if match and words.option_names.get(match.group(1)) == "Size":
            understood.option_value_ids.append(words.options[match.group(1)])
            understood.labels.append(f"Size {match.group(1).upper()}")
            text = text[: match.start()] + " " + text[match.end() :]
    tokens = words_of(text)
    phrases = [] if literal else _synonym_phrases(tokens, words)
    used = [False] * len(tokens)
    for start, size, _group in phrases:
        used[start : start + size] = [True] * size
    if not literal:
        named = _names([t if not used[i] else "" for i, t in enumerate(tokens)], words, understood)
        used = [u or n for u, n in zip(used, named, strict=True)]
    for i, token in enumerate(tokens):
        if used[i] or literal:
            continue
        if token in words.options and words.option_names[token] != "Size":  # bare sizes are too ambiguous
            understood.option_value_ids.append(words.options[token])
            understood.labels.append(token.capitalize() if not token[:1].isdigit() else token.upper())
            used[i] = True
    left = [t for i, t in enumerate(tokens) if not used[i]]
    names_only = not left and not phrases and not understood.option_value_ids and understood.min_price is None
    if (
        names_only
        and understood.max_price is None
        and (understood.category_ids or understood.subcategory_ids)
    ):
        understood.boost_category_ids, understood.category_ids = understood.category_ids, []
        understood.boost_subcategory_ids, understood.subcategory_ids = understood.subcategory_ids, []
        understood.labels = []
        left = tokens
    if any(t not in STOP_WORDS for t in left):
        left = [t for t in left if t not in STOP_WORDS]
    understood.terms = [group for _, _, group in phrases] + [alternatives(t, words) for t in left]
    return understood


def _synonym_phrases(tokens: list[str], words: Lexicon) -> list[tuple[int, int, list[str]]]:
    """Several words that a synonym group names as one ("fizzy drink", "running shoes"):
    (where, how many words, the phrase and its synonyms)."""
    found, used = [], [False] * len(tokens)
    for size in (3, 2):
        for start in range(len(tokens) - size + 1):
            if any(used[start : start + size]):
                continue
            key = tuple(singular(t) for t in tokens[start : start + size])
            if key in words.phrases:
                found.append((start, size, [" ".join(tokens[start : start + size]), *words.phrases[key]]))
                used[start : start + size] = [True] * size
    return found
