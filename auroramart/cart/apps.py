from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "auroramart.cart"
    label = "cart"
    verbose_name = "Cart"

    def ready(self):
        from auroramart.accounts.views import LOGIN_STEPS
        from auroramart.catalog.views import BUY_BOX_EXTRAS

        from .views import add_to_cart_form, merge_cart_at_login

        if merge_cart_at_login not in LOGIN_STEPS:
            LOGIN_STEPS.append(merge_cart_at_login)
        if add_to_cart_form not in BUY_BOX_EXTRAS:
            BUY_BOX_EXTRAS.append(add_to_cart_form)
