"""Cache keys that nearly every request reads, held in this process and kept exact by Redis.

Under gunicorn a round trip to Redis costs about 0.1 ms of CPU whatever it reads (the socket
calls and handing the GIL from thread to thread), and an anonymous catalogue page or a product
page made one on every request for a few small keys: the catalogue's version, the current
recommendation models, a product's live price and stock. That round trip was a third of what
those pages cost (#23, fourteenth round). Those keys change rarely and every process reads the
same ones, so each process holds them, and Redis says when one changes.

How it stays exact: Redis's client-side caching protocol in broadcasting mode. One connection
per process runs `CLIENT TRACKING ON BCAST PREFIX …` for the prefixes modules `mirror()`; from
then on Redis pushes to it the name of every key under those prefixes that any client changes,
sets, deletes or lets expire (and a flush). Before a held key is used, whatever Redis has pushed
is read off that connection (a poll, about a microsecond when there is nothing), so a held key
is dropped before it could be served once changed. Redis sends broadcast invalidations before
the reply to the write that caused them, so on one host the next request after a write,
wherever it lands, reads the new value; across hosts the push and the writer's reply race by
the network's latency, as any two packets do.

What is held is only ever served while that connection is up: any error on it drops
everything held, and reads go to Redis as before until it is back. A key read from Redis is
kept only when nothing was invalidated while it was being read (a write in between would
otherwise be lost), and nothing is held longer than `MAX_AGE_SECONDS`, which bounds the harm of
a push that never came (a silent network partition). This process's own writes drop the keys
they change at once, whatever the network does with the push: one mirror serves all of a
process's threads (Django gives each thread a cache of its own). A thread reads the pushes
every `SWEEP_SECONDS` even when no request comes, so they never pile up in Redis for an idle
process.
"""

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable

from redis.exceptions import RedisError

# Held values are checked against Redis at least this often even with no push.
MAX_AGE_SECONDS = 5.0
# A process holds at most this many keys (a product page holds two per product shown).
MAX_KEYS = 20_000
# After the invalidation connection fails, reads go to Redis for this long before it is tried again.
RETRY_AFTER_SECONDS = 1.0
# How often an idle process reads what Redis pushed (each push otherwise waits in Redis's memory).
SWEEP_SECONDS = 1.0

_prefixes: list[str] = []
_mirrors: dict[tuple, "KeyMirror"] = {}
_mirrors_lock = threading.Lock()


def mirror(prefix: str) -> None:
    """Hold the keys whose names start with `prefix` (a cache key, before the cache's own
    prefix and version) in every process. Redis refuses prefixes that overlap."""
    for other in _prefixes:
        if other != prefix and (other.startswith(prefix) or prefix.startswith(other)):
            raise ValueError(f"mirrored prefixes overlap: {other!r} and {prefix!r}")
    if prefix not in _prefixes:
        _prefixes.append(prefix)


def mirror_for(cache: tuple, connect: Callable, full_key: Callable[[str], str]) -> "KeyMirror":
    """The process's one mirror of the cache `cache` names (its servers, key prefix and version)."""
    with _mirrors_lock:
        found = _mirrors.get(cache)
        if found is None:
            found = _mirrors[cache] = KeyMirror(connect, full_key)
        return found


