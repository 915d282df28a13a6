"""Abandoned-cart recovery: a customer who left things in their cart, and accepts marketing,
gets one reminder after ABANDONED_CART_HOURS idle, then (if ABANDONED_CART_SECOND_HOURS is set)
one more with a one-use coupon. The email's link restores the cart on any device. Reminders
stop at a purchase, a change to the cart (a new spell of idleness starts afresh) or an
unsubscribe (one click, RFC 8058 headers). An order within ABANDONED_CART_WINDOW_DAYS of a
reminder is credited to it: reminders sent, carts recovered and revenue recovered are in the
analytics' marketing rows.

Guests are not reminded: a guest's cart lives in their session, with no address to write to.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone

from auroramart.accounts.models import CustomerProfile
from auroramart.accounts.services import marketing_headers, unsubscribe_url
from auroramart.analytics.models import MarketingAnalytics
from auroramart.cart.models import Cart, CartItem
from auroramart.catalog.models import ProductVariant
from auroramart.core.money import format_money
from auroramart.core.outbox import queue_email
from auroramart.orders.models import Order
from auroramart.promotions.models import Coupon, CouponRedemption

from .models import CartReminder

SALT = "campaigns.cart-reminder"


def send_reminders(now=None) -> dict[str, int]:
    """The periodic job: the first and second reminders that are due, each once."""
    now = now or timezone.now()
    sent = {"first": 0, "second": 0}
    oldest = now - timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS)
    idle = now - timedelta(hours=settings.ABANDONED_CART_HOURS)
    carts = (
        Cart.objects.filter(
            user__isnull=False,
            user__is_active=True,
            user__is_staff=False,
            updated_at__lte=idle,
            updated_at__gte=oldest,
        )
        .filter(Exists(CartItem.objects.filter(cart=OuterRef("pk"))))
        .filter(Exists(CustomerProfile.objects.filter(user=OuterRef("user"), marketing_opt_in=True)))
        .select_related("user")
    )
    for cart in carts:
        if Order.objects.filter(user=cart.user, placed_at__gte=cart.updated_at).exists():
            continue  # bought since (a placed cart is emptied; this one was filled again after)
        first = CartReminder.objects.filter(user=cart.user, cart_changed_at=cart.updated_at, step=1).first()
        if first is None:
            sent["first"] += _send(cart, step=1)
        elif (
            settings.ABANDONED_CART_SECOND_HOURS
            and first.sent_at <= now - timedelta(hours=settings.ABANDONED_CART_SECOND_HOURS)
            and first.recovered_order_id is None
        ):
            sent["second"] += _send(cart, step=2)
    return sent


def _send(cart: Cart, *, step: int) -> int:
    items = list(
        CartItem.objects.filter(cart=cart, variant__is_active=True, variant__product__is_active=True)
        .select_related("variant__product")
        .order_by("added_at", "pk")
    )
    if not items:
        return 0
    value = sum((i.variant.price * i.quantity for i in items), Decimal("0"))
    user = cart.user
    try:
        with transaction.atomic():
            reminder = CartReminder.objects.create(
                user=user,
                step=step,
                cart_changed_at=cart.updated_at,
                lines=[[i.variant_id, i.quantity] for i in items],
                value=value,
            )
            coupon = _coupon(reminder) if step == 2 and settings.ABANDONED_CART_COUPON_PERCENT else None
            lines = [
                f"{i.quantity} × {_name(i.variant)}  {format_money(i.variant.price * i.quantity)}"
                for i in items
            ]
            offer = (
                f"\n\nAs a thank-you for coming back: {settings.ABANDONED_CART_COUPON_PERCENT}% off with the code {coupon.code} "
                f"(once, until {timezone.localtime(coupon.ends_at):%d %b})."
                if coupon
                else ""
            )
            link = f"{settings.SITE_URL}{reverse('campaigns:restore_cart', kwargs={'token': restore_token(reminder)})}"
            queue_email(
                to=user.email,
                subject="You left something in your cart" if step == 1 else "Still thinking it over?",
                body="Your cart is waiting for you:\n"
                + "\n".join(lines)
                + offer
                + f"\n\nBack to your cart:\n{link}",
                template="emails/abandoned_cart.html",
                context={
                    "items": [(i, _name(i.variant), i.variant.price * i.quantity) for i in items],
                    "coupon": coupon,
                    "link": link,
                    "unsubscribe_url": unsubscribe_url(user),
                },
                headers=marketing_headers(user),
            )
    except IntegrityError:  # sent by a concurrent run of the job
        return 0
    return 1


def _name(variant: ProductVariant) -> str:
    return f"{variant.product.name} ({variant.name})" if variant.name else variant.product.name


def _coupon(reminder: CartReminder) -> Coupon:
    coupon = Coupon.objects.create(
        code=f"BACK-{secrets.token_hex(4).upper()}",
        description="Abandoned-cart reminder",
        kind=Coupon.Kind.PERCENT,
        value=Decimal(settings.ABANDONED_CART_COUPON_PERCENT),
        ends_at=timezone.now() + timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS),
        usage_limit=1,
        per_customer_limit=1,
    )
    CartReminder.objects.filter(pk=reminder.pk).update(coupon=coupon)
    return coupon


def restore_token(reminder: CartReminder) -> str:
    return signing.dumps(reminder.pk, salt=SALT)


def reminder_of(token: str) -> CartReminder | None:
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS))
    except signing.BadSignature:
        return None
    return CartReminder.objects.select_related("coupon").filter(pk=pk).first()


def restore(*, reminder: CartReminder, cart) -> int:
    """Put the reminded lines (still sold) into `cart`, whichever device it is on, with the
    reminder's coupon; returns how many lines came back. Lines already there keep the larger
    quantity."""
    variants = ProductVariant.objects.filter(
        pk__in=[v for v, _ in reminder.lines], is_active=True, product__is_active=True
    ).in_bulk()
    have = cart.items()
    restored = 0
    for variant_id, quantity in reminder.lines:
        variant = variants.get(variant_id)
        if variant is None:
            continue
        cart.set_item(variant.pk, max(quantity, have.get(variant.pk, (0, None))[0]), variant.price)
        restored += 1
    if reminder.coupon is not None and reminder.coupon.code not in cart.coupon_codes():
        cart.set_coupon_codes([reminder.coupon.code])
    if reminder.clicked_at is None:
        CartReminder.objects.filter(pk=reminder.pk, clicked_at=None).update(clicked_at=timezone.now())
    return restored


def credit_order(*, order) -> None:
    """OrderPaid: the latest reminder this customer had in the window before the order is
    credited with it (once)."""
    if order.user_id is None:
        return
    since = order.placed_at - timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS)
    reminder = (
        CartReminder.objects.filter(
            user_id=order.user_id, sent_at__gte=since, sent_at__lte=order.placed_at, recovered_order=None
        )
        .order_by("-sent_at")
        .first()
    )
    if reminder is None:
        return
    # Both reminders of one cart are credited with the order; the figures count it once.
    CartReminder.objects.filter(
        user_id=order.user_id, cart_changed_at=reminder.cart_changed_at, recovered_order=None
    ).update(recovered_order=order, recovered_total=order.total, recovered_at=order.placed_at)


def marketing_rows(day, start, end) -> list[MarketingAnalytics]:
    """The day's row for the analytics: reminders sent, carts recovered, revenue recovered, and
    what the reminders' coupons cost."""
    sent = CartReminder.objects.filter(sent_at__gte=start, sent_at__lt=end).count()
    recovered = CartReminder.objects.filter(recovered_at__gte=start, recovered_at__lt=end, step=1)
    carts = recovered.count()
    revenue = recovered.aggregate(s=Sum("recovered_total"))["s"] or Decimal("0")
    cost = CouponRedemption.objects.filter(
        coupon__cart_reminder__isnull=False, order__placed_at__gte=start, order__placed_at__lt=end
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    if not (sent or carts):
        return []
    return [
        MarketingAnalytics(
            date=day,
            kind="cart reminders",
            key="abandoned-cart",
            name="Abandoned-cart reminders",
            reach=sent,
            uses=carts,
            revenue=revenue,
            discount_cost=cost,
        )
    ]
