from django.conf import settings

from auroramart.catalog.selectors import category_menu


def shop(request):
    """What every page's header and footer need: the category menu, cached."""
    return {
        "category_menu": category_menu(),
        "currency": settings.CURRENCY,
        "demo_mode": settings.DEMO_MODE,
    }
