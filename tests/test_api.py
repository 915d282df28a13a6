"""The JSON API: each endpoint's main behaviour and permission, one error
format, idempotent checkout, rate limits and pinned query counts."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auroramart.accounts.models import User
from auroramart.cart.storage import DbCart
from auroramart.loyalty.services import adjust, open_account
from auroramart.orders.models import Order
from auroramart.payments.models import TestGatewayCharge
from auroramart.promotions.models import Coupon
from auroramart.staff import two_factor
from auroramart.staff.models import AuditLog
from auroramart.staff.services import create_staff, setup_roles

from .factories import AddressFactory, CustomerFactory, ProductFactory, SubcategoryFactory, variant
from .two_factor import code_for, enrol

pytestmark = pytest.mark.django_db
API = "/api/v1"
PASSWORD = "correct-horse-battery"
CARD = "pm_card_visa"  # the test provider's Visa, as an app gets it from the provider's SDK


def token_for(client, email, password=PASSWORD):
    body = {"email": email, "password": password}
    staff = User.objects.filter(email=email, is_staff=True).first()
    if staff is not None and two_factor.needs_second_step(staff):
        if not two_factor.enabled_for(staff):
            enrol(staff)
        body["otp"] = code_for(email)
    response = client.post(f"{API}/auth/token", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


def call(client, method, path, token=None, body=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return (
        getattr(client, method)(f"{API}{path}", body, **kwargs, **headers)
        if body is not None
        else getattr(client, method)(f"{API}{path}", **headers)
    )


@pytest.fixture
def shop():
    audio = SubcategoryFactory(name="Headphones", category__name="Electronics")
    cheap = ProductFactory(
        name="Budget Earbuds", subcategory=audio, price=Decimal("19.90"), stock_quantity=30
    )
    dear = ProductFactory(
        name="Studio Headphones", subcategory=audio, price=Decimal("149.00"), stock_quantity=3
    )
    other = ProductFactory(name="Yoga Mat", price=Decimal("30.00"))
    return {"cheap": cheap, "dear": dear, "other": other}


@pytest.fixture
def buyer(client):
    user = CustomerFactory(email="api@example.test")
    open_account(user)
    AddressFactory(user=user, is_default_shipping=True, is_default_billing=True)
    return user, token_for(client, "api@example.test")


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "AuroraMart API"
    for path in (
        "/api/v1/products",
        "/api/v1/checkout",
        "/api/v1/orders/{number}",
        "/api/v1/staff/orders/{number}/status",
    ):
        assert path in schema["paths"], path
    docs = client.get(f"{API}/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs and "<script>" not in docs
    assert not re.search(r'(?:src|href)="(?:https?:)?//(?!testserver[/"])', docs)  # nothing from a CDN


def test_products_filter_sort_paginate_and_refuse_bad_input(client, shop):
    page = call(client, "get", "/products?category=electronics&sort=price_desc&page_size=1").json()
    assert page["total"] == 2 and page["pages"] == 2 and page["items"][0]["name"] == "Studio Headphones"
    assert call(client, "get", "/products?q=earbuds").json()["items"][0]["name"] == "Budget Earbuds"
    assert call(client, "get", "/products?max_price=25").json()["total"] == 1
    bad = call(client, "get", "/products?min_price=50&max_price=10")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and bad.json()["fields"]
    too_big = call(client, "get", "/products?page_size=1000").json()
    assert too_big["fields"]["page_size"]
    detail = call(client, "get", f"/products/{shop['dear'].slug}").json()
    assert detail["stock_quantity"] == 3 and detail["price"] == "149.00"
    missing = call(client, "get", "/products/nope")
    assert missing.status_code == 404 and missing.json() == {
        "type": "/api/v1/problems/not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "That product does not exist.",
        "instance": "/api/v1/products/nope",
        "code": "not_found",
        "message": "That product does not exist.",
        "fields": {},
    }
    assert missing["Content-Type"] == "application/problem+json"
    assert call(client, "get", "/categories").json()[0]["subcategories"]
    assert call(client, "get", "/search/suggest?q=stud").json()["products"][0]["name"] == "Studio Headphones"


def test_product_list_query_count_does_not_grow_with_the_page(client, shop):
    for n in range(30):
        ProductFactory(name=f"Filler {n}")

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            assert call(client, "get", f"/products?page_size={size}").status_code == 200
        return len(ctx.captured_queries)

    assert count(2) == count(30) <= 4


def test_sign_in_errors_and_rate_limit(client, buyer):
    wrong = call(client, "post", "/auth/token", body={"email": "api@example.test", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    assert call(client, "get", "/me").status_code == 401
    assert call(client, "get", "/me").json()["code"] == "unauthenticated"  # no token at all
    made_up = call(client, "get", "/me", token="made-up")
    assert (
        made_up.json()["code"] == "invalid_token" and 'error="invalid_token"' in made_up["WWW-Authenticate"]
    )
    codes = [
        call(client, "post", "/auth/token", body={"email": "x@example.test", "password": "y"}).status_code
        for _ in range(12)
    ]
    assert 429 in codes and codes[-1] == 429
    _, token = buyer
    assert call(client, "delete", "/auth/token", token=token).status_code == 200
    assert call(client, "get", "/me", token=token).status_code == 401  # revoked


def test_profile_addresses_and_wishlist(client, buyer, shop):
    user, token = buyer
    me = call(client, "get", "/me", token=token).json()
    assert me["email"] == "api@example.test" and me["age"] == 30
    changed = call(client, "patch", "/me", token=token, body={"age": 41, "occupation": "Sales"}).json()
    assert changed["age"] == 41 and changed["occupation"] == "Sales" and changed["gender"] == "Female"
    bad = call(client, "patch", "/me", token=token, body={"gender": "Robot", "age": 12})
    assert bad.status_code == 400 and "age" in bad.json()["fields"]
    assert call(client, "patch", "/me", token=token, body={"gender": "Robot"}).json()["fields"]["gender"]
    created = call(
        client,
        "post",
        "/me/addresses",
        token=token,
        body={"full_name": "Mei", "phone": "+65 9123 4567", "line1": "2 Road", "postal_code": "654321"},
    )
    assert created.status_code == 201
    assert len(call(client, "get", "/me/addresses", token=token).json()) == 2
    assert (
        call(
            client,
            "post",
            "/me/addresses",
            token=token,
            body={"full_name": "Mei", "phone": "1", "line1": "", "postal_code": "12"},
        ).status_code
        == 400
    )
    stranger = AddressFactory(user=CustomerFactory())
    assert call(client, "delete", f"/me/addresses/{stranger.pk}", token=token).status_code == 404
    assert call(client, "put", f"/me/wishlist/{shop['dear'].pk}", token=token).status_code == 200
    assert [p["name"] for p in call(client, "get", "/me/wishlist", token=token).json()] == [
        "Studio Headphones"
    ]
    assert call(client, "delete", f"/me/wishlist/{shop['dear'].pk}", token=token).status_code == 200
    assert call(client, "delete", f"/me/wishlist/{shop['dear'].pk}", token=token).status_code == 404


def test_cart_coupon_and_points(client, buyer, shop):
    user, token = buyer
    cart = call(
        client, "post", "/cart/items", token=token, body={"product_id": shop["cheap"].pk, "quantity": 2}
    ).json()
    assert cart["item_count"] == 2 and cart["subtotal"] == "39.80" and "is in your cart" in cart["message"]
    too_many = call(
        client, "post", "/cart/items", token=token, body={"product_id": shop["dear"].pk, "quantity": 5}
    )
    assert too_many.status_code == 400 and "3" in too_many.json()["message"]
    assert (
        call(
            client, "patch", f"/cart/items/{variant(shop['cheap']).pk}", token=token, body={"quantity": 3}
        ).json()["item_count"]
        == 3
    )
    Coupon.objects.create(code="TEN", kind="fixed", value=Decimal("10"))
    assert (
        call(client, "post", "/cart/coupons", token=token, body={"code": "ten"}).json()["coupons"][0]["code"]
        == "TEN"
    )
    assert call(client, "post", "/cart/coupons", token=token, body={"code": "NOPE"}).status_code == 400
    adjust(user=user, points=500, actor=None, reason="test")
    with_points = call(client, "post", "/cart/loyalty/points", token=token, body={"points": 200}).json()
    assert with_points["points"] == 200 and with_points["points_discount"] == "2.00"
    assert call(client, "post", "/cart/loyalty/points", token=token, body={"points": 150}).status_code == 400
    assert call(client, "delete", "/cart/loyalty", token=token).json()["points"] == 0
    not_in_cart = call(client, "delete", f"/cart/items/{variant(shop['other']).pk}", token=token)
    assert (
        not_in_cart.status_code == 400
        and not_in_cart.json()["message"] == "That product is not in your cart."
    )
    assert (
        call(client, "delete", f"/cart/items/{variant(shop['cheap']).pk}", token=token).json()["item_count"]
        == 0
    )


def test_checkout_is_idempotent_and_conflicts_on_another_body(client, buyer, shop):
    user, token = buyer
    call(client, "post", "/cart/items", token=token, body={"product_id": shop["dear"].pk, "quantity": 1})
    body = {"shipping_method": "standard", "payment_method": CARD}
    missing = call(client, "post", "/checkout", token=token, body=body)
    assert missing.status_code == 400 and missing.json()["fields"]["Idempotency-Key"]
    first = call(client, "post", "/checkout", token=token, body=body, HTTP_IDEMPOTENCY_KEY="key-00000001")
    assert first.status_code == 201 and first.json()["status"] == "paid" and first.json()["total"] == "149.00"
    # The new order is named in Location, and a replay names the same one.
    assert first["Location"] == f"/api/v1/orders/{first.json()['number']}"
    assert (
        client.get(first["Location"], HTTP_AUTHORIZATION=f"Bearer {token}").json()["number"]
        == first.json()["number"]
    )
    again = call(client, "post", "/checkout", token=token, body=body, HTTP_IDEMPOTENCY_KEY="key-00000001")
    assert (
        again.status_code == 201 and again.json() == first.json() and again["Location"] == first["Location"]
    )
    assert Order.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    other = call(
        client,
        "post",
        "/checkout",
        token=token,
        body={**body, "shipping_method": "express"},
        HTTP_IDEMPOTENCY_KEY="key-00000001",
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    number = first.json()["number"]
    assert call(client, "get", "/orders", token=token).json()["items"][0]["number"] == number
    assert call(client, "get", f"/orders/{number}", token=token).json()["timeline"][-1]["status"] == "paid"
    assert (
        call(client, "post", f"/orders/{number}/return", token=token, body={"reason": "damaged"}).status_code
        == 409
    )
    assert call(client, "post", f"/orders/{number}/cancel", token=token).json()["status"] == "cancelled"
    stranger = token_for(client, CustomerFactory(email="other@example.test").email)
    assert call(client, "get", f"/orders/{number}", token=stranger).status_code == 404


def test_a_declined_card_is_a_402_and_replays_as_one(client, buyer, shop):
    user, token = buyer
    call(client, "post", "/cart/items", token=token, body={"product_id": shop["cheap"].pk, "quantity": 1})
    body = {"payment_method": "pm_card_chargeDeclined"}
    declined = call(client, "post", "/checkout", token=token, body=body, HTTP_IDEMPOTENCY_KEY="declined-1")
    assert declined.status_code == 402 and declined.json()["code"] == "payment_failed"
    assert "Idempotent-Replayed" not in declined
    replay = call(client, "post", "/checkout", token=token, body=body, HTTP_IDEMPOTENCY_KEY="declined-1")
    assert replay.status_code == 402 and replay.json() == declined.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 0 and call(client, "get", "/cart", token=token).json()["item_count"] == 1


def test_checkout_is_rate_limited(client, buyer):
    _, token = buyer
    codes = [
        call(
            client,
            "post",
            "/checkout",
            token=token,
            body={"payment_method": CARD},
            HTTP_IDEMPOTENCY_KEY=f"empty-cart-{n:03d}",
        ).status_code
        for n in range(22)
    ]
    assert codes[0] == 400 and codes[-1] == 429


def test_loyalty_and_recommendations(client, buyer, shop):
    user, token = buyer
    balance = call(client, "get", "/loyalty", token=token).json()
    assert balance["tier"] == "Bronze" and balance["next_tier"] and balance["points_to_next_tier"] > 0
    adjust(user=user, points=300, actor=None, reason="goodwill")
    assert call(client, "get", "/loyalty", token=token).json()["balance"] == balance["balance"] + 300
    history = call(client, "get", "/loyalty/transactions?page_size=1", token=token).json()
    assert history["items"][0]["points"] == 300 and history["page_size"] == 1
    assert isinstance(call(client, "get", "/loyalty/rewards", token=token).json(), list)
    picks = call(client, "get", "/recommendations/for-me", token=token).json()
    assert {p["name"] for p in picks} <= {"Budget Earbuds", "Studio Headphones", "Yoga Mat"}
    assert call(client, "get", f"/products/{shop['dear'].slug}/bought-together").json() == []


def test_staff_endpoints_follow_the_role_matrix_and_are_audited(client, buyer, shop):
    setup_roles()
    tokens = {}
    for role in ("Sales", "Admin", "Analyst", "Service"):
        create_staff(email=f"{role.lower()}@staff.test", password=PASSWORD, role=role)
        tokens[role] = token_for(client, f"{role.lower()}@staff.test")
    product = shop["cheap"]
    assert call(client, "get", "/staff/products", token=tokens["Analyst"]).status_code == 403
    assert call(client, "get", "/me", token=tokens["Sales"]).status_code == 403  # staff are not customers
    priced = call(
        client, "patch", f"/staff/products/{product.pk}/price", token=tokens["Sales"], body={"price": "17.50"}
    )
    assert priced.status_code == 200 and priced.json()["price"] == "17.50"
    assert AuditLog.objects.filter(action="change_price", object_id=str(product.pk)).exists()
    assert (
        call(
            client,
            "patch",
            f"/staff/products/{product.pk}/price",
            token=tokens["Sales"],
            body={"price": "17.50", "compare_at_price": "10"},
        ).status_code
        == 400
    )
    assert (
        call(
            client,
            "post",
            f"/staff/products/{product.pk}/stock",
            token=tokens["Sales"],
            body={"quantity": 5, "reason": "count"},
        ).status_code
        == 403
    )
    stocked = call(
        client,
        "post",
        f"/staff/products/{product.pk}/stock",
        token=tokens["Admin"],
        body={"quantity": -10, "reason": "damaged"},
    )
    assert stocked.json()["stock_quantity"] == 20
    assert (
        call(
            client,
            "post",
            f"/staff/products/{product.pk}/stock",
            token=tokens["Admin"],
            body={"quantity": -100, "reason": "x"},
        ).status_code
        == 400
    )
    user, token = buyer
    call(client, "post", "/cart/items", token=token, body={"product_id": product.pk, "quantity": 1})
    number = call(
        client,
        "post",
        "/checkout",
        token=token,
        body={"payment_method": CARD},
        HTTP_IDEMPOTENCY_KEY="staff-flow-1",
    ).json()["number"]
    listed = call(client, "get", "/staff/orders?status=paid", token=tokens["Service"]).json()
    assert (
        listed["items"][0]["number"] == number and "processing" in listed["items"][0]["allowed_transitions"]
    )
    moved = call(
        client,
        "post",
        f"/staff/orders/{number}/status",
        token=tokens["Service"],
        body={"status": "processing"},
    )
    assert moved.json()["status"] == "processing"
    assert (
        call(
            client,
            "post",
            f"/staff/orders/{number}/status",
            token=tokens["Service"],
            body={"status": "delivered"},
        ).status_code
        == 409
    )
    assert (
        call(
            client,
            "post",
            f"/staff/orders/{number}/status",
            token=tokens["Analyst"],
            body={"status": "shipped"},
        ).status_code
        == 403
    )
    assert call(client, "get", "/staff/orders?status=bogus", token=tokens["Service"]).status_code == 400


def test_order_and_staff_list_query_counts_do_not_grow(client, buyer, shop):
    from .test_analytics import make_order

    user, token = buyer
    setup_roles()
    create_staff(email="sales@staff.test", password=PASSWORD, role="Sales")
    staff = token_for(client, "sales@staff.test")

    def count(path, token):
        with CaptureQueriesContext(connection) as ctx:
            assert call(client, "get", path, token=token).status_code == 200
        return len(ctx.captured_queries)

    from django.utils import timezone

    make_order(user, timezone.now(), [(shop["cheap"], 1, Decimal("19.90"))])
    call(client, "get", "/orders", token=token)  # each token's first use stamps last_used_at
    call(client, "get", "/staff/orders", token=staff)
    few = (
        count("/orders", token),
        count("/staff/orders", staff),
        count("/staff/products", staff),
        count("/loyalty/transactions", token),
    )
    for n in range(8):
        make_order(
            user, timezone.now(), [(shop["dear"], 1, Decimal("149")), (shop["other"], n + 1, Decimal("30"))]
        )
        adjust(user=user, points=10, actor=None, reason=f"test {n}")
    many = (
        count("/orders", token),
        count("/staff/orders", staff),
        count("/staff/products", staff),
        count("/loyalty/transactions", token),
    )
    assert few == many and max(many) <= 6


@pytest.mark.parametrize("path", ["/categories", "/products?page_size=2", "/products/{slug}"])
def test_catalogue_reads_carry_an_etag_and_answer_304_while_current(client, shop, path):
    from auroramart.catalog.services import change_price

    path = path.format(slug=shop["cheap"].slug)
    first = call(client, "get", path)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and first["Cache-Control"] == "public, max-age=60"
    again = call(client, "get", path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    change_price(product=shop["cheap"], data={"price": Decimal("17.50")}, actor=None)
    shop["cheap"].refresh_from_db()
    if path != "/categories":  # the categories did not change
        changed = call(client, "get", path, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200 and changed["ETag"] != etag and "17.50" in changed.content.decode()
    # Without an ETag, Last-Modified does the same: 304 only while the body is the one it dates.
    current = call(client, "get", path)
    since = call(client, "get", path, HTTP_IF_MODIFIED_SINCE=current["Last-Modified"])
    assert since.status_code == 304
    if path != "/categories":
        before_change = first["Last-Modified"]
        stale = call(client, "get", path, HTTP_IF_MODIFIED_SINCE=before_change)
        assert stale.status_code == 200 and "17.50" in stale.content.decode()


def test_the_product_list_is_built_once_per_url_host_and_catalog_version(client, shop, buyer):
    """#23: the public product list is the same for every client, so it is built once per URL
    and catalog version (as the shop's lists are); its absolute links stay each host's own, bad
    input is never kept, and a catalogue change shows at once (the ETag test above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token = buyer
    path = "/products?page_size=1&sort=price_asc"
    first = call(client, "get", path)
    assert first.status_code == 200 and first.json()["next"].startswith("http://testserver/api/v1/products?")
    with CaptureQueriesContext(connection) as ctx:
        again = call(client, "get", path)
        signed_in = call(client, "get", path, token=token)
    assert again.content == first.content
    assert signed_in.json()["items"] == first.json()["items"]  # public: the same for a customer
    assert not [q for q in ctx.captured_queries if "catalog_product" in q["sql"]]  # built once
    elsewhere = call(client, "get", path, HTTP_HOST="localhost")
    assert elsewhere.json()["next"].startswith("http://localhost/api/v1/products?")
    assert elsewhere.json()["items"] == first.json()["items"]
    for _ in range(2):  # refused each time, never served from a kept answer
        bad = call(client, "get", "/products?page_size=1&cursor=not-a-cursor")
        assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    next_page = call(client, "get", first.json()["next"].removeprefix("http://testserver/api/v1"))
    assert next_page.json()["items"] != first.json()["items"]


def test_a_product_is_built_once_per_url_and_catalog_version(client, shop, buyer):
    """#23: a product's detail is the same for every client, so it is built once per URL and
    catalog version like the list; a review published, a price changed or a product added
    shows at once, and a product not found is never kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auroramart.catalog.models import ProductReview

    user, token = buyer
    path = f"/products/{shop['dear'].slug}"
    first = call(client, "get", path)
    with CaptureQueriesContext(connection) as ctx:
        again = call(client, "get", path)
        signed_in = call(client, "get", path, token=token)
    assert again.content == first.content and signed_in.json() == first.json()
    assert not [q for q in ctx.captured_queries if "catalog_product" in q["sql"]]  # built once
    ProductReview.objects.create(
        product=shop["dear"], user=user, rating=5, title="Superb", body="Clear sound.", status="approved"
    )
    assert [r["title"] for r in call(client, "get", path).json()["reviews"]] == ["Superb"]
    for _ in range(2):  # not found each time, and not kept: the product made next is found
        assert call(client, "get", "/products/new-lamp").status_code == 404
    ProductFactory(name="New Lamp", slug="new-lamp")
    assert call(client, "get", "/products/new-lamp").json()["name"] == "New Lamp"


@pytest.mark.parametrize(
    "path",
    [
        "/products?page_size=2",
        "/products?category=electronics&sort=price_desc&page_size=1",
        "/products?q=earbuds",
        "/products/{dear}",
    ],
)
def test_a_held_catalogue_answer_is_what_django_ninja_renders_from_its_data(client, shop, monkeypatch, path):
    """#23: the public reads are checked against their schema and encoded once per URL and
    catalog version; what is served from then on is exactly what django-ninja makes of the
    same data on each request, and the filters are not checked again for an answer held."""
    from auroramart.api import catalog
    from auroramart.catalog import forms

    path = path.format(dear=shop["dear"].slug)
    built = []
    real_init = forms.ProductFilterForm.__init__
    monkeypatch.setattr(
        forms.ProductFilterForm, "__init__", lambda self, *a, **k: built.append(1) or real_init(self, *a, **k)
    )
    held = [call(client, "get", path) for _ in range(3)]
    assert len(built) <= 1  # checked when built, not for each answer held
    monkeypatch.setattr(catalog, "_rendered_once", lambda request, prefix, schema, build, hold: build())
    rendered_by_ninja = call(client, "get", path)
    assert rendered_by_ninja.status_code == 200
    for answer in held:
        assert answer.content == rendered_by_ninja.content
        assert (
            answer["Content-Type"] == rendered_by_ninja["Content-Type"] == "application/json; charset=utf-8"
        )


def test_the_cart_is_private_and_revalidated(client, buyer, shop):
    user, token = buyer
    empty = call(client, "get", "/cart", token=token)
    assert empty["Cache-Control"] == "private, no-cache" and "Authorization" in empty["Vary"]
    assert call(client, "get", "/cart", token=token, HTTP_IF_NONE_MATCH=empty["ETag"]).status_code == 304
    call(client, "post", "/cart/items", token=token, body={"product_id": shop["cheap"].pk, "quantity": 1})
    after = call(client, "get", "/cart", token=token, HTTP_IF_NONE_MATCH=empty["ETag"])
    assert after.status_code == 200 and after.json()["item_count"] == 1
    # Someone else's token never gets this cart's 304 (nor its body): the ETag is of their own.
    stranger = CustomerFactory(email="other@example.test")
    other = call(
        client, "get", "/cart", token=token_for(client, stranger.email), HTTP_IF_NONE_MATCH=after["ETag"]
    )
    assert other.status_code == 200 and other.json()["item_count"] == 0


def test_the_schema_declares_the_cacheable_reads():
    from auroramart.api.api import api

    paths = api.get_openapi_schema()["paths"]
    for path in ("/api/v1/categories", "/api/v1/products", "/api/v1/products/{slug}", "/api/v1/cart"):
        operation = paths[path]["get"]
        assert "304" in {str(s) for s in operation["responses"]}
        assert any(p["name"] == "If-None-Match" for p in operation["parameters"])
        ok = operation["responses"].get(200) or operation["responses"]["200"]
        assert {"ETag", "Cache-Control"} <= set(ok["headers"])
    assert "304" not in {str(s) for s in paths["/api/v1/orders"]["get"]["responses"]}


def test_the_schema_names_its_server_and_which_operations_are_public():
    from auroramart.api.api import api

    schema = api.get_openapi_schema()
    assert schema["servers"] == [{"url": "/", "description": "The shop serving this schema"}]
    public = {
        (method, path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if operation["security"] == []
    }
    assert public == {
        ("get", "/api/v1/categories"),
        ("get", "/api/v1/products"),
        ("get", "/api/v1/products/{slug}"),
        ("get", "/api/v1/products/{slug}/bought-together"),
        ("get", "/api/v1/search/suggest"),
        ("get", "/api/v1/products/{slug}/reviews"),
        ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/refresh"),
    }
    created = schema["paths"]["/api/v1/checkout"]["post"]["responses"]
    assert "Location" in (created.get(201) or created["201"])["headers"]


def test_cors_answers_only_the_named_origins_and_only_on_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.test"]
    preflight = {
        "HTTP_ORIGIN": "https://app.example.test",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, idempotency-key, content-type",
    }
    allowed = client.options("/api/v1/checkout", **preflight)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.test"
    assert "idempotency-key" in allowed["Access-Control-Allow-Headers"]
    read = client.get("/api/v1/categories", HTTP_ORIGIN="https://app.example.test")
    assert (
        read["Access-Control-Allow-Origin"] == "https://app.example.test"
        and "ETag" in read["Access-Control-Expose-Headers"]
    )
    error = client.get("/api/v1/products/no-such-thing", HTTP_ORIGIN="https://app.example.test")
    assert error.status_code == 404 and error["Access-Control-Allow-Origin"] == "https://app.example.test"
    stranger = client.get("/api/v1/categories", HTTP_ORIGIN="https://evil.example.test")
    assert "Access-Control-Allow-Origin" not in stranger
    shop_page = client.get("/", HTTP_ORIGIN="https://app.example.test")
    assert "Access-Control-Allow-Origin" not in shop_page
    settings.CORS_ALLOWED_ORIGINS = []  # the default: no origin at all
    assert "Access-Control-Allow-Origin" not in client.get(
        "/api/v1/categories", HTTP_ORIGIN="https://app.example.test"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/categories",
        "/api/v1/",
        "/api/v1/products/x/reviews",
        "/api/v2/products",
        "/api/",
        "/",
        "/item/",
    ],
)
def test_the_cors_middleware_skips_exactly_the_requests_the_library_would_not_serve(path, settings):
    """ApiCorsMiddleware passes a request outside the API straight on; CORS_URLS_REGEX, which
    the library reads, must confine it to the same requests, or an origin named for the API
    would lose its headers on some API address (or gain them on a shop page)."""
    from auroramart.api.middleware import PREFIX

    assert bool(re.match(settings.CORS_URLS_REGEX, path)) == path.startswith(PREFIX)


@pytest.mark.parametrize(
    "middleware",
    [
        "auroramart.api.middleware.ApiCorsMiddleware",
        "auroramart.api.middleware.ApiErrorMiddleware",
        "auroramart.api.caching.ApiConditionalGetMiddleware",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_middleware_only_the_api_needs_hands_a_shop_page_back_untouched(middleware, method, settings):
    """Every middleware that serves the API alone passes any other request straight on: the shop
    page's answer comes back as the view gave it, whatever the request carries (an origin the
    API would answer, a JSON body the API would refuse)."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.test"]
    page = HttpResponse("<p>a shop page</p>", status=404 if method == "post" else 200)
    body = {"data": "[1]", "content_type": "application/json"} if method == "post" else {}
    request = getattr(RequestFactory(), method)("/item/lamp/", HTTP_ORIGIN="https://app.example.test", **body)
    answer = import_string(middleware)(lambda request: page)(request)
    assert answer is page and dict(answer.items()) == {"Content-Type": "text/html; charset=utf-8"}


