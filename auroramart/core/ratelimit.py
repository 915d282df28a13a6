"""A fixed-window rate limit on the shared cache, for pages that must not be guessed at
(the API has its own throttles). With the cache down the limit is not enforced: the shop
degrades rather than fails."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def allow(scope: str, ident: str, *, limit: int, seconds: int) -> bool:
    """Count a hit for `ident` in `scope`; False once more than `limit` fall in one window."""
    key = f"ratelimit:{scope}:{ident}"
    try:
        if cache.add(key, 1, timeout=seconds):
            return True
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr: a new window
        cache.add(key, 1, timeout=seconds)
        return True
    except Exception:  # the cache is down
        logger.warning("rate limit %s not enforced: the cache is unavailable", scope, exc_info=True)
        return True
