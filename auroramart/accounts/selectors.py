import functools

from django.db import connections, router
from django.db.models import Prefetch

from auroramart.cart.models import Cart, CartItem
from auroramart.catalog.models import ProductImage

from .models import Address, Notification, User, WishlistItem


def wishlist(user):
    return (
        WishlistItem.objects.filter(user=user, product__is_active=True)
        .select_related("product", "product__brand", "product__category")
        .prefetch_related(
            Prefetch(
                "product__images",
                queryset=ProductImage.objects.filter(is_primary=True),
                to_attr="primary_images",
            )
        )
    )


def wishlisted_ids(user, product_ids) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        WishlistItem.objects.filter(user=user, product_id__in=product_ids).values_list(
            "product_id", flat=True
        )
    )


def addresses(user):
    return Address.objects.filter(user=user)


def header_counts(user) -> tuple[int, int]:
    """A customer's two header numbers in one query (#23): items in their cart, unread
    notifications. The same figures as DbCart.count() and unread_notification_count()."""
    with connections[router.db_for_read(User)].cursor() as cursor:
        cursor.execute(_header_counts_sql(), [user.pk, user.pk])
        in_cart, unread = cursor.fetchone()
    return int(in_cart), int(unread)


@functools.cache
def _header_counts_sql() -> str:
    # Every signed-in page runs this; built with the ORM (two subqueries) it cost more CPU than
    # the rest of a cached page together, so it is written once, in SQL both databases speak.
    cart, item, note = Cart._meta, CartItem._meta, Notification._meta
    names = {
        "item": item.db_table,
        "quantity": item.get_field("quantity").column,
        "item_cart": item.get_field("cart").column,
        "cart": cart.db_table,
        "cart_id": cart.pk.column,
        "cart_user": cart.get_field("user").column,
        "note": note.db_table,
        "note_user": note.get_field("user").column,
        "read_at": note.get_field("read_at").column,
    }
    # Names from the models' metadata; the values are bound parameters.
    return HEADER_COUNTS_SQL.format(**names)


HEADER_COUNTS_SQL = (
    "SELECT (SELECT COALESCE(SUM(i.{quantity}), 0) FROM {item} i"
    " JOIN {cart} c ON c.{cart_id} = i.{item_cart} WHERE c.{cart_user} = %s),"
    " (SELECT COUNT(*) FROM {note} WHERE {note_user} = %s AND {read_at} IS NULL)"
)


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user):
    return Notification.objects.filter(user=user)
