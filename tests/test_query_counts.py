"""Pinned query counts: pages cost a fixed number of SQL statements, whatever
the number of products on the page or in the catalog.

"Cold" is the first request after a catalog change (nothing cached); "warm"
is every request after it until the next change.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auroramart.catalog.cache import bump_catalog_version
from auroramart.catalog.selectors import forget_live_product
from auroramart.catalog.services import change_price
from auroramart.shipping.selectors import zones

from .factories import (
    CustomerFactory,
    ProductFactory,
    ProductImageFactory,
    ReviewFactory,
    SpecificationFactory,
    SubcategoryFactory,
    variant,
)

pytestmark = pytest.mark.django_db

MENU = 2  # categories, subcategories (cached with the catalog)
# category (form), brand list and the brands' counts, option facets, count, page of products,
# primary images, colour options (their values only when there are any)
LIST_COLD = MENU + 8
LIST_WARM = 0
# product, images, specs, reviews, rating distribution, related + images + colour options,
# live price/stock, the variant matrix (options, variants, their values, their pictures)
DETAIL_COLD = MENU + 13
DETAIL_WARM = 0  # live price, stock and variants come from their own cache entries
HOME_COLD = MENU + 10  # three sections, each with its primary images and colour options; the tiles
HOME_WARM = 0


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def cold_and_warm(client, url, **params):
    """Queries with the catalog's cached pages dropped, then with them kept. The shipping
    configuration (three queries, cached until staff change it) is loaded first: a catalog change
    does not drop it."""
    zones()
    bump_catalog_version()
    return count_queries(client, url, **params), count_queries(client, url, **params)


def _token(html: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def build_catalog(n):
    sub = SubcategoryFactory(name="Headphones", category__name="Electronics")
    products = ProductFactory.create_batch(n, subcategory=sub, is_featured=True)
    for product in products:
        ProductImageFactory(product=product)
    return products


@pytest.mark.parametrize("size,per_page", [(3, 12), (60, 12), (60, 48)])
def test_product_list_queries_are_fixed(client, size, per_page):
    build_catalog(size)
    params = {"per_page": per_page, "category": "electronics", "sort": "price_asc"}
    assert cold_and_warm(client, "/item/", **params) == (LIST_COLD, LIST_WARM)


def test_product_list_with_more_rows_costs_the_same(client):
    build_catalog(2)
    small = cold_and_warm(client, "/item/", per_page=48)
    build_catalog(40)
    assert cold_and_warm(client, "/item/", per_page=48) == small == (LIST_COLD - 1, LIST_WARM)


def test_category_page_queries_are_fixed(client):
    build_catalog(30)
    cold, warm = cold_and_warm(client, "/category/electronics/headphones/")
    # The view looks the subcategory up; once it has served an anonymous visitor the whole page,
    # the next is answered before the view (catalog/middleware.py): any change to a subcategory
    # moves the catalog version, which that answer is held under.
    assert (cold, warm) == (LIST_COLD - 1 + 1, 0)


def test_home_page_queries_are_fixed(client):
    build_catalog(3)
    small = cold_and_warm(client, "/")
    build_catalog(30)
    assert cold_and_warm(client, "/") == small == (HOME_COLD, HOME_WARM)


@pytest.mark.parametrize("extras", [1, 12])
def test_product_detail_queries_are_fixed(client, extras):
    products = build_catalog(extras + 1)
    product = products[0]
    for i in range(extras):
        SpecificationFactory(product=product, name=f"Spec {i}")
        ReviewFactory(product=product)
        ProductImageFactory(product=product, is_primary=False, position=i + 1)
    assert cold_and_warm(client, product.get_absolute_url()) == (DETAIL_COLD, DETAIL_WARM)


def test_a_catalog_change_shows_on_the_next_request(client):
    product = build_catalog(1)[0]
    assert "S$10.00" in client.get(product.get_absolute_url()).content.decode()
    assert "S$10.00" in client.get("/item/").content.decode()
    change_price(product=product, data={"price": Decimal("12.50")}, actor=None)
    assert "S$12.50" in client.get("/item/").content.decode()
    assert "S$12.50" in client.get(product.get_absolute_url()).content.decode()


def test_live_stock_on_the_product_page_even_without_a_catalog_change(client):
    from auroramart.catalog.models import Product, ProductVariant

    product = build_catalog(1)[0]
    assert "In stock" in client.get(product.get_absolute_url()).content.decode()
    # As an order does, with F(), no signal:
    ProductVariant.objects.filter(product=product).update(stock_quantity=0)
    Product.objects.filter(pk=product.pk).update(stock_quantity=0)
    forget_live_product(product.pk)  # ... and then tells the product page
    assert "Out of stock" in client.get(product.get_absolute_url()).content.decode()


def test_anonymous_page_cache_never_leaks_and_keeps_csrf_working(client):
    from django.test import Client

    from .factories import CustomerFactory

    product = build_catalog(1)[0]
    guest = Client(enforce_csrf_checks=True)
    first = guest.get(product.get_absolute_url()).content.decode()
    second = guest.get(product.get_absolute_url()).content.decode()
    tokens = [_token(page) for page in (first, second)]
    assert "__AURORAMART_CSRF__" not in second and tokens[0] and tokens[1]
    # the token served from the cached page works
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second).group(1)
    added = guest.post("/checkout/cart/add/", {"product_id": product.pk, "csrfmiddlewaretoken": token})
    assert added.status_code == 302
    # now this guest has a cart: their pages are their own
    assert 'id="cart-count" class="badge badge-secondary badge-sm">1<' in guest.get("/").content.decode()
    assert 'id="cart-count" class="badge badge-secondary badge-sm">0<' in Client().get("/").content.decode()
    customer = CustomerFactory(first_name="Zelda")
    client.force_login(customer)
    assert "Zelda" in client.get(product.get_absolute_url()).content.decode()


def test_a_new_release_never_serves_pages_cached_by_the_previous_one(client, monkeypatch):
    from auroramart.catalog.models import Product
    from auroramart.core.release import current_release

    product = build_catalog(1)[0]
    monkeypatch.setenv("RELEASE", "release-1")
    current_release.cache_clear()
    assert product.name in client.get("/item/").content.decode()
    Product.objects.filter(pk=product.pk).update(name="Renamed Behind The Cache")  # no version bump
    assert "Renamed Behind The Cache" not in client.get("/item/").content.decode()  # served from cache
    monkeypatch.setenv("RELEASE", "release-2")  # a deploy
    current_release.cache_clear()
    assert "Renamed Behind The Cache" in client.get("/item/").content.decode()
    monkeypatch.delenv("RELEASE")
    current_release.cache_clear()


def test_a_page_held_in_memory_changes_as_soon_as_another_node_changes_the_catalogue(client):
    """Each process holds the pages it served last (catalog.cache.Held) under the catalog
    version it reads from the shared cache on every request: a change made on another node,
    which bumps that version, shows on this node's very next request."""
    from django.core.cache import cache

    from auroramart.catalog.cache import version_key
    from auroramart.catalog.models import Product

    product = build_catalog(1)[0]
    assert product.name in client.get("/item/").content.decode()
    Product.objects.filter(pk=product.pk).update(name="Renamed On Another Node")
    assert "Renamed On Another Node" not in client.get("/item/").content.decode()  # held
    cache.incr(version_key())  # what the other node's write does to the shared cache
    assert "Renamed On Another Node" in client.get("/item/").content.decode()


