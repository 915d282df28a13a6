"""A Redis cache that degrades instead of failing: when Redis is down, reads miss,
writes are dropped and a warning is logged, so the shop keeps selling."""

import logging
import time
from functools import cached_property

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from .key_mirror import KeyMirror, mirror_for

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django builds a new redis.Redis for every cache call, and each one copies its ~170
    response callbacks (a quarter of a millisecond of CPU, several times a page); a client
    is thread-safe and holds no connection of its own, so one per pool is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    # Reads, the cache's commonest calls (every request reads its shared keys and session in one
    # MGET), skip redis-py's client layer: its per-command observability hooks, retry wrapper and
    # callback lookup cost about 40 µs of CPU, three times the round trip itself (#23). They
    # still go through redis-py's own pool, connection and parser.

    mirror: KeyMirror | None = None  # set by the cache: the keys this process holds (core/key_mirror.py)

    def get(self, key, default):
        if self.mirror is not None and self.mirror.covers(key):
            value = self._mirrored([key])[0]
        else:
            value = self._read("GET", key)
        return default if value is None else self._serializer.loads(value)

    def get_many(self, keys):
        keys = list(keys)
        if not keys:
            return {}
        if self.mirror is not None and any(self.mirror.covers(key) for key in keys):
            values = self._mirrored(keys)
        else:
            values = self._read("MGET", *keys)
        return {
            key: self._serializer.loads(value)
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }

    def _mirrored(self, keys: list[str]) -> list:
        """The raw values of `keys`: those this process holds from memory, the rest in one read,
        which holds those of them it may."""
        mirror = self.mirror
        found, epoch = mirror.lookup(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            read = dict(zip(missing, self._read("MGET", *missing), strict=True))
            mirror.keep(read, epoch)  # those of them it holds
            found.update(read)
        return [found[key] for key in keys]

    # Every write drops what this process holds of the keys it changes, at once: Redis's push
    # (which drops them in every process) may reach this one after the writer's next read.

    def set(self, key, *args, **kwargs):  # noqa: A003 - Django's API
        return self._writing([key], super().set, key, *args, **kwargs)

    def add(self, key, *args, **kwargs):
        return self._writing([key], super().add, key, *args, **kwargs)

    def touch(self, key, *args, **kwargs):
        return self._writing([key], super().touch, key, *args, **kwargs)

    def delete(self, key):
        return self._writing([key], super().delete, key)

    def incr(self, key, *args, **kwargs):
        return self._writing([key], super().incr, key, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._writing(list(data), super().set_many, data, *args, **kwargs)

    def delete_many(self, keys):
        keys = list(keys)
        return self._writing(keys, super().delete_many, keys)

    def clear(self):
        try:
            return super().clear()
        finally:
            if self.mirror is not None:
                self.mirror.drop(None)

    def clear_matching(self, pattern: str) -> None:
        """Delete the keys `pattern` matches, a thousand at a time, without blocking Redis."""
        client = self.get_client(write=True)
        try:
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    client.unlink(*batch)
                    batch.clear()
            if batch:
                client.unlink(*batch)
        finally:
            if self.mirror is not None:
                self.mirror.drop(None)

    def _writing(self, keys: list[str], write, *args, **kwargs):
        try:
            return write(*args, **kwargs)
        finally:  # a write that failed half-way may still have changed the key
            self._dropped(keys)

    def _dropped(self, keys: list[str]) -> None:
        mirror = self.mirror
        if mirror is not None and (held := [key for key in keys if mirror.covers(key)]):
            mirror.drop(held)

    def _read(self, *command):
        try:
            return self._read_once(command)
        except RedisConnectionError:
            # A connection Redis closed while it sat in the pool (a restart, an idle timeout):
            # read once more on a fresh one, as redis-py's own retry would.
            return self._read_once(command)

    def _read_once(self, command):
        pool = self._get_connection_pool(write=False)
        connection = pool.get_connection()
        try:
            connection.send_command(*command)
            return connection.read_response()
        except BaseException:
            connection.disconnect()  # a reply half read must never reach the next caller
            raise
        finally:
            pool.release(connection)


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    @cached_property
    def _cache(self):
        client = self._class(self._servers, **self._options)
        pool = client._get_connection_pool(write=False)
        client.mirror = mirror_for(
            (tuple(self._servers), self.key_prefix, self.version, self.key_func),
            # Its own connection, outside the pool: it only ever listens. RESP3, for the pushes.
            connect=lambda: pool.connection_class(**{**pool.connection_kwargs, "protocol": 3}),
            full_key=self.make_key,
        )
        return client

    def validate_key(self, key):
        """No warnings for keys memcached could not hold (250 characters, spaces): Redis takes
        any key, and checking each character of each key cost more than reading it (#23)."""

    def _guard(self, method, default, *args, **kwargs):
        return self._guarded(getattr(super(), method), default, *args, **kwargs)

    def _guarded(self, call, default, *args, **kwargs):
        if time.monotonic() < ResilientRedisCache._down_until:
            return default  # recently failed: don't make every request wait for a timeout
        try:
            return call(*args, **kwargs)
        except (RedisError, OSError) as exc:  # connection refused, timeouts, a server error: no cache now
            ResilientRedisCache._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("cache unavailable (%s: %s); serving without it", exc.__class__.__name__, exc)
            return default

    def get(self, key, default=None, version=None):
        return self._guard("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, keys, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: A003 - Django's API
        self._guard("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", [], data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", False, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, keys, version)

    def clear(self):
        """This cache's keys (its KEY_PREFIX), not the whole Redis database: Celery's queues share
        it by default, and a flush tells every process that holds keys (core/key_mirror.py),
        whatever database it reads, to drop all it holds."""
        glob = "".join(f"[{c}]" if c in "*?[]\\" else c for c in self.key_prefix)
        self._guarded(self._cache.clear_matching, None, f"{glob}:*")

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError, as in Django; so does an unreachable Redis.
        result = self._guard("incr", None, key, delta, version)
        if result is None:
            raise ValueError("cache unavailable")
        return result

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, key, timeout, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, key, version)
