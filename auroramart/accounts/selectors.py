from django.db.models import Prefetch

from auroramart.catalog.models import ProductImage

from .models import Address, Notification, WishlistItem


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


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user):
    return Notification.objects.filter(user=user)