class KeyMirror:
    """The held keys of one Redis cache in this process, raw (as stored: each read unpickles
    its own copy). `connect()` opens a new connection speaking RESP3 (push messages);
    `full_key(name)` is the cache's name for a key."""

    def __init__(self, connect: Callable, full_key: Callable[[str], str]):
        self._connect = connect
        self._full_key = full_key
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, bytes | None]] = {}
        self._epoch = 0  # moves with every invalidation: a read that spans one is not kept
        self._connection = None
        self._tracked: tuple[str, ...] = ()  # the registered prefixes the connection tracks
        self._covered: tuple[str, ...] = ()  # the registered prefixes, as the cache names them
        self._covered_for: tuple[str, ...] = ()
        self._pid = 0
        self._retry_at = 0.0
        self._sweeper_pid = 0

    def covers(self, key: str) -> bool:
        if len(self._covered_for) != len(_prefixes):  # prefixes are only ever added
            self._covered_for = tuple(_prefixes)
            self._covered = tuple(self._full_key(prefix) for prefix in self._covered_for)
        return bool(self._covered) and key.startswith(self._covered)

    def lookup(self, keys: Iterable[str]) -> tuple[dict[str, bytes | None], int | None]:
        """What is held of `keys` (None for a key known to be absent), after reading what Redis
        pushed; and the epoch to `keep` what the caller then reads from Redis. ({}, None) while
        the mirror is not connected."""
        with self._lock:
            if not self._ready():
                return {}, None
            now = time.monotonic()
            found = {}
            for key in keys:
                held = self._values.get(key)
                if held is not None:
                    if held[0] > now:
                        found[key] = held[1]
                    else:
                        del self._values[key]
            return found, self._epoch

    def keep(self, values: dict[str, bytes | None], epoch: int | None) -> None:
        """Hold those of `values` (read from Redis) it covers, unless something was invalidated since
        `lookup`."""
        if epoch is None or not values:
            return
        with self._lock:
            if epoch != self._epoch or self._connection is None:
                return
            deadline = time.monotonic() + MAX_AGE_SECONDS
            for key, value in values.items():
                if self.covers(key):
                    self._values.pop(key, None)  # re-inserted last: the oldest are dropped first
                    self._values[key] = (deadline, value)
            while len(self._values) > MAX_KEYS:
                del self._values[next(iter(self._values))]

    def drop(self, keys: Iterable[str] | None) -> None:
        """This process changed `keys` (None: all of them): read them from Redis from now on."""
        with self._lock:
            self._invalidate(keys)

    def reset(self) -> None:
        """Forget everything held and listen afresh from the next read."""
        with self._lock:
            self._close()
            self._values.clear()
            self._epoch += 1
            self._tracked = ()

    # --- the invalidation connection, always under the lock ---------------------------------

    def _ready(self) -> bool:
        if self._pid != os.getpid():  # a forked worker: the parent's connection is not ours
            self._connection, self._pid = None, os.getpid()
            self._values.clear()
        if not _prefixes:
            return False
        try:
            # Prefixes are only ever added: a count that moved means one to listen for too.
            if self._connection is None or len(self._tracked) != len(_prefixes):
                if time.monotonic() < self._retry_at:
                    return False
                self._subscribe(tuple(_prefixes))
            self._drain()
        except (RedisError, OSError):
            self._fail()
            return False
        return True

    def _drain(self) -> None:
        connection = self._connection
        if not connection.is_connected:  # redis-py would connect again, without the tracking
            raise RedisError("the invalidation connection closed")
        while connection.can_read(timeout=0):
            connection.read_response(push_request=True)

    def _sweep(self) -> None:
        while True:
            time.sleep(SWEEP_SECONDS)
            with self._lock:
                if self._connection is not None and self._pid == os.getpid():
                    try:
                        self._drain()
                    except (RedisError, OSError):
                        self._fail()

    def _subscribe(self, prefixes: tuple[str, ...]) -> None:
        self._close()
        self._values.clear()
        self._epoch += 1
        connection = self._connect()
        connection.connect()
        connection._parser.set_invalidation_push_handler(self._pushed)
        covered = tuple(self._full_key(prefix) for prefix in prefixes)
        connection.send_command(
            "CLIENT", "TRACKING", "ON", "BCAST", *(a for p in covered for a in ("PREFIX", p))
        )
        if connection.read_response() not in (b"OK", "OK"):
            raise RedisError("CLIENT TRACKING was refused")
        self._connection, self._tracked = connection, prefixes
        if self._sweeper_pid != os.getpid():
            self._sweeper_pid = os.getpid()
            threading.Thread(target=self._sweep, name="key-mirror-sweeper", daemon=True).start()

    def _pushed(self, message) -> None:
        keys = message[1]
        self._invalidate(None if keys is None else [key.decode() for key in keys])

    def _invalidate(self, keys: Iterable[str] | None) -> None:
        self._epoch += 1
        if keys is None:
            self._values.clear()
        else:
            for key in keys:
                self._values.pop(key, None)

    def _fail(self) -> None:
        self._close()
        self._values.clear()
        self._epoch += 1
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(RedisError, OSError):
                self._connection.disconnect()
            self._connection = None
