from celery import shared_task
from django.conf import settings

from auroramart.catalog.models import ProductVariant
from auroramart.core.outbox import queue_email


@shared_task
def email_low_stock_alert(variant_ids: list[int]) -> int:
    """Tell staff which variants fell to their reorder level, through the outbox."""
    variants = list(
        ProductVariant.objects.filter(pk__in=variant_ids)
        .select_related("product")
        .order_by("product__name", "position", "pk")
    )
    if not variants:
        return 0
    lines = [
        f"- {v.display_name} ({v.sku}): {v.stock_quantity} left, reorder level {v.reorder_level}, "
        f"suggest ordering {v.product.reorder_quantity}"
        for v in variants
    ]
    for to in settings.STAFF_EMAILS:
        queue_email(
            to=to,
            subject=f"[AuroraMart] Low stock: {len(variants)} item{'s' if len(variants) > 1 else ''}",
            body="These items fell to their reorder level:\n\n" + "\n".join(lines),
        )
    return len(variants)


@shared_task
def notify_back_in_stock(variant_ids: list[int]) -> int:
    """Tell customers who wishlisted a product that it (one of its variants) is back in stock."""
    from auroramart.accounts.models import Notification, WishlistItem
    from auroramart.accounts.services import notify
    from auroramart.core.outbox import queue_email

    variants = {
        v.product_id: v
        for v in ProductVariant.objects.filter(pk__in=variant_ids, is_active=True).order_by("-pk")
    }
    sent = 0
    items = WishlistItem.objects.filter(
        product_id__in=list(variants), product__is_active=True, user__is_active=True
    )
    for item in items.select_related("product", "user"):
        variant = variants[item.product_id]
        name = item.product.name + (f" ({variant.name})" if variant.name else "")
        url = item.product.get_absolute_url() + (f"?variant={variant.pk}" if variant.name else "")
        notify(user=item.user, kind=Notification.Kind.STOCK, title=f"{name} is back in stock", url=url)
        queue_email(
            to=item.user.email,
            subject=f"{name} is back in stock",
            body=f"{name}, on your wishlist, is back in stock.\n\nSee it:\n{settings.SITE_URL}{url}",
        )
        sent += 1
    return sent


@shared_task
def low_stock_digest_task() -> int:
    from .services import send_low_stock_digest

    return send_low_stock_digest()
