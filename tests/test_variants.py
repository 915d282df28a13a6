"""Product variants from catalogue to returns: the variant is what is stocked, carted, ordered,
returned and reported; a product without options has one default variant."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from auroramart.cart.storage import DbCart, SessionCart
from auroramart.catalog import variant_services
from auroramart.catalog.models import Product, ProductVariant
from auroramart.core.models import OutboxEmail
from auroramart.inventory.models import LowStockAlert, StockMovement
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.inventory.services import edit_variants
from auroramart.orders import services as orders
from auroramart.orders.models import OrderItem
from auroramart.staff.models import AuditLog
from auroramart.staff.services import create_staff, setup_roles

from .factories import CustomerFactory, ProductFactory, make_variants, variant
from .placing import place
from .two_factor import PANEL_PASSWORD, sign_in_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def hoodie():
    product = ProductFactory(name="Harbour Hoodie", sku="HOOD-1", price=Decimal("59.00"), stock_quantity=0)
    variants = make_variants(
        product,
        {"Size": ["S", "M", "L"], "Colour": [("Navy", "#1f2a44"), ("Black", "#111111")]},
        stock=4,
        prices={"Size L · Navy": Decimal("64.00"), "Size L · Black": Decimal("64.00")},
    )
    return product, {v.name: v for v in variants}


def api_auth(client, user) -> dict:
    """Headers for the API as this customer (a token from their email and password)."""
    user.set_password("a-long-password-1")
    user.save()
    token = client.post(
        "/api/v1/auth/token",
        {"email": user.email, "password": "a-long-password-1"},
        content_type="application/json",
    ).json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def by_name(product) -> dict[str, ProductVariant]:
    return {v.name: v for v in product.variants.all()}


def admin(email="boss@staff.test"):
    setup_roles()
    return create_staff(email=email, password=PANEL_PASSWORD, role="Admin")


# --- the model and the staff services ---------------------------------------------------


def test_a_product_without_options_has_one_default_variant_with_its_sku_and_stock():
    mug = ProductFactory(sku="MUG-1", stock_quantity=7)
    (only,) = mug.variants.all()
    assert (only.sku, only.name, only.stock_quantity, only.price) == ("MUG-1", "", 7, mug.price)
    assert ledger_mismatches() == []


def test_generating_the_matrix_keeps_the_default_variant_as_the_first_combination():
    product = ProductFactory(sku="TEE-9", stock_quantity=6)
    default = variant(product)
    variant_services.set_options(product=product, options={"Size": ["S", "M"]}, actor=None)
    variants = variant_services.generate_variants(product=product, actor=None)
    assert [(v.name, v.sku) for v in variants] == [("Size S", "TEE-9"), ("Size M", "TEE-9-M")]
    assert variants[0].pk == default.pk and variants[0].stock_quantity == 6  # its stock and ledger stay
    assert ledger_mismatches() == []


def test_the_product_rolls_up_price_range_stock_and_option_words(hoodie):
    product, variants = hoodie
    product.refresh_from_db()
    assert (product.price, product.price_max, product.stock_quantity) == (
        Decimal("59.00"),
        Decimal("64.00"),
        4 * 6,
    )
    assert product.has_price_range
    assert product.variant_terms.split() == ["S", "M", "L", "Navy", "Black"]
    edit_variants(product=product, rows={variants["Size L · Navy"].pk: {"is_active": False}}, actor=None)
    product.refresh_from_db()
    assert product.stock_quantity == 4 * 5  # an inactive variant is not for sale


def test_the_grid_changes_price_and_stock_through_the_ledger_with_one_audit_row(hoodie):
    product, variants = hoodie
    staff = admin()
    from auroramart.core.client import Actor

    navy_m = variants["Size M · Navy"]
    changed = edit_variants(
        product=product,
        rows={navy_m.pk: {"price": "61.50", "stock_quantity": "9", "sku": "hood-1-m-nvy"}},
        actor=Actor(user=staff, ip="10.0.0.1"),
        reason="Stock take",
    )
    navy_m.refresh_from_db()
    assert changed == 1
    assert (navy_m.price, navy_m.stock_quantity, navy_m.sku) == (Decimal("61.50"), 9, "HOOD-1-M-NVY")
    movement = StockMovement.objects.filter(variant=navy_m).latest("pk")
    assert (movement.quantity, movement.balance_after, movement.reason) == (5, 9, "Stock take")
    audit = AuditLog.objects.filter(action="update_variants").get()
    assert "HOOD-1-M-NAVY price" in audit.changes and "HOOD-1-M-NAVY stock" in audit.changes
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    "row, message",
    [
        ({"price": "0"}, "at least S$0.01"),
        ({"stock_quantity": "-2"}, "between 0 and"),
        ({"sku": ""}, "1 to 40 characters"),
        ({"sku": "HOOD-1-S-BLACK"}, "already has one of those SKUs"),
    ],
)
def test_a_bad_grid_value_changes_nothing(hoodie, row, message):
    product, variants = hoodie
    navy = variants["Size M · Navy"]
    before = list(product.variants.values_list("sku", "price", "stock_quantity").order_by("pk"))
    with pytest.raises(variant_services.VariantError, match=re.escape(message)):
        edit_variants(product=product, rows={navy.pk: {**row, "price": row.get("price", "70")}}, actor=None)
    assert list(product.variants.values_list("sku", "price", "stock_quantity").order_by("pk")) == before


def test_an_option_value_in_use_cannot_be_removed(hoodie):
    product, _ = hoodie
    with pytest.raises(variant_services.VariantError, match="used by variant"):
        variant_services.set_options(
            product=product, options={"Size": ["S", "M"], "Colour": ["Navy"]}, actor=None
        )


def test_a_swatch_must_be_a_hex_colour():
    product = ProductFactory()
    with pytest.raises(Exception, match="hex colour"):
        variant_services.set_options(
            product=product, options={"Colour": [("Navy", "red;background:url(x)")]}, actor=None
        )


# --- the storefront ---------------------------------------------------------------------


def test_the_product_page_picks_a_variant_from_the_url_and_disables_what_cannot_be_bought(client, hoodie):
    product, variants = hoodie
    edit_variants(product=product, rows={variants["Size L · Black"].pk: {"stock_quantity": 0}}, actor=None)
    url = product.get_absolute_url()
    body = client.get(f"{url}?variant={variants['Size L · Navy'].pk}").content.decode()
    assert "HOOD-1-L-NAVY" in body and "S$64.00" in body
    assert f'name="variant_id" value="{variants["Size L · Navy"].pk}"' in body
    assert 'aria-current="true">L<' in body
    # With size L chosen, Black cannot be bought: visible, but disabled.
    assert re.search(
        r"<button[^>]*disabled[^>]*>(<span[^>]*></span>)?Black<span class=\"sr-only\"> \(unavailable\)", body
    )
    assert "background:#1f2a44" in body  # the Navy swatch


def test_choosing_an_option_swaps_the_buy_box_in_place(client, hoodie):
    product, variants = hoodie
    target = variants["Size S · Black"]
    response = client.get(
        f"{product.get_absolute_url()}?variant={target.pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="buy-box"
    )
    body = response.content.decode()
    assert body.startswith('<div id="buy-box"') and "<html" not in body
    assert "HOOD-1-S-BLACK" in body and "S$59.00" in body
    assert 'hx-push-url="true"' in body  # the choice goes into the URL, to be shared


def test_listing_shows_from_price_swatches_and_filters_by_option_with_counts(client, hoodie):
    product, variants = hoodie
    ProductFactory(name="Plain Mug", subcategory=product.subcategory)
    edit_variants(
        product=product,
        rows={v.pk: {"stock_quantity": 0} for name, v in variants.items() if name.endswith("Black")},
        actor=None,
    )
    body = client.get(product.subcategory.get_absolute_url()).content.decode()
    assert re.search(r"from </span>S\$59\.00", body)
    assert 'title="Navy"' in body and "background:#1f2a44" in body
    assert 'value="colour:Navy"' in body and re.search(r"Navy <span[^>]*>\(1\)", body)
    assert 'value="colour:Black"' not in body  # nothing black is in stock
    filtered = client.get(product.subcategory.get_absolute_url() + "?option=size:M&option=colour:Navy")
    assert "Harbour Hoodie" in filtered.content.decode() and "Plain Mug" not in filtered.content.decode()
    none = client.get(product.subcategory.get_absolute_url() + "?option=colour:Black").content.decode()
    assert "Harbour Hoodie" not in none


@pytest.mark.parametrize("query", ["HOOD-1-M-NAVY", "navy hoodie", "hoodie black"])
def test_search_finds_a_product_by_variant_sku_and_option_words(client, hoodie, query):
    ProductFactory(name="Navy Blazer")
    ProductFactory(name="Plain Hoodie")  # a hoodie, but in no navy or black variant
    body = client.get("/search/", {"q": query}).content.decode()
    assert "Harbour Hoodie" in body and "Plain Hoodie" not in body


# --- cart, order, return ----------------------------------------------------------------


def test_a_product_with_options_needs_a_choice(client, hoodie):
    product, _ = hoodie
    response = client.post(
        "/checkout/cart/add/", {"product_id": product.pk, "quantity": 1}, HTTP_HX_REQUEST="true"
    )
    assert "Choose a size and a colour of Harbour Hoodie first." in response.content.decode()
    assert SessionCart(client.session).items() == {}


def test_a_guest_cart_from_before_variants_is_carried_over():
    from django.contrib.sessions.backends.db import SessionStore

    mug = ProductFactory(price=Decimal("8.00"))
    session = SessionStore()
    session["cart"] = {"items": {str(mug.pk): {"q": 2, "p": "8.00"}}, "coupons": [], "discount": None}
    assert SessionCart(session).items() == {variant(mug).pk: (2, Decimal("8.00"))}


def test_buying_and_returning_m_navy_names_that_variant_everywhere(client, hoodie):
    product, variants = hoodie
    navy_m, black_m = variants["Size M · Navy"], variants["Size M · Black"]
    customer = CustomerFactory()
    client.force_login(customer)
    response = client.post("/checkout/cart/add/", {"variant_id": navy_m.pk, "quantity": 2})
    assert response.status_code == 302
    cart_page = client.get("/checkout/cart/").content.decode()
    assert "Size M · Navy" in cart_page and "S$118.00" in cart_page
    order = place(customer, "buy-navy-m").order
    line = order.items.get()
    assert (line.variant_id, line.sku, line.variant_name, line.quantity) == (
        navy_m.pk,
        "HOOD-1-M-NAVY",
        "Size M · Navy",
        2,
    )
    navy_m.refresh_from_db()
    black_m.refresh_from_db()
    assert (navy_m.stock_quantity, black_m.stock_quantity) == (2, 4)  # only that variant was taken
    sale = StockMovement.objects.get(order=order, kind="sale")
    assert (sale.variant_id, sale.quantity) == (navy_m.pk, -2)
    confirmation = OutboxEmail.objects.get(subject__contains=order.number)
    assert "2 × Harbour Hoodie (Size M · Navy)" in confirmation.body
    for page in (order.get_absolute_url(), f"/orders/{order.number}/invoice/"):
        assert "Size M · Navy" in client.get(page).content.decode()
    auth = api_auth(client, customer)
    assert (
        client.get("/api/v1/orders/" + order.number, **auth).json()["lines"][0]["variant_name"]
        == "Size M · Navy"
    )

    staff = admin()
    orders.change_status(order=order, to_status="shipped", actor=staff)
    orders.change_status(order=order, to_status="delivered", actor=staff)
    orders.request_return(order=order, user=customer, reason="changed_mind")
    orders.decide_return(order=order, approve=True, actor=staff)
    orders.receive_return(order=order, actor=staff)
    navy_m.refresh_from_db()
    assert navy_m.stock_quantity == 4
    back = StockMovement.objects.get(order=order, kind="return")
    assert (back.variant_id, back.quantity) == (navy_m.pk, 2)
    product.refresh_from_db()
    assert product.stock_quantity == 4 * 6 and product.sold_count == 0
    assert ledger_mismatches() == []
    call_command("check_stock")


def test_low_stock_alerts_are_per_variant(hoodie):
    product, variants = hoodie
    ProductVariant.objects.filter(product=product).update(reorder_level=2)
    navy_s = variants["Size S · Navy"]
    customer = CustomerFactory()
    DbCart(customer).set_item(navy_s.pk, 3, navy_s.price)
    place(customer, "low")
    alert = LowStockAlert.objects.get()
    assert (alert.variant_id, alert.product_id, alert.stock_at_alert) == (navy_s.pk, product.pk, 1)


def test_the_api_lists_options_and_variants_and_carts_a_variant(client, hoodie):
    product, variants = hoodie
    detail = client.get(f"/api/v1/products/{product.slug}").json()
    assert [o["name"] for o in detail["options"]] == ["Size", "Colour"]
    navy_l = next(v for v in detail["variants"] if v["options"] == {"Size": "L", "Colour": "Navy"})
    assert (navy_l["sku"], navy_l["price"], navy_l["in_stock"]) == ("HOOD-1-L-NAVY", "64.00", True)
    assert detail["price_max"] == "64.00"
    auth = api_auth(client, CustomerFactory(email="api@example.test"))
    added = client.post(
        "/api/v1/cart/items",
        {"variant_id": navy_l["id"], "quantity": 1},
        content_type="application/json",
        **auth,
    )
    assert added.status_code == 200, added.content
    line = added.json()["lines"][0]
    assert (line["variant_id"], line["variant_name"], line["sku"]) == (
        navy_l["id"],
        "Size L · Navy",
        "HOOD-1-L-NAVY",
    )
    refused = client.post(
        "/api/v1/cart/items", {"product_id": product.pk}, content_type="application/json", **auth
    )
    assert refused.status_code == 400 and "Choose a size and a colour" in refused.content.decode()
    assert OrderItem.objects.count() == 0


def test_a_product_page_costs_the_same_queries_whatever_its_variants(client, django_assert_max_num_queries):
    small = ProductFactory(name="Small Matrix")
    make_variants(small, {"Size": ["S", "M"]})
    big = ProductFactory(name="Big Matrix")
    make_variants(big, {"Size": ["XS", "S", "M", "L", "XL"], "Colour": ["A", "B", "C", "D"]})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for product in (small, big):
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(product.get_absolute_url()).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_staff_editor_defines_options_generates_and_edits_the_grid(client):
    sign_in_staff(client, admin().email)
    product = ProductFactory(name="Trail Shoe", sku="TRAIL-1", stock_quantity=3)
    url = f"/admin-panel/products/{product.pk}/"
    response = client.post(
        f"{url}options/", {"options": "Size: 40, 41, 42\nColour: Red #cc0000, Blue #0000cc", "generate": "1"}
    )
    assert response.status_code == 302
    variants = by_name(product)
    assert sorted(variants) == sorted(f"Size {s} · {c}" for s in ("40", "41", "42") for c in ("Red", "Blue"))
    page = client.get(url).content.decode()
    assert "Size: 40, 41, 42" in page and 'name="v-' in page
    red_41 = variants["Size 41 · Red"]
    client.post(
        f"{url}variants/",
        {
            "action": "bulk",
            "select": [red_41.pk, variants["Size 42 · Red"].pk],
            "bulk_price": "120",
            "bulk_stock_quantity": "5",
        },
    )
    red_41.refresh_from_db()
    assert (red_41.price, red_41.stock_quantity) == (Decimal("120.00"), 5)
    grid = {
        f"v-{v.pk}-{f}": getattr(v, f)
        for v in product.variants.all()
        for f in ("sku", "price", "stock_quantity", "reorder_level")
    }
    grid.update({f"v-{v.pk}-is_active": "on" for v in product.variants.all()})
    grid[f"v-{red_41.pk}-stock_quantity"] = 7
    grid["reason"] = "Counted"
    client.post(f"{url}variants/", {**grid, "action": "grid"})
    red_41.refresh_from_db()
    assert red_41.stock_quantity == 7
    assert StockMovement.objects.filter(variant=red_41, reason="Counted").exists()
    assert ledger_mismatches() == []
    low = client.get("/admin-panel/products/low-stock/").content.decode()
    assert "Size 42 · Blue" in low  # generated variants start with no stock


def test_the_variant_migration_keeps_every_count_and_sum(transactional_db):
    """Migrate a populated shop from before variants: every product gets one variant with its
    SKU and stock; ledger rows, cart lines and order lines point at it; nothing is lost."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [
        ("catalog", "0002_category_is_consumable"),
        ("cart", "0002_cart_placing_order_number"),
        ("inventory", "0002_initial"),
        ("orders", "0002_status_and_payment_times_default_now"),
        ("search", "0003_alter_productview_created_at"),
    ]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        figures = _populate_old_shop(apps)
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    products = Product.objects.order_by("pk")
    assert ProductVariant.objects.count() == products.count() == figures["products"]
    for product in products:
        only = product.variants.get()
        assert (only.sku, only.price, only.stock_quantity) == (
            product.sku,
            product.price,
            product.stock_quantity,
        )
    assert sum(ProductVariant.objects.values_list("stock_quantity", flat=True)) == figures["stock"]
    assert StockMovement.objects.count() == figures["movements"]
    assert not StockMovement.objects.filter(variant__isnull=True).exists()
    assert sum(StockMovement.objects.values_list("quantity", flat=True)) == figures["stock"]
    assert OrderItem.objects.count() == figures["lines"]
    assert not OrderItem.objects.filter(variant__isnull=True).exists()
    assert sum(OrderItem.objects.values_list("line_total", flat=True)) == figures["revenue"]
    from auroramart.cart.models import CartItem

    assert sorted(CartItem.objects.values_list("variant__product_id", "quantity")) == figures["cart"]
    assert ledger_mismatches() == []
    call_command("check_stock")


