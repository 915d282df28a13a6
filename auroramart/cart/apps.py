from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "auroramart.cart"
    label = "cart"
    verbose_name = "Cart"

    def ready(self):
        from auroramart.accounts.views import LOGIN_STEPS

        from .views import merge_cart_at_login

        if merge_cart_at_login not in LOGIN_STEPS:
            LOGIN_STEPS.append(merge_cart_at_login)
