from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "auroramart.payments"
    label = "payments"
    verbose_name = "Payments"