def test_held_pages_expire_and_only_the_most_recently_used_are_kept():
    import time

    from auroramart.core.held import Held

    held = Held(size=2, seconds=60)
    held.put("list", "<list>")
    held.put("home", "<home>")
    assert held.get("list") == "<list>"  # now the most recently used
    held.put("product", "<product>")
    assert held.get("home") is None and held.get("list") == "<list>" and held.get("product") == "<product>"
    brief = Held(size=2, seconds=0.01)
    brief.put("list", "<list>")
    time.sleep(0.02)
    assert brief.get("list") is None


# Signed in, a warm catalogue page reads the shopper with their cart's count and unread
# notifications, in one statement (1; accounts.selectors.user_with_header_counts), and the
# session where it is not cached (without Redis): the page itself comes from the cache with
# their own parts filled in (#23).
SIGNED_IN_WARM = 1


def _session_reads_the_database(settings) -> int:
    """1 when each request reads its session from the database, 0 when the cache holds it (Django's
    cached_db store, or the shop's, which reads it with the shared keys: core/sessions.py)."""
    from django.contrib.sessions.backends.cached_db import SessionStore as Cached
    from django.utils.module_loading import import_string

    return 0 if issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), Cached) else 1


@pytest.mark.parametrize("page", ["/", "/item/", "PRODUCT"])
def test_signed_in_pages_are_shared_but_their_own_parts_are_not(page, settings):
    """#23: a signed-in shopper's catalogue page is the shared one from the cache; their name,
    cart count, messages and CSRF token are theirs, never another shopper's."""
    from django.test import Client

    from .factories import CustomerFactory

    product = build_catalog(2)[0]
    url = product.get_absolute_url() if page == "PRODUCT" else page
    shoppers = {}
    for name, quantity in (("Zelda", 1), ("Yusuf", 3)):
        client = Client(enforce_csrf_checks=True)
        client.force_login(CustomerFactory(first_name=name))
        token = _token(client.get("/checkout/cart/").content.decode())
        client.post(
            "/checkout/cart/add/", {"product_id": product.pk, "quantity": quantity}, HTTP_X_CSRFTOKEN=token
        )
        client.get("/checkout/cart/")  # the "is in your cart" message is shown, and gone
        shoppers[name] = (client, quantity)
    zones()
    bump_catalog_version()
    for name, (client, quantity) in shoppers.items():
        other = "Yusuf" if name == "Zelda" else "Zelda"
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        if name == "Yusuf":  # the second shopper is served the page Zelda's request cached
            session_read = _session_reads_the_database(settings)
            saved = 1 if page == "PRODUCT" else 0  # the buy box's "saved to your wishlist"
            assert len(ctx.captured_queries) == SIGNED_IN_WARM + session_read + saved, ctx.captured_queries
        assert f'id="cart-count" class="badge badge-secondary badge-sm">{quantity}<' in html
        assert f">{name}</span>" in html and f">{other}</span>" not in html
        assert "<!--personal:" not in html and "__AURORAMART_CSRF__" not in html
        assert "is in your cart" not in html
        # The token in the shared page is this shopper's own and works; the message the next
        # page shows is theirs, on the cached page, once.
        answer = client.post(
            "/checkout/cart/add/",
            {"product_id": product.pk, "quantity": "lots", "next": url},
            HTTP_X_CSRFTOKEN=_token(html),
        )
        assert answer.status_code == 302 and answer.url == url
        shown = client.get(url).content.decode()
        assert shown.count("Enter the quantity as a whole number.") == 1
        # With a message their corner of the header is still theirs, and their token works.
        assert f">{name}</span>" in shown and f">{other}</span>" not in shown
        assert f'id="cart-count" class="badge badge-secondary badge-sm">{quantity}<' in shown
        assert "<!--personal:" not in shown and "__AURORAMART_CSRF__" not in shown
        assert (
            _token(shown)
            and client.post("/checkout/cart/remove/0/", HTTP_X_CSRFTOKEN=_token(shown)).status_code != 403
        )
        assert "Enter the quantity" not in client.get(url).content.decode()
        assert "Enter the quantity" not in shoppers[other][0].get(url).content.decode()
    # The count is live: a change shows on the next cached page.
    zelda = shoppers["Zelda"][0]
    zelda.post(
        "/checkout/cart/add/",
        {"product_id": product.pk},
        HTTP_X_CSRFTOKEN=_token(zelda.get(url).content.decode()),
    )
    assert 'id="cart-count" class="badge badge-secondary badge-sm">2<' in zelda.get(url).content.decode()


