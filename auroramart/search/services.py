"""Search side effects: history, the query log and its clicks, popular suggestions, product
views; and the staff's fixes: synonym groups and pinned products."""

import json
import re
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from auroramart.catalog.cache import bump_catalog_version
from auroramart.catalog.models import Product
from auroramart.core.client import Actor, shopper_for, visitor_id
from auroramart.core.rows import insert
from auroramart.staff.services import record_audit

from .lexicon import words_of
from .models import ProductView, SearchHistory, SearchPin, SearchQueryLog, SearchSuggestion, SynonymGroup

HISTORY_SIZE = 10
# A guest's recent searches, newest first, in a signed cookie of their own: keeping them in the
# session made every guest's first search create a session row (and a bot's every search), which
# was 40% of a search's CPU (#23).
HISTORY_COOKIE = "search_history"
HISTORY_SALT = "auroramart.search.history"
HISTORY_COOKIE_DAYS = 30
HISTORY_QUERY_CHARS = 100  # ten of them stay well inside a cookie's 4 KB
BOTS = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|aiohttp|httpclient|headless|monitor|scan", re.I)
VIEW_DEDUP_SECONDS = 30 * 60


def remember(request, query: str) -> list[str] | None:
    """Keep the query in the shopper's history: the database for customers. For a guest, their
    new history, for the view to keep with `keep_guest_history`; None when nothing is kept."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        SearchHistory.objects.filter(user=user, query__iexact=query).delete()
        SearchHistory.objects.create(user=user, query=query)
        stale = SearchHistory.objects.filter(user=user).values_list("pk", flat=True)[HISTORY_SIZE:]
        SearchHistory.objects.filter(pk__in=list(stale)).delete()
        return None
    if user.is_authenticated:
        return None
    query = query[:HISTORY_QUERY_CHARS]
    earlier = [q for q in _guest_history(request) if q.lower() != query.lower()]
    return [query, *earlier][:HISTORY_SIZE]


def history(request) -> list[str]:
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return list(SearchHistory.objects.filter(user=user).values_list("query", flat=True)[:HISTORY_SIZE])
    if not user.is_authenticated:
        return _guest_history(request)
    return []


def _guest_history(request) -> list[str]:
    """What the guest's cookie holds; nothing when it is missing, altered or malformed."""
    raw = request.get_signed_cookie(HISTORY_COOKIE, default=None, salt=HISTORY_SALT)
    try:
        found = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(found, list):
        return []
    return [q[:HISTORY_QUERY_CHARS] for q in found if isinstance(q, str)][:HISTORY_SIZE]


