"""A customer sends back one line of a three-line order in a real browser; staff approve it
line by line in the panel and receive it; the customer sees the credit note for exactly that
line's share of what was paid, and the other lines stay theirs."""

from decimal import Decimal

import pytest

from auroramart.cart.storage import DbCart
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.loyalty.services import open_account
from auroramart.orders import services as orders
from auroramart.orders.models import CreditNote, Order
from auroramart.orders.refunds import allocate
from auroramart.promotions.models import Coupon
from auroramart.staff.services import create_staff, setup_roles
from tests.factories import CustomerFactory, ProductFactory, variant

from ..placing import place
from .test_admin_journeys import STAFF_PASSWORD, staff_sign_in
from .test_screen_fit import too_wide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def delivered():
    setup_roles()
    staff = create_staff(email="service@staff.test", password=STAFF_PASSWORD, role="Service")
    shopper = CustomerFactory(email="returner@example.test")
    open_account(shopper)
    Coupon.objects.create(code="FIVE", kind="fixed", value=Decimal("5"))
    cart = DbCart(shopper)
    for name, price, quantity in (("Tea Cup", "8.50", 2), ("Teapot", "32.00", 1), ("Tray", "19.90", 1)):
        product = ProductFactory(name=name, price=Decimal(price), stock_quantity=10)
        cart.set_item(variant(product).pk, quantity, product.price)
    cart.set_coupon_codes(["FIVE"])
    order = place(shopper, "three-lines").order
    for status in ("shipped", "delivered"):
        orders.change_status(order=order, to_status=status, actor=staff)
    return Order.objects.get(pk=order.pk)


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_return_one_line_of_three(page, delivered, viewport):
    page.set_viewport_size(viewport)
    teapot = delivered.items.get(name="Teapot")
    paid = allocate(delivered, delivered.items.all()).lines[teapot.pk].paid

    page.goto("/login/")
    page.get_by_label("Email address").fill("returner@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    width = viewport["width"]
    assert too_wide(page, [delivered.get_absolute_url()], (width,)) == (1, [])  # the return form fits
    page.get_by_label("Units of Teapot to send back").fill("1")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Request a return").click()
    page.get_by_text("Your return request is sent").wait_for()
    assert page.locator("#order-status").inner_text() == "Return requested"

    staff = page.context.browser.new_context(
        base_url=page.url.split("/orders/")[0], viewport=page.viewport_size
    ).new_page()
    staff_sign_in(staff, "service@staff.test")
    assert too_wide(staff, [f"/admin-panel/orders/{delivered.number}/"], (width,)) == (1, [])
    assert staff.get_by_label("Units of Teapot to approve").input_value() == "1"
    staff.get_by_role("button", name="Approve").click()
    staff.get_by_text("Return updated.").wait_for()
    staff.get_by_role("button", name="Received: refund").click()
    staff.get_by_text("Return updated.").wait_for()
    credit = CreditNote.objects.get(order=delivered)
    assert staff.locator("#credit-notes").get_by_text(credit.number).is_visible()
    # #24: a received return offered a "Note" field with no button to send it.
    assert staff.locator("#return-request").get_by_label("Note").count() == 0
    assert staff.locator("#return-request").get_by_role("button").count() == 0

    page.reload()
    assert page.locator("#order-status").inner_text() == "Partially returned"
    page.get_by_role("link", name=credit.number).click()
    page.get_by_role("heading", name="Credit note").wait_for()
    assert f"S${paid}" in page.locator("tfoot").inner_text()
    assert credit.amount == paid and Order.objects.get(pk=delivered.pk).refunded_total == paid
    # The other lines can still be sent back; the teapot cannot.
    page.goto(delivered.get_absolute_url())
    assert page.get_by_label("Units of Tea Cup to send back").is_visible()
    assert page.get_by_label("Units of Teapot to send back").count() == 0
    assert ledger_mismatches() == []
    assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
