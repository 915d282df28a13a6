import functools

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse

from auroramart.accounts.selectors import shoppers_header_counts, unread_badge
from auroramart.cart.storage import cart_for
from auroramart.catalog.cache import catalog_version
from auroramart.catalog.selectors import category_menu
from auroramart.shipping.selectors import home_options
from auroramart.tax.selectors import home_rate


@functools.cache
def site_urls() -> dict[str, str]:
    """The header's links, reversed once per process rather than on every page."""
    names = {
        "home": "pages:home",
        "search": "search:results",
        "cart": "cart:detail",
        "login": "accounts:login",
        "register": "accounts:register",
        "logout": "accounts:logout",
        "profile": "accounts:profile",
        "orders": "orders:list",
        "loyalty": "loyalty:dashboard",
        "wishlist": "accounts:wishlist",
        "notifications": "accounts:notifications",
    }
    return {key: reverse(name) for key, name in names.items()}


def shipping_methods() -> list[dict]:
    """The delivery options at home as the pages describe them, from their one home (the
    shipping zones, shipping/selectors.py)."""
    return [
        {"code": q.code, "label": q.name, "fee": q.fee, "free_above": q.free_above, "eta": q.estimate}
        for q in home_options()
    ]


def gst_percent() -> str:
    return str((home_rate().rate * 100).normalize())


def shop(request):
    """What every page's header and footer need.

    The menu is passed as a callable, so it is fetched only when a template
    renders it, which is never when the menu's cached fragment is hit.
    """
    # Read when the header is rendered (after the view's own writes), once for both numbers.
    counts = functools.cache(lambda: header_numbers(request))
    return {
        "category_menu": category_menu,
        "site_urls": site_urls(),
        "unread_notifications": lambda: unread_badge(counts()[1]),
        "admin_panel_url": settings.ADMIN_PANEL_URL,
        "cart_count": lambda: counts()[0],
        # Called by the template only where a cached fragment needs it (never by a cached page's
        # personal parts); read from the cache once per request (catalog/cache.py).
        "catalog_version": catalog_version,
        "currency": settings.CURRENCY,
        # Read per request, not at import: the setting is the one home of each rule.
        "gst_percent": gst_percent,
        "points_per_dollar": settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR,
        "shipping_methods": shipping_methods,
        "return_window_days": settings.RETURN_WINDOW_DAYS,
        "demo_mode": settings.DEMO_MODE,
        "shop_identity": shop_identity,
        # Built when a template shows them (the page's head), not for each part of a page that
        # is rendered on its own (a shopper's corner of the header on a cached page).
        "canonical_url": lambda: canonical_url(request),
        "default_og_image": lambda: request.build_absolute_uri(static("img/og-default.png")),
    }


def header_numbers(request) -> tuple[int, int]:
    """The header's cart count and unread notifications: a customer's in one query, a guest's
    cart count from their session (no notifications), none for staff."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return shoppers_header_counts(request)
    return (0 if user.is_authenticated else cart_for(request).count()), 0


def personal_state(request) -> tuple[tuple | None, dict] | None:
    """What the shopper's own parts of a shared page show (catalog.cache._personal_parts): their
    corner of the header and their messages. Shoppers with the same name, cart count and unread
    count and no message see the same HTML (the key); a shopper with a message to see gets no
    key: their parts are theirs alone, rendered from this context (not held, nor made with every
    context processor: after each order the next page shows one, #23)."""
    if not hasattr(request, "session"):
        return None
    # Counted, not marked seen: the part that shows them iterates them, as the context processor's.
    pending = messages.get_messages(request)
    shown = len(pending)
    user = request.user
    count, unread = header_numbers(request)
    name = user.get_short_name() if user.is_authenticated else ""
    key = (user.is_authenticated, user.is_staff, name, count, unread)
    context = {
        "user": user,
        "cart_count": count,
        "unread_notifications": unread_badge(unread),
        "site_urls": site_urls(),
        "admin_panel_url": settings.ADMIN_PANEL_URL,
        "messages": pending if shown else (),
    }
    return (None if shown else key), context


def canonical_url(request) -> str:
    """This page's address without sorting, filters or tracking: the one search engines should
    index (a page number stays: page 2 is another page)."""
    url = request.build_absolute_uri(request.path)
    page = request.GET.get("page", "")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url


def shop_identity() -> dict:
    """Who the shop is, on invoices, credit notes and emails (settings: one home)."""
    return {
        "name": settings.SHOP_NAME,
        "legal_name": settings.SHOP_LEGAL_NAME,
        "address": settings.SHOP_ADDRESS,
        "tax_label": settings.SHOP_TAX_LABEL,
        "tax_number": settings.SHOP_TAX_NUMBER,
    }
