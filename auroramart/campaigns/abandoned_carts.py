"""Abandoned-cart recovery: a customer who left things in their cart, and accepts marketing,
gets one reminder after ABANDONED_CART_HOURS idle, then (if ABANDONED_CART_SECOND_HOURS is set)
one more with a one-use coupon. The email's link restores the cart on any device. Reminders
stop at a purchase, a change to the cart (a new spell of idleness starts afresh) or an
unsubscribe (one click, RFC 8058 headers). An order within ABANDONED_CART_WINDOW_DAYS of a
reminder is credited to it: reminders sent, carts recovered and revenue recovered are in the
analytics' marketing rows.

A guest is reminded when they gave an email at checkout and ticked "Email me offers, and a
reminder if I leave my cart": their cart is read from their session.
"""

import functools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone

from auroramart.accounts.models import CustomerProfile
from auroramart.accounts.services import one_click_headers, unsubscribe_url, unsubscribe_url_for_email
from auroramart.analytics.models import MarketingAnalytics
from auroramart.cart.models import Cart
from auroramart.cart.storage import SESSION_KEY
from auroramart.catalog.models import ProductVariant
from auroramart.core import rows
from auroramart.core.money import format_money
from auroramart.core.outbox import queue_email
from auroramart.orders.models import Order
from auroramart.promotions.models import Coupon, CouponRedemption

from .models import CartReminder

SALT = "campaigns.cart-reminder"


@dataclass(frozen=True)
class LeftCart:
    """A cart left idle, whoever's: a customer's (in the database) or a guest's (in their
    session, with the email they gave at checkout)."""

    user: Any
    email: str
    session_key: str
    changed_at: datetime
    lines: list[tuple[int, int]]

    def reminders(self):
        if self.user is not None:
            return CartReminder.objects.filter(user=self.user, cart_changed_at=self.changed_at)
        return CartReminder.objects.filter(
            user=None, session_key=self.session_key, cart_changed_at=self.changed_at
        )

    def bought_since(self) -> bool:
        orders = Order.objects.filter(placed_at__gte=self.changed_at)
        if self.user is not None:
            return orders.filter(user=self.user).exists()
        return orders.filter(email__iexact=self.email).exists()


def send_reminders(now=None) -> dict[str, int]:
    """The periodic job: the first and second reminders that are due, each once."""
    now = now or timezone.now()
    sent = {"first": 0, "second": 0}
    oldest = now - timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS)
    idle = now - timedelta(hours=settings.ABANDONED_CART_HOURS)
    for left in [*_customer_carts(oldest, idle), *_guest_carts(oldest, idle)]:
        if not left.lines or left.bought_since():
            continue  # bought since (a placed cart is emptied; this one was filled again after)
        first = left.reminders().filter(step=1).first()
        if first is None:
            sent["first"] += _send(left, step=1)
        elif (
            settings.ABANDONED_CART_SECOND_HOURS
            and first.sent_at <= now - timedelta(hours=settings.ABANDONED_CART_SECOND_HOURS)
            and first.recovered_order_id is None
        ):
            sent["second"] += _send(left, step=2)
    return sent


def _customer_carts(oldest, idle) -> Iterator[LeftCart]:
    carts = (
        Cart.objects.filter(
            user__isnull=False, user__is_active=True, user__is_staff=False, updated_at__range=(oldest, idle)
        )
        .filter(Exists(CustomerProfile.objects.filter(user=OuterRef("user"), marketing_opt_in=True)))
        .select_related("user")
        .prefetch_related("items")
    )
    for cart in carts:
        lines = [(i.variant_id, i.quantity) for i in cart.items.all()]
        yield LeftCart(cart.user, cart.user.email, "", cart.updated_at, lines)


