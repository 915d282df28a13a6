from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "auroramart.orders"
    label = "orders"
    verbose_name = "Orders"
