from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "auroramart.shipping"
    label = "shipping"
    verbose_name = "Shipping zones and methods"

    def ready(self):
        # Cache invalidation only: any saved or deleted zone, method or rate drops the held
        # configuration (shipping/selectors.py).
        from auroramart.core.held import forget_when_changed

        from . import models
        from .selectors import forget

        forget_when_changed(
            forget, models.ShippingZone, models.ShippingMethod, models.ShippingRate, name="shipping"
        )
