from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "auroramart.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"