def test_a_page_reads_the_catalog_version_once_and_sees_its_own_change(client, monkeypatch):
    from auroramart.catalog import cache as catalog_cache
    from auroramart.core.request_context import request_memo

    build_catalog(2)
    reads = []
    original = catalog_cache._read_version
    monkeypatch.setattr(catalog_cache, "_read_version", lambda: reads.append(1) or original())
    for url in ("/item/?sort=price", "/item/?sort=price", "/"):  # rendered, then cached, then home
        reads.clear()
        assert client.get(url).status_code == 200 and len(reads) == 1
    token = request_memo.set({})  # as during a request: a change made in it is seen by it
    try:
        before = catalog_cache.catalog_version()
        bump_catalog_version()
        assert catalog_cache.catalog_version() != before
    finally:
        request_memo.reset(token)


def test_a_marker_in_content_includes_nothing():
    """Only the shop's own personal parts are filled in: a marker that arrived in content (a
    pasted description) naming another template is left as the inert comment it is."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from auroramart.catalog import cache as catalog_cache
    from auroramart.core.held import CutPage

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = "<p><!--personal:admin_panel/base.html--></p><!--personal:includes/messages.html-->"
    filled = catalog_cache._response(request, CutPage(html, catalog_cache._SLOTS), None).content.decode()
    assert filled.startswith("<p><!--personal:admin_panel/base.html--></p>")
    assert "<!--personal:includes/messages.html-->" not in filled


def test_the_header_counts_come_in_one_query_and_match_the_cart_and_the_notifications():
    from auroramart.accounts.models import Notification
    from auroramart.accounts.selectors import header_counts, unread_notification_count
    from auroramart.cart.storage import DbCart

    shopper, other = CustomerFactory(), CustomerFactory()
    assert header_counts(shopper) == (0, 0)  # no cart row yet
    lamp, mug = ProductFactory(), ProductFactory()
    cart = DbCart(shopper)
    cart.set_item(variant(lamp).pk, 2, lamp.price)
    cart.set_item(variant(mug).pk, 3, mug.price)
    DbCart(other).set_item(variant(mug).pk, 7, mug.price)
    for read in (False, False, True):
        Notification.objects.create(
            user=shopper, kind="order", title="t", read_at=lamp.created_at if read else None
        )
    Notification.objects.create(user=other, kind="order", title="t")
    with CaptureQueriesContext(connection) as ctx:
        counts = header_counts(shopper)
    assert len(ctx.captured_queries) == 1
    assert counts == (cart.count(), unread_notification_count(shopper)) == (5, 2)


# A warm cart page: the shopper with their header counts (1), their cart's lines with their
# variants, coupons and loyalty choice (1), their loyalty balance (1); products, rewards, the
# shipping and tax set-up and the page around the cart come from the cache (#23).
CART_WARM = 3


def test_the_cart_and_checkout_pages_are_each_shoppers_own_inside_a_shared_page(settings):
    """#23: the page around the cart and the checkout (header, menus, footer) is rendered once
    and shared; the cart in it, the shopper's name, count, messages and CSRF token are their own."""
    from django.test import Client

    from auroramart.accounts.models import Address
    from auroramart.cart.storage import DbCart

    products = build_catalog(5)
    shoppers = {}
    for name, lines in (("Zelda", products[:1]), ("Yusuf", products[1:5])):
        customer = CustomerFactory(first_name=name)
        Address.objects.create(
            user=customer, full_name=name, phone="+65 9123 4567", line1=f"{name} Road", postal_code="238801"
        )
        for quantity, product in enumerate(lines, start=2):
            DbCart(customer).set_item(variant(product).pk, quantity, product.price)
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer)
        client.get("/checkout/cart/")  # their first: their loyalty account is opened
        shoppers[name] = (client, lines)
    zones()
    bump_catalog_version()
    session_read = _session_reads_the_database(settings)
    counts = []
    for name, (client, lines) in shoppers.items():
        other = "Yusuf" if name == "Zelda" else "Zelda"
        theirs = {p.name for p in lines}
        for url in ("/checkout/cart/", "/checkout/cart/", "/checkout/checkout/"):
            with CaptureQueriesContext(connection) as ctx:
                html = client.get(url).content.decode()
            if url == "/checkout/cart/":
                counts.append(len(ctx.captured_queries) - session_read)
            count = sum(range(2, 2 + len(lines)))
            assert f'id="cart-count" class="badge badge-secondary badge-sm">{count}<' in html
            assert f">{name}</span>" in html and f">{other}</span>" not in html
            assert all(p in html for p in theirs) and not any(
                p.name in html for p in products if p.name not in theirs
            )
            for marker in ("<!--live:", "<!--personal:", "__AURORAMART_CSRF__"):
                assert marker not in html
        # The token in the shared page is theirs and works: a quantity changed from the cart page.
        first = variant(lines[0])
        html = client.get("/checkout/cart/").content.decode()
        answer = client.post(
            f"/checkout/cart/update/{first.pk}/", {"quantity": "7"}, HTTP_X_CSRFTOKEN=_token(html)
        )
        assert answer.status_code == 302
        assert 'value="7"' in client.get("/checkout/cart/").content.decode()
    # Zelda's first view renders the page around her cart (the menu) and reads her products (and
    # their pictures); Yusuf's is served that page and reads his products; then each view costs
    # the same, one line or four.
    assert counts == [CART_WARM + 2 + MENU, CART_WARM, CART_WARM + 2, CART_WARM], counts


