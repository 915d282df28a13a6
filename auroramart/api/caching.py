"""HTTP caching of the API's reads: which operations answer with an `ETag`, a `Last-Modified`
and a `Cache-Control`, and the conditional answer (304 Not Modified when `If-None-Match` still
matches, or, without one, when nothing changed since `If-Modified-Since`). One table, read by
the middleware that answers and by the schema that declares it.

`Last-Modified` is when this exact body was first served (kept in the cache by ETag): it
changes whenever the body does, whatever changed it (a price, a sale's stock, a review), which
a column's timestamp would miss. After a cache flush it starts again at now: a client then
gets a 200 it did not need, never a stale 304."""

import hashlib
import os
import re
import time

from django.core.cache import cache
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django.utils.http import http_date

# Public catalogue reads are the same for everyone: any cache may keep them for a minute.
PUBLIC = "public, max-age=60"
# A shopper's own cart: only their client may keep it, and must ask again each time (a 304
# costs no body when nothing changed).
PRIVATE = "private, no-cache"

CACHED_READS = {
    "/api/v1/categories": PUBLIC,
    "/api/v1/products": PUBLIC,
    "/api/v1/products/{slug}": PUBLIC,
    "/api/v1/cart": PRIVATE,
}
# What every read above starts with.
CACHED_PREFIX = os.path.commonprefix(list(CACHED_READS))
_PATTERNS = [
    (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"), policy)
    for path, policy in CACHED_READS.items()
]


def policy_for(path: str) -> str | None:
    return next((policy for pattern, policy in _PATTERNS if pattern.match(path)), None)


class ApiConditionalGetMiddleware:
    """Successful reads of CACHED_READS get their Cache-Control and an ETag of their body;
    a request whose If-None-Match still matches gets 304 with no body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(CACHED_PREFIX):  # the shop's pages: never matched below
            return self.get_response(request)
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        policy = policy_for(request.path_info)
        if policy is None:
            return response
        response["Cache-Control"] = policy
        if policy == PRIVATE:
            patch_vary_headers(response, ["Authorization"])
        set_response_etag(response)
        modified = first_served(request, response["ETag"], private=policy == PRIVATE)
        response["Last-Modified"] = http_date(modified)
        return get_conditional_response(
            request, etag=response["ETag"], last_modified=modified, response=response
        )


SEEN_SECONDS = 7 * 24 * 3600


def first_served(request, etag: str, *, private: bool) -> int:
    """When this body (by its ETag) was first served at this URL (to this client, if private)."""
    whose = request.headers.get("Authorization", "") if private else ""
    key = "api:served:" + hashlib.sha256(f"{request.get_full_path()}|{whose}".encode()).hexdigest()
    seen = cache.get(key)
    if seen is not None and seen[0] == etag:
        return seen[1]
    now = int(time.time())
    if seen is not None and now <= seen[1]:
        now = seen[1] + 1  # a second body within the second: still later than the first
    cache.set(key, (etag, now), SEEN_SECONDS)
    return now
