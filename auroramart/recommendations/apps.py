from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "auroramart.recommendations"
    label = "recommendations"
    verbose_name = "Recommendations"

    def ready(self):
        # Plugs into registration (predict categories), the cart (Complete the set,
        # add-to-cart attribution) and orders (purchase attribution) through their
        # explicit step lists, as loyalty does.
        from auroramart.accounts.services import PROFILE_UPDATED_STEPS, REGISTRATION_STEPS
        from auroramart.cart import views as cart_views
        from auroramart.orders import services as orders

        from . import services, tracking, views

        hooks = [
            (REGISTRATION_STEPS, services.predict_for_new_customer),
            (PROFILE_UPDATED_STEPS, services.predict_for_new_customer),
            (cart_views.CART_EXTRAS, views.complete_the_set),
            (cart_views.ADDED_STEPS, tracking.attribute_add_to_cart),
            (orders.PAID_STEPS, tracking.attribute_purchase),
        ]
        for steps, step in hooks:
            if step not in steps:
                steps.append(step)
