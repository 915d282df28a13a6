from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """What every shop page shares: the header and footer's context (the category menu,
    the cart count, unread notifications) and the `shop` template library (money, stars,
    search highlighting). It sits on top, beside the admin panel and the API."""

    name = "auroramart.storefront"
    label = "storefront"
    verbose_name = "Storefront"
