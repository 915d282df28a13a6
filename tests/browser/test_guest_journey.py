"""A shopper without an account buys on a phone: the cart offers checking out as a guest, the
checkout asks for an email and an address, the order's page comes by a signed link, and one
password makes an account that holds the order and its points."""

from decimal import Decimal

import pytest

from auroramart.demo.shipping import ensure_demo_zones
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.loyalty.models import LoyaltyTransaction
from auroramart.orders.models import Order
from tests.factories import ProductFactory

from .test_checkout_journey import fill_address, fill_card
from .test_screen_fit import too_wide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}], ids=["phone", "desktop"]
)
def test_a_guest_buys_and_then_keeps_the_order_in_a_new_account(page, viewport):
    page.set_viewport_size(viewport)
    ensure_demo_zones()
    kettle = ProductFactory(name="Copper Kettle", price=Decimal("45.00"), stock_quantity=5)
    page.goto(kettle.get_absolute_url())
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.get_by_text("Copper Kettle is in your cart.").wait_for()
    page.goto("/checkout/cart/")
    page.get_by_role("link", name="Check out as a guest").click()
    page.wait_for_url("**/checkout/checkout/")
    assert too_wide(page, ["/checkout/checkout/"], (viewport["width"],)) == (1, [])

    page.get_by_role("textbox", name="Email", exact=True).fill("kettle.buyer@example.test")
    # The delivery options follow the address as it is typed: Malaysia's, then same-day in
    # central Singapore, then what Tampines gets.
    page.get_by_label("Country").select_option("MY")
    page.get_by_label("Postal code").fill("50450")
    delivery = page.locator("#checkout-delivery")
    delivery.get_by_text("Standard to Malaysia").wait_for()
    assert delivery.get_by_text("Same-day delivery").count() == 0
    page.get_by_label("Country").select_option("SG")
    page.get_by_label("Postal code").fill("018956")
    delivery.get_by_text("Same-day delivery").wait_for()
    fill_address(page, "Kettle Buyer", "3 Tampines Avenue", "529653")
    delivery.get_by_text("Same-day delivery").wait_for(state="detached")
    assert delivery.get_by_text("Standard delivery").is_visible()
    fill_card(page, name="Kettle Buyer")
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/guest/**")
    order = Order.objects.get()
    assert order.user is None and order.email == "kettle.buyer@example.test"
    assert page.get_by_text(f"Thank you! Your order {order.number} is confirmed.").is_visible()
    assert page.locator("#order-status").inner_text() == "Paid"
    guest_page = "/" + page.url.split("/", 3)[3]  # the signed link, as a path
    assert too_wide(page, [guest_page], (viewport["width"],)) == (1, [])

    page.get_by_label("Choose a password").fill("kettle-password-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"**/orders/{order.number}/")
    order.refresh_from_db()
    assert order.user is not None and order.user.email == "kettle.buyer@example.test"
    assert LoyaltyTransaction.objects.filter(order=order, kind="earn").get().points == 45
    assert page.locator("#order-status").inner_text() == "Paid"
    assert ledger_mismatches() == []
    assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