def test_a_customers_cart_is_read_once_and_every_write_is_seen_by_the_next_read():
    """DbCart reads the lines, coupons and loyalty choice in one statement and keeps them
    until it writes; a checkout's lock reads them again, as another request may have changed them."""
    from auroramart.cart.storage import DbCart

    lamp, mug = ProductFactory(price=Decimal("10.00")), ProductFactory(price=Decimal("4.50"))
    shopper = CustomerFactory()
    cart = DbCart(shopper)
    assert (cart.items(), cart.coupon_codes(), cart.discount(), cart.count()) == ({}, [], None, 0)
    cart.set_item(variant(lamp).pk, 2, lamp.price)
    cart.set_item(variant(mug).pk, 1, mug.price)
    cart.set_coupon_codes(["TEN", "FREESHIP"])
    cart.set_discount({"kind": "points", "points": 300, "reward_id": None})
    with CaptureQueriesContext(connection) as ctx:
        state = (cart.items(), cart.coupon_codes(), cart.discount(), cart.count(), cart.items())
    assert len(ctx.captured_queries) == 1
    lines = {variant(lamp).pk: (2, Decimal("10.00")), variant(mug).pk: (1, Decimal("4.50"))}
    assert state == (
        lines,
        ["TEN", "FREESHIP"],
        {"kind": "points", "points": 300, "reward_id": None},
        3,
        lines,
    )
    assert list(state[0]) == [variant(lamp).pk, variant(mug).pk]  # in the order added
    cart.remove(variant(lamp).pk)
    assert cart.items() == {variant(mug).pk: (1, Decimal("4.50"))}
    DbCart(shopper).set_item(variant(lamp).pk, 5, lamp.price)  # another request's write
    assert variant(lamp).pk not in cart.items()  # this request's copy...
    cart.lock_for_checkout()
    assert cart.items()[variant(lamp).pk] == (5, Decimal("10.00"))  # ...is read again under the lock
    cart.set_discount(None)
    assert cart.discount() is None
    cart.clear()
    assert (cart.items(), cart.coupon_codes(), cart.count()) == ({}, [], 0)


