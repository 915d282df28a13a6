from django.conf import settings

from auroramart.catalog.cache import catalog_version
from auroramart.catalog.selectors import category_menu


def shop(request):
    """What every page's header and footer need.

    The menu is passed as a callable, so it is fetched only when a template
    renders it, which is never when the menu's cached fragment is hit.
    """
    return {
        "category_menu": category_menu,
        "catalog_version": catalog_version(),
        "currency": settings.CURRENCY,
        "demo_mode": settings.DEMO_MODE,
    }
