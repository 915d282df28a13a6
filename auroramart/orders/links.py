"""The signed link the payment provider sends a shopper back to after 3-D Secure.

It names one order and is signed, so it settles only that order, and it works for a guest
or in a browser an app opened (no session needed): what it can do is ask the provider how
the payment ended, which anyone may trigger safely."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

SALT = "orders.payment-return"
VALID = timedelta(days=1)


def return_url(request, number: str) -> str:
    token = signing.dumps(number, salt=SALT)
    return request.build_absolute_uri(reverse("orders:payment_return", kwargs={"token": token}))


def order_of(token: str) -> str | None:
    """The order number a return link names, or None when it is forged or too old."""
    try:
        return signing.loads(token, salt=SALT, max_age=VALID)
    except signing.BadSignature:
        return None
