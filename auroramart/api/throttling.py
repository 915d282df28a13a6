"""Rate limits for the API, keyed by the client's address as the whole shop reads it
(core.client: proxy headers only when trusted proxies are configured), or by the
signed-in account."""

from ninja.throttling import SimpleRateThrottle

from auroramart.core.client import client_ip


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def __init__(self, rate: str, *, per_user: bool = False, scope: str = "client"):
        self.per_user, self.scope = per_user, scope
        super().__init__(rate)

    def get_ident(self, request) -> str:
        return client_ip(request)

    def get_cache_key(self, request) -> str:
        user = getattr(request, "auth", None)
        if self.per_user and user is not None and getattr(user, "pk", None):
            ident = f"user-{user.pk}"
        else:
            ident = f"ip-{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