@pytest.mark.django_db(transaction=True)  # what happens once a write is committed
def test_a_new_quantity_is_shown_without_reading_the_cart_again():
    """#23: the cart page's every click is a new quantity; the cart the write went through knows
    what it wrote once it is committed, so the page it answers with reads the cart no second
    time. A later write in the same transaction wins over an earlier one, and a line this copy
    never saw (another request's) means reading the cart afresh."""
    from django.db import transaction

    from auroramart.cart.storage import DbCart

    lamp, mug, cup = (ProductFactory(price=Decimal(p)) for p in ("10.00", "4.50", "3.00"))
    shopper = CustomerFactory()
    lamp_id, mug_id, cup_id = (variant(p).pk for p in (lamp, mug, cup))
    cart = DbCart(shopper)
    cart.set_item(lamp_id, 1, lamp.price)
    cart.set_item(mug_id, 1, mug.price)
    assert cart.count() == 2
    with CaptureQueriesContext(connection) as ctx:
        cart.set_item(lamp_id, 3)
        assert cart.items() == {
            lamp_id: (3, Decimal("10.00")),
            mug_id: (1, Decimal("4.50")),
        }
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    with transaction.atomic():
        cart.set_item(lamp_id, 4)
        cart.items()  # read inside: sees the first write
        cart.set_item(mug_id, 2)
    assert cart.items() == {lamp_id: (4, Decimal("10.00")), mug_id: (2, Decimal("4.50"))}
    DbCart(shopper).set_item(cup_id, 1, cup.price)  # another request's new line
    cart.set_item(cup_id, 2)
    assert cart.items() == {
        lamp_id: (4, Decimal("10.00")),
        mug_id: (2, Decimal("4.50")),
        cup_id: (2, Decimal("3.00")),
    }
    with pytest.raises(RuntimeError), transaction.atomic():  # a write rolled back is not shown
        cart.set_item(lamp_id, 9)
        raise RuntimeError
    assert cart.items()[lamp_id] == (4, Decimal("10.00"))


