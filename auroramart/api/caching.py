"""HTTP caching of the API's reads: which operations answer with an `ETag` and a
`Cache-Control`, and the conditional answer (304 Not Modified when `If-None-Match` still
matches). One table, read by the middleware that answers and by the schema that declares it."""

import re

from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag

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
        return get_conditional_response(request, etag=response["ETag"], response=response)
