"""Typed domain events (core/events.py): the web and the API raise the same events for the
same action, each phase keeps its transaction rule, and only services raise events."""

import ast
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from auroramart.accounts.events import CustomerSignedIn
from auroramart.analytics.models import CartAddition
from auroramart.cart.events import CartItemAdded
from auroramart.core import events
from auroramart.core.events import DomainEvent, Phase, publish, recorded
from auroramart.loyalty.services import open_account
from auroramart.orders.events import OrderPaid, OrderPlaced

from .factories import AddressFactory, CustomerFactory, ProductFactory, variant
from .test_api import CARD, PASSWORD, call, token_for
from .test_checkout import post_checkout

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1] / "auroramart"


@pytest.fixture
def shopper():
    user = CustomerFactory(email="events@example.test")
    open_account(user)
    AddressFactory(user=user, is_default_shipping=True, is_default_billing=True)
    return user


def shape(event_list):
    """What must agree between the web and the API: each event's type and the fields that
    name the business action (not the visitor id, which differs by channel)."""
    out = []
    for event in event_list:
        if isinstance(event, CartItemAdded):
            out.append((type(event), event.product.pk, event.quantity, event.user_id, event.source))
        elif isinstance(event, CustomerSignedIn):
            out.append((type(event), event.user.pk))
        elif isinstance(event, OrderPlaced | OrderPaid):
            out.append((type(event), event.order.user_id, event.order.total))
        else:
            out.append((type(event),))
    return out


