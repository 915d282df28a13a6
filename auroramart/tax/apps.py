from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "auroramart.tax"
    label = "tax"
    verbose_name = "Tax classes and rates"

    def ready(self):
        # Cache invalidation only: any saved or deleted class or rate drops the held set-up
        # (tax/selectors.py).
        from auroramart.core.held import forget_when_changed

        from . import models
        from .selectors import forget

        forget_when_changed(forget, models.TaxClass, models.TaxRate, name="tax")
