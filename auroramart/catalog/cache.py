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

VERSION_KEY = "catalog:version"
PAGE_SECONDS = 600


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh number after a cache flush, so no stale entry can match it.
        version = int(time.time() * 1000)
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_catalog_version() -> None:
    """Invalidate every cached catalog page, now and again once the transaction commits.

    The second bump matters: a request served between the two could cache the
    pre-commit data under the first new version.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted or never set
        cache.set(VERSION_KEY, int(time.time() * 1000), None)


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
