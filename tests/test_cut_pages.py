"""#23, eleventh round: a page shared between requests is held encoded and cut where each
request's own parts go (core/held.py, CutPage). Filled, it is exactly the page with every
placeholder replaced by its part, as `str.replace` would make it, whatever the text around."""

import re

import pytest
from django.test import Client
from hypothesis import assume, given
from hypothesis import strategies as st

from auroramart.catalog.cache import _SLOTS, live_marker, personal_marker
from auroramart.core.held import CSRF_PLACEHOLDER, CutPage

from .factories import AddressFactory, CustomerFactory, ProductFactory

SLOTS = [CSRF_PLACEHOLDER, live_marker("buy-box"), personal_marker("includes/account_nav.html")]
# Text around the slots: any characters (a rupee sign, an emoji), and pieces of the markers.
TEXT = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
    | st.sampled_from(["<!--", "-->", "__", "live:"])
).map("".join)


@given(
    st.lists(st.tuples(TEXT, st.sampled_from(SLOTS)), max_size=8),
    TEXT,
    st.dictionaries(st.sampled_from(SLOTS), TEXT),
)
def test_a_filled_page_is_the_page_with_each_placeholder_replaced(pieces, tail, parts):
    html = "".join(text + slot for text, slot in pieces) + tail
    # Text that happens to spell a placeholder would be one: not what this property is about.
    assume(_SLOTS.findall(html) == [slot for _, slot in pieces])
    expected = "".join(text + parts.get(slot, slot) for text, slot in pieces) + tail
    assert CutPage(html, _SLOTS).filled(parts).decode() == expected


def test_every_place_of_a_slot_is_filled_and_a_slot_given_nothing_stays_as_it_was():
    html = f"<a>{CSRF_PLACEHOLDER}</a>é{live_marker('buy-box')}✓{CSRF_PLACEHOLDER}<!--live:other-->"
    page = CutPage(html, _SLOTS)
    assert page.distinct == (CSRF_PLACEHOLDER, live_marker("buy-box"), "<!--live:other-->")
    filled = page.filled({CSRF_PLACEHOLDER: "tok", live_marker("buy-box"): "<div>₹ 12</div>"})
    assert filled.decode() == "<a>tok</a>é<div>₹ 12</div>✓tok<!--live:other-->"


def test_a_page_without_placeholders_is_served_as_it_was_rendered():
    html = "<html>nothing of anyone's own — just the catalogue</html>"
    assert CutPage(html, _SLOTS).filled({CSRF_PLACEHOLDER: "tok"}) == html.encode()
    assert CutPage("", re.compile("x")).filled({}) == b""


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "shopper"])
def test_no_page_a_visitor_gets_carries_a_placeholder(signed_in):
    """Every shared page, served twice (rendered, then from what is held), reaches the visitor
    with each place filled: the token, their own parts, the live buy box and bodies."""
    lamp = ProductFactory(name="Desk lamp", stock_quantity=20)
    client = Client()
    pages = ["/", "/item/", f"/item/{lamp.slug}/", "/checkout/cart/"]
    if signed_in:
        shopper = CustomerFactory()
        AddressFactory(user=shopper, is_default_shipping=True)
        client.force_login(shopper)
        pages.append("/checkout/checkout/")
    client.post("/checkout/cart/add/", {"variant_id": lamp.variants.get().pk, "quantity": 1})
    for page in pages:
        for _ in range(2):
            response = client.get(page)
            assert response.status_code == 200, page
            html = response.content.decode()
            assert _SLOTS.search(html) is None, (page, _SLOTS.search(html))
            assert "Desk lamp" in html, page
