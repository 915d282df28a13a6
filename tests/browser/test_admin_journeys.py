"""Staff run the shop from the admin panel in a real browser, and the storefront follows."""

from decimal import Decimal

import pytest

from auroramart.cart.storage import DbCart
from auroramart.loyalty.services import open_account
from auroramart.orders.services import ShippingAddress, place_order
from auroramart.staff.services import create_staff, setup_roles
from tests.factories import CustomerFactory, ProductFactory

from ..factories import variant
from ..two_factor import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STAFF_PASSWORD = "staff-password-123"


@pytest.fixture
def shop():
    setup_roles()
    sales = create_staff(email="sales@staff.test", password=STAFF_PASSWORD, role="Sales")
    admin = create_staff(email="admin@staff.test", password=STAFF_PASSWORD, role="Admin")
    customer = CustomerFactory(email="shopper@example.test")
    open_account(customer)
    product = ProductFactory(name="Copper Kettle", price=Decimal("45.00"), stock_quantity=8)
    DbCart(customer).set_item(variant(product).pk, 1, product.price)
    order = place_order(
        user=customer,
        cart=DbCart(customer),
        idempotency_key="j",
        shipping_method="standard",
        address=ShippingAddress("Shopper", "+65 9123 4567", "1 Rd", "", "123456"),
        payment_method="pm_card_visa",
    ).order
    return {"sales": sales, "admin": admin, "customer": customer, "product": product, "order": order}


def staff_sign_in(page, email):
    """The panel's sign-in as a person does it; for a role with two-factor sign-in, the second
    step too (setting up the app on first sign-in), with the code an authenticator app shows."""
    page.goto("/admin-panel/login/")
    page.get_by_label("Staff email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    if "/login/verify/" in page.url:
        enrolling = page.get_by_test_id("totp-secret").count() > 0
        page.get_by_label("Code").fill(code_for(email))
        page.get_by_role("button", name="Confirm and sign in" if enrolling else "Sign in").click()
        if enrolling:
            page.wait_for_url("**/admin-panel/two-factor/")
            assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
            page.goto("/admin-panel/")
    page.wait_for_url("**/admin-panel/")


def test_sales_ships_an_order_and_the_customer_sees_it(browser, live_server, shop):
    staff = browser.new_context(base_url=live_server.url).new_page()
    staff_sign_in(staff, "sales@staff.test")
    staff.get_by_role("link", name="Orders & returns").click()
    staff.get_by_role("link", name=shop["order"].number).click()
    staff.get_by_label("New status").select_option("shipped")
    staff.get_by_label("Note").first.fill("Tracking DHL-123")
    staff.get_by_role("button", name="Update").click()
    assert staff.locator("#order-status").inner_text() == "Shipped"

    customer = browser.new_context(base_url=live_server.url).new_page()
    customer.goto("/login/")
    customer.get_by_label("Email address").fill("shopper@example.test")
    customer.get_by_label("Password").fill("correct-horse-battery")
    customer.get_by_role("button", name="Sign in").click()
    customer.wait_for_url("**/")
    assert customer.locator("#notification-count").is_visible()
    customer.goto("/notifications/")
    assert customer.get_by_text(f"Order {shop['order'].number}: shipped").is_visible()
    customer.goto(shop["order"].get_absolute_url())
    assert customer.locator("#order-status").inner_text() == "Shipped"
    assert customer.locator("#order-timeline").get_by_text("Tracking DHL-123").is_visible()


def test_admin_changes_price_and_stock_and_the_audit_log_shows_it(page, shop):
    product = shop["product"]
    staff_sign_in(page, "admin@staff.test")
    page.goto(f"/admin-panel/products/{product.pk}/")
    page.locator("#id_price").fill("39.50")
    page.get_by_role("button", name="Save price").click()
    page.get_by_text("Price saved.").wait_for()
    page.get_by_role("spinbutton", name="Quantity", exact=True).fill("12")
    page.locator("#id_reason").fill("Delivery from supplier")
    page.get_by_role("button", name="Adjust").click()
    assert page.locator("#stock").inner_text() == "19"
    page.goto("/admin-panel/audit/")
    assert page.get_by_text("45.00 → 39.50").is_visible()
    assert page.get_by_text("7 → 19").is_visible()

    shopper = page.context.browser.new_context(base_url=page.url.split("/admin-panel")[0]).new_page()
    shopper.goto(product.get_absolute_url())
    assert shopper.locator("#buy-box").inner_text().startswith("S$39.50")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_analyst_sees_the_charts_drawn_and_no_inventory(page, shop, viewport):
    from django.utils import timezone

    from auroramart.analytics.rollups import rollup
    from auroramart.staff.services import create_staff

    create_staff(email="analyst@staff.test", password=STAFF_PASSWORD, role="Analyst")
    today = timezone.localdate()
    rollup(today, today)
    page.set_viewport_size(viewport)
    staff_sign_in(page, "analyst@staff.test")
    if viewport["width"] < 1024:  # the menu is a drawer behind the ☰ button
        page.locator("label[for=panel-drawer][aria-label=Menu]").click()
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/admin-panel/analytics/")
    canvases = page.locator("canvas")
    assert canvases.count() >= 6
    # Nothing spills sideways: the page is no wider than the screen, and neither is any chart.
    widths = page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, screen: window.innerWidth,
                  charts: Array.from(document.querySelectorAll('canvas'))
                          .map(c => c.getBoundingClientRect().right)})"""
    )
    assert widths["page"] <= widths["screen"], widths
    assert max(widths["charts"]) <= widths["screen"], widths
    # Every chart drew something: some pixel of each canvas is not transparent.
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas')).map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
            return false;
        })"""
    )
    assert drawn and all(drawn), drawn
    assert page.locator("[data-kpi=orders] .stat-value").inner_text() == "1"
    assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    response = page.goto("/admin-panel/products/")
    assert response.status == 403
