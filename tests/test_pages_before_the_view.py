"""#23: an anonymous visitor's home page, product lists and product pages, once their view has
served them whole, are answered by catalog.middleware.AnonymousPageMiddleware before the user,
the messages and the view: the same page and headers, the visitor's own working CSRF token, a
catalogue change shown at once, and a product page's price and stock as live as the view makes
them. Pages that do something else on each request never are."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from auroramart.catalog.models import Product
from auroramart.catalog.selectors import forget_live_product
from auroramart.catalog.services import change_price, update_product
from auroramart.core.held import CSRF_PLACEHOLDER
from auroramart.inventory.services import adjust_stock
from auroramart.search.models import ProductView, SearchQueryLog

from .factories import CustomerFactory, ProductFactory, ProductImageFactory, SubcategoryFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTMX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
SAME_FOR_EVERYONE = [
    "/",
    "/item/",
    "/item/?sort=price_asc&in_stock=1",
    "/category/electronics/",
    "/category/electronics/headphones/",
]


@pytest.fixture
def catalogue():
    sub = SubcategoryFactory(
        name="Headphones", slug="headphones", category__name="Electronics", category__slug="electronics"
    )
    products = ProductFactory.create_batch(3, subcategory=sub, is_featured=True)
    for product in products:
        ProductImageFactory(product=product)
    return products


def before_the_view(response) -> bool:
    # The authentication middleware, after this one, gives every request it sees a user.
    return not hasattr(response.wsgi_request, "user")


def without_token(response) -> tuple[str, list]:
    html = HTMX_TOKEN.sub("", TOKEN.sub("", response.content.decode()))
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("X-Request-ID", "Set-Cookie"))
    return html, headers


# A product page, by the product it is of (catalogue[0]) and the query it is asked with.
PRODUCT_PAGES = ["product", "product?variant", "product?src=search"]


def _address(path: str, product) -> str:
    if not path.startswith("product"):
        return path
    query = path.partition("?")[2]
    if query == "variant":
        query = f"variant={product.variants.get().pk}"
    return product.get_absolute_url() + (f"?{query}" if query else "")


@pytest.mark.parametrize("path", SAME_FOR_EVERYONE + PRODUCT_PAGES)
def test_a_page_served_whole_is_answered_before_the_view_as_the_view_answered(catalogue, path):
    path = _address(path, catalogue[0])
    visitor = Client(enforce_csrf_checks=True)
    first = visitor.get(path)
    assert first.status_code == 200 and not before_the_view(first)
    newcomer = Client(enforce_csrf_checks=True)
    again = newcomer.get(path)
    assert before_the_view(again)
    assert without_token(again) == without_token(first)
    assert "csrftoken" in again.cookies and again["Vary"] == first["Vary"]
    body = again.content.decode()
    token = HTMX_TOKEN.search(body).group(1)  # every page's, for htmx
    # The page is held encoded and cut where the token goes: every place gets the one token.
    assert CSRF_PLACEHOLDER not in body and set(TOKEN.findall(body)) <= {token}
    added = newcomer.post("/checkout/cart/add/", {"product_id": catalogue[0].pk}, HTTP_X_CSRFTOKEN=token)
    assert added.status_code == 302  # the token put in before the view works


def test_a_catalogue_change_shows_at_once(catalogue):
    Client().get("/item/")
    assert before_the_view(Client().get("/item/"))
    product = Product.objects.get(pk=catalogue[0].pk)
    product.name = "Renamed Right Now"
    product.save()  # bumps the catalog version
    changed = Client().get("/item/")
    assert "Renamed Right Now" in changed.content.decode() and not before_the_view(changed)


def test_only_a_sessionless_get_is_answered_before_the_view(catalogue, client):
    Client().get("/")
    shopper = Client()
    shopper.force_login(CustomerFactory(first_name="Zelda"))
    page = shopper.get("/")
    assert not before_the_view(page) and "Zelda" in page.content.decode()
    guest = Client()
    guest.post("/checkout/cart/add/", {"product_id": catalogue[0].pk})  # a session, with a message
    shown = guest.get("/")
    assert not before_the_view(shown) and "is in your cart" in shown.content.decode()
    assert not before_the_view(Client().head("/"))
    assert before_the_view(Client().get("/"))


def test_pages_that_do_something_else_on_each_request_always_reach_their_view(catalogue):
    for _ in range(3):
        assert not before_the_view(Client().get("/search/?q=headphones"))
    assert SearchQueryLog.objects.filter(normalised="headphones").count() == 3  # each search logged


def test_a_product_page_before_the_view_shows_the_price_and_stock_of_now(
    catalogue, django_capture_on_commit_callbacks
):
    product = catalogue[0]
    variant = product.variants.get()
    url = product.get_absolute_url()
    Client().get(url)
    shown = Client().get(url)
    assert before_the_view(shown) and "In stock" in shown.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # a committed change drops the live values
        adjust_stock(variant=variant, quantity=-47, reason="Counted")  # 50 -> 3, below the reorder level
    low = Client().get(url)
    assert before_the_view(low) and "Only 3 left in stock" in low.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=variant, quantity=-3, reason="Counted")
    gone = Client().get(url)
    assert before_the_view(gone) and "Out of stock" in gone.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        change_price(product=product, data={"price": Decimal("12.34")}, actor=None)
    assert "12.34" in Client().get(url).content.decode()
    repriced = Client().get(url)
    assert before_the_view(repriced) and "12.34" in repriced.content.decode()


def test_a_product_page_before_the_view_still_counts_each_visitor_and_serves_no_fragment(catalogue):
    product = catalogue[0]
    url = product.get_absolute_url()
    Client(HTTP_USER_AGENT="Mozilla/5.0 first").get(url)
    for visitor in ("Mozilla/5.0 second", "Mozilla/5.0 third", "Mozilla/5.0 third"):
        assert before_the_view(Client(HTTP_USER_AGENT=visitor).get(url))
    assert ProductView.objects.filter(product=product).count() == 3  # the third came twice
    picked = Client().get(
        f"{url}?variant={product.variants.get().pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="buy-box"
    )
    assert not before_the_view(picked)
    assert picked.content.decode().startswith('<div id="buy-box"')


def test_a_product_page_whose_product_is_withdrawn_is_not_found(catalogue):
    product = catalogue[0]
    url = product.get_absolute_url()
    Client().get(url)
    assert before_the_view(Client().get(url))
    update_product(product=product, data={"is_active": False}, actor=None)
    assert Client().get(url).status_code == 404


def test_a_held_product_page_whose_live_values_say_it_is_gone_goes_to_the_view(catalogue):
    # Every write path bumps the catalogue version too; were one not to, the live values alone
    # must keep a product no longer sold from being shown.
    product = catalogue[0]
    url = product.get_absolute_url()
    Client().get(url)
    assert before_the_view(Client().get(url))
    Product.objects.filter(pk=product.pk).update(is_active=False)
    forget_live_product(product.pk)
    assert Client().get(url).status_code == 404
