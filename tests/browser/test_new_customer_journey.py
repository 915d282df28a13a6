"""Journey 1 (and 6, at a phone's size): a new customer registers with their
demographics, sees categories picked for them, searches with a typo, filters,
opens a product, adds it and a frequently-bought-together item, changes a
quantity in place, applies loyalty points, pays with the test card, and sees
the order, its timeline and the points it earned."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from auroramart.loyalty.models import LoyaltyTransaction
from auroramart.orders.models import Order
from auroramart.recommendations import services
from auroramart.recommendations.datasets import read_baskets_csv, read_customers_csv
from tests.factories import BrandFactory, CategoryFactory, ProductFactory, SubcategoryFactory
from tests.test_recommendations import baskets_csv, customers_csv, paired_baskets

from .test_checkout_journey import fill_address, fill_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(tmp_path):
    electronics = CategoryFactory(name="Electronics")
    audio = SubcategoryFactory(name="Headphones", category=electronics)
    stands = SubcategoryFactory(name="Accessories", category=electronics)
    for name in ("Fashion - Women", "Sports & Outdoors"):
        ProductFactory(subcategory=SubcategoryFactory(category=CategoryFactory(name=name)))
    sonara, voltix = BrandFactory(name="Sonara"), BrandFactory(name="Voltix")
    headphones = ProductFactory(
        sku="A", name="Studio Headphones", subcategory=audio, brand=sonara, price=Decimal("120.00")
    )
    ProductFactory(
        sku="X0", name="Budget Headphones", subcategory=audio, brand=voltix, price=Decimal("19.90")
    )
    stand = ProductFactory(
        sku="B", name="Headphone Stand", subcategory=stands, brand=voltix, price=Decimal("25.00")
    )
    services.train_category_model(read_customers_csv(customers_csv(tmp_path)))
    skus, baskets = paired_baskets()
    services.train_association_model(read_baskets_csv(baskets_csv(tmp_path, skus, baskets)))
    return {"headphones": headphones, "stand": stand}


def register(page):
    page.goto("/register/")
    fields = {
        "email": "newcomer@example.test",
        "first_name": "Nia",
        "last_name": "Tan",
        "password1": "a-very-long-password-42",
        "password2": "a-very-long-password-42",
        "age": "22",
        "household_size": "1",
        "monthly_income_sgd": "900",
    }
    for name, value in fields.items():
        page.locator(f"#id_{name}").fill(value)
    choices = {
        "gender": "Female",
        "employment_status": "Student",
        "occupation": "Tech",
        "education": "Diploma",
    }
    for name, value in {**choices, "has_children": "0"}.items():
        page.locator(f"#id_{name}").select_option(value)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_new_customer_from_registration_to_points_earned(page, shop, viewport):
    page.set_viewport_size(viewport)
    register(page)
    # The personal slots load when they scroll into view; on a phone the hero and
    # the category tiles fill the first screen, so the shopper scrolls down first.
    page.locator("#home-recommendations").scroll_into_view_if_needed()
    picked = page.locator("[data-slot=home-picked]")
    picked.wait_for()
    assert picked.get_by_role("link", name="Electronics").first.is_visible()  # young student: electronics

    page.get_by_label("Search products").first.fill("headphnes")  # a typo
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=headphnes")
    names = page.locator("#product-grid h3").all_inner_texts()
    assert "Studio Headphones" in names and "Budget Headphones" in names

    if not page.get_by_label("Sonara").is_visible():  # a phone: the filters are a drawer
        page.locator("#filter-heading").click()
    page.get_by_label("Sonara").check()  # the filters apply at once
    page.wait_for_url("**brand=sonara**")
    expect(page.locator("#product-grid h3")).to_have_text(["Studio Headphones"])

    page.get_by_role("link", name="Studio Headphones").click()
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.get_by_text("Studio Headphones is in your cart.").wait_for()
    together = page.locator("[data-slot=pdp-fbt]")
    together.get_by_text("Already in your cart").wait_for()  # the slot refreshed after the add
    assert together.get_by_label("Headphone Stand").is_checked()
    together.get_by_role("button", name="Add all to cart").click()
    together.get_by_text("Added 1 item to your cart.").wait_for()
    assert page.locator("#cart-count").inner_text() == "2"

    page.goto("/checkout/cart/")
    url = page.url
    page.get_by_label("Quantity of Headphone Stand").fill("2")
    page.get_by_label("Quantity of Headphone Stand").dispatch_event("change")
    page.locator("#order-total", has_text="S$170.00").wait_for()  # 120 + 2 × 25, free delivery
    assert page.url == url

    page.get_by_label("Points to use").fill("100")  # the sign-up bonus
    page.get_by_role("button", name="Use points").click()
    page.locator("#order-total", has_text="S$169.00").wait_for()
    assert page.get_by_text("100 loyalty points").first.is_visible()

    page.get_by_role("link", name="Check out").click()
    fill_address(page, "Nia Tan", "1 Orchard Road", "238801")
    fill_card(page, name="Nia Tan")
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url("**/orders/AM*/")

    order = Order.objects.get()
    assert order.total == Decimal("169.00") and order.points_redeemed == 100
    earned = LoyaltyTransaction.objects.get(order=order, kind="earn").points
    assert earned > 0
    assert page.locator("#order-status").inner_text() == "Paid"
    assert page.locator("#order-timeline").get_by_text("Paid").is_visible()
    assert page.locator("#order-points").get_by_text(f"Earned {earned} points").is_visible()
    assert page.locator("#order-points").get_by_text("Spent 100 points").is_visible()
    assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
