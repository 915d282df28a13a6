"""A signed-in shopper's header counts (items in their cart, unread notifications) are read with
the shopper, in the statement that reads them for the session (accounts/backends.py, #23), and
stand for as long as the request writes nothing: a request that changes them shows what it wrote.

The requests below go through the whole middleware stack to the real home page; each first makes
one of the writes a request can make to what the header counts."""

import re

import pytest
from django.contrib.auth import login
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from auroramart import urls as shop_urls
from auroramart.accounts.backends import ACCOUNT_BACKEND
from auroramart.accounts.models import Notification, User
from auroramart.accounts.services import mark_notifications_read, notify
from auroramart.accounts.views import profile
from auroramart.cart.storage import DbCart
from auroramart.core.write_watch import watching
from auroramart.pages.views import home

from .factories import CustomerFactory, ProductFactory, variant

pytestmark = pytest.mark.django_db


def _add_a_line(request):
    product = ProductFactory()
    DbCart(request.user).set_item(variant(product).pk, 4, product.price)


def _empty_the_cart(request):
    DbCart(request.user).clear()


def _a_notification_arrives(request):
    notify(user=request.user, kind="order", title="Your order has shipped")


def _notifications_read(request):
    mark_notifications_read(user=request.user)


def _another_customer_signs_in(request):
    login(request, User.objects.get(first_name="Yusuf"), backend=ACCOUNT_BACKEND)


WRITES = {
    "a cart line added": (_add_a_line, (6, 2)),
    "the cart emptied": (_empty_the_cart, (0, 2)),
    "a notification arrives": (_a_notification_arrives, (2, 3)),
    "the notifications read": (_notifications_read, (2, 0)),
    "another customer signs in": (_another_customer_signs_in, (1, 1)),
}


# The header is rendered two ways: as the shopper's held corner of a shared page (the home page)
# and with the page itself (the profile page, rendered whole).
PAGES = {"home": home, "profile": profile}


def write_then_show(request, page, write):
    WRITES[write][0](request)
    return PAGES[page](request)


urlpatterns = [path("test/<str:page>/after/<str:write>/", write_then_show), *shop_urls.urlpatterns]


def _header(html: str) -> tuple[int, int]:
    in_cart = int(re.search(r'id="cart-count"[^>]*>(\d+)<', html)[1])
    unread = re.search(r'id="notification-count"[^>]*>(\d+)<', html)
    return in_cart, int(unread[1]) if unread else 0


@pytest.fixture
def shopper():
    customer = CustomerFactory(first_name="Zelda")
    product = ProductFactory()
    DbCart(customer).set_item(variant(product).pk, 2, product.price)
    for _ in range(2):
        notify(user=customer, kind="order", title="Your order is confirmed")
    client = Client()
    client.force_login(customer)
    return customer, client


def test_a_page_that_writes_nothing_shows_the_counts_read_with_the_shopper(shopper):
    customer, client = shopper
    client.get("/")  # the shared page is rendered and held
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/").content.decode()
    assert _header(html) == (2, 2)
    header_reads = [q["sql"] for q in ctx.captured_queries if "accounts_notification" in q["sql"]]
    assert len(header_reads) == 1 and '"accounts_user"' in header_reads[0]  # with the shopper


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("write", list(WRITES))
def test_a_page_that_changes_the_counts_shows_what_it_wrote(shopper, write, page, settings):
    customer, client = shopper
    other = CustomerFactory(first_name="Yusuf")
    product = ProductFactory()
    DbCart(other).set_item(variant(product).pk, 1, product.price)
    notify(user=other, kind="order", title="Welcome")
    settings.ROOT_URLCONF = __name__
    assert _header(client.get("/").content.decode()) == (2, 2)
    html = client.get(f"/test/{page}/after/{write}/").content.decode()
    assert _header(html) == WRITES[write][1]
    assert (">Yusuf<" in html) == (write == "another customer signs in")


def test_only_writes_are_noted_and_only_on_the_databases_watched():
    """Reads (SELECT, including SELECT … FOR UPDATE) leave the pre-read counts standing; any
    other statement is taken for a write, at worst costing one more read."""
    customer = CustomerFactory()
    with watching({"default"}) as writes:
        list(Notification.objects.filter(user=customer))
        assert not writes.seen
        notify(user=customer, kind="order", title="t")
        assert writes.seen
    with watching(set()) as unwatched:
        notify(user=customer, kind="order", title="t")
    assert not unwatched.seen


@pytest.mark.parametrize("url", ["/", "/profile/"])  # the held corner, the page rendered whole
@pytest.mark.parametrize("unread, badge", [(1, "1"), (99, "99"), (100, "99+"), (150, "99+")])
def test_the_header_counts_unread_notifications_up_to_99_then_says_99_plus(unread, badge, url):
    """A customer who never reads their notifications (a paid order alone writes two) would make
    every page they open count them all: the header counts up to a hundred and says "99+"."""
    customer = CustomerFactory()
    Notification.objects.bulk_create(
        [Notification(user=customer, kind="order", title=f"Order {n}") for n in range(unread)]
    )
    client = Client()
    client.force_login(customer)
    html = client.get(url).content.decode()
    assert f'id="notification-count" class="badge badge-primary badge-sm indicator-item">{badge}<' in html
    assert f'aria-label="Notifications, {badge} unread"' in html