def keep_guest_history(response, queries: list[str]) -> None:
    response.set_signed_cookie(
        HISTORY_COOKIE,
        json.dumps(queries, separators=(",", ":")),
        salt=HISTORY_SALT,
        max_age=HISTORY_COOKIE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def clear_history(request, response) -> None:
    if request.user.is_authenticated:
        SearchHistory.objects.filter(user=request.user).delete()
    response.delete_cookie(HISTORY_COOKIE, samesite="Lax")


def log_query(request, query: str, normalised: str, results: int) -> None:
    user = request.user if request.user.is_authenticated else None
    insert(
        SearchQueryLog,
        query=query,
        normalised=normalised,
        results=results,
        user=user,
        visitor=visitor_id(request),
    )


CLICK_WINDOW = timedelta(minutes=30)


def credit_click(visitor: str) -> None:
    """A product opened from search results: the visitor's latest search in the last half hour
    led to a click (staff see which searches never do)."""
    since = timezone.now() - CLICK_WINDOW
    latest = (
        SearchQueryLog.objects.filter(visitor=visitor, created_at__gte=since, results__gt=0)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if latest is not None:
        SearchQueryLog.objects.filter(pk=latest, clicked_at__isnull=True).update(clicked_at=timezone.now())


def refresh_popular_suggestions(days: int = 30, limit: int = 50) -> int:
    """Promote the most searched queries that find something to suggestions (curated ones are kept)."""
    since = timezone.now() - timedelta(days=days)
    popular = (
        SearchQueryLog.objects.filter(created_at__gte=since, results__gt=0)
        .values("normalised")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    count = 0
    for row in popular:
        phrase = row["normalised"][:100]
        suggestion, created = SearchSuggestion.objects.get_or_create(
            phrase=phrase, defaults={"weight": row["n"]}
        )
        if not created and not suggestion.is_curated:
            SearchSuggestion.objects.filter(pk=suggestion.pk).update(weight=row["n"])
        count += 1
    return count


def record_view(request, product_id: int, source: str = "") -> bool:
    """Count a product view once per visitor and product per half hour; ignore bots."""
    agent = request.META.get("HTTP_USER_AGENT", "")
    if not agent or BOTS.search(agent):
        return False
    shopper = shopper_for(request)  # a page answered before the view has no user: no one signed in
    visitor = shopper.visitor
    if not cache.add(f"pv:{visitor}:{product_id}", 1, VIEW_DEDUP_SECONDS):
        return False
    ProductView.objects.create(
        product_id=product_id, user_id=shopper.user_id, visitor=visitor, source=source[:40]
    )
    if source == "search":
        credit_click(visitor)
    return True


CURATED = [
    "wireless headphones",
    "air fryer",
    "yoga mat",
    "running shoes",
    "green tea",
    "board games",
    "dog food",
]


def ensure_curated_suggestions() -> None:
    """The demo shop's staff-curated searches."""
    for weight, phrase in enumerate(reversed(CURATED), start=1):
        SearchSuggestion.objects.get_or_create(
            phrase=phrase, defaults={"is_curated": True, "weight": 100 + weight}
        )


# --- staff fixes: synonyms and pins --------------------------------------------------------


class SearchFixError(ValueError):
    """A synonym group or pin that cannot be saved; the message says why."""


def _synonym_words(text: str) -> list[str]:
    words = []
    for part in text.split(","):
        word = " ".join(words_of(part))
        if word and word not in words:
            words.append(word)
    return words


@transaction.atomic
def save_synonyms(*, words: str, actor: Actor | None, group: SynonymGroup | None = None) -> SynonymGroup:
    """A group of words that mean the same to shoppers; a word already in a group joins it
    (one group per word, so "earbuds" never means two different things)."""
    wanted = _synonym_words(words)
    if len(wanted) < 2:
        raise SearchFixError("Give at least two words, separated by commas (e.g. earbuds, earphones).")
    if any(len(w) > 40 for w in wanted) or len(", ".join(wanted)) > 300:
        raise SearchFixError("Each word may have up to 40 characters, and a group up to 300.")
    if group is None:
        for other in SynonymGroup.objects.select_for_update().filter(is_active=True):
            if set(other.word_list) & set(wanted):
                group = other
                wanted = list(dict.fromkeys([*other.word_list, *wanted]))
                break
    before = group.words if group else ""
    group = group or SynonymGroup()
    group.words, group.is_active = ", ".join(wanted), True
    group.save()
    record_audit(actor, "save synonyms", group, changes={"words": [before, group.words]})
    bump_catalog_version()  # every cached search reads the new words (now and once committed)
    return group


@transaction.atomic
def delete_synonyms(*, group: SynonymGroup, actor: Actor | None) -> None:
    record_audit(actor, "delete synonyms", group, changes={"words": [group.words, ""]})
    group.delete()
    bump_catalog_version()


@transaction.atomic
def pin_product(*, query: str, sku: str, actor: Actor | None) -> SearchPin:
    """Put a product first for a search (shown for it even if its words differ)."""
    from .backends import normalise_query

    normalised = normalise_query(query).lower()
    if not normalised:
        raise SearchFixError("Say which search the product is pinned for.")
    product = Product.objects.filter(sku__iexact=(sku or "").strip(), is_active=True).first()
    if product is None:
        raise SearchFixError(f"No product on sale has the SKU {sku!r}.")
    position = SearchPin.objects.filter(query=normalised).count()
    pin, created = SearchPin.objects.get_or_create(
        query=normalised, product=product, defaults={"position": position}
    )
    if created:
        record_audit(
            actor, "pin product", pin, changes={"query": ["", normalised], "product": ["", product.sku]}
        )
        bump_catalog_version()
    return pin


@transaction.atomic
def unpin_product(*, pin: SearchPin, actor: Actor | None) -> None:
    record_audit(actor, "unpin product", pin, changes={"query": [pin.query, ""]})
    pin.delete()
    bump_catalog_version()


# Words shoppers use for the same things, seeded in the demo shop (staff manage them after).
DEMO_SYNONYMS = [
    "earbuds, earphones, in-ear headphones",
    "headphones, headset",
    "tee, t-shirt, tshirt",
    "sofa, couch, settee",
    "kids, children, child",
    "sneakers, trainers",
    "phone, smartphone, mobile",
    "laptop, notebook, ultrabook",
    "tv, television",
    "fridge, refrigerator",
    "trousers, pants",
    "jumper, sweater, pullover",
    "bag, handbag, purse",
    "mug, cup",
    "sunscreen, sunblock, spf",
    "torch, flashlight, lantern",
    "bike, bicycle, cycling",
    "soda, sparkling water, fizzy drink",
    "vitamins, supplements",
]


def ensure_demo_synonyms() -> None:
    for words in DEMO_SYNONYMS:
        if not SynonymGroup.objects.filter(words=words).exists():
            SynonymGroup.objects.create(words=words)
