from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "auroramart.tax"
    label = "tax"
    verbose_name = "Tax classes and rates"

    def ready(self):
        # Cache invalidation only, as in shipping/apps.py.
        from django.db.models.signals import post_delete, post_save

        from . import models
        from .selectors import forget

        for model in (models.TaxClass, models.TaxRate):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kwargs: forget(), sender=model, weak=False, dispatch_uid=f"tax-{model.__name__}"
                )
