"""Caching of rendered catalog pages.

Catalog pages are the same for every shopper, so their expensive part (the
product grid, the product's details and reviews, the home sections, the menu)
is rendered once and kept in the cache under a catalog version. Any write to
the catalog bumps the version, so the next request renders afresh; entries
also expire on their own. What differs per shopper (header, cart, account)
and what must be exact (a product's price and stock on its own page) is
rendered on every request.
"""

import hashlib
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

from auroramart.core.release import current_release

PAGE_SECONDS = 600


def version_key() -> str:
    # Per release: pages cached by the previous deploy's templates are never served by this one.
    return f"catalog:version:{current_release()}"


def catalog_version() -> int:
    key = version_key()
    version = cache.get(key)
    if version is None:
        # A fresh number after a cache flush, so no stale entry can match it.
        version = int(time.time() * 1000)
        cache.add(key, version, None)
        version = cache.get(key, version)
    return version


def bump_catalog_version() -> None:
    """Invalidate every cached catalog page, now and again once the transaction commits.

    The second bump matters: a request served between the two could cache the
    pre-commit data under the first new version.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    key = version_key()
    try:
        cache.incr(key)
    except ValueError:  # the key was evicted or never set
        cache.set(key, int(time.time() * 1000), None)


def cached_page_part(request, prefix: str, build: Callable[[], dict], seconds: int = PAGE_SECONDS) -> dict:
    """The cached result of `build()` for this URL (path and query) at the current catalog version."""
    digest = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    key = f"page:{prefix}:{catalog_version()}:{digest}"
    data = cache.get(key)
    if data is None:
        data = build()
        if data is not None:
            cache.set(key, data, seconds)
    return data


# --- whole pages for anonymous visitors ---------------------------------------------------

CSRF_PLACEHOLDER = "__AURORAMART_CSRF__"


def shares_the_anonymous_page(request) -> bool:
    """A visitor who is not signed in and has no session (so no cart, no messages) sees
    exactly what every such visitor sees, bar the CSRF token."""
    return (
        request.method == "GET"
        and "sessionid" not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def anonymous_page(request, prefix: str, render_page, finish=None):
    """The whole rendered page, cached per URL and catalog version for anonymous visitors.

    `render_page(extra_context)` renders the page; `finish(html)` fills in what must be
    live on every request (the product page's price and stock). The CSRF token is
    rendered as a placeholder and replaced with this visitor's own.
    """
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    if not shares_the_anonymous_page(request):
        return None
    digest = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    key = f"fullpage:{prefix}:{catalog_version()}:{digest}"
    html = cache.get(key)
    if html is None:
        response = render_page({"csrf_token": CSRF_PLACEHOLDER})
        if response.status_code != 200:
            return response
        html = response.content.decode()
        cache.set(key, html, PAGE_SECONDS)
    if finish is not None:
        html = finish(html)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))