def test_signing_in_raises_the_same_event_on_the_web_and_the_api(client, shopper):
    with recorded() as web:
        response = client.post("/login/", {"username": shopper.email, "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    with recorded() as api:
        token_for(client, shopper.email)
    assert shape(web) == shape(api) == [(CustomerSignedIn, shopper.pk)]
    assert web[0].session is not None and api[0].session is None  # only a browser has a guest cart


def test_adding_to_the_cart_raises_the_same_event_and_is_counted_either_way(client, shopper):
    mug = ProductFactory(name="Mug", price=Decimal("12.00"), stock_quantity=10)
    client.force_login(shopper)
    with recorded() as web:
        assert client.post("/checkout/cart/add/", {"product_id": mug.pk, "quantity": 2}).status_code == 302
    token = token_for(client, shopper.email)
    with recorded() as api:
        response = call(
            client, "post", "/cart/items", token=token, body={"product_id": mug.pk, "quantity": 2}
        )
    assert response.status_code == 200
    signed_in = [e for e in api if isinstance(e, CustomerSignedIn)]  # token_for signed in above, not here
    assert not signed_in
    assert shape(web) == shape(api) == [(CartItemAdded, mug.pk, 2, shopper.pk, "")]
    # analytics counted both adds: the API used to skip the hook that lived in a view
    assert list(CartAddition.objects.values_list("user_id", "quantity")) == [(shopper.pk, 2), (shopper.pk, 2)]


def test_an_api_client_attributes_an_add_to_its_recommendation_slot(client, shopper):
    from auroramart.recommendations.models import RecommendationEvent

    mug = ProductFactory(name="Mug", price=Decimal("12.00"), stock_quantity=10)
    token = token_for(client, shopper.email)
    body = {"product_id": mug.pk, "quantity": 1, "source": "rec:pdp-fbt"}
    assert call(client, "post", "/cart/items", token=token, body=body).status_code == 200
    added = RecommendationEvent.objects.get(kind="add_to_cart")
    assert (added.slot, added.product_id, added.user_id) == ("pdp-fbt", mug.pk, shopper.pk)
    unknown = call(client, "post", "/cart/items", token=token, body={**body, "source": "rec:nowhere"})
    assert unknown.status_code == 400 and unknown.json()["fields"]["source"]
    assert RecommendationEvent.objects.count() == 1


def test_placing_an_order_raises_the_same_events_on_the_web_and_the_api(client, shopper):
    mug = ProductFactory(name="Mug", price=Decimal("12.00"), stock_quantity=10)
    client.force_login(shopper)
    client.post("/checkout/cart/add/", {"product_id": mug.pk, "quantity": 1})
    with recorded() as web:
        post_checkout(client)
    token = token_for(client, shopper.email)
    call(client, "post", "/cart/items", token=token, body={"product_id": mug.pk, "quantity": 1})
    with recorded() as api:
        response = call(
            client,
            "post",
            "/checkout",
            token=token,
            body={"shipping_method": "standard", "payment_method": CARD},
            HTTP_IDEMPOTENCY_KEY="events-key-0001",
        )
    assert response.status_code == 201
    assert [type(e) for e in web] == [OrderPlaced, OrderPaid]
    assert shape(web) == shape(api)


def test_a_failing_inside_subscriber_rolls_the_whole_write_back(shopper, monkeypatch):
    from auroramart.cart.storage import DbCart
    from auroramart.orders.models import Order

    from .placing import place

    mug = ProductFactory(name="Mug", price=Decimal("12.00"), stock_quantity=10)
    DbCart(shopper).set_item(variant(mug).pk, 1, mug.price)

    def explode(event):
        raise RuntimeError("the loyalty service is down")

    monkeypatch.setitem(events._subscribers, OrderPlaced, [explode])
    with pytest.raises(RuntimeError):
        place(shopper, "inside-rollback-1")
    assert Order.objects.count() == 0
    mug.refresh_from_db()
    assert mug.stock_quantity == 10  # the reservation went with the order
    assert DbCart(shopper).items()  # and the cart is still there to try again


@pytest.mark.django_db(transaction=True)
def test_after_commit_subscribers_wait_for_the_commit_and_never_undo_it(caplog):
    from dataclasses import dataclass
    from typing import ClassVar

    @dataclass(frozen=True)
    class Counted(DomainEvent):
        phase: ClassVar[Phase] = Phase.AFTER_COMMIT
        n: int

    seen = []

    def count(event):
        seen.append(event.n)

    def broken(event):
        raise RuntimeError("counter down")

    events.subscribe(Counted, broken, count)
    try:
        with transaction.atomic():
            publish(Counted(n=1))
            assert seen == []  # not before the commit
        assert seen == [1]  # the broken subscriber did not stop the next one
        assert "counter down" in caplog.text or any(r.levelno == logging.ERROR for r in caplog.records)
        with pytest.raises(ValueError), transaction.atomic():
            publish(Counted(n=2))
            raise ValueError("rolled back")
        assert seen == [1]  # a rolled-back write tells nobody
    finally:
        events._subscribers.pop(Counted, None)


def test_every_event_is_wired_and_documented():
    """Each event class has a docstring saying when it runs, and at least one subscriber."""
    import importlib

    for path in sorted(ROOT.glob("*/events.py")):
        if path.parent.name == "core":
            continue
        module = importlib.import_module(f"auroramart.{path.parent.name}.events")
        classes = [
            c
            for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, DomainEvent) and c is not DomainEvent
        ]
        assert classes, path
        for cls in classes:
            assert cls.__doc__ and cls.__doc__.strip(), cls
            assert events.subscribers(cls), f"{cls.__name__} has no subscriber in auroramart/wiring.py"


def _publishers():
    """Every module of the shop that calls publish()."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "publish"
            ):
                yield path.relative_to(ROOT)
                break


# webhooks.py: the provider's verified events, turned into domain events by the payments service.
SERVICE_MODULES = {
    "services.py",
    "placement.py",
    "workflow.py",
    "settlement.py",
    "returns.py",
    "guests.py",
    "webhooks.py",
}


def test_events_are_raised_by_services_only():
    publishers = list(_publishers())
    assert publishers  # the guard looks at something
    for path in publishers:
        if path.parts[0] == "core":
            continue  # core/events.py itself
        assert path.name in SERVICE_MODULES, f"{path} raises an event: only a domain service may"
        assert path.parts[0] not in {"admin_panel", "api", "pages"}, path


def test_no_module_keeps_a_hook_list_any_more():
    """The hook lists filled in ready() are gone: apps plug in through events and extension points."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name = node.target.id
                assert not (name.endswith(("_STEPS", "_EXTRAS", "_CHECKS", "_SOURCES"))), f"{path}: {name}"
        if path.name == "apps.py":  # nothing plugs itself in from ready() (catalog's cache signals aside)
            assert "_STEPS" not in path.read_text() and ".provide(" not in path.read_text(), path
