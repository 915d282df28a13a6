from django.conf import settings

from auroramart.accounts.selectors import unread_notification_count
from auroramart.catalog.cache import catalog_version
from auroramart.catalog.selectors import category_menu


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
        "catalog_version": catalog_version(),
        "currency": settings.CURRENCY,
        "demo_mode": settings.DEMO_MODE,
    }
