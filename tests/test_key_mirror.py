"""#23, fourteenth round: the keys nearly every request reads (the catalogue's version, the
current models, a product's live price and stock, the visitor's session) are held in each
process and kept exact by Redis's invalidation pushes (core/key_mirror.py). A held key costs no
round trip; another node's change shows on the very next read; a read that races a change never
keeps the old value; and when the pushes stop, nothing held outlives what it may."""

import os
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache

from auroramart.core import key_mirror

from .factories import ProductFactory

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")

PREFIX = "test-mirror:"
KEY = PREFIX + "value"
key_mirror.mirror(PREFIX)


@pytest.fixture
def other_node(djangos_own_redis):
    """Another node's cache: Django's own Redis backend on a connection of its own, no mirror."""
    return djangos_own_redis


@pytest.fixture
def round_trips(monkeypatch):
    """The reads this process sends to Redis, by command."""
    client = cache._cache
    sent: list[str] = []
    original = client._read_once

    def counting(command):
        sent.append(command[0])
        return original(command)

    monkeypatch.setattr(client, "_read_once", counting)
    return sent


def mirror():
    return cache._cache.mirror


@pytest.fixture
def pushes_stopped():
    """A connection that is up but hears nothing (a silent partition, or the writer's own push
    still on its way); the next test listens afresh."""

    def stop() -> None:
        connection = mirror()._connection
        connection.send_command("CLIENT", "TRACKING", "OFF")
        assert connection.read_response() in (b"OK", "OK")

    yield stop
    mirror().reset()


def test_a_held_key_is_read_from_memory_until_another_node_changes_it(other_node, round_trips):
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1
    assert cache.get(KEY) == 1 and cache.get_many([KEY]) == {KEY: 1}
    assert round_trips == ["MGET"]  # the first read only
    other_node.set(KEY, 2)
    assert cache.get(KEY) == 2
    assert round_trips == ["MGET", "MGET"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda node: node.set(KEY, 2), 2),
        (lambda node: node.incr(KEY), 2),
        (lambda node: node.delete(KEY), "gone"),
        (lambda node: node.set_many({KEY: 2, PREFIX + "other": 3}), 2),
        (lambda node: node.delete_many([KEY, PREFIX + "other"]), "gone"),
        (lambda node: node.touch(KEY, 0), "gone"),  # expired by the other node
        (lambda node: node.add(PREFIX + "absent", 5) and node.set(KEY, 2), 2),
    ],
    ids=["set", "incr", "delete", "set_many", "delete_many", "touch", "add"],
)
def test_every_kind_of_write_on_another_node_shows_on_the_next_read(other_node, change, expected):
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    assert cache.get(PREFIX + "absent", "none yet") == "none yet"  # an absence is held too
    change(other_node)
    assert cache.get(KEY, "gone") == expected


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda: cache.set(KEY, 2), 2),
        (lambda: cache.incr(KEY), 2),
        (lambda: cache.delete(KEY), "gone"),
        (lambda: cache.set_many({KEY: 2}), 2),
        (lambda: cache.delete_many([KEY]), "gone"),
        (lambda: cache.touch(KEY, 0), "gone"),
        (lambda: cache.clear(), "gone"),
        (lambda: cache.delete(KEY) and cache.add(KEY, 2), 2),
    ],
    ids=["set", "incr", "delete", "set_many", "delete_many", "touch", "clear", "add"],
)
def test_this_processs_own_writes_show_at_once_even_without_the_push(change, expected, pushes_stopped):
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    pushes_stopped()  # the writer's own push may come after its next read; it must not matter
    change()
    assert cache.get(KEY, "gone") == expected


def test_one_mirror_serves_all_of_a_processs_threads_so_a_write_in_one_shows_in_all(pushes_stopped):
    """Django gives each thread a cache object of its own; the keys are held once per process,
    so a write in one thread drops them for the others at once, push or no push."""
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    pushes_stopped()
    writer = threading.Thread(target=lambda: cache.set(KEY, 2))
    writer.start()
    writer.join()
    assert cache.get(KEY) == 2


def test_an_idle_process_reads_the_pushes_all_the_same(other_node):
    """No push waits in Redis for a process that serves no request: a thread reads them."""
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    full = cache.make_key(KEY)
    assert full in mirror()._values
    other_node.set(KEY, 2)
    assert _eventually(lambda: full not in mirror()._values, seconds=key_mirror.SWEEP_SECONDS * 3)


