"""#23: an anonymous visitor's home page and product lists, once their view has served them
whole, are answered by catalog.middleware.AnonymousPageMiddleware before the user, the
messages and the view: the same page and headers, the visitor's own working CSRF token, and
a catalogue change shown at once. Pages that do something on each request never are."""

import re

import pytest
from django.test import Client

from auroramart.catalog.models import Product
from auroramart.core.held import CSRF_PLACEHOLDER
from auroramart.search.models import SearchQueryLog

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


@pytest.mark.parametrize("path", SAME_FOR_EVERYONE)
def test_a_page_served_whole_is_answered_before_the_view_as_the_view_answered(catalogue, path):
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


def test_pages_that_do_something_on_each_request_always_reach_their_view(catalogue):
    product = catalogue[0]
    for _ in range(3):
        assert not before_the_view(Client().get(product.get_absolute_url()))  # live price and stock
        assert not before_the_view(Client().get("/search/?q=headphones"))
    assert SearchQueryLog.objects.filter(normalised="headphones").count() == 3  # each search logged
