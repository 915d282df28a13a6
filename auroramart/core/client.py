"""Who is asking: the client's address, for rate limits, sign-in throttling and the audit log,
the shopper (account and anonymous visitor id) that services record an action for, and the
staff actor (user and address) that services write the audit log for.

Proxy headers are believed only when the number of trusted proxies in front of the app is
configured (TRUSTED_PROXY_COUNT, default 0): anyone can send `X-Forwarded-For`, so by
default it is ignored and the socket's address is used. With N trusted proxies, each of
which appends the address it saw, the client is the Nth address from the right.
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

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


def visitor_id(request) -> str:
    """The session key, or for a client without a session (the API, a bot) a digest of its
    address and user agent: what counts "one visitor" in tracking and analytics."""
    key = request.session.session_key if hasattr(request, "session") else None
    if key:
        return key
    raw = f"{client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Shopper:
    """Who did something, as services record it: the customer's id (None for a guest) and the
    visitor id. Views and the API build it from the request; services never see the request."""

    user_id: int | None = None
    visitor: str = ""


def shopper_for(request) -> Shopper:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return Shopper(user_id=user_id, visitor=visitor_id(request))


@dataclass(frozen=True)
class Actor:
    """Who did a staff action, as services audit it: the staff user and their client address.
    Views and the API build it from the request; the service writes the audit row inside its
    own transaction, so no write can skip its audit."""

    user: Any
    ip: str | None = None


def actor_for(request) -> Actor:
    """The signed-in staff member (a panel session or an API token) and their address."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return Actor(user=user, ip=client_ip(request) or None)


def as_actor(who) -> Actor | None:
    """An Actor from an Actor, a user (a customer acting on their own order), or None (a job)."""
    if who is None or isinstance(who, Actor):
        return who
    return Actor(user=who)
