"""The API's schema drives a real client: the Python client that openapi-python-client
generates from /api/v1/openapi.json (at test time, so the schema cannot drift from the
server) buys over HTTP against a live server, with no hand-written request: sign in, browse,
page by cursor, fill the cart, check out with an Idempotency-Key (replayed, then conflicting),
refresh the token, read the order and the points."""

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from auroramart.loyalty.services import open_account

from .factories import AddressFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def shop_client(tmp_path_factory):
    """The generated package, imported from a temporary folder."""
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (make install)")
    from auroramart.api.api import api

    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "schema.json"
    schema.write_text(json.dumps(api.get_openapi_schema()))
    env = {"PATH": f"{GENERATOR.parent}:/usr/bin:/bin"}
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(folder / "shop_client"),
            "--meta",
            "none",
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    sys.path.insert(0, str(folder))
    import shop_client

    yield shop_client
    sys.path.remove(str(folder))
    for name in [m for m in sys.modules if m == "shop_client" or m.startswith("shop_client.")]:
        del sys.modules[name]
    shutil.rmtree(folder, ignore_errors=True)


def test_a_generated_client_buys_end_to_end(shop_client, live_server):
    from shop_client import AuthenticatedClient, Client
    from shop_client.api.account import auroramart_api_account_refresh as refresh
    from shop_client.api.account import auroramart_api_account_sign_in as sign_in
    from shop_client.api.cart_and_orders import auroramart_api_shopping_add_item as add_item
    from shop_client.api.cart_and_orders import auroramart_api_shopping_checkout as checkout
    from shop_client.api.cart_and_orders import auroramart_api_shopping_order_list as order_list
    from shop_client.api.catalog import auroramart_api_catalog_products as products
    from shop_client.api.loyalty_and_recommendations import auroramart_api_loyalty_balance as balance
    from shop_client.models import CartItemIn, CheckoutIn, OrderStatus, ProductSort, RefreshIn, TokenIn

    user = CustomerFactory(email="app@example.test")
    open_account(user)
    AddressFactory(user=user, is_default_shipping=True)
    for n in range(5):
        ProductFactory(name=f"Lamp {n}", price=Decimal(20 + n), stock_quantity=5)

    guest = Client(base_url=live_server.url)
    first = products.sync(client=guest, page_size=2, sort=ProductSort.PRICE_ASC)
    assert [p.name for p in first.items] == ["Lamp 0", "Lamp 1"] and first.next_cursor
    second = products.sync(client=guest, page_size=2, sort=ProductSort.PRICE_ASC, cursor=first.next_cursor)
    assert [p.name for p in second.items] == ["Lamp 2", "Lamp 3"]

    tokens = sign_in.sync(client=guest, body=TokenIn(email=user.email, password="correct-horse-battery"))
    me = AuthenticatedClient(base_url=live_server.url, token=tokens.token)
    points_before = balance.sync(client=me).balance
    cart = add_item.sync(client=me, body=CartItemIn(product_id=second.items[0].id, quantity=2))
    assert cart.item_count == 2

    order_in = CheckoutIn(payment_method="pm_card_visa", expected_total=cart.total)
    placed = checkout.sync_detailed(client=me, body=order_in, idempotency_key="app-purchase-0001")
    assert placed.status_code == 201 and placed.parsed.status == OrderStatus.PAID
    assert placed.parsed.currency == "SGD" and placed.parsed.total == cart.total
    replay = checkout.sync_detailed(client=me, body=order_in, idempotency_key="app-purchase-0001")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.parsed.number == placed.parsed.number
    conflict = checkout.sync_detailed(
        client=me, body=CheckoutIn(payment_method="pm_card_mastercard"), idempotency_key="app-purchase-0001"
    )
    assert conflict.status_code == 409 and conflict.parsed.code == "idempotency_conflict"

    renewed = refresh.sync(client=guest, body=RefreshIn(refresh_token=tokens.refresh_token))
    me = AuthenticatedClient(base_url=live_server.url, token=renewed.token)
    orders = order_list.sync(client=me)
    assert [o.number for o in orders.items] == [placed.parsed.number]
    assert balance.sync(client=me).balance > points_before  # the order's points
