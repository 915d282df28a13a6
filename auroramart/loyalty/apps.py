from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "auroramart.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self):
        # The loyalty program plugs into registration, pricing, orders and reviews
        # through their explicit step lists (no signals for business rules).
        from auroramart.accounts.services import REGISTRATION_STEPS
        from auroramart.cart.selectors import PRICING_EXTRAS
        from auroramart.cart.views import SUMMARY_EXTRAS
        from auroramart.catalog.services import REVIEW_APPROVED_STEPS
        from auroramart.orders import services as orders
        from auroramart.orders.views import DETAIL_EXTRAS

        from . import services, views

        hooks = [
            (REGISTRATION_STEPS, services.open_account),
            (PRICING_EXTRAS, services.pricing_choice),
            (orders.PLACEMENT_STEPS, services.spend_for_order),
            (orders.RELEASE_STEPS, services.release_for_order),
            (orders.PAID_STEPS, services.earn_for_order),
            (orders.REVERSAL_STEPS, services.reverse_for_order),
            (REVIEW_APPROVED_STEPS, services.review_bonus),
            (SUMMARY_EXTRAS, views.cart_box),
            (DETAIL_EXTRAS, views.order_points),
        ]
        for steps, step in hooks:
            if step not in steps:
                steps.append(step)
