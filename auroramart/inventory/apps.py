from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "auroramart.inventory"
    label = "inventory"
    verbose_name = "Inventory"
