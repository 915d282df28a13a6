"""A customer's actions on an order (cancel it, send it back), on the web and through the API:
each starts from the customer's own order, read in one statement (#23: the API read the whole
detail, its lines, timeline, payments, returns and credit notes, to refuse a cancellation), and
another customer's order is not found, whichever way it is asked."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auroramart.api.models import ApiToken
from auroramart.cart.storage import DbCart
from auroramart.orders.models import Order
from auroramart.orders.services import change_status

from .factories import CustomerFactory, ProductFactory, variant
from .placing import place

pytestmark = pytest.mark.django_db

ACTIONS = {
    # name: (how it is sent, the path after the order's number, the form or JSON body)
    "cancel on the web": ("web", "cancel/", {}),
    "return on the web": ("web", "return/", {"reason": "damaged"}),
    "cancel through the API": ("api", "cancel", None),
    "return through the API": ("api", "return", {"reason": "damaged"}),
}


def _shipped_order(customer):
    lamp = ProductFactory(name="Lamp", price=Decimal("40.00"), stock_quantity=10)
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)
    order = place(customer, f"k-{customer.pk}").order
    change_status(order=order, to_status="shipped")  # too late to cancel, too early to return
    return order


def _send(client, how, order, path, body, token):
    if how == "web":
        return client.post(f"/orders/{order.number}/{path}", body)
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    return client.post(
        f"/api/v1/orders/{order.number}/{path}", HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_the_order_cannot_take_is_refused_from_one_read_of_it(client, action):
    how, path, body = ACTIONS[action]
    customer = CustomerFactory()
    order = _shipped_order(customer)
    client.force_login(customer)
    token = ApiToken.issue(customer, "test")[1]
    _send(client, how, order, path, body, token)  # the session, the token and the held settings warm
    with CaptureQueriesContext(connection) as captured:
        response = _send(client, how, order, path, body, token)
    if how == "web":
        assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    else:
        assert response.status_code == 409 and response.json()["code"] == "not_allowed"
    assert Order.objects.get(pk=order.pk).status == "shipped"
    orders_read = [
        q["sql"] for q in captured.captured_queries if "orders_order" in q["sql"].split(" WHERE ")[0]
    ]
    # The customer's order by its number, then the action's own read of it (under its lock, for a
    # cancellation); nothing of its lines, timeline, payments, returns or credit notes.
    assert len(orders_read) <= 2, orders_read
    assert not [q for q in captured.captured_queries if "orders_orderstatuschange" in q["sql"]]
    assert not [q for q in captured.captured_queries if "orders_creditnote" in q["sql"]]


@pytest.mark.parametrize("action", ACTIONS)
def test_another_customers_order_is_not_found_and_keeps_its_state(client, action):
    how, path, body = ACTIONS[action]
    order = _shipped_order(CustomerFactory())
    Order.objects.filter(pk=order.pk).update(status="paid")  # cancellable, had it been theirs
    stranger = CustomerFactory()
    client.force_login(stranger)
    response = _send(client, how, order, path, body, ApiToken.issue(stranger, "test")[1])
    assert response.status_code == 404
    if how == "api":
        assert response.json()["status"] == 404 and response["Content-Type"].startswith("application/")
    assert Order.objects.get(pk=order.pk).status == "paid"
