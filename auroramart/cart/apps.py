from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "auroramart.cart"
    label = "cart"
    verbose_name = "Cart"