def test_a_flush_on_another_node_drops_everything_held(other_node):
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    other_node.clear()
    # A flush's push is sent after the flusher's reply, not before: it arrives a moment later.
    assert _eventually(lambda: cache.get(KEY, "gone") == "gone")


def test_a_read_that_races_a_change_never_keeps_the_old_value(other_node):
    """Readers hold and re-read the key while another node increments it: after each increment
    has returned, this process reads that number or a later one, never an earlier one."""
    cache.set(KEY, 0)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader():
        try:
            while not stop.is_set():
                cache.get(KEY)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    stale = []
    try:
        for _ in range(400):
            written = other_node.incr(KEY)
            seen = cache.get(KEY)
            if seen < written:
                stale.append((written, seen))
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors
    assert stale == []
    assert cache.get(KEY) == 400


def test_a_read_spanning_a_change_is_not_kept(other_node):
    """The rule the race test exercises, step by step: what was read while a change was
    pushed is handed out but not held."""
    cache.set(KEY, 1)
    full = cache.make_key(KEY)
    found, epoch = mirror().lookup([full])
    assert found == {}
    old = cache._cache._read("MGET", full)  # read, as `_mirrored` does
    other_node.set(KEY, 2)
    mirror().lookup([])  # another thread reads the push meanwhile
    mirror().keep({full: old[0]}, epoch)
    assert full not in mirror()._values
    assert cache.get(KEY) == 2


def test_when_the_pushes_stop_coming_nothing_is_held_longer_than_its_age(
    other_node, monkeypatch, pushes_stopped
):
    monkeypatch.setattr(key_mirror, "MAX_AGE_SECONDS", 0.2)
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    pushes_stopped()  # a silent partition: the connection is up, nothing arrives
    other_node.set(KEY, 2)
    assert cache.get(KEY) == 1  # held, as far as this process can know
    time.sleep(0.25)
    assert cache.get(KEY) == 2


def test_when_the_invalidation_connection_drops_nothing_held_is_served(other_node, monkeypatch):
    import redis

    monkeypatch.setattr(key_mirror, "RETRY_AFTER_SECONDS", 0)
    cache.set(KEY, 1)
    assert cache.get(KEY) == 1 == cache.get(KEY)
    connection = mirror()._connection
    connection.send_command("CLIENT", "ID")
    listener = connection.read_response()
    killer = redis.Redis.from_url(os.environ["REDIS_URL"])
    killer.client_kill_filter(_id=listener, skipme=False)  # Redis restarts, say
    other_node.set(KEY, 2)  # a change this process is not told of
    assert cache.get(KEY) == 2
    assert _eventually(lambda: cache.get(KEY) == 2 and mirror()._connection is not None)
    assert mirror()._connection is not connection  # listening again, on a new connection
    other_node.set(KEY, 3)
    assert cache.get(KEY) == 3
    killer.close()


def test_prefixes_that_overlap_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        key_mirror.mirror(PREFIX + "narrower:")


@pytest.mark.django_db
def test_a_product_page_shows_another_nodes_price_and_stock_on_its_next_request(client, other_node):
    from auroramart.catalog.models import Product, ProductVariant
    from auroramart.catalog.selectors import live_keys

    product = ProductFactory(price=Decimal("100.00"))
    url = product.get_absolute_url()
    assert "100.00" in client.get(url).content.decode()
    assert "100.00" in client.get(url).content.decode()  # held in this process now
    # What the other node's price change does: the rows, then the live keys dropped.
    Product.objects.filter(pk=product.pk).update(price="77.50")
    ProductVariant.objects.filter(product=product).update(price="77.50")
    other_node.delete_many(live_keys(product.pk))
    page = client.get(url).content.decode()
    assert "77.50" in page and "100.00" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("page", ["home", "list", "product"])
def test_a_catalogue_page_served_again_reads_nothing_from_redis(client, round_trips, page, signed_in):
    from .factories import CustomerFactory

    product = ProductFactory()
    if signed_in:
        client.force_login(CustomerFactory())
    url = {"home": "/", "list": "/item/", "product": product.get_absolute_url()}[page]
    for _ in range(3):
        assert client.get(url).status_code == 200
    round_trips.clear()
    assert client.get(url).status_code == 200
    assert round_trips == []


def _eventually(check, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False