def _populate_old_shop(apps) -> dict:
    """A small shop in the schema from before variants (historical models only)."""
    from django.utils import timezone

    Category = apps.get_model("catalog", "Category")
    Subcategory = apps.get_model("catalog", "Subcategory")
    OldProduct = apps.get_model("catalog", "Product")
    Movement = apps.get_model("inventory", "StockMovement")
    User = apps.get_model("accounts", "User")
    Cart = apps.get_model("cart", "Cart")
    OldCartItem = apps.get_model("cart", "CartItem")
    Order = apps.get_model("orders", "Order")
    OldOrderItem = apps.get_model("orders", "OrderItem")
    category = Category.objects.create(name="Old", slug="old")
    sub = Subcategory.objects.create(category=category, name="Older", slug="older")
    products = []
    for i in range(6):
        stock = 3 * i
        product = OldProduct.objects.create(
            sku=f"OLD-{i}",
            name=f"Old {i}",
            slug=f"old-{i}",
            category=category,
            subcategory=sub,
            price=Decimal("5.50") + i,
            stock_quantity=stock,
        )
        if stock:
            Movement.objects.create(
                product=product, kind="receipt", quantity=stock + 2, balance_after=stock + 2
            )
            Movement.objects.create(product=product, kind="sale", quantity=-2, balance_after=stock)
        products.append(product)
    user = User.objects.create(email="old@example.test", password="!")
    cart = Cart.objects.create(user=user)
    OldCartItem.objects.create(cart=cart, product=products[1], quantity=2, price_at_add=products[1].price)
    OldCartItem.objects.create(cart=cart, product=products[4], quantity=1, price_at_add=products[4].price)
    revenue = Decimal("0")
    lines = 0
    for n, product in enumerate(products[1:]):
        order = Order.objects.create(
            number=f"AMOLD-{n}",
            user=user,
            idempotency_key=f"old-{n}",
            status="delivered",
            ship_name="A",
            ship_phone="1",
            ship_line1="1 Road",
            ship_postal_code="123456",
            shipping_method="standard",
            subtotal=product.price * 2,
            total=product.price * 2,
            placed_at=timezone.now(),
        )
        OldOrderItem.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            name=product.name,
            unit_price=product.price,
            quantity=2,
            line_total=product.price * 2,
        )
        revenue += product.price * 2
        lines += 1
    return {
        "products": len(products),
        "stock": sum(p.stock_quantity for p in products),
        "movements": Movement.objects.count(),
        "lines": lines,
        "revenue": revenue,
        "cart": sorted([(products[1].pk, 2), (products[4].pk, 1)]),
    }


