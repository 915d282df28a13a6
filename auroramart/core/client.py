"""Who is asking: the client's address, for rate limits, sign-in throttling and the audit log.

Proxy headers are believed only when the number of trusted proxies in front of the app is
configured (TRUSTED_PROXY_COUNT, default 0): anyone can send `X-Forwarded-For`, so by
default it is ignored and the socket's address is used. With N trusted proxies, each of
which appends the address it saw, the client is the Nth address from the right.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if not hops:
        return remote
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
