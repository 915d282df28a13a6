from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "auroramart.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self):
        from auroramart.accounts.services import DELETION_STEPS
        from auroramart.catalog.services import VERIFIED_PURCHASE_CHECKS

        from .services import anonymise_orders, bought

        for hooks, step in ((DELETION_STEPS, anonymise_orders), (VERIFIED_PURCHASE_CHECKS, bought)):
            if step not in hooks:
                hooks.append(step)
