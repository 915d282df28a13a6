from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "auroramart.shipping"
    label = "shipping"
    verbose_name = "Shipping zones and methods"

    def ready(self):
        # Cache invalidation only: any saved or deleted zone, method or rate drops the cached
        # configuration (shipping/selectors.py), however it was written.
        from django.db.models.signals import post_delete, post_save

        from . import models
        from .selectors import forget

        for model in (models.ShippingZone, models.ShippingMethod, models.ShippingRate):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kwargs: forget(),
                    sender=model,
                    weak=False,
                    dispatch_uid=f"shipping-{model.__name__}",
                )
