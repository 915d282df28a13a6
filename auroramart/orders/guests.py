"""A guest's order: the signed link to it, the order-status lookup, and the account a guest can
make from it afterwards.

A guest's order has no user, only the email its messages go to. The guest reaches it by a
signed link (in the confirmation email, and the page checkout sends them to) or by order
number and email on the order-status page. Creating an account from the order attaches it;
the guest's other orders with that email attach only once the email is shown to be theirs —
at once when they came through the emailed link, else when they open the link a verification
email sends them. Points for attached orders are granted then (GuestOrdersClaimed), for
orders placed within GUEST_POINTS_CLAIM_DAYS.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from auroramart.core.events import publish
from auroramart.core.outbox import queue_email

from .errors import CheckoutError, OrderActionError
from .events import GuestOrdersClaimed
from .models import Order

LINK_SALT = "auroramart.orders.guest-link"
CLAIM_SALT = "auroramart.orders.guest-claim"


def clean_guest_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise CheckoutError("Enter the email address your order confirmation should go to.") from None
    return email


# --- the signed link -----------------------------------------------------------------------


def guest_link(order: Order, *, emailed: bool = True) -> str:
    """The path of the order's page for whoever holds the link. `emailed` marks a link sent to
    the order's email: opening it shows the address is the holder's."""
    token = signing.dumps({"n": order.number, "e": int(emailed)}, salt=LINK_SALT, compress=True)
    return reverse("orders:guest", kwargs={"token": token})


@dataclass(frozen=True)
class GuestAccess:
    order: Order
    emailed: bool


def order_from_link(token: str) -> GuestAccess | None:
    """The order a link names, or None for a forged, mangled or expired one."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.GUEST_ORDER_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    order = Order.objects.filter(number=data.get("n", "")).first()
    return GuestAccess(order, bool(data.get("e"))) if order is not None else None


def find_order(*, number: str, email: str) -> Order | None:
    """The order with this number and email (the order-status page): None for a wrong number
    and for a wrong email alike."""
    number, email = number.strip().upper(), email.strip()
    if not number or not email:
        return None
    return Order.objects.filter(number=number, email__iexact=email).first()


# --- an account from a guest's order ---------------------------------------------------------


def account_exists(email: str) -> bool:
    from auroramart.accounts.models import User

    return User.objects.filter(email__iexact=email).exists()


def create_account(*, access: GuestAccess, password: str):
    """Make a customer account for a guest order's email, with the password given; attach the
    order (and, when the link came by email, every guest order with that email). Otherwise a
    verification email is sent, whose link attaches the rest."""
    from auroramart.accounts.services import register_with_password

    order = access.order
    if not order.is_guest:
        raise OrderActionError("This order already belongs to an account: sign in to see it.")
    first, _, last = order.ship_name.partition(" ")
    with transaction.atomic():
        user = register_with_password(email=order.email, password=password, first_name=first, last_name=last)
        claimed = _attach(user, [order.pk] + (_other_guest_orders(order.email) if access.emailed else []))
        if not access.emailed and _other_guest_orders(order.email):
            queue_email(
                to=user.email,
                subject="Confirm your email to bring your earlier AuroraMart orders",
                body=(
                    "You have other orders placed as a guest with this email. Open this link to add "
                    f"them (and their loyalty points) to your account:\n\n{settings.SITE_URL}{claim_link(user)}"
                ),
            )
    return user, claimed


def claim_link(user) -> str:
    token = signing.dumps({"u": user.pk, "m": user.email.lower()}, salt=CLAIM_SALT, compress=True)
    return reverse("orders:guest_claim", kwargs={"token": token})


def claim_guest_orders(*, token: str):
    """The verification link: attach every guest order with the account's email. Returns
    (user, orders attached) or None for a bad link; safe to open twice."""
    from auroramart.accounts.models import User

    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=settings.GUEST_ORDER_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email__iexact=data.get("m", ""), is_active=True).first()
    if user is None:
        return None
    with transaction.atomic():
        return user, _attach(user, _other_guest_orders(user.email))


def _other_guest_orders(email: str) -> list[int]:
    return list(Order.objects.filter(user__isnull=True, email__iexact=email).values_list("pk", flat=True))


def _attach(user, order_ids: list[int]) -> list[Order]:
    """Give the guest orders to the account (locked, so an order is attached once), with their
    payments and coupon uses; GuestOrdersClaimed lets loyalty grant their points."""
    from auroramart.payments.models import Payment
    from auroramart.promotions.models import CouponRedemption

    orders = list(
        Order.objects.select_for_update().filter(pk__in=sorted(order_ids), user__isnull=True).order_by("pk")
    )
    if not orders:
        return []
    ids = [o.pk for o in orders]
    Order.objects.filter(pk__in=ids).update(user=user)
    Payment.objects.filter(order_id__in=ids, user__isnull=True).update(user=user)
    CouponRedemption.objects.filter(order_id__in=ids, user__isnull=True).update(user=user)
    for order in orders:
        order.user = user
    publish(GuestOrdersClaimed(user=user, orders=orders))
    return orders
