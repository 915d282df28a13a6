"""Redis down: the shop still renders and sells (DESIGN principle 11)."""

from decimal import Decimal

import pytest

from auroramart.cart.storage import DbCart
from auroramart.orders.services import ShippingAddress, place_order

from .factories import CustomerFactory, ProductFactory, variant

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "auroramart.core.cache_backends.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def redis_down(settings):
    from auroramart.core.cache_backends import ResilientRedisCache

    ResilientRedisCache._down_until = 0.0
    settings.CACHES = DEAD_REDIS  # Django rebuilds the cache handlers on this change
    yield
    ResilientRedisCache._down_until = 0.0


def test_pages_render_and_orders_go_through_with_redis_down(client, redis_down, caplog):
    from django.core.cache import cache

    assert cache.get("anything") is None and cache.add("k", 1) is False
    product = ProductFactory(name="Tea Pot", price=Decimal("25.00"), stock_quantity=5)
    for url in ["/", "/item/", product.get_absolute_url(), "/search/?q=tea", "/readyz"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/readyz").json()["status"] == "degraded"
    customer = CustomerFactory()
    DbCart(customer).set_item(variant(product).pk, 2, product.price)
    order = place_order(
        user=customer,
        cart=DbCart(customer),
        idempotency_key="k",
        shipping_method="standard",
        address=ShippingAddress("A", "+65 9123 4567", "1 Rd", "", "123456"),
        payment_method="pm_card_visa",
    ).order
    assert order.status == "paid"
    assert "cache unavailable" in caplog.text
