from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "auroramart.promotions"
    label = "promotions"
    verbose_name = "Promotions"