def _guest_carts(oldest, idle) -> Iterator[LeftCart]:
    """Guests who gave an email at checkout and agreed to marketing; their cart is read from
    their session (whatever the session engine), as it was last changed."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for row in Cart.objects.filter(user=None, marketing_opt_in=True).exclude(email=""):
        data = store(session_key=row.session_key).load().get(SESSION_KEY) or {}
        try:
            changed = datetime.fromisoformat(data["t"])
            lines = [(int(variant), int(line["q"])) for variant, line in data["items"].items()]
        except (KeyError, TypeError, ValueError):
            continue  # an old or emptied session
        if oldest <= changed <= idle and not data.get("placing"):
            yield LeftCart(None, row.email, row.session_key, changed, lines)


def _send(left: LeftCart, *, step: int) -> int:
    variants = (
        ProductVariant.objects.filter(
            pk__in=[v for v, _ in left.lines], is_active=True, product__is_active=True
        )
        .select_related("product")
        .in_bulk()
    )
    items = [(variants[v], q) for v, q in left.lines if v in variants]
    if not items:
        return 0
    value = sum((variant.price * quantity for variant, quantity in items), Decimal("0"))
    unsubscribe = unsubscribe_url(left.user) if left.user else unsubscribe_url_for_email(left.email)
    try:
        with transaction.atomic():
            reminder = CartReminder.objects.create(
                user=left.user,
                email="" if left.user else left.email,
                session_key=left.session_key,
                step=step,
                cart_changed_at=left.changed_at,
                lines=[[v.pk, q] for v, q in items],
                value=value,
            )
            coupon = _coupon(reminder) if step == 2 and settings.ABANDONED_CART_COUPON_PERCENT else None
            lines = [f"{q} × {_name(v)}  {format_money(v.price * q)}" for v, q in items]
            offer = (
                f"\n\nAs a thank-you for coming back: {settings.ABANDONED_CART_COUPON_PERCENT}% off with the "
                f"code {coupon.code} (once, until {timezone.localtime(coupon.ends_at):%d %b})."
                if coupon
                else ""
            )
            link = f"{settings.SITE_URL}{reverse('campaigns:restore_cart', kwargs={'token': restore_token(reminder)})}"
            queue_email(
                to=left.email,
                subject="You left something in your cart" if step == 1 else "Still thinking it over?",
                body="Your cart is waiting for you:\n"
                + "\n".join(lines)
                + offer
                + f"\n\nBack to your cart:\n{link}",
                template="emails/abandoned_cart.html",
                context={
                    "items": [(q, _name(v), v.price * q) for v, q in items],
                    "coupon": coupon,
                    "link": link,
                    "unsubscribe_url": unsubscribe,
                },
                headers=one_click_headers(unsubscribe),
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


def _latest_open_reminder(user_id: int, since: datetime, until: datetime) -> CartReminder | None:
    """The customer's latest reminder sent between the two times and not yet credited, in one
    constant statement: every paid order asks, and the ORM's query cost more to build than to
    run (#23). Only that one row is read: reading every reminder a customer was ever sent made a
    long-standing customer's every order slower."""
    connection = connections[router.db_for_read(CartReminder)]
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _latest_reminder_sql(),
            [user_id, ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(until)],
        )
        row = cursor.fetchone()
    return rows.from_row(CartReminder, row, connection.alias) if row else None


@functools.cache
def _latest_reminder_sql() -> str:
    meta = CartReminder._meta
    column = {name: meta.get_field(name).column for name in ("user", "sent_at", "recovered_order")}
    # Names from the model's metadata; the values are bound parameters.
    return LATEST_REMINDER_SQL.format(
        columns=rows.columns(CartReminder, "r"),
        table=meta.db_table,
        user=column["user"],
        sent_at=column["sent_at"],
        recovered=column["recovered_order"],
        pk=meta.pk.column,
    )


LATEST_REMINDER_SQL = (
    "SELECT {columns} FROM {table} r WHERE r.{user} = %s AND r.{recovered} IS NULL"
    " AND r.{sent_at} >= %s AND r.{sent_at} <= %s ORDER BY r.{sent_at} DESC, r.{pk} DESC LIMIT 1"
)


def credit_order(*, order) -> None:
    """OrderPaid: the latest reminder this customer (or this guest's email) had in the window
    before the order is credited with it, once."""
    since = order.placed_at - timedelta(days=settings.ABANDONED_CART_WINDOW_DAYS)
    if order.user_id is not None:
        whose = CartReminder.objects.filter(user_id=order.user_id)
        reminder = _latest_open_reminder(order.user_id, since, order.placed_at)
    else:
        whose = CartReminder.objects.filter(user=None, email__iexact=order.email)
        reminder = (
            whose.filter(sent_at__gte=since, sent_at__lte=order.placed_at, recovered_order=None)
            .order_by("-sent_at")
            .first()
        )
    if reminder is None:
        return
    # Both reminders of one cart are credited with the order; the figures count it once.
    whose.filter(cart_changed_at=reminder.cart_changed_at, recovered_order=None).update(
        recovered_order=order, recovered_total=order.total, recovered_at=order.placed_at
    )


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
