from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "auroramart.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        # Add-to-cart events feed the funnel and the per-product figures.
        from auroramart.cart import views as cart_views

        from . import tracking

        if tracking.record_cart_addition not in cart_views.ADDED_STEPS:
            cart_views.ADDED_STEPS.append(tracking.record_cart_addition)
