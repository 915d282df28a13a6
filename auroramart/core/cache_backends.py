"""A Redis cache that degrades instead of failing: when Redis is down, reads miss,
writes are dropped and a warning is logged, so the shop keeps selling."""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _guard(self, method, default, *args, **kwargs):
        if time.monotonic() < ResilientRedisCache._down_until:
            return default  # recently failed: don't make every request wait for a timeout
        try:
            return getattr(super(), method)(*args, **kwargs)
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

    def clear(self):
        return self._guard("clear", None)