@pytest.mark.django_db(transaction=True)  # what happens once a write is committed
def test_an_added_line_is_counted_without_reading_the_cart_again():
    """#23: an add reads the cart (to check the quantity), writes the new line, and answers with
    the cart's count: the count comes from what was read plus the line written, not from a second
    read. The lines shown next still come with their variants, read afresh."""
    from auroramart.cart.selectors import cart_summary
    from auroramart.cart.storage import DbCart

    lamp, mug = (ProductFactory(price=Decimal(p)) for p in ("10.00", "4.50"))
    shopper = CustomerFactory()
    lamp_id, mug_id = variant(lamp).pk, variant(mug).pk
    cart = DbCart(shopper)
    cart.set_item(lamp_id, 2, lamp.price)
    cart.items()  # as add_item does before it writes
    with CaptureQueriesContext(connection) as ctx:
        cart.set_item(mug_id, 1, mug.price)
        assert cart.count() == 3
        assert cart.items()[mug_id] == (1, Decimal("4.50"))
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    summary = cart_summary(cart, user=shopper)
    assert sorted(line.variant.product.name for line in summary.lines) == sorted([lamp.name, mug.name])
    assert summary.subtotal == Decimal("24.50")

    # Through the view: the htmx add answers with the new count, and reads the cart once.
    from django.test import Client

    client = Client()
    client.force_login(shopper)
    cup = ProductFactory(price=Decimal("3.00"))
    with CaptureQueriesContext(connection) as ctx:
        answer = client.post(
            "/checkout/cart/add/", {"product_id": cup.pk, "quantity": 2}, HTTP_HX_REQUEST="true"
        )
    assert answer.status_code == 200
    assert 'id="cart-count"' in answer.content.decode() and ">5<" in answer.content.decode()
    # The cart's lines are read once (the quantity check); the count in the answer reads nothing.
    cart_reads = [q for q in ctx.captured_queries if "ORDER BY i.added_at" in q["sql"]]
    assert len(cart_reads) == 1, [q["sql"] for q in ctx.captured_queries]


