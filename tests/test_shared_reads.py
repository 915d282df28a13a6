"""#23: the cache keys most requests read (the catalog's version, the held settings' generation,
the current recommendation models, the slots' experiments) and the visitor's session come in
one round trip to the cache; a request that changes one of them sees its change."""

import pytest
from django.core.cache import cache, caches
from django.test import Client

from auroramart.core import shared_reads
from auroramart.core.request_context import MEMO_PATH, request_memo

from .factories import AddressFactory, CustomerFactory, ProductFactory

OUR_SESSIONS = "auroramart.core.sessions"
KEY = "test:shared"
PAGE = "/test/a-page/"  # the address the tests' own keys are named for


@pytest.fixture
def shared_key():
    def name():
        return KEY

    shared_reads.share(name)
    cache.set(KEY, 1)
    yield
    shared_reads._shared.remove(name)
    cache.delete(KEY)


@pytest.fixture
def in_a_request():
    token = request_memo.set({MEMO_PATH: PAGE})
    yield
    request_memo.reset(token)
    shared_reads._expected_at.pop(PAGE, None)


def test_a_request_keeps_what_it_read_and_sees_what_it_wrote(shared_key, in_a_request):
    assert shared_reads.get(KEY) == 1
    cache.set(KEY, 2)  # another node's change during this request: seen by the next request
    assert shared_reads.get(KEY) == 1
    shared_reads.store(KEY, 3, None)  # this request's own change: seen at once
    assert shared_reads.get(KEY) == 3 == cache.get(KEY)
    cache.incr(KEY)
    shared_reads.forget(KEY)  # written another way, then forgotten: read afresh
    assert shared_reads.get(KEY) == 4
    shared_reads.delete(KEY)
    assert shared_reads.get(KEY, "gone") == "gone" and cache.get(KEY) is None
    assert shared_reads.get("test:not-shared", "default") == "default"


def test_keys_a_request_expects_come_with_the_shared_ones_each_handed_out_once(
    shared_key, in_a_request, counted_reads
):
    cache.set_many({"test:own:a": "a", "test:own:b": "b", "test:own:c": "c"})
    shared_reads.expect_at(PAGE, ["test:own:a", "test:own:b", "test:own:missing"])
    assert shared_reads.get(KEY) == 1
    assert counted_reads == ["get_many"]  # the shared key and the expected ones, together
    cache.set_many({"test:own:a": "changed", "test:own:missing": "late"})
    # what that read found; a key it did not find is a miss; a key nobody expected is read now
    assert shared_reads.get_many(["test:own:a", "test:own:missing", "test:own:c"]) == {
        "test:own:a": "a",
        "test:own:c": "c",
    }
    assert shared_reads.get_many(["test:own:a"]) == {"test:own:a": "changed"}  # handed out once
    cache.set("test:own:b", "written")
    shared_reads.forget("test:own:b")  # this request wrote it: read afresh
    assert shared_reads.get_many(["test:own:b"]) == {"test:own:b": "written"}
    shared_reads.expect_at(PAGE, ["test:own:c"])  # too late for this request: the shared keys were read
    assert shared_reads.get_many(["test:own:c"]) == {"test:own:c": "c"}
    assert shared_reads.get(KEY) == 1 and "test:own:c" not in shared_reads._read(None, fetch=False)[0]
    cache.delete_many(["test:own:a", "test:own:b", "test:own:c", "test:own:missing"])


def test_keys_named_for_an_address_come_with_the_first_read_of_a_request_to_it(shared_key, counted_reads):
    cache.set_many({"test:at:a": "a", "test:at:b": "b"})
    shared_reads.expect_at("/item/at-lamp/", ["test:at:a", "test:at:b"])
    for path, fetched in (("/item/at-lamp/", ["get_many"]), ("/item/other/", ["get_many", "get_many"])):
        token = request_memo.set({MEMO_PATH: path})
        try:
            counted_reads.clear()
            assert shared_reads.get(KEY) == 1  # the request's first read: the session's, say
            cache.set("test:at:a", "changed")
            assert shared_reads.get_many(["test:at:a", "test:at:b"]) == (
                {"test:at:a": "a", "test:at:b": "b"}
                if path == "/item/at-lamp/"
                else {"test:at:a": "changed", "test:at:b": "b"}
            )
            assert counted_reads == fetched  # another address reads them in a round trip of their own
            cache.set("test:at:a", "a")
        finally:
            request_memo.reset(token)
    cache.delete_many(["test:at:a", "test:at:b"])


