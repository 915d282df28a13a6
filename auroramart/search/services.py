"""Search side effects: history, the query log, popular suggestions, product views."""

import re
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from auroramart.core.client import visitor_id

from .models import ProductView, SearchHistory, SearchQueryLog, SearchSuggestion

HISTORY_SIZE = 10
SESSION_HISTORY = "search_history"
BOTS = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|aiohttp|httpclient|headless|monitor|scan", re.I)
VIEW_DEDUP_SECONDS = 30 * 60


def remember(request, query: str) -> None:
    """Keep the query in the shopper's history: the database for customers, the session for guests."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        SearchHistory.objects.filter(user=user, query__iexact=query).delete()
        SearchHistory.objects.create(user=user, query=query)
        stale = SearchHistory.objects.filter(user=user).values_list("pk", flat=True)[HISTORY_SIZE:]
        SearchHistory.objects.filter(pk__in=list(stale)).delete()
    elif not user.is_authenticated:
        history = [q for q in request.session.get(SESSION_HISTORY, []) if q.lower() != query.lower()]
        request.session[SESSION_HISTORY] = [query, *history][:HISTORY_SIZE]


def history(request) -> list[str]:
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return list(SearchHistory.objects.filter(user=user).values_list("query", flat=True)[:HISTORY_SIZE])
    if not user.is_authenticated and request.COOKIES.get("sessionid"):
        return list(request.session.get(SESSION_HISTORY, []))
    return []


def clear_history(request) -> None:
    if request.user.is_authenticated:
        SearchHistory.objects.filter(user=request.user).delete()
    request.session.pop(SESSION_HISTORY, None)


def log_query(request, query: str, normalised: str, results: int) -> None:
    user = request.user if request.user.is_authenticated else None
    SearchQueryLog.objects.create(query=query, normalised=normalised, results=results, user=user)


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
    visitor = visitor_id(request)
    if not cache.add(f"pv:{visitor}:{product_id}", 1, VIEW_DEDUP_SECONDS):
        return False
    user = request.user if request.user.is_authenticated else None
    ProductView.objects.create(product_id=product_id, user=user, visitor=visitor, source=source[:40])
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