def test_the_listing_costs_the_same_queries_whatever_the_variants(client):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = ProductFactory(name="Few Variants")
    make_variants(few, {"Colour": [("Red", "#cc0000"), ("Blue", "#0000cc")]})
    url = few.subcategory.get_absolute_url()

    def count():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    many = ProductFactory(name="Many Variants", subcategory=few.subcategory)
    make_variants(
        many, {"Size": ["XS", "S", "M", "L", "XL"], "Colour": [("Green", "#00aa00"), ("Grey", "#888888")]}
    )
    assert count() == before


def test_staff_set_a_size_guide_link_and_only_a_safe_one(client):
    sign_in_staff(client, admin().email)
    product = ProductFactory(name="Sized Tee")
    url = f"/admin-panel/products/{product.pk}/"
    details = {
        "form": "details",
        "name": "Sized Tee",
        "reorder_level": 5,
        "reorder_quantity": 20,
        "is_active": "on",
    }
    refused = client.post(url, {**details, "size_guide_url": "javascript:alert(1)"})
    assert "starting with /" in refused.content.decode()
    client.post(url, {**details, "size_guide_url": "/shipping-returns/"})
    body = client.get(product.get_absolute_url()).content.decode()
    assert '<a class="link text-sm" href="/shipping-returns/">Size guide</a>' in body


