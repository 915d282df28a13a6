"""Placing an order in a test the way the checkout does, with the test gateway's good card."""

from auroramart.cart.storage import DbCart
from auroramart.orders.services import ShippingAddress, place_order

ADDRESS = ShippingAddress("Mei Tan", "+65 9123 4567", "1 Orchard Road", "", "238801")
VISA = "pm_card_visa"


def place(
    user,
    key: str,
    *,
    payment_method: str = VISA,
    shipping_method: str = "standard",
    address=ADDRESS,
    **options,
):
    """Place the user's cart (as it is) under `key`; returns the Placement."""
    return place_order(
        user=user,
        cart=DbCart(user),
        idempotency_key=key,
        address=address,
        shipping_method=shipping_method,
        payment_method=payment_method,
        **options,
    )


def guest_cart(*lines):
    """A guest's session cart holding (variant, quantity) lines."""
    from django.contrib.sessions.backends.db import SessionStore

    from auroramart.cart.storage import SessionCart

    session = SessionStore()
    session.create()
    cart = SessionCart(session)
    for item, quantity in lines:
        cart.set_item(item.pk, quantity, item.price)
    session.save()
    return cart


def place_as_guest(
    cart, key: str, email: str = "guest@example.test", *, payment_method: str = VISA, **options
):
    return place_order(
        user=None,
        email=email,
        cart=cart,
        idempotency_key=key,
        address=ADDRESS,
        shipping_method=options.pop("shipping_method", "standard"),
        payment_method=payment_method,
        **options,
    )
