from celery import shared_task
from django.conf import settings

from auroramart.catalog.models import Product
from auroramart.core.outbox import queue_email


@shared_task
def email_low_stock_alert(product_ids: list[int]) -> int:
    """Tell staff which products fell to their reorder level, through the outbox."""
    products = list(Product.objects.filter(pk__in=product_ids).order_by("name"))
    if not products:
        return 0
    lines = [
        f"- {p.name} ({p.sku}): {p.stock_quantity} left, reorder level {p.reorder_level}, suggest ordering {p.reorder_quantity}"
        for p in products
    ]
    for to in settings.STAFF_EMAILS:
        queue_email(
            to=to,
            subject=f"[AuroraMart] Low stock: {len(products)} product{'s' if len(products) > 1 else ''}",
            body="These products fell to their reorder level:\n\n" + "\n".join(lines),
        )
    return len(products)


@shared_task
def notify_back_in_stock(product_ids: list[int]) -> int:
    """Tell customers who wishlisted a product that it is back in stock."""
    from auroramart.accounts.models import Notification, WishlistItem
    from auroramart.accounts.services import notify

    sent = 0
    items = WishlistItem.objects.filter(
        product_id__in=product_ids, product__is_active=True, user__is_active=True
    )
    for item in items.select_related("product", "user"):
        notify(
            user=item.user,
            kind=Notification.Kind.STOCK,
            title=f"{item.product.name} is back in stock",
            url=item.product.get_absolute_url(),
        )
        sent += 1
    return sent


@shared_task
def low_stock_digest_task() -> int:
    from .services import send_low_stock_digest

    return send_low_stock_digest()
