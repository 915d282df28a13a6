"""#23: the Redis cache reads through redis-py's pool, connection and parser, without its
client layer. It answers as Django's own Redis backend does, replaces a connection Redis
dropped without the shop noticing, and keeps threads' replies apart."""

import os
import threading

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")

VALUES = {
    "count": 7,
    "text": "Ünïcode ✓",
    "nested": {"a": [1, 2.5, None], "b": ("x", b"\x00bytes")},
    "big": "x" * 200_000,
    "zero": 0,
    "empty": "",
}


def test_reads_answer_as_djangos_own_redis_backend(djangos_own_redis):
    cache.set_many({f"backend:{name}": value for name, value in VALUES.items()})
    names = [f"backend:{name}" for name in VALUES] + ["backend:missing"]
    assert (
        cache.get_many(names)
        == djangos_own_redis.get_many(names)
        == {f"backend:{n}": v for n, v in VALUES.items()}
    )
    for name in names:
        assert cache.get(name, "default") == djangos_own_redis.get(name, "default")
    assert cache.get("backend:missing", "default") == "default"
    assert cache.get_many([]) == {}


def test_a_connection_redis_dropped_is_replaced_without_the_shop_noticing(caplog):
    from auroramart.core.cache_backends import ResilientRedisCache

    cache.set("backend:kept", "still here")
    client = cache._cache.get_client()
    pool = client.connection_pool
    cache.get("backend:kept")  # a connection now waits in the pool
    idle = list(pool._available_connections)
    assert idle
    for connection in idle:  # Redis closes them (a restart, an idle timeout)
        connection.send_command("CLIENT", "ID")
        client.client_kill_filter(_id=connection.read_response(), skipme=False)
    caplog.set_level("WARNING")
    assert cache.get("backend:kept") == "still here"
    assert cache.get_many(["backend:kept"]) == {"backend:kept": "still here"}
    assert ResilientRedisCache._down_until == 0.0 and "cache unavailable" not in caplog.text


def test_threads_reading_at_once_each_get_their_own_answers():
    cache.set_many({f"backend:thread:{n}": n * 1000 + 1 for n in range(8)})
    wrong, barrier = [], threading.Barrier(8)

    def read(n):
        barrier.wait()
        for _ in range(200):
            if cache.get(f"backend:thread:{n}") != n * 1000 + 1:
                wrong.append(n)
            found = cache.get_many([f"backend:thread:{n}", f"backend:thread:{(n + 1) % 8}"])
            if found != {
                f"backend:thread:{n}": n * 1000 + 1,
                f"backend:thread:{(n + 1) % 8}": (n + 1) % 8 * 1000 + 1,
            }:
                wrong.append(n)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong


def test_replies_are_parsed_and_commands_packed_in_c():
    # hiredis is pinned for speed (#23, eleventh round): a version redis-py does not accept would
    # make it fall back to its Python parser silently, a fifth more CPU on every Redis call.
    from redis._parsers import _HiredisParser
    from redis.connection import HiredisRespSerializer

    cache.get("backend:parser")  # a connection now waits in the pool
    connection = cache._cache.get_client().connection_pool.get_connection()
    try:
        assert isinstance(connection._parser, _HiredisParser)
        assert isinstance(connection._command_packer, HiredisRespSerializer)
    finally:
        cache._cache.get_client().connection_pool.release(connection)


def test_clearing_the_cache_deletes_its_own_keys_and_leaves_the_rest_of_redis(settings):
    """`cache.clear()` empties this cache (its key prefix), not the database: Celery's queues share
    it by default, and a flush would tell every process that holds keys to drop them all."""
    import redis

    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    raw.set("not-the-cache:queue", "a task waiting")
    cache.set_many({f"backend:clear:{n}": n for n in range(2500)})  # more than one batch
    cache.clear()
    assert cache.get_many([f"backend:clear:{n}" for n in range(2500)]) == {}
    assert not list(raw.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    assert raw.get("not-the-cache:queue") == b"a task waiting"
    raw.delete("not-the-cache:queue")
    raw.close()
