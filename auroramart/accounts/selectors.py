from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from auroramart.cart.models import CartItem
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
    in_cart = (
        CartItem.objects.filter(cart__user=OuterRef("pk"))
        .order_by()
        .values("cart__user")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .values_list(Coalesce(Subquery(in_cart), 0), Coalesce(Subquery(unread), 0))
        .first()
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user):
    return Notification.objects.filter(user=user)
