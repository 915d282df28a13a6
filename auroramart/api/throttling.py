"""Rate limits for the API, keyed by the client's address as the whole shop reads it
(core.client: proxy headers only when trusted proxies are configured), or by the
signed-in account.

Every answer says where the client stands (api/middleware.py adds the headers):
`RateLimit-Limit` (requests per window), `RateLimit-Remaining` and `RateLimit-Reset` (seconds
until the window frees a request), as the IETF's RateLimit header fields draft has them;
a 429 adds `Retry-After`. An answer no operation gave (an unknown path, a refused token) says where the client
stands against the API-wide limit. The whole API shares API_RATE_LIMIT per client; a few operations
(sign-in, checkout) have tighter limits of their own."""

import math
import threading
from dataclasses import dataclass

from django.conf import settings
from ninja.throttling import SimpleRateThrottle

from auroramart.core.client import client_ip


@dataclass(frozen=True)
class Standing:
    limit: int
    remaining: int
    reset: int


def note(request, standing: Standing) -> None:
    """Keep the tightest limit the request met, for the response's headers."""
    current = getattr(request, "rate_limit", None)
    if current is None or standing.remaining < current.remaining:
        request.rate_limit = standing


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def __init__(self, rate: str | None = None, *, per_user: bool = False, scope: str = "client"):
        """`rate` such as "20/m"; None reads API_RATE_LIMIT at each request (tests change it)."""
        self.per_user, self.scope, self.fixed_rate = per_user, scope, rate
        self._local = threading.local()  # one instance serves every thread of the process
        super().__init__(rate or "1/s")

    def get_ident(self, request) -> str:
        return client_ip(request)

    def get_cache_key(self, request) -> str:
        user = getattr(request, "auth", None)
        if self.per_user and user is not None and getattr(user, "pk", None):
            ident = f"user-{user.pk}"
        else:
            ident = f"ip-{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request) -> bool:
        limit, duration = self.parse_rate(self.fixed_rate or settings.API_RATE_LIMIT)
        assert limit is not None and duration is not None
        key, now = self.get_cache_key(request), self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - duration]
        allowed = len(history) < limit
        if allowed:
            history.insert(0, now)
            self.cache.set(key, history, duration)
        reset = max(1, math.ceil(history[-1] + duration - now)) if history else duration
        note(request, Standing(limit, max(0, limit - len(history)), reset))
        self._local.wait = None if allowed else reset
        return allowed

    def peek(self, request) -> Standing:
        """Where the client stands, without counting this request (for answers no operation
        gave: an unknown path, a token refused before the operation's limits ran)."""
        limit, duration = self.parse_rate(self.fixed_rate or settings.API_RATE_LIMIT)
        assert limit is not None and duration is not None
        now = self.timer()
        history = [t for t in self.cache.get(self.get_cache_key(request), []) if t > now - duration]
        reset = max(1, math.ceil(history[-1] + duration - now)) if history else duration
        return Standing(limit, max(0, limit - len(history)), reset)

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


API_LIMIT = ClientRateThrottle(per_user=True, scope="api")  # the whole API's (api/api.py)
