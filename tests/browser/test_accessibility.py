"""axe-core (the npm build, vendored beside these tests, never in the shop's static files)
on the main pages: no serious or critical violations. And a keyboard-only path to checkout."""

from decimal import Decimal
from pathlib import Path

import pytest

from auroramart.cart.storage import DbCart
from auroramart.loyalty.services import open_account
from auroramart.staff.services import create_staff, setup_roles
from tests.factories import (
    AddressFactory,
    CustomerFactory,
    ProductFactory,
    ProductImageFactory,
    SubcategoryFactory,
)

from ..factories import variant
from ..two_factor import code_for

AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    sub = SubcategoryFactory(name="Headphones", category__name="Electronics")
    products = [
        ProductFactory(name=f"Wireless Headphones {i}", subcategory=sub, price=Decimal("59.00"))
        for i in range(3)
    ]
    for p in products:
        ProductImageFactory(product=p, alt_text=p.name)
    customer = CustomerFactory(email="a11y@example.test")
    open_account(customer)
    AddressFactory(user=customer, is_default_shipping=True, is_default_billing=True)
    setup_roles()
    create_staff(email="admin@staff.test", password="staff-password-123", role="Admin")
    return {"products": products, "customer": customer}


def violations(page):
    # Evaluated through the browser's devtools protocol, which the shop's Content-Security-
    # Policy (no inline script) does not apply to: the page is checked with its CSP in force.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, email, password, url="/login/", label="Email address"):
    page.goto(url)
    page.get_by_label(label).fill(email)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def test_shop_pages_have_no_serious_violations(page, shop):
    product = shop["products"][0]
    guest_pages = ["/", "/item/", product.get_absolute_url(), "/register/", "/login/", "/checkout/cart/"]
    found = {}
    for url in guest_pages:
        page.goto(url)
        found[url] = violations(page)
    sign_in(page, "a11y@example.test", "correct-horse-battery")
    DbCart(shop["customer"]).set_item(variant(product).pk, 1, product.price)
    for url in ["/checkout/cart/", "/checkout/checkout/", "/profile/", "/loyalty/"]:
        page.goto(url)
        found[url] = violations(page)
    assert {url: v for url, v in found.items() if v} == {}


def test_admin_dashboard_has_no_serious_violations(page, shop):
    sign_in(page, "admin@staff.test", "staff-password-123", url="/admin-panel/login/", label="Staff email")
    assert "/login/verify/" in page.url  # Admin signs in with a second factor, set up here
    assert violations(page) == []
    page.get_by_label("Code").fill(code_for("admin@staff.test"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin-panel/two-factor/")
    assert violations(page) == []
    page.goto("/admin-panel/")
    assert violations(page) == []


def test_keyboard_only_search_add_to_cart_and_reach_checkout(page, shop):
    sign_in(page, "a11y@example.test", "correct-horse-battery")
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.focus("#search-q")
    page.keyboard.type("wireless")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=wireless")
    # Tab to the first product link and open it with Enter
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement.closest('#product-grid') && document.activeElement.tagName === 'A'"
        ):
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("#buy-box")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim() === 'Add to cart'"):
            break
    page.keyboard.press("Enter")
    page.get_by_text("is in your cart").wait_for()
    page.goto("/checkout/cart/")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim() === 'Check out'"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/checkout/")
