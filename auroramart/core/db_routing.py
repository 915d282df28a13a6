"""Read replicas: which reads may be served by a replica, and read-your-writes.

Configured only when DATABASE_REPLICA_URLS names replicas (settings.READ_REPLICAS); without
them the router is not installed and every query goes to the one database.

A read goes to a replica only when all of these hold (deny by default):
- it happens while serving a request whose view is marked `@reads_from_replica` (the
  catalogue, search, the home page, the API's catalogue and the analytics screens); a
  Celery job, a command, a staff screen, the cart, checkout and every write stay on the
  primary;
- the request is a GET or HEAD, and no transaction is open on the primary (select_for_update
  and everything in the money path run inside one);
- the model belongs to an app whose data may be a moment old (REPLICA_APPS): the catalogue,
  search, recommendations, analytics, shipping and tax tables. Sessions, accounts, carts,
  orders, payments and loyalty always come from the primary;
- the client has not written anything the replica has not replayed yet. After every
  unsafe request the primary's WAL position is remembered in the shared cache, under the
  client's session cookie and API token, for READ_YOUR_WRITES_SECONDS; until the replica's
  replay position has passed it, that client reads from the primary. So the shopper who just
  wrote a review, or the member of staff who just changed a price, sees it at once, on any
  node, however far the replica lags;
- the replica answers. One that does not is left alone for REPLICA_RETRY_SECONDS and the
  request reads from the primary.
"""

import hashlib
import logging
import random
import time
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

log = logging.getLogger(__name__)

REPLICA_APPS = frozenset(
    {"catalog", "search", "recommendations", "analytics", "inventory", "shipping", "tax", "contenttypes"}
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
REPLICA_RETRY_SECONDS = 15
_down_until: dict[str, float] = {}  # alias -> monotonic time until which it is not tried


class RequestReads:
    """The replica decision for one request, taken at its first replica-eligible read."""

    __slots__ = ("allowed", "alias", "request")

    def __init__(self, request):
        self.request = request
        self.allowed = False  # set by @reads_from_replica when the view starts
        self.alias: str | None = None  # None: not decided yet

    def database(self) -> str:
        if not self.allowed:
            return "default"
        if self.alias is None:
            self.alias = self._choose()
        return self.alias

    def _choose(self) -> str:
        if self.request.method not in SAFE_METHODS:
            return "default"
        now = time.monotonic()
        candidates = [a for a in settings.READ_REPLICAS if _down_until.get(a, 0) <= now]
        if not candidates:
            return "default"
        alias = random.choice(candidates)  # noqa: S311  (spreading load, not a secret)
        written = _written_positions(self.request)
        try:
            if not _replica_ready(alias, max(written, key=_lsn_value) if written else None):
                return "default"
        except Exception as exc:  # a replica that does not answer must not fail the page
            log.warning("Read replica %s is unavailable (%s); reading from the primary.", alias, exc)
            _down_until[alias] = now + REPLICA_RETRY_SECONDS
            return "default"
        return alias


_reads: ContextVar[RequestReads | None] = ContextVar("replica_reads", default=None)


def reads_from_replica(view):
    """Mark a view whose catalogue reads may come from a read replica (see the module's rules)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        state = _reads.get()
        if state is not None:
            state.allowed = True
        return view(request, *args, **kwargs)

    wrapper.reads_from_replica = True  # type: ignore[attr-defined]
    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _reads.get()
        if state is None or model._meta.app_label not in REPLICA_APPS:
            return "default"
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # related objects come from where their owner came from
        if connections["default"].in_atomic_block:
            return "default"
        return state.database()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's data: every alias is the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _identities(request, response=None) -> list[str]:
    """What identifies the client across nodes: its session cookie and its API token."""
    found = []
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session:
        found.append("s:" + session)
    if response is not None and settings.SESSION_COOKIE_NAME in response.cookies:
        renewed = response.cookies[settings.SESSION_COOKIE_NAME].value
        if renewed and renewed != session:  # signing in rotates the session key
            found.append("s:" + renewed)
    authorization = request.headers.get("Authorization", "")
    if authorization:
        found.append("a:" + authorization)
    return [f"rw:{hashlib.sha256(value.encode()).hexdigest()[:32]}" for value in found]


def _lsn_value(lsn: str) -> int:
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _written_positions(request) -> list[str]:
    keys = _identities(request)
    return [lsn for lsn in cache.get_many(keys).values() if lsn] if keys else []


def _replica_ready(alias: str, required: str | None) -> bool:
    """The replica answers (raises if not) and has replayed the client's last write, if any."""
    connection = connections[alias]
    connection.ensure_connection()
    if required is None:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [required])
        return bool(cursor.fetchone()[0])


def _current_position() -> str:
    """Where the primary's write-ahead log ends now: every committed write is before it."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _remember_write(request, response) -> None:
    keys = _identities(request, response)
    if not keys:
        return
    cache.set_many(dict.fromkeys(keys, _current_position()), settings.READ_YOUR_WRITES_SECONDS)


class ReplicaRoutingMiddleware:
    """Gives each request its replica decision, and remembers where a client's writes ended."""

    def __init__(self, get_response):
        if not settings.READ_REPLICAS:
            raise MiddlewareNotUsed  # Django leaves it out of the chain: nothing to route
        self.get_response = get_response

    def __call__(self, request):
        token = _reads.set(RequestReads(request))
        try:
            response = self.get_response(request)
            if (alias := current_database()) != "default":
                response["X-Read-From"] = alias  # which database served the catalogue (operators, smoke test)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS:
            try:
                _remember_write(request, response)
            except Exception as exc:  # the write happened; only the routing hint is lost
                log.warning("Could not remember the write position for read-your-writes: %s", exc)
        return response


def current_database() -> str:
    """Where this request's replica-eligible reads go now (for tests and the X-Read-From header)."""
    state = _reads.get()
    return (state.alias or "default") if state is not None else "default"
