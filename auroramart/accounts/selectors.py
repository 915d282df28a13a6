import functools

from django.db import connections, router
from django.db.models import Prefetch

from auroramart.cart.models import Cart, CartItem
from auroramart.catalog.models import ProductImage
from auroramart.core import rows

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
    """Which of these products the customer has saved (a product page asks on every view)."""
    ids = [int(pk) for pk in product_ids]
    if not user.is_authenticated or not ids:
        return set()
    with connections[router.db_for_read(WishlistItem)].cursor() as cursor:
        cursor.execute(_wishlisted_sql(len(ids)), [user.pk, *ids])
        return {row[0] for row in cursor.fetchall()}


@functools.lru_cache(maxsize=64)
def _wishlisted_sql(how_many: int) -> str:
    # The ORM's query cost several times its run on the signed-in product page (#23).
    meta = WishlistItem._meta
    names = {"table": meta.db_table, "user": meta.get_field("user").column}
    names["product"] = meta.get_field("product").column
    # Names from the models' metadata and one placeholder per id; the values are bound parameters.
    return WISHLISTED_SQL.format(**names, placeholders=", ".join(["%s"] * how_many))


WISHLISTED_SQL = "SELECT {product} FROM {table} WHERE {user} = %s AND {product} IN ({placeholders})"


def addresses(user) -> list[Address]:
    """The customer's addresses, their default first, read without building a query (every
    checkout page and summary swap reads them, #23)."""
    return rows.where(Address, user_id=user.pk)


# The header counts a customer's unread notifications up to one more than this, and says "99+"
# beyond: a customer who never reads them (a paid order alone writes two) would otherwise make
# every page they open count them all (2,300 of them took 0.9 ms a page, #23).
UNREAD_SHOWN_UP_TO = 99


def unread_badge(unread: int) -> str:
    """What the header says of a customer's unread notifications: nothing for none, else how many,
    up to "99+"."""
    if not unread:
        return ""
    return f"{UNREAD_SHOWN_UP_TO}+" if unread > UNREAD_SHOWN_UP_TO else str(unread)


def header_counts(user) -> tuple[int, int]:
    """A customer's two header numbers in one query (#23): items in their cart, unread
    notifications. The same figures as DbCart.count() and unread_notification_count(), the
    second counted up to UNREAD_SHOWN_UP_TO + 1."""
    with connections[router.db_for_read(User)].cursor() as cursor:
        cursor.execute(f"SELECT {_header_counts_columns()}", [user.pk, user.pk])
        in_cart, unread = cursor.fetchone()
    return int(in_cart), int(unread)


def shoppers_header_counts(request) -> tuple[int, int]:
    """The signed-in customer's `header_counts`: as read with them at the start of the request
    (user_with_header_counts), while the request has written nothing where they are kept
    (accounts/middleware.py); read afresh once it has."""
    read = getattr(request, "header_counts_read", None)
    if read is not None and read[0] == request.user.pk and not read[2].seen:
        return read[1]
    return header_counts(request.user)


def user_with_header_counts(user_id: int) -> tuple[User | None, tuple[int, int]]:
    """The user with this id (None when there is none), with their `header_counts`, in one
    statement: what a signed-in shopper's every page reads (accounts/backends.py, #23)."""
    user, (in_cart, unread) = rows.by_pk_with(User, user_id, _header_counts_columns(), [user_id, user_id])
    return user, (int(in_cart or 0), int(unread or 0))


@functools.cache
def header_counts_databases() -> frozenset[str]:
    """Where the rows the header counts are written: a write there may change them (asked on
    every signed-in request; the routing does not change while a process runs)."""
    return frozenset(router.db_for_write(model) for model in (CartItem, Notification))


@functools.cache
def _header_counts_columns() -> str:
    # Every signed-in page reads these; built with the ORM (two subqueries) they cost more CPU
    # than the rest of a cached page together, so they are written once, in SQL both databases
    # speak.
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
    # Names from the models' metadata and a constant of this module; the values are bound parameters.
    return HEADER_COUNTS_COLUMNS.format(**names, unread_cap=UNREAD_SHOWN_UP_TO + 1)


HEADER_COUNTS_COLUMNS = (
    "(SELECT COALESCE(SUM(i.{quantity}), 0) FROM {item} i"
    " JOIN {cart} c ON c.{cart_id} = i.{item_cart} WHERE c.{cart_user} = %s),"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM {note} WHERE {note_user} = %s AND {read_at} IS NULL"
    " LIMIT {unread_cap}) unread)"
)


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user):
    return Notification.objects.filter(user=user)
