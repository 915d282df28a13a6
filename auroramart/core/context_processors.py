from django.conf import settings

from auroramart.accounts.selectors import unread_notification_count
from auroramart.cart.storage import cart_for
from auroramart.catalog.cache import catalog_version
from auroramart.catalog.selectors import category_menu

GST_PERCENT = str((settings.GST_RATE * 100).normalize())


def shop(request):
    """What every page's header and footer need.

    The menu is passed as a callable, so it is fetched only when a template
    renders it, which is never when the menu's cached fragment is hit.
    """
    user = request.user
    return {
        "category_menu": category_menu,
        "unread_notifications": (lambda: unread_notification_count(user))
        if user.is_authenticated and not user.is_staff
        else 0,
        "admin_panel_url": settings.ADMIN_PANEL_URL,
        "cart_count": (lambda: cart_for(request).count())
        if not (user.is_authenticated and user.is_staff)
        else 0,
        "catalog_version": catalog_version(),
        "currency": settings.CURRENCY,
        "gst_percent": GST_PERCENT,
        "demo_mode": settings.DEMO_MODE,
    }