def test_a_variant_with_its_own_picture_shows_it_when_chosen(client, hoodie):
    import io

    from PIL import Image

    from auroramart.catalog.services import add_product_image

    product, variants = hoodie
    navy_m = variants["Size M · Navy"]

    def jpeg(colour):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), colour).save(buffer, "JPEG")
        return buffer.getvalue()

    add_product_image(product=product, data=jpeg("white"), filename="hoodie.jpg", actor=None)
    picture = add_product_image(
        product=product, data=jpeg("navy"), filename="navy.jpg", variant=navy_m, actor=None
    )
    url = product.get_absolute_url()
    fragment = client.get(f"{url}?variant={navy_m.pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="buy-box")
    assert f'<img id="main-image" hx-swap-oob="true" src="{picture.image.url}"' in fragment.content.decode()
    page = client.get(f"{url}?variant={navy_m.pk}").content.decode()
    assert f'<img id="main-image" src="{picture.image.url}"' in page
    other = client.get(f"{url}?variant={variants['Size S · Black'].pk}").content.decode()
    assert f'<img id="main-image" src="{picture.image.url}"' not in other  # the product's own picture


def test_add_all_of_bought_together_adds_the_chosen_variant_of_this_item(client, hoodie):
    from django.urls import reverse

    product, variants = hoodie
    mug = ProductFactory(name="Mug")
    navy_l = variants["Size L · Navy"]
    url = reverse("recommendations:add_bundle")
    client.post(url, {"product_id": [product.pk, mug.pk], "anchor": product.pk, "variant_id": navy_l.pk})
    assert set(SessionCart(client.session).items()) == {navy_l.pk, variant(mug).pk}
    # Without a choice (no script), this item's first variant in stock; a variant of another
    # product is never taken for it.
    client.post(url, {"product_id": [product.pk], "anchor": product.pk, "variant_id": variant(mug).pk})
    first = product.variants.order_by("position", "pk").first()
    assert SessionCart(client.session).items()[first.pk][0] == 1


def test_back_in_stock_and_the_analytics_low_stock_report_name_the_variant(
    hoodie, django_capture_on_commit_callbacks
):
    from auroramart.accounts.models import Notification, WishlistItem
    from auroramart.analytics.selectors import _build, parse_range
    from auroramart.inventory.services import adjust_stock

    product, variants = hoodie
    navy_l = variants["Size L · Navy"]
    edit_variants(product=product, rows={navy_l.pk: {"stock_quantity": 0}}, actor=None)
    fan = CustomerFactory()
    WishlistItem.objects.create(user=fan, product=product)
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=navy_l, quantity=3, reason="Delivery")
    notice = Notification.objects.get(user=fan)
    assert notice.title == "Harbour Hoodie (Size L · Navy) is back in stock"
    assert notice.url.endswith(f"?variant={navy_l.pk}")
    period, _ = parse_range({})
    low = _build(period)["low_stock"]
    assert {"sku": "HOOD-1-L-NAVY", "name": "Harbour Hoodie (Size L · Navy)"}.items() <= low[0].items()
