"""No page repeats an element id: labels, skip links, htmx targets and out-of-band swaps
all find elements by id, and a repeated one makes them act on the wrong element."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client

from auroramart.cart.storage import DbCart
from tests.test_admin_panel import panel_urls, roles, world  # noqa: F401 (fixtures)

from .factories import variant

pytestmark = pytest.mark.django_db


class IdCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def repeated_ids(html: str) -> list[str]:
    parser = IdCounter()
    parser.feed(html)
    return sorted(i for i, n in parser.ids.items() if n > 1)


def pages_with_repeated_ids(client, urls) -> tuple[int, dict]:
    seen, found = 0, {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        if repeated := repeated_ids(response.content.decode()):
            found[url] = repeated
    return seen, found


def test_no_shop_page_repeats_an_element_id(world):  # noqa: F811
    product, order, customer = world["product"], world["order"], world["customer"]
    guest_seen, guest_found = pages_with_repeated_ids(
        Client(), ["/", "/item/", product.get_absolute_url(), "/register/", "/login/", "/checkout/cart/"]
    )
    shopper = Client()
    shopper.force_login(customer)
    DbCart(customer).set_item(variant(product).pk, 1, product.price)
    seen, found = pages_with_repeated_ids(
        shopper,
        [
            "/",
            "/item/",
            product.get_absolute_url(),
            f"/search/?q={product.name}",
            "/checkout/cart/",
            "/checkout/checkout/",
            "/profile/",
            "/profile/addresses/",
            "/wishlist/",
            "/notifications/",
            "/orders/",
            order.get_absolute_url(),
            "/loyalty/",
        ],
    )
    assert guest_seen + seen >= 18
    assert {**guest_found, **found} == {}


def test_no_panel_page_repeats_an_element_id(world, roles):  # noqa: F811
    staff = Client()
    staff.force_login(roles["Superadmin"])
    urls = [url for name, url, _view in panel_urls(world) if name not in {"logout", "login"}]
    seen, found = pages_with_repeated_ids(staff, urls)
    assert seen >= 25
    assert found == {}
