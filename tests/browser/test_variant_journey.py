"""A shopper picks "M / Navy" of a hoodie in a real browser, buys it and returns it; every
screen names that variant, and its stock (not its siblings') moves through the ledger."""

from decimal import Decimal

import pytest

from auroramart.catalog.models import ProductVariant
from auroramart.inventory.models import StockMovement
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.inventory.services import edit_variants
from auroramart.loyalty.services import open_account
from auroramart.orders import services as orders
from auroramart.orders.models import Order
from auroramart.staff.services import create_staff, setup_roles
from tests.factories import AddressFactory, CustomerFactory, ProductFactory, make_variants

from .test_checkout_journey import fill_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hoodie():
    product = ProductFactory(name="Harbour Hoodie", sku="HOOD-1", price=Decimal("59.00"), stock_quantity=0)
    make_variants(
        product,
        {"Colour": [("Black", "#111111"), ("Navy", "#1f2a44")], "Size": ["S", "M", "L"]},
        stock=3,
        prices={"Navy · Size M": Decimal("62.00")},
    )
    # Black in size M is sold out: with Black chosen, M is shown but cannot be picked.
    black_m = ProductVariant.objects.get(product=product, name="Black · Size M")
    edit_variants(product=product, rows={black_m.pk: {"stock_quantity": 0}}, actor=None, reason="Sold out")
    return product


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_pick_m_navy_buy_it_and_return_it(page, hoodie, viewport):
    page.set_viewport_size(viewport)
    shopper = CustomerFactory(email="variant@example.test")
    open_account(shopper)
    AddressFactory(user=shopper, is_default_shipping=True, is_default_billing=True)
    page.goto("/login/")
    page.get_by_label("Email address").fill("variant@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")

    page.goto(hoodie.get_absolute_url())
    picker = page.locator('[data-option="Size"]')
    assert picker.get_by_role("button", name="M (unavailable)").is_disabled()  # Black · Size M is sold out
    page.locator('[data-option="Colour"]').get_by_role("link", name="Navy").click()
    page.locator("#variant-sku", has_text="HOOD-1-NAVY").wait_for()
    page.locator('[data-option="Size"]').get_by_role("link", name="M", exact=True).click()
    page.locator("#variant-sku", has_text="HOOD-1-NAVY-M").wait_for()
    navy_m = ProductVariant.objects.get(sku="HOOD-1-NAVY-M")
    assert page.url.endswith(f"?variant={navy_m.pk}")  # the choice is in the URL, to share
    assert page.locator("#variant-price").inner_text() == "S$62.00"
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.get_by_text("Harbour Hoodie (Navy · Size M) is in your cart.").wait_for()

    page.goto("/checkout/cart/")
    assert page.locator("[data-variant]").first.inner_text() == "Navy · Size M"
    page.get_by_role("link", name="Check out").click()
    fill_card(page, name="Variant Tester")
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/AM*/")
    order = Order.objects.get()
    assert page.locator("[data-variant]").first.inner_text() == "Navy · Size M"
    line = order.items.get()
    assert (line.variant_id, line.sku, line.variant_name) == (navy_m.pk, "HOOD-1-NAVY-M", "Navy · Size M")
    navy_m.refresh_from_db()
    assert navy_m.stock_quantity == 2
    assert ProductVariant.objects.get(sku="HOOD-1-NAVY-L").stock_quantity == 3

    setup_roles()
    staff = create_staff(email="ops@staff.test", password="x-long-password-1", role="Admin")
    orders.change_status(order=order, to_status="shipped", actor=staff)
    orders.change_status(order=order, to_status="delivered", actor=staff)
    page.goto(order.get_absolute_url())
    page.locator("#return-form input[type=number]").first.fill("1")
    page.get_by_label("Reason").select_option("changed_mind")
    page.get_by_role("button", name="Request a return").click()
    page.get_by_text("Return requested").first.wait_for()
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)
    page.goto(f"/orders/{order.number}/invoice/")
    assert page.locator("[data-variant]").first.inner_text() == "Navy · Size M"
    navy_m.refresh_from_db()
    assert navy_m.stock_quantity == 3
    back = StockMovement.objects.get(order=order, kind="return")
    assert (back.variant_id, back.quantity) == (navy_m.pk, 1)
    assert ledger_mismatches() == []
    assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