def test_expected_keys_are_read_from_the_cache_when_the_shared_read_never_happens(in_a_request):
    cache.set("test:own:a", "a")
    shared_reads.expect_at(PAGE, ["test:own:a"])
    assert shared_reads.get_many(["test:own:a"]) == {"test:own:a": "a"}
    cache.delete("test:own:a")


@pytest.mark.django_db
def test_a_sessionless_product_page_asks_the_cache_once_and_shows_live_stock(
    counted_reads, django_capture_on_commit_callbacks
):
    """The page's live price and stock come with the shared keys once this process has shown the
    product (#23), and stay live: a sale is seen at once, and a slug given to another product
    shows that product."""
    from auroramart.catalog.models import Product
    from auroramart.inventory.services import adjust_stock

    lamp = ProductFactory(name="Desk lamp", stock_quantity=20)
    for _ in range(2):
        assert Client().get(f"/item/{lamp.slug}/").status_code == 200
    counted_reads.clear()
    html = Client().get(f"/item/{lamp.slug}/").content.decode()
    assert len(counted_reads) == 1, counted_reads
    assert "Add to cart" in html
    with django_capture_on_commit_callbacks(execute=True):  # the stock's cache is dropped on commit
        adjust_stock(variant=lamp.variants.get(), quantity=-20, reason="sold elsewhere")
    assert "Out of stock" in Client().get(f"/item/{lamp.slug}/").content.decode()

    slug = lamp.slug
    Product.objects.filter(pk=lamp.pk).update(slug=f"{slug}-old")
    kettle = ProductFactory(name="Kettle", stock_quantity=5)
    kettle.slug = slug
    with django_capture_on_commit_callbacks(execute=True):
        kettle.save()  # a catalog write: the page is rendered afresh for the new product
    html = Client().get(f"/item/{slug}/").content.decode()
    assert "Kettle" in html and "Desk lamp" not in html and "Add to cart" in html


def test_outside_a_request_every_read_goes_to_the_cache(shared_key):
    assert shared_reads.get(KEY) == 1
    cache.set(KEY, 2)
    assert shared_reads.get(KEY) == 2


@pytest.fixture
def counted_reads(monkeypatch):
    """The request's round trips to the shared cache, by method name (a get_many is one, however
    the backend answers it)."""
    reads: list[str] = []
    inside = []
    backend = caches["default"]

    def counting(method, original):
        def read(*args, **kwargs):
            if not inside:
                reads.append(method)
            inside.append(method)
            try:
                return original(*args, **kwargs)
            finally:
                inside.pop()

        return read

    for method in ("get", "get_many", "has_key"):
        monkeypatch.setattr(backend, method, counting(method, getattr(backend, method)))
    return reads


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/", 1),
        ("/item/", 1),
        ("/search/?q=lamp", 1),
        ("/checkout/cart/", 1),
        ("/checkout/checkout/", 1),
        ("cart write", 1),
        ("product", 1),  # its live stock and options too, named for its address (expect_at)
    ],
)
def test_a_signed_in_page_asks_the_cache_once_session_included(page, expected, settings, counted_reads):
    settings.SESSION_ENGINE = OUR_SESSIONS
    lamp = ProductFactory(name="Desk lamp", stock_quantity=20)
    shopper = CustomerFactory()
    AddressFactory(user=shopper, is_default_shipping=True)
    client = Client()
    client.force_login(shopper)
    variant = lamp.variants.get()
    client.post("/checkout/cart/add/", {"variant_id": variant.pk, "quantity": 1})

    def visit():
        if page == "cart write":
            return client.post(
                f"/checkout/cart/update/{variant.pk}/", {"quantity": 2}, HTTP_HX_REQUEST="true"
            )
        return client.get(f"/item/{lamp.slug}/" if page == "product" else page)

    for _ in range(2):  # what a page renders once and shares is in place
        assert visit().status_code == 200
    counted_reads.clear()
    assert visit().status_code == 200
    assert len(counted_reads) == expected, counted_reads


@pytest.mark.django_db
def test_a_session_the_cache_has_lost_is_read_from_the_database(settings):
    settings.SESSION_ENGINE = OUR_SESSIONS
    shopper = CustomerFactory(first_name="Zelda")
    client = Client()
    client.force_login(shopper)
    assert client.get("/account/").status_code == 200
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    cache.delete(KEY_PREFIX + client.session.session_key)  # evicted, or Redis restarted
    response = client.get("/account/")
    assert response.status_code == 200 and "Zelda" in response.content.decode()
