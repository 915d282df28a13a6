from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from auroramart.catalog.selectors import home_sections
from auroramart.core.db_routing import reads_from_replica
from auroramart.core.forms import safe_next
from auroramart.core.htmx import is_htmx
from auroramart.search import services
from auroramart.search.backends import (
    did_you_mean,
    normalise_query,
    query_terms,
    search_products,
    understood_query,
)
from auroramart.search.selectors import popular_searches, suggestions
from auroramart.storefront.views.catalog import render_product_list


@reads_from_replica
def results(request):
    query = normalise_query(request.GET.get("q"))
    has_terms = bool(query_terms(query))
    literal = request.GET.get("literal") == "1"  # "search the words only": no filters read from them

    def zero_result_help(page):
        # A misspelt word is corrected by the search itself; say so, and offer the corrected query.
        # What a descriptive query was read as ("Children", "up to S$20") is said too.
        extra = {
            "did_you_mean": did_you_mean(query) if has_terms else None,
            "understood": understood_query(query).labels
            if has_terms and not literal and page.paginator.count
            else [],
        }
        if not page.paginator.count:
            extra.update(
                popular_products=home_sections(limit=4)["best_sellers"], popular_searches=popular_searches()
            )
        return extra

    remembered = []

    def log(part):
        if has_terms and request.GET.get("page") in (None, "", "1"):
            remembered.append(services.remember(request, query))
            services.log_query(request, request.GET.get("q", "")[:200], query.lower(), part["count"])

    response = render_product_list(
        request,
        title=f"Results for “{query}”" if has_terms else "Search",
        base=lambda: search_products(query, literal=literal),
        breadcrumbs=[("Search", None)],
        extra={"query": query},
        cache_prefix="search",
        default_sort="relevance",
        build_extra=zero_result_help,
        after=log,
    )
    if remembered and remembered[0] is not None:  # a guest's history, in their own cookie
        services.keep_guest_history(response, remembered[0])
    return response


@reads_from_replica
def suggest(request):
    """The dropdown under the search box, as you type (htmx, debounced)."""
    query = normalise_query(request.GET.get("q"))
    context = {"query": query}
    if query_terms(query) and len(query) >= 2:
        context.update(suggestions(query))
    else:
        context.update(history=services.history(request), popular=popular_searches())
    return render(request, "search/_suggestions.html", context)


@require_POST
def clear_history(request):
    if is_htmx(request):
        response = render(
            request, "search/_suggestions.html", {"query": "", "history": [], "popular": popular_searches()}
        )
    else:
        response = redirect(safe_next(request, "/"))
    services.clear_history(request, response)
    return response