def test_every_answer_says_where_the_client_stands_against_the_rate_limit(client, settings, shop):
    settings.API_RATE_LIMIT = "3/m"
    answers = [client.get("/api/v1/products") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a["RateLimit-Limit"] == "3" and 0 < int(a["RateLimit-Reset"]) <= 60 for a in answers)
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json" and int(refused["Retry-After"]) >= 1
    # Answers no operation gave say where the client stands too.
    for other in (
        client.get("/api/v1/nowhere"),
        client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer forged"),
    ):
        assert other["RateLimit-Limit"] == "3" and other["RateLimit-Remaining"] == "0"
    schema = client.get("/api/v1/openapi.json").json()
    listed = schema["paths"]["/api/v1/products"]["get"]["responses"]
    assert "RateLimit-Remaining" in listed["200"]["headers"] and "429" in listed


def _delivered_order(user, product):
    from auroramart.orders import services as order_services

    from .placing import place

    DbCart(user).set_item(variant(product).pk, 1, product.price)
    order = place(user, "delivered-1").order
    for status in ("processing", "shipped", "delivered"):
        order_services.change_status(order=order, to_status=status)
    return order


@pytest.mark.parametrize("what", ["cart line", "address", "return", "review"])
def test_every_create_endpoint_takes_an_idempotency_key(client, buyer, shop, what):
    """A retry with the same key creates once and replays the first answer; another body with
    that key is a conflict; a request refused as invalid does not bind its key."""
    from auroramart.accounts.models import Address
    from auroramart.orders.models import ReturnRequest

    user, token = buyer
    if what == "cart line":
        path, good, bad = "/cart/items", {"product_id": shop["cheap"].pk, "quantity": 1}, {"quantity": 1}
        other = {"product_id": shop["other"].pk, "quantity": 1}

        def count():
            return sum(q for q, _ in DbCart(user).items().values())
    elif what == "address":
        good = {"full_name": "Mei Tan", "phone": "+65 9123 4567", "line1": "2 Jalan", "postal_code": "238801"}
        path, bad, other = "/me/addresses", {**good, "postal_code": "12"}, {**good, "line1": "3 Jalan"}

        def count():
            return Address.objects.filter(user=user).count()
    elif what == "review":
        from auroramart.catalog.models import ProductReview

        path = f"/products/{shop['cheap'].slug}/reviews"
        good = {"rating": 5, "title": "Loud and clear", "body": "Good earbuds for the price."}
        bad, other = {**good, "rating": 9}, {**good, "rating": 4}

        def count():
            return ProductReview.objects.filter(user=user).count()
    else:
        order = _delivered_order(user, shop["cheap"])
        path = f"/orders/{order.number}/return"
        good, bad, other = {"reason": "damaged"}, {"reason": "bored"}, {"reason": "wrong_item"}

        def count():
            return ReturnRequest.objects.filter(order__user=user).count()

    before = count()
    refused = call(client, "post", path, token=token, body=bad, HTTP_IDEMPOTENCY_KEY=f"{what}-key-1")
    assert refused.status_code == 400 and count() == before  # ...and the key stays free
    first = call(client, "post", path, token=token, body=good, HTTP_IDEMPOTENCY_KEY=f"{what}-key-1")
    again = call(client, "post", path, token=token, body=good, HTTP_IDEMPOTENCY_KEY=f"{what}-key-1")
    assert first.status_code in (200, 201) and again.status_code == first.status_code
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert count() == before + 1  # once, however often it is sent
    conflict = call(client, "post", path, token=token, body=other, HTTP_IDEMPOTENCY_KEY=f"{what}-key-1")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    schema = client.get(f"{API}/openapi.json").json()
    template = (
        path.replace(order.number, "{number}")
        if what == "return"
        else path.replace(shop["cheap"].slug, "{slug}")
    )
    operation = schema["paths"][f"/api/v1{template}"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_short_lived_tokens_refresh_with_rotation_and_reuse_revokes_the_sign_in(client, buyer, settings):
    from datetime import timedelta

    from django.utils import timezone

    from auroramart.api.models import ApiToken

    user, _ = buyer
    signed = call(client, "post", "/auth/token", body={"email": user.email, "password": PASSWORD}).json()
    assert signed["refresh_token"] and signed["expires_at"] < signed["refresh_expires_at"]
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = call(client, "get", "/me", token=signed["token"])
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    fresh = call(client, "post", "/auth/refresh", body={"refresh_token": signed["refresh_token"]})
    assert fresh.status_code == 201 and fresh.json()["refresh_token"] != signed["refresh_token"]
    assert call(client, "get", "/me", token=fresh.json()["token"]).status_code == 200
    # The spent refresh token again (stolen, or replayed): the whole sign-in ends.
    replayed = call(client, "post", "/auth/refresh", body={"refresh_token": signed["refresh_token"]})
    assert replayed.status_code == 401 and replayed.json()["code"] == "refresh_token_reused"
    assert call(client, "get", "/me", token=fresh.json()["token"]).json()["code"] == "invalid_token"
    again = call(client, "post", "/auth/refresh", body={"refresh_token": fresh.json()["refresh_token"]})
    assert again.status_code == 401


@pytest.mark.parametrize("how", ["password change", "password reset", "account deletion"])
def test_a_new_password_or_an_erased_account_ends_every_token(client, buyer, how):
    from auroramart.accounts.services import delete_customer_account

    user, _ = buyer
    signed = call(client, "post", "/auth/token", body={"email": user.email, "password": PASSWORD}).json()
    if how == "account deletion":
        delete_customer_account(user=user)
    else:
        user.set_password("a-whole-new-password-42")
        user.save()
    assert call(client, "get", "/me", token=signed["token"]).status_code == 401
    refused = call(client, "post", "/auth/refresh", body={"refresh_token": signed["refresh_token"]})
    assert refused.status_code == 401


@pytest.mark.parametrize("how", ["deactivated", "expired", "unknown", "revoked"])
def test_a_token_is_refused_once_it_no_longer_stands_for_an_active_customer(client, buyer, how):
    """The token and its user are read in two constant statements (#23): each way a token stops
    working is still a 401 with the reason, and a working token still names its own customer."""
    from django.utils import timezone

    from auroramart.api.models import ApiToken, hash_token

    user, token = buyer
    assert call(client, "get", "/me", token=token).json()["email"] == user.email
    if how == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif how == "expired":
        ApiToken.objects.filter(key_hash=hash_token(token)).update(expires_at=timezone.now())
    elif how == "unknown":
        token = token[:-2] + ("xy" if not token.endswith("xy") else "zz")
    else:
        ApiToken.objects.filter(key_hash=hash_token(token)).delete()
    refused = call(client, "get", "/me", token=token)
    assert refused.status_code == 401
    assert refused.json()["code"] == ("token_expired" if how == "expired" else "invalid_token")


@pytest.mark.parametrize("sort", ["price_asc", "newest", "featured", "rating"])
def test_cursors_walk_the_catalogue_once_each_way(client, sort):
    products = [ProductFactory(name=f"Item {n}", price=Decimal(10 + n % 4)) for n in range(7)]
    seen, url, pages = [], f"/products?page_size=3&sort={sort}", []
    while url:
        answer = call(client, "get", url).json()
        pages.append(answer)
        seen += [p["id"] for p in answer["items"]]
        url = answer["next"] and answer["next"].split("/api/v1", 1)[1]
    assert sorted(seen) == sorted(p.pk for p in products) and len(seen) == len(set(seen)) == 7
    assert [len(p["items"]) for p in pages] == [3, 3, 1] and pages[-1]["next_cursor"] is None
    back = call(
        client, "get", f"/products?page_size=3&sort={sort}&cursor={pages[-1]['previous_cursor']}"
    ).json()
    assert [p["id"] for p in back["items"]] == [p["id"] for p in pages[1]["items"]]


def test_an_order_placed_meanwhile_does_not_shift_the_next_page(client, buyer, shop):
    from .placing import place

    user, token = buyer
    for n in range(4):
        DbCart(user).set_item(variant(shop["cheap"]).pk, 1, shop["cheap"].price)
        place(user, f"paged-{n}")
    first = call(client, "get", "/orders?page_size=2", token=token).json()
    DbCart(user).set_item(variant(shop["cheap"]).pk, 1, shop["cheap"].price)
    place(user, "paged-new")  # newest first: by page number, page 2 would now repeat a row
    by_cursor = call(client, "get", f"/orders?page_size=2&cursor={first['next_cursor']}", token=token).json()
    by_number = call(client, "get", "/orders?page_size=2&page=2", token=token).json()
    shown = {o["number"] for o in first["items"]}
    assert not shown & {o["number"] for o in by_cursor["items"]} and len(by_cursor["items"]) == 2
    assert shown & {o["number"] for o in by_number["items"]}  # what the cursor is for
    bad = call(client, "get", "/orders?cursor=not-a-cursor", token=token)
    assert bad.status_code == 400 and bad.json()["fields"]["cursor"]


def test_a_products_reviews_page_by_cursor(client, shop):
    from .factories import ReviewFactory

    for n in range(5):
        ReviewFactory(product=shop["cheap"], status="approved", title=f"Review {n}")
    page = call(client, "get", f"/products/{shop['cheap'].slug}/reviews?page_size=3").json()
    rest = call(
        client, "get", f"/products/{shop['cheap'].slug}/reviews?page_size=3&cursor={page['next_cursor']}"
    ).json()
    titles = [r["title"] for r in page["items"] + rest["items"]]
    assert sorted(titles) == [f"Review {n}" for n in range(5)] and rest["next"] is None


def test_the_schema_lists_no_unused_component_and_names_its_license(client):
    import json

    schema = client.get(f"{API}/openapi.json").json()
    text = json.dumps(schema)
    unused = [n for n in schema["components"]["schemas"] if f'"#/components/schemas/{n}"' not in text]
    assert unused == [] and schema["info"]["license"]["name"]
    sort = next(p for p in schema["paths"]["/api/v1/products"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["$ref"] == "#/components/schemas/ProductSort"  # an enum, named


def test_a_new_address_is_named_in_location(client, buyer):
    user, token = buyer
    body = {"full_name": "Mei Tan", "phone": "+65 9123 4567", "line1": "9 Jalan", "postal_code": "238801"}
    created = call(client, "post", "/me/addresses", token=token, body=body)
    assert created.status_code == 201
    assert call(client, "get", created["Location"].removeprefix(API), token=token).json() == created.json()
    assert client.get(created["Location"]).status_code == 401  # only its owner reads it