def test_a_held_buy_box_is_each_shoppers_own_and_shows_a_new_price_at_once():
    """#23: the product page's live buy box is rendered once for what it shows (variant, price,
    stock, whether this shopper saved it) and held; another shopper's saved state or token, or
    an old price, never comes with it."""
    from django.test import Client

    from auroramart.accounts.models import WishlistItem

    product = build_catalog(1)[0]
    url = product.get_absolute_url()
    clients = {}
    for name in ("Zelda", "Yusuf"):
        customer = CustomerFactory(first_name=name)
        clients[name] = Client(enforce_csrf_checks=True)
        clients[name].force_login(customer)
        if name == "Zelda":
            WishlistItem.objects.create(user=customer, product=product)
    guest = Client()
    for _ in range(2):  # rendered, then held
        pages = {name: c.get(url).content.decode() for name, c in {**clients, "guest": guest}.items()}
        assert 'aria-pressed="true"' in pages["Zelda"] and 'aria-pressed="true"' not in pages["Yusuf"]
        assert "Sign in" in pages["guest"] and 'aria-pressed="true"' not in pages["guest"]
        tokens = {name: _token(html) for name, html in pages.items()}
        assert len(set(tokens.values())) == 3 and "__AURORAMART_CSRF__" not in "".join(pages.values())
        boxes = {name: html.split('id="buy-box"')[1] for name, html in pages.items()}
        box_tokens = {
            re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', box).group(1) for box in boxes.values()
        }
        assert len(box_tokens) == 3  # each shopper's own, in the held buy box too
    change_price(product=product, data={"price": Decimal("12.34")}, actor=None)
    for c in (*clients.values(), guest):
        assert "S$12.34" in c.get(url).content.decode()


def test_a_shoppers_corner_of_the_header_is_held_for_what_it_shows_and_its_token_is_theirs():
    """#23: two shoppers whose corner of the header shows the same (the same first name, the
    same counts) share one rendering of it; each gets their own CSRF token in it (their sign-out
    works), and a new count or a message to show is never served from another's."""
    from django.test import Client
    from django.urls import reverse

    product = build_catalog(1)[0]
    url = product.get_absolute_url()
    clients = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(CustomerFactory(first_name="Sam"))
        clients.append(client)
    pages = [c.get(url).content.decode() for c in clients]
    logout = reverse("accounts:logout")
    signout = [re.search(rf'action="{logout}">.*?value="([^"]+)"', html, re.S) for html in pages]
    assert all(signout) and signout[0].group(1) != signout[1].group(1)
    assert all('id="cart-count" class="badge badge-secondary badge-sm">0<' in html for html in pages)
    first, second = clients
    first.post(
        "/checkout/cart/add/", {"product_id": product.pk, "quantity": 2}, HTTP_X_CSRFTOKEN=_token(pages[0])
    )
    shown = first.get(url).content.decode()  # with the message "... is in your cart"
    assert "is in your cart" in shown and 'badge-sm">2<' in shown
    assert 'badge-sm">2<' in first.get(url).content.decode()
    assert 'badge-sm">0<' in second.get(url).content.decode() and "is in your cart" not in pages[1]
    assert second.post(logout, {"csrfmiddlewaretoken": signout[1].group(1)}).status_code == 302
    assert ">Sam</span>" not in second.get(url).content.decode()  # signed out with their own token
    assert ">Sam</span>" in first.get(url).content.decode()


def test_a_response_masks_its_csrf_token_once_and_every_response_anew():
    """#23: masking the CSRF token cost 40 µs each time a page asked for it, so a response masks
    it once for all its forms; every response still gets a fresh masking (BREACH), each one
    is accepted, and a rotated secret (signing in) gets a new token at once."""
    from django.middleware.csrf import _unmask_cipher_token, rotate_token
    from django.test import Client, RequestFactory

    from auroramart.core.held import csrf_token

    product = build_catalog(1)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(CustomerFactory())
    pages = [client.get(product.get_absolute_url()).content.decode() for _ in range(2)]
    per_page = [
        set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)) | {_token(html)}
        for html in pages
    ]
    assert all(len(tokens) == 1 for tokens in per_page)  # the header's, the buy box's, htmx's: one
    assert per_page[0] != per_page[1]  # but masked anew for every response
    for tokens in per_page:
        answer = client.post("/checkout/cart/add/", {"product_id": product.pk}, HTTP_X_CSRFTOKEN=tokens.pop())
        assert answer.status_code == 302

    request = RequestFactory().get("/")
    first = csrf_token(request)
    assert csrf_token(request) == first
    assert _unmask_cipher_token(first) == request.META["CSRF_COOKIE"]
    rotate_token(request)  # what signing in does
    second = csrf_token(request)
    assert second != first and _unmask_cipher_token(second) == request.META["CSRF_COOKIE"]
